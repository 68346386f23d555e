"""``DTensor``: a tensor whose data is spread over the ranks of a :class:`DeviceMesh` (``torch.distributed.tensor``).

A DTensor has a global shape; each rank holds its *local* piece (``to_local()``), given by the
placements, one per mesh dimension (:mod:`.placement_types`). For a 1-d mesh of ``n`` ranks and
``Shard(0)`` a ``(L, ...)`` tensor is cut as ``torch.chunk`` cuts it: rank ``i`` holds rows
``[i c, min((i + 1) c, L))`` with ``c = ceil(L / n)``. ``full_tensor()`` gathers the whole tensor on
every rank; ``redistribute`` changes the placements (Shard <-> Replicate, and Partial -> either).

What ember's DTensor computes: the layout operations above, elementwise arithmetic with numbers or
DTensors of the same layout (``+ - * / **`` and negation act on the local pieces), ``sum()`` (a
``Partial(sum)`` over the sharded mesh dimensions, as PyTorch), ``item()``, and the optimizers and
``clip_grad_norm_`` over DTensor parameters (what ``fully_shard`` training needs). Other ember ops
given a DTensor act on its local piece only; gather it with ``full_tensor()`` first.

Example (every rank of a 2-rank job)::

    mesh = init_device_mesh("cpu", (2,))
    d = distribute_tensor(ember.arange(10.0).view(5, 2), mesh, [Shard(0)])
    d.to_local()        # rank 0: rows 0-2, rank 1: rows 3-4
    d.full_tensor()     # the (5, 2) tensor on both ranks
"""
import numpy as np

from ember.autograd.tensor import Tensor, Size, make, _new
from ember.nn.parameter import Parameter
from .placement_types import Placement, Shard, Replicate, Partial
from ember.backend.meta import MetaArray


def _contig(a, dtype=None):
    """A C-contiguous array of ``a`` (0-d stays 0-d, where np.ascontiguousarray makes it 1-d; a meta array stays
    meta)."""
    if type(a) is MetaArray:
        return a.astype(a.dtype if dtype is None else dtype)
    return np.asarray(a, dtype=dtype, order="C")

__all__ = ["DTensor", "distribute_tensor"]


# -- layout arithmetic ------------------------------------------------------------------------------

