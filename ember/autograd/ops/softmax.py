"""``softmax`` and ``log_softmax`` along a dim, stable for large logits (computed around the max)."""
import numpy as np

from ...backend import dtypes as _dt
from .. import grad_mode
from ..node import record as _rec
from ._util import out, wrap_dim, numpy_names
from .elementwise import mul, sub, exp
from .reduce import sum as _sum  # at the top: an import inside a rule costs ~1-2 us per call

_gm = grad_mode.state



def _prep(x, dim, dtype, name):
    a = x._data
    if dtype is not None:
        a = a.astype(_dt.to_dtype(dtype).numpy)
    elif a.dtype.kind != "f" and a.size:  # PyTorch checks the dtype only when there is something to compute
        raise RuntimeError(f"{name}: expected a floating point tensor, got {x.dtype}")
    if dim is None:
        dim = 0 if a.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit dim
    d = wrap_dim(dim, a.ndim)  # a 0-d tensor takes dim 0 or -1
    return a, d if a.ndim else None


def softmax(input, dim=None, dtype=None, _stacklevel=3):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``. Gradient: ``y * (g - sum(g * y))``."""
    x = input
    a, d = _prep(x, dim, dtype, "softmax")
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
