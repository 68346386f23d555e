"""How a DTensor's data lies on each dimension of its mesh: ``Shard(dim)``, ``Replicate()``, ``Partial()``.

- ``Shard(d)``: the global tensor is cut along its dimension ``d`` into ``n`` pieces (``torch.chunk``:
  pieces of ``ceil(L / n)`` rows, the last ones shorter or empty); mesh index ``i`` holds piece ``i``.
- ``Replicate()``: every index holds the whole tensor.
- ``Partial(op)``: every index holds a part; the tensor is their reduction (``sum``, ``avg``, ``max``, ``min``).
"""

__all__ = ["Placement", "Shard", "Replicate", "Partial"]


class Placement:
    """The base of the three placements."""

    def is_shard(self, dim=None):
        return isinstance(self, Shard) and (dim is None or self.dim == dim)

    def is_replicate(self):
        return isinstance(self, Replicate)

    def is_partial(self, reduce_op=None):
        return isinstance(self, Partial) and (reduce_op is None or self.reduce_op == reduce_op)


class Shard(Placement):
    def __init__(self, dim):
        self.dim = int(dim)

    def __eq__(self, other):
        return isinstance(other, Shard) and other.dim == self.dim

    def __hash__(self):
        return hash(("Shard", self.dim))

    def __repr__(self):
        return f"Shard(dim={self.dim})"

    def __str__(self):
        return f"S({self.dim})"


class Replicate(Placement):
    def __eq__(self, other):
        return isinstance(other, Replicate)

    def __hash__(self):
        return hash("Replicate")

    def __repr__(self):
        return "Replicate()"

    def __str__(self):
        return "R"


class Partial(Placement):
    def __init__(self, reduce_op="sum"):
        self.reduce_op = reduce_op

    def __eq__(self, other):
        return isinstance(other, Partial) and other.reduce_op == self.reduce_op

    def __hash__(self):
        return hash(("Partial", self.reduce_op))

    def __repr__(self):
        return f"Partial({self.reduce_op})"

    def __str__(self):
        return "P"