def _chunk(length, n, i):
    """``torch.chunk(length, n)``'s piece ``i`` as ``(lo, hi)``: pieces of ``ceil(length / n)``."""
    c = -(-length // n) if length else 0
    lo = min(i * c, length)
    return lo, min(lo + c, length)


def _local_slices(shape, mesh, placements, coord):
    """The region of the global tensor that mesh coordinate ``coord`` holds, as slices."""
    bounds = [[0, s] for s in shape]
    for mdim, p in enumerate(placements):
        if isinstance(p, Shard):
            d = p.dim % max(1, len(shape))
            lo, hi = bounds[d]
            a, b = _chunk(hi - lo, mesh.shape[mdim], coord[mdim])
            bounds[d] = [lo + a, lo + b]
    return tuple(slice(a, b) for a, b in bounds)


def _normalize(placements, mesh, ndim):
    if placements is None:
        placements = [Replicate()] * mesh.ndim
    placements = list(placements)
    if len(placements) != mesh.ndim:
        raise ValueError(f"DTensor: {len(placements)} placements for a mesh of {mesh.ndim} dimension(s); give one "
                         f"per mesh dimension")
    out = []
    for p in placements:
        if not isinstance(p, Placement):
            raise TypeError(f"DTensor: placements must be Shard, Replicate or Partial, got {type(p).__name__}")
        if isinstance(p, Shard):
            if not -max(ndim, 1) <= p.dim < max(ndim, 1):
                raise IndexError(f"DTensor: Shard(dim={p.dim}) is out of range for a tensor of {ndim} dimension(s)")
            p = Shard(p.dim % ndim) if p.dim < 0 else p
        out.append(p)
    return tuple(out)


def _coords_in_group(mesh, pg):
    """The mesh coordinate of each rank of ``pg``, in group order."""
    return [[int(c) for c in np.argwhere(mesh._mesh == g)[0]] for g in pg.ranks]


def _reduce_partials(arr, mesh, placements):
    """Reduce the Partial mesh dimensions of ``arr`` (a local piece): every index then holds the reduction."""
    from ember.distributed.collectives import all_reduce
    from ember.distributed.reduce_op import ReduceOp
    ops = {"sum": ReduceOp.SUM, "avg": ReduceOp.AVG, "max": ReduceOp.MAX, "min": ReduceOp.MIN}
    out = np.array(arr, copy=True)
    for mdim, p in enumerate(placements):
        if isinstance(p, Partial):
            t = make(out)
            all_reduce(t, op=ops[p.reduce_op], group=mesh.get_group(mdim))
            out = t._data
    return out


def _gather(arr, shape, mesh, placements):
    """The global tensor, on every rank of the mesh, from each rank's local piece ``arr``."""
    from ember.distributed.collectives import all_gather
    if any(isinstance(p, Partial) for p in placements):
        arr = _reduce_partials(arr, mesh, placements)
        placements = tuple(Replicate() if isinstance(p, Partial) else p for p in placements)
    if not any(isinstance(p, Shard) for p in placements):
        return np.array(arr, copy=True)
    pg = mesh._all_ranks_group()
    coords = _coords_in_group(mesh, pg)
    regions = [_local_slices(shape, mesh, placements, c) for c in coords]
    sizes = [int(np.prod([s.stop - s.start for s in r])) for r in regions]
    width = max(sizes) if sizes else 0
    send = np.zeros(width, arr.dtype)
    send[:arr.size] = np.asarray(arr).reshape(-1)
    parts = [make(np.empty(width, arr.dtype)) for _ in coords]
    all_gather(parts, make(send), group=pg)
    full = np.empty(shape, arr.dtype)
    for region, n, part in zip(regions, sizes, parts):
        full[region] = part._data[:n].reshape([s.stop - s.start for s in region])
    return full


# -- the tensor ------------------------------------------------------------------------------------

class DTensor(Tensor):
    """A distributed tensor: global ``shape``, this rank's piece in ``to_local()`` (see the module docstring)."""

    def __new__(cls, *args, **kwargs):
        return _new(cls)

    def __init__(self, *args, **kwargs):
        if not hasattr(self, "_spec"):
            raise RuntimeError("DTensor: build one with DTensor.from_local(...) or distribute_tensor(...)")

    @staticmethod
    def _make(local, mesh, placements, shape, requires_grad=False, cls=None):
        t = _new(cls or DTensor)
        t._data = local
        t._spec = (mesh, tuple(placements), tuple(int(s) for s in shape))
        if requires_grad:
            t.requires_grad = True
        return t

    def _with_local(self, local, placements=None, shape=None):
        mesh, pl, sh = self._spec
        return DTensor._make(local, mesh, pl if placements is None else placements, sh if shape is None else shape)

    # -- construction ----------------------------------------------------------------------------
    @staticmethod
    def from_local(local_tensor, device_mesh=None, placements=None, *, run_check=False, shape=None, stride=None):
        """A DTensor from each rank's ``local_tensor`` (not copied). The global shape is ``shape`` if given,
        else inferred as PyTorch does: each ``Shard(d)`` multiplies dimension ``d`` by its mesh size (so the
        pieces are taken to be equal)."""
        mesh = device_mesh if device_mesh is not None else _default_mesh()
        arr = local_tensor._data if isinstance(local_tensor, Tensor) else np.asarray(local_tensor)
        pl = _normalize(placements, mesh, arr.ndim)
        if run_check:
            from ember.distributed.collectives import broadcast
            for mdim, p in enumerate(pl):
                if isinstance(p, Replicate):
                    t = make(np.array(arr, copy=True))
                    broadcast(t, group=mesh.get_group(mdim), group_src=0)
                    arr[...] = t._data
        if shape is None:
            shape = list(arr.shape)
            for mdim, p in enumerate(pl):
                if isinstance(p, Shard):
                    shape[p.dim] *= mesh.shape[mdim]
        rg = isinstance(local_tensor, Tensor) and local_tensor.requires_grad
        return DTensor._make(arr, mesh, pl, shape, rg)

    # -- layout ------------------------------------------------------------------------------------
    @property
    def device_mesh(self):
        return self._spec[0]

    @property
    def placements(self):
        return self._spec[1]

    @property
    def shape(self):
        return Size(self._spec[2])

    def size(self, dim=None):
        return Size(self._spec[2]) if dim is None else self._spec[2][dim]

    @property
    def ndim(self):
        return len(self._spec[2])

    def dim(self):
        return len(self._spec[2])

    def numel(self):
        return int(np.prod(self._spec[2], dtype=np.int64))

    def __len__(self):
        if not self._spec[2]:
            raise TypeError("len() of a 0-d tensor")
        return self._spec[2][0]

    def to_local(self, *, grad_placements=None):
        """This rank's piece, as a plain tensor sharing its memory."""
        t = make(self._data)
        return t

    def full_tensor(self, *, grad_placements=None):
        """The global tensor, gathered on every rank (a collective over the mesh)."""
        mesh, pl, shape = self._spec
        return make(_gather(self._data, shape, mesh, pl))

    def redistribute(self, device_mesh=None, placements=None, *, async_op=False, forward_dtype=None,
                     backward_dtype=None):
        """The same global tensor with other placements (a collective over the mesh)."""
        mesh, pl, shape = self._spec
        if device_mesh is not None and device_mesh != mesh:
            raise NotImplementedError("DTensor.redistribute: moving to another device mesh")
        target = _normalize(placements if placements is not None else pl, mesh, len(shape))
        if any(isinstance(p, Partial) for p in target) and target != pl:
            raise NotImplementedError("DTensor.redistribute: to a Partial placement")
        if target == pl:
            return self._with_local(self._data)
        full = _gather(self._data, shape, mesh, pl)
        local = _contig(full[_local_slices(shape, mesh, target, mesh.get_coordinate())])
        return DTensor._make(local, mesh, target, shape)

    # -- what else a DTensor does ---------------------------------------------------------------------
    def detach(self):
        return self._with_local(self._data)

    def item(self):
        mesh, pl, shape = self._spec
        if any(isinstance(p, Partial) for p in pl):
            return self.full_tensor().item()
        return self._data.item()

    def __float__(self):
        return float(self.item())

    def sum(self, dim=None, keepdim=False, dtype=None):
        if dim is not None:
            raise NotImplementedError("DTensor.sum(dim=...): gather with full_tensor() first")
        pl = tuple(Partial("sum") if isinstance(p, Shard) else p for p in self.placements)
        return self._with_local(np.asarray(self._data.sum(dtype=dtype)), pl, ())

    def _binary(self, other, fn, linear):
        if isinstance(other, DTensor):
            if other._spec[:2] != self._spec[:2] or other._spec[2] != self._spec[2]:
                raise NotImplementedError(f"DTensor: arithmetic between DTensors of different layouts "
                                          f"({self.placements} and {other.placements}); redistribute one first")
            if not linear and any(isinstance(p, Partial) for p in self.placements):
                raise NotImplementedError("DTensor: a product of two Partial DTensors")
            return self._with_local(fn(self._data, other._data))
        if isinstance(other, Tensor):
            raise NotImplementedError("DTensor: arithmetic with a plain tensor; make it a DTensor (from_local / "
                                      "distribute_tensor) first")
        if not linear and any(isinstance(p, Partial) for p in self.placements) and fn not in (np.multiply,
                                                                                             np.divide):
            raise NotImplementedError("DTensor: this operation of a Partial DTensor and a number")
        return self._with_local(np.asarray(fn(self._data, other), dtype=self._data.dtype))

    def __add__(self, o):
        return self._binary(o, np.add, True)

    __radd__ = __add__

    def __sub__(self, o):
        return self._binary(o, np.subtract, True)

    def __rsub__(self, o):
        return self._binary(o, lambda a, b: np.subtract(b, a), True)

    def __mul__(self, o):
        return self._binary(o, np.multiply, False)

    __rmul__ = __mul__

    def __truediv__(self, o):
        return self._binary(o, np.divide, False)

    def __rtruediv__(self, o):
        return self._binary(o, lambda a, b: np.divide(b, a), False)

    def __pow__(self, o):
        return self._binary(o, np.power, False)

    def __neg__(self):
        return self._with_local(-self._data)

    @staticmethod
    def _joint_norm(tensors, norm_type, error_if_nonfinite, norm_of):
        """The ``norm_type``-norm of ``tensors`` (DTensors of one mesh) as if concatenated whole: each rank's
        pieces reduced locally, then over the mesh dimensions each tensor is sharded on, so that a replicated
        tensor counts once (sum of ``|x|^p``; max for inf, min for -inf). A 0-d replicated DTensor, as PyTorch's
        ``clip_grad_norm_`` returns."""
        import math
        from ember.distributed.collectives import all_reduce
        from ember.distributed.reduce_op import ReduceOp
        if not all(isinstance(t, DTensor) for t in tensors):
            raise RuntimeError("clip_grad_norm_: the gradients mix DTensors and plain tensors")
        mesh = tensors[0].device_mesh
        if any(t.device_mesh != mesh for t in tensors):
            raise NotImplementedError("clip_grad_norm_: DTensor gradients on different device meshes")
        extreme = norm_type in (math.inf, -math.inf)
        op = (ReduceOp.MAX if norm_type > 0 else ReduceOp.MIN) if extreme else ReduceOp.SUM
        groups = {}
        for t in tensors:
            dims = tuple(i for i, p in enumerate(t.placements) if not isinstance(p, Replicate))
            groups.setdefault(dims, []).append(t._data)
        parts = []
        for dims in sorted(groups):
            arrs = groups[dims]
            if extreme or norm_type == 0:
                local = norm_of(arrs, norm_type)
            else:
                local = sum(float((np.abs(a.astype(np.float64)) ** norm_type).sum()) for a in arrs)
            acc = make(np.asarray([local], np.float64))
            for dim in dims:
                all_reduce(acc, op=op, group=mesh.get_group(dim))
            parts.append(float(acc._data[0]))
        if extreme:
            total = max(parts) if norm_type > 0 else min(parts)
        elif norm_type == 0:
            total = sum(parts)
        else:
            total = sum(parts) ** (1.0 / norm_type)
        if error_if_nonfinite and not math.isfinite(total):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                               f"so it cannot be clipped. To disable this error and scale the gradients by the "
                               f"non-finite norm anyway, set `error_if_nonfinite=False`")
        out = np.asarray(total, dtype=tensors[0]._data.dtype)
        return DTensor._make(out, mesh, tuple(Replicate() for _ in tensors[0].placements), ())

    def __repr__(self):
        mesh, pl, _ = self._spec
        return f"DTensor(local_tensor={make(self._data)!r}, device_mesh={mesh!r}, placements={pl})"

    __str__ = __repr__

    def __deepcopy__(self, memo):
        t = self._with_local(self._data.copy())
        if self.requires_grad:
            t.requires_grad = True
        memo[id(self)] = t
        return t


