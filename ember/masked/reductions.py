"""The masked reductions of :mod:`ember.masked`: fill what the mask drops with the identity, then reduce."""
import math

from ..autograd import ops as _ops
from ..autograd.tensor import Tensor
from ..creation import tensor as _tensor

__all__ = ["sum", "mean", "amax", "amin", "argmax", "argmin", "prod", "logsumexp", "norm", "var", "std", "softmax",
           "log_softmax", "softmin", "cumsum", "cumprod", "median", "normalize", "logaddexp"]


def _prepare(input, mask, dtype, name):
    from .maskedtensor import MaskedTensor
    if isinstance(input, MaskedTensor):
        input, mask = input.get_data(), input.get_mask() if mask is None else mask
    if not isinstance(input, Tensor):
        raise TypeError(f"masked.{name}: expected a Tensor input, got {type(input).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    if mask is None:
        return input, None
    if mask.dtype.is_floating_point or mask.dtype.is_complex:
        raise ValueError(f"masked.{name}: mask must be a boolean tensor, got {mask.dtype}")
    return input, _ops.broadcast_to(mask.bool(), input.shape)


def _dims(input, dim):
    if dim is None or dim == ():
        return tuple(range(input.dim()))
    return tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)


def _fill(input, mask, value):
    if mask is None:
        return input
    return _ops.where(mask, input, _tensor(value, dtype=input.dtype))


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):  # noqa: A001
    """``sum`` of the kept elements (0 where none is kept)."""
    x, m = _prepare(input, mask, dtype, "sum")
    return _ops.sum(_fill(x, m, 0), _dims(x, dim), keepdim=keepdim)


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Product of the kept elements (1 where none is kept)."""
    x, m = _prepare(input, mask, dtype, "prod")
    out = _fill(x, m, 1)
    for d in sorted((d % max(x.dim(), 1) for d in _dims(x, dim)), reverse=True):
        out = _ops.prod(out, d, keepdim=keepdim) if x.dim() else out
    return out


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Mean of the kept elements: their sum over their count (NaN where none is kept)."""
    x, m = _prepare(input, mask, dtype, "mean")
    dims = _dims(x, dim)
    if m is None:
        return _ops.mean(x, dims, keepdim=keepdim)
    count = _ops.sum(m.to(x.dtype), dims, keepdim=keepdim)
    return _ops.div(_ops.sum(_fill(x, m, 0), dims, keepdim=keepdim), count)


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Largest kept element (``-inf`` where none is kept)."""
    x, m = _prepare(input, mask, dtype, "amax")
    return _ops.amax(_fill(x, m, -math.inf), _dims(x, dim), keepdim=keepdim)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Smallest kept element (``+inf`` where none is kept)."""
    x, m = _prepare(input, mask, dtype, "amin")
    return _ops.amin(_fill(x, m, math.inf), _dims(x, dim), keepdim=keepdim)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    x, m = _prepare(input, mask, dtype, "argmax")
    return _ops.argmax(_fill(x, m, -math.inf), dim, keepdim=keepdim)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    x, m = _prepare(input, mask, dtype, "argmin")
    return _ops.argmin(_fill(x, m, math.inf), dim, keepdim=keepdim)


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """``log(sum(exp(kept)))`` (``-inf`` where none is kept)."""
    x, m = _prepare(input, mask, dtype, "logsumexp")
    return _ops.logsumexp(_fill(x, m, -math.inf), _dims(x, dim), keepdim=keepdim)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):  # noqa: A002
    """The ``ord``-norm of the kept elements (masked-out ones count as 0)."""
    x, m = _prepare(input, mask, dtype, "norm")
    x = _fill(x, m, 0)
    dims = _dims(x, dim)
    if ord == math.inf:
        return _ops.amax(_ops.abs(x), dims, keepdim=keepdim)
    return _ops.pow(_ops.sum(_ops.pow(_ops.abs(x), ord), dims, keepdim=keepdim), 1.0 / ord)


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """Variance of the kept elements, ``sum((x - mean)^2) / (count - correction)`` (default correction 1;
    ``unbiased=False`` is correction 0)."""
    x, m = _prepare(input, mask, dtype, "var")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = _dims(x, dim)
    if m is None:
        count = _tensor(float(math.prod(x.shape[d] for d in dims)), dtype=x.dtype)
    else:
        count = _ops.sum(m.to(x.dtype), dims, keepdim=True)
    mu = _ops.div(_ops.sum(_fill(x, m, 0), dims, keepdim=True), count)
    dev = _fill(_ops.square(_ops.sub(x, mu)), m, 0)
    out = _ops.div(_ops.sum(dev, dims, keepdim=True), _ops.clamp(_ops.sub(count, correction), min=0))
    return out if keepdim else _ops.squeeze(out, dims) if dims else out


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """Square root of :func:`var`."""
    return _ops.sqrt(var(input, dim, unbiased, correction=correction, keepdim=keepdim, dtype=dtype, mask=mask))


def softmax(input, dim, *, dtype=None, mask=None):
    """Softmax over the kept elements along ``dim``: masked-out places are 0 (a row with none kept is NaN)."""
    x, m = _prepare(input, mask, dtype, "softmax")
    return _ops.softmax(_fill(x, m, -math.inf), dim)


def log_softmax(input, dim, *, dtype=None, mask=None):
    """Log-softmax over the kept elements: masked-out places are ``-inf``."""
    x, m = _prepare(input, mask, dtype, "log_softmax")
    return _ops.log_softmax(_fill(x, m, -math.inf), dim)


def softmin(input, dim, *, dtype=None, mask=None):
    """Softmax of ``-input`` over the kept elements."""
    x, m = _prepare(input, mask, dtype, "softmin")
    return _ops.softmax(_fill(_ops.neg(x), m, -math.inf), dim)



def cumsum(input, dim, *, dtype=None, mask=None):
    """Running sum along ``dim`` with masked-out elements counted as 0."""
    x, m = _prepare(input, mask, dtype, "cumsum")
    return _ops.cumsum(_fill(x, m, 0), dim)


def cumprod(input, dim, *, dtype=None, mask=None):
    """Running product along ``dim`` with masked-out elements counted as 1."""
    x, m = _prepare(input, mask, dtype, "cumprod")
    return _ops.cumprod(_fill(x, m, 1), dim)


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    """Median of the kept elements along ``dim`` (the lower of the two middle ones; NaN where none is kept)."""
    x, m = _prepare(input, mask, dtype, "median")
    if not x.dtype.is_floating_point:
        raise TypeError(f"masked.median: expected a floating point input, got {x.dtype}")
    return _ops.nanmedian(_fill(x, m, math.nan), dim, keepdim=keepdim)[0]


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    """``input / max(norm(input, ord, dim), eps)`` over the kept elements; masked-out places are 0."""
    x, m = _prepare(input, mask, dtype, "normalize")
    n = norm(x, ord, dim, keepdim=True, mask=m)
    return _ops.div(_fill(x, m, 0), _ops.clamp(n, min=eps))


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    """``log(exp(input) + exp(other))`` with each operand's masked-out elements as ``-inf``."""
    x, xm = _prepare(input, input_mask, dtype, "logaddexp")
    y, ym = _prepare(other, other_mask, dtype, "logaddexp")
    return _ops.logaddexp(_fill(x, xm, -math.inf), _fill(y, ym, -math.inf))
