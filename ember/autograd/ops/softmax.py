"""``softmax`` and ``log_softmax`` along a dim, stable for large logits (computed around the max)."""
import numpy as np

from ...backend import dtypes as _dt
from .. import grad_mode
from ..node import record as _rec
from ._util import out, wrap_dim, numpy_names
from .conversion import _cast
from ...backend.half import round_to
from .elementwise import mul, sub, exp
from .reduce import sum as _sum  # at the top: an import inside a rule costs ~1-2 us per call

_gm = grad_mode.state



def _prep(x, dim, dtype, name):
    a = x._data
    if dtype is not None:
        a = a.astype(_dt.to_dtype(dtype).numpy)
    elif a.dtype.kind != "f" and a.size and a.dtype.kind != "V":  # PyTorch checks the dtype only when there
        raise RuntimeError(f"{name}: expected a floating point tensor, got {x.dtype}")  # is something to compute
    if dim is None:
        dim = 0 if a.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit dim
    d = wrap_dim(dim, a.ndim)  # a 0-d tensor takes dim 0 or -1
    return a, d if a.ndim else None


def softmax(input, dim=None, dtype=None, _stacklevel=3):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``. Gradient: ``y * (g - sum(g * y))``."""
    x = input
    a, d = _prep(x, dim, dtype, "softmax")
    if a.dtype.char not in "fd" and (a.dtype.kind == "V" or a.dtype.char == "e"):
        return _softmax_bf16(x if dtype is None else _cast(x, _dt.to_dtype(dtype)), d, False)
    if d is None:
        from .shape import reshape
        return reshape(softmax(reshape(x, (1,)), 0, dtype), ())
    e = np.exp(a - a.max(axis=d, keepdims=True)) if a.size else a.copy()  # an empty max has no identity
    if a.size:
        e /= e.sum(axis=d, keepdims=True)
    t = out(e)
    if _gm.enabled and x._rg:
        def backward(g):
            return (mul(t, sub(g, _sum(mul(g, t), d, keepdim=True))),)
        _rec(t, "SoftmaxBackward0", backward, (x,), (t,))
    return t


def log_softmax(input, dim=None, dtype=None, _stacklevel=3):
    """``x_i - log(sum_j exp(x_j))`` along ``dim``. Gradient: ``g - softmax(x) * sum(g)``."""
    x = input
    a, d = _prep(x, dim, dtype, "log_softmax")
    if a.dtype.char not in "fd" and (a.dtype.kind == "V" or a.dtype.char == "e"):
        return _softmax_bf16(x if dtype is None else _cast(x, _dt.to_dtype(dtype)), d, True)
    if d is None:
        from .shape import reshape
        return reshape(log_softmax(reshape(x, (1,)), 0, dtype), ())
    s = a - a.max(axis=d, keepdims=True) if a.size else a.copy()
    if a.size:
        s -= np.log(np.exp(s).sum(axis=d, keepdims=True))
    t = out(s)
    if _gm.enabled and x._rg:
        def backward(g):
            return (sub(g, mul(exp(t), _sum(g, d, keepdim=True))),)
        _rec(t, "LogSoftmaxBackward0", backward, (x,), (t,))
    return t


numpy_names(globals(), "softmax log_softmax")


def _softmax_bf16(x, d, log):
    """bfloat16/float16 (log-)softmax as PyTorch's CPU kernels compute it: in float32 from the input, with the
    row sum (and, for log_softmax, its log) held in the input's dtype, each output rounded once. The gradient is
    computed in float32 from the rounded output and rounded once, as ``softmax_backward_data`` does."""
    a = x._data
    bf16 = a.dtype
    if d is None or not a.size:
        return _cast((log_softmax if log else softmax)(_cast(x, _dt.float32), d if d is not None else 0), x.dtype)
    z = a.astype(np.float32)
    z -= z.max(axis=d, keepdims=True)
    if log:
        s = np.exp(z).sum(axis=d, keepdims=True).astype(bf16).astype(np.float32)
        z -= np.log(s).astype(bf16).astype(np.float32)
    else:
        np.exp(z, out=z)
        z /= z.sum(axis=d, keepdims=True)
    t = out(round_to(z, bf16))
    if _gm.enabled and x._rg:
        def backward(g):
            g32, y32 = _cast(g, _dt.float32), _cast(t, _dt.float32)
            if log:
                r = sub(g32, mul(exp(y32), _sum(g32, d, keepdim=True)))
            else:
                r = mul(y32, sub(g32, _sum(mul(g32, y32), d, keepdim=True)))
            return (_cast(r, bf16_dtype),)
        bf16_dtype = x.dtype
        _rec(t, "LogSoftmaxBackward0" if log else "SoftmaxBackward0", backward, (x,), (t,))
    return t
