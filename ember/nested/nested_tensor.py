"""The :class:`NestedTensor` of :mod:`ember.nested`: a list of tensors of one dtype and number of dims."""
from ..autograd.tensor import Tensor
from ..autograd import ops as _ops
from ..autograd.grad_mode import no_grad
from ..backend.formats import strided
from ..creation import full as _full, tensor as _tensor
from ..functional.padding import pad as _pad

__all__ = ["NestedTensor", "nested_tensor", "as_nested_tensor", "to_padded_tensor"]

_UNARY = ("abs", "neg", "relu", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "square", "sign",
          "clone", "detach", "float", "double", "half", "contiguous")


class NestedTensor:
    """Components ``t_0 ... t_{B-1}``, each of ``ndim - 1`` dims; see :mod:`ember.nested`."""

    is_nested = True

    def __init__(self, components):
        self._components = list(components)
        if self._components:
            first = self._components[0]
            for i, c in enumerate(self._components):
                if c.dim() != first.dim():
                    raise RuntimeError(f"All Tensors given to nested_tensor must have the same dimension. Found "
                                       f"dimension {first.dim()} for Tensor at index 0 and dimension {c.dim()} for "
                                       f"Tensor at index {i}.")
                if c.dtype != first.dtype:
                    raise RuntimeError(f"nested_tensor: all components must have one dtype, got {first.dtype} at "
                                       f"index 0 and {c.dtype} at index {i}")

    # -- shape -----------------------------------------------------------------------------------------
    def dim(self):
        return 1 + (self._components[0].dim() if self._components else 0)

    ndim = property(dim)

    def size(self, dim=None):
        if dim is None:
            raise RuntimeError("Internal error: NestedTensorImpl doesn't support sizes. Please file an issue.")
        n = self.dim()
        d = dim + n if dim < 0 else dim
        if not 0 <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
        if d == 0:
            return len(self._components)
        sizes = {c.shape[d - 1] for c in self._components}
        if len(sizes) != 1:
            raise RuntimeError(f"Given dimension {dim} is irregular and does not have a size.")
        return sizes.pop()

    @property
    def shape(self):
        return self.size()

    def _nested_tensor_size(self):
        """The components' shapes as a ``(B, ndim - 1)`` int64 tensor (PyTorch's private accessor)."""
        from ..backend.dtypes import int64
        return _tensor([list(c.shape) for c in self._components], dtype=int64)

    def numel(self):
        return sum(c.numel() for c in self._components)

    @property
    def dtype(self):
        return self._components[0].dtype if self._components else None

    @property
    def device(self):
        return self._components[0].device if self._components else None

    layout = strided

    @property
    def requires_grad(self):
        return any(c.requires_grad for c in self._components)

    def requires_grad_(self, requires_grad=True):
        for c in self._components:
            c.requires_grad_(requires_grad)
        return self

    @property
    def grad(self):
        grads = [c.grad for c in self._components]
        return None if all(g is None for g in grads) else NestedTensor(grads)

    # -- components --------------------------------------------------------------------------------------
    def unbind(self, dim=0):
        if dim != 0:
            raise RuntimeError(f"unbind(): nested tensors can only be unbound along dimension 0, got {dim}")
        return tuple(self._components)

    def __getitem__(self, i):
        if isinstance(i, int):
            return self._components[i]
        raise NotImplementedError(f"NestedTensor indexing with {type(i).__name__}: only an int index is supported")

    def __len__(self):
        return len(self._components)

    def to_padded_tensor(self, padding, output_size=None):
        return to_padded_tensor(self, padding, output_size)

    # -- elementwise ---------------------------------------------------------------------------------------
    def _map(self, fn, other=None):
        if isinstance(other, NestedTensor):
            if len(other) != len(self) or any(a.shape != b.shape for a, b in zip(self._components,
                                                                                  other._components)):
                raise RuntimeError("nested tensor elementwise op: both operands must have the same number of "
                                   "components of the same shapes")
            return NestedTensor(fn(a, b) for a, b in zip(self._components, other._components))
        return NestedTensor(fn(a) if other is None else fn(a, other) for a in self._components)

    def __add__(self, o):
        return self._map(_ops.add, o)

    def __sub__(self, o):
        return self._map(_ops.sub, o)

    def __mul__(self, o):
        return self._map(_ops.mul, o)

    def __truediv__(self, o):
        return self._map(_ops.div, o)

    __radd__, __rmul__ = __add__, __mul__

    def __neg__(self):
        return self._map(_ops.neg)

    def __getattr__(self, name):
        if name in _UNARY:
            return lambda *a, **k: NestedTensor(getattr(c, name)(*a, **k) for c in self._components)
        raise AttributeError(f"'NestedTensor' object has no attribute '{name}'")

    def __repr__(self):
        body = ",\n".join("  " + repr(c).replace("\n", "\n  ") for c in self._components)
        return f"nested_tensor([\n{body}\n])"


def _as_component(t, dtype, device):
    if isinstance(t, Tensor):
        return t if dtype is None else t.to(dtype)
    return _tensor(t, dtype=dtype)


def nested_tensor(tensor_list, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A new nested tensor holding copies of ``tensor_list`` (tensors or nested lists), a leaf of autograd."""
    with no_grad():
        comps = [_as_component(t, dtype, device).detach().clone() for t in tensor_list]
    nt = NestedTensor(comps)
    return nt.requires_grad_(True) if requires_grad else nt


def as_nested_tensor(ts, dtype=None, device=None, layout=None):
    """A nested tensor of ``ts`` (a list of tensors, or a tensor unbound along dim 0) that stays connected
    to autograd: gradients flow back to ``ts``."""
    if isinstance(ts, NestedTensor):
        return ts
    if isinstance(ts, Tensor):
        ts = ts.unbind(0)
    return NestedTensor(_as_component(t, dtype, device).clone() for t in ts)


def to_padded_tensor(input, padding, output_size=None):
    """The components stacked into one ``(B, *max_sizes)`` tensor, ``padding`` in the gaps; ``output_size``
    (each entry at least the components' size) pads further. Differentiable."""
    if not isinstance(input, NestedTensor):
        raise RuntimeError(f"to_padded_tensor: expected a nested tensor, got {type(input).__name__}")
    comps = input._components
    nd = input.dim() - 1
    target = [max(c.shape[d] for c in comps) for d in range(nd)] if comps else []
    if output_size is not None:
        output_size = list(output_size)
        if len(output_size) != nd + 1:
            raise RuntimeError(f"to_padded_tensor: output_size must have {nd + 1} entries (the nested tensor has "
                               f"{nd + 1} dims), got {output_size}")
        for d in range(nd):
            if output_size[d + 1] < target[d]:
                raise RuntimeError(f"Value in output_size is less than NestedTensor padded size. Truncation is not "
                                   f"supported. (dim {d + 1}: {output_size[d + 1]} < {target[d]})")
        target = output_size[1:]
    padded = []
    for c in comps:
        widths = []
        for d in reversed(range(nd)):
            widths += [0, target[d] - c.shape[d]]
        padded.append(_pad(c, widths, value=padding) if any(widths) else c)
    out = _ops.stack(padded, 0)
    if output_size is not None and output_size[0] > len(comps):
        extra = _full((output_size[0] - len(comps),) + tuple(target), padding, dtype=out.dtype)
        out = _ops.cat([out, extra], 0)
    return out