class _DParameter(DTensor, Parameter):
    """A module parameter that is a DTensor (what ``nn.Parameter(dtensor)`` is in PyTorch)."""

    def __init__(self, *args, **kwargs):
        pass

    def __repr__(self):
        return DTensor.__repr__(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("a DTensor parameter is not picklable; save a state dict with "
                        "ember.distributed.checkpoint instead")


_DParameter.__name__ = _DParameter.__qualname__ = "DTensor"


def _as_parameter(dt, requires_grad=True):
    """``nn.Parameter(dt)`` for a DTensor ``dt``: the same data and layout, registered as a parameter."""
    mesh, pl, shape = dt._spec
    return DTensor._make(dt._data, mesh, pl, shape, requires_grad, cls=_DParameter)


def _default_mesh():
    from ember.distributed.device_mesh import init_device_mesh
    from ember.distributed import process_group as pgm
    return init_device_mesh("cpu", (pgm.get_world_size(),))


def distribute_tensor(tensor, device_mesh=None, placements=None, *, src_data_rank=0):
    """Spread ``tensor`` over ``device_mesh`` by ``placements`` (default: replicated): rank ``src_data_rank``'s
    values are broadcast and every rank keeps its piece. A collective over the mesh."""
    from ember.distributed.collectives import broadcast
    mesh = device_mesh if device_mesh is not None else _default_mesh()
    arr = tensor._data
    pl = _normalize(placements, mesh, arr.ndim)
    if any(isinstance(p, Partial) for p in pl):
        raise NotImplementedError("distribute_tensor: a Partial placement")
    if type(arr) is MetaArray:  # a meta tensor (FSDP2's meta init): this rank's piece, no data to send
        local = _contig(arr[_local_slices(arr.shape, mesh, pl, mesh.get_coordinate())])
        return DTensor._make(local, mesh, pl, arr.shape, tensor.requires_grad)
    full = np.array(arr, copy=True)
    if src_data_rank is not None:
        t = make(full)
        broadcast(t, src=src_data_rank, group=mesh._all_ranks_group())
        full = t._data
    local = _contig(full[_local_slices(arr.shape, mesh, pl, mesh.get_coordinate())])
    return DTensor._make(local, mesh, pl, arr.shape, tensor.requires_grad)
