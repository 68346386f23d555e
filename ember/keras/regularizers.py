"""Weight penalties added to the training loss: ``kernel_regularizer=keras.regularizers.l2(1e-4)``.

``L1(l1)``: ``l1 * sum(|w|)``; ``L2(l2)``: ``l2 * sum(w^2)`` (no factor 1/2, as in Keras);
``L1L2(l1, l2)``: both. Names: ``'l1'``, ``'l2'``, ``'l1_l2'`` (default factor 0.01).
``OrthogonalRegularizer(factor, mode)``: with the rows (or columns) of a 2-D weight L2-normalized
to ``u_i``, ``factor / 2 * sum_{i != j} |u_i . u_j| / (n (n - 1) / 2)``: zero for orthogonal rows.

>>> import ember
>>> from ember.keras import regularizers
>>> float(regularizers.L2(0.5)(ember.tensor([1.0, 2.0])))
2.5
"""
from ..autograd import ops


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        total = None
        if self.l1:
            total = ops.mul(ops.sum(ops.abs(x)), self.l1)
        if self.l2:
            p = ops.mul(ops.sum(ops.mul(x, x)), self.l2)
            total = p if total is None else ops.add(total, p)
        return total if total is not None else ops.mul(ops.sum(x), 0.0)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. '
                             f"Received: mode={mode}")
        self.factor, self.mode = float(factor), mode

    def __call__(self, x):
        from . import ops as kops
        if len(x.shape) != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={tuple(x.shape)}")
        u = kops.normalize(x, axis=1 if self.mode == "rows" else 0)
        product = kops.matmul(u, kops.transpose(u)) if self.mode == "rows" else kops.matmul(kops.transpose(u), u)
        n = product.shape[0]
        off_diagonal = kops.multiply(product, 1.0 - kops.eye(n, dtype=x.dtype))
        return self.factor * 0.5 * kops.sum(kops.absolute(off_diagonal)) / (n * (n - 1.0) / 2.0)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_ALL = {"L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer}


def deserialize(config, custom_objects=None):
    """The regularizer a ``serialize`` config (``{"class_name", "config"}``) describes: a built-in, or a custom
    class or function found in ``custom_objects``, the custom object scopes or the registry."""
    if not isinstance(config, dict):
        return get(config)
    from .saving.serialization_lib import deserialize_custom
    return deserialize_custom(config, _ALL.get, custom_objects)


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, str):
        name = identifier.lower()
        if name == "l1":
            return L1()
        if name == "l2":
            return L2()
        if name in ("l1_l2", "l1l2"):
            return L1L2(l1=0.01, l2=0.01)
        if name in ("orthogonal_regularizer", "orthogonalregularizer"):
            return OrthogonalRegularizer()
        raise ValueError(f"Unknown regularizer {identifier!r}; expected 'l1', 'l2', 'l1_l2' or "
                         f"'orthogonal_regularizer'")
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


def serialize(reg):
    if reg is None:
        return None
    if _ALL.get(type(reg).__name__) is not type(reg):
        from .saving.serialization_lib import serialize_custom
        return serialize_custom(reg)    # a custom Regularizer subclass or function, as Keras writes it
    return {"module": "keras.regularizers", "class_name": type(reg).__name__, "config": reg.get_config(),
            "registered_name": None}
