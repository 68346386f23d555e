""":class:`MaskedTensor`: data with a boolean mask of the elements that are specified."""
from ..autograd import ops as _ops
from ..autograd.tensor import Tensor
from ..creation import full_like as _full_like
from ..backend.dtypes import float32
from . import reductions as _red

__all__ = ["MaskedTensor", "masked_tensor", "as_masked_tensor", "is_masked_tensor"]

_UNARY = ("abs", "neg", "relu", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "square", "sign", "clone",
          "detach", "float", "double")


class MaskedTensor:
    """``data`` where ``mask`` is True; elsewhere unspecified (shown as ``--``).

    Elementwise ops keep the mask (two MaskedTensors must have equal masks, as in PyTorch);
    reductions return a MaskedTensor whose mask is True where any element was kept.
    """

    def __init__(self, data, mask, requires_grad=False):
        if not isinstance(data, Tensor) or not isinstance(mask, Tensor):
            raise TypeError(f"MaskedTensor: data and mask must be Tensors, got {type(data).__name__} and "
                            f"{type(mask).__name__}")
        if tuple(data.shape) != tuple(mask.shape):
            raise ValueError(f"MaskedTensor: data and mask must have the same shape, got {tuple(data.shape)} and "
                             f"{tuple(mask.shape)}")
        if mask.dtype.is_floating_point or mask.dtype.is_complex or mask.dtype.itemsize != 1:
            raise TypeError(f"MaskedTensor: mask must have dtype bool, got {mask.dtype}")
        self._data, self._mask = data, mask.bool()
        if requires_grad:
            self._data.requires_grad_(True)

    def get_data(self):
        return self._data

    def get_mask(self):
        return self._mask

    def to_tensor(self, value):
        """The data with ``value`` where the mask is False."""
        return _ops.where(self._mask, self._data, _full_like(self._data, value))

    @property
    def shape(self):
        return self._data.shape

    def size(self, dim=None):
        return self._data.size() if dim is None else self._data.size(dim)

    def dim(self):
        return self._data.dim()

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return self._data.device

    @property
    def requires_grad(self):
        return self._data.requires_grad

    @property
    def grad(self):
        g = self._data.grad
        return None if g is None else MaskedTensor(g, self._mask)

    def _binary(self, fn, other):
        if isinstance(other, MaskedTensor):
            if not bool(_ops.all(_ops.eq(self._mask, other._mask))):
                raise ValueError("Input masks must match. If you need support for this, please open an issue on "
                                 "Github.")
            other = other._data
        return MaskedTensor(fn(self._data, other), self._mask)

    def __add__(self, o):
        return self._binary(_ops.add, o)

    def __sub__(self, o):
        return self._binary(_ops.sub, o)

    def __mul__(self, o):
        return self._binary(_ops.mul, o)

    def __truediv__(self, o):
        return self._binary(_ops.div, o)

    __radd__, __rmul__ = __add__, __mul__

    def __neg__(self):
        return MaskedTensor(_ops.neg(self._data), self._mask)

    def __getattr__(self, name):
        if name in _UNARY:
            return lambda *a, **k: MaskedTensor(getattr(self._data, name)(*a, **k), self._mask)
        raise AttributeError(f"'MaskedTensor' object has no attribute '{name}'")

    def _reduce(self, fn, dim=None, keepdim=False, **kwargs):
        dims = tuple(range(self.dim())) if dim is None else dim
        data = fn(self._data, dims, keepdim=keepdim, mask=self._mask, **kwargs)
        mask = _red.amax(self._mask.to(float32), dims, keepdim=keepdim) > 0
        return MaskedTensor(data, mask)

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return self._reduce(_red.sum, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return self._reduce(_red.mean, dim, keepdim, dtype=dtype)

    def amax(self, dim=None, keepdim=False):
        return self._reduce(_red.amax, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return self._reduce(_red.amin, dim, keepdim)

    def prod(self, dim=None, keepdim=False):
        return self._reduce(_red.prod, dim, keepdim)

    def softmax(self, dim):
        return MaskedTensor(_red.softmax(self._data, dim, mask=self._mask), self._mask)

    def __repr__(self):
        # as torch.masked prints: floats as "{:8.4f}", other values by str, "--" for the unspecified ones,
        # a 0-d one on one line, nested brackets two spaces deeper per dimension
        data, mask = self._data.detach().numpy(), self._mask.numpy()
        if data.ndim == 0:
            return f"MaskedTensor({_cell(data.item())}, True)" if mask else "MaskedTensor(--, False)"
        return "MaskedTensor(\n" + "\n".join("  " + line for line in _rows(data, mask).split("\n")) + "\n)"


def _cell(v):
    return f"{v:8.4f}" if isinstance(v, float) else str(v)


def _rows(data, mask):
    if data.ndim == 1:
        cells = [_cell(v) for v in data.tolist()]
        width = max(len(c) if m else 8 for c, m in zip(cells, mask.tolist()))
        return "[" + ", ".join(c if m else "--".rjust(width) for c, m in zip(cells, mask.tolist())) + "]"
    inner = ["\n".join("  " + line for line in _rows(d, m).split("\n")) for d, m in zip(data, mask)]
    return "[\n" + ",\n".join(inner) + "\n]"


def masked_tensor(data, mask, requires_grad=False):
    """A MaskedTensor of a copy of ``data`` (a new autograd leaf) and ``mask``."""
    return MaskedTensor(data.detach().clone(), mask.clone(), requires_grad)


def as_masked_tensor(data, mask):
    """A MaskedTensor of ``data`` itself: gradients flow back to ``data``."""
    return MaskedTensor(data, mask)


def is_masked_tensor(obj):
    return isinstance(obj, MaskedTensor)
