"""``linear`` and ``bilinear``: the affine maps behind ``nn.Linear`` and ``nn.Bilinear``.

``linear`` is one fused node: the forward is one matmul plus the bias, the
backward ``g @ W``, ``g^T @ x`` and ``g.sum(0)`` in NumPy (higher-order gradients
go through the composite ``x @ W^T + b``).

>>> import ember
>>> import ember.nn.functional as F
>>> x, w, b = ember.ones(2, 3), ember.ones(4, 3), ember.zeros(4)
>>> F.linear(x, w, b)
tensor([[3., 3., 3., 3.],
        [3., 3., 3., 3.]])
"""
import math

import numpy as np

from ..autograd.ops import matmul, add, einsum, reshape
from ..autograd.autocast_state import active as _autocast, run_lower
from ..autograd.ops.conversion import in_float32
from ._fuse import gm, wrap, record, composite_grad
from ..autograd import op_hooks as _hooks
from ..backend.meta import MetaArray


def _linear_composite(x, w, b=None):
    y = matmul(x, w.mT if w._data.ndim == 2 else w)
    return y if b is None else add(y, b)


def linear(input, weight, bias=None):
    """``y = x W^T + b``.

    Shapes: input ``(*, in_features)``, weight ``(out_features, in_features)``, bias
    ``(out_features)``, output ``(*, out_features)``.
    """
    if _autocast.cpu:
        return run_lower(linear, input, weight, bias)
    x, w = input._data, weight._data
    if w.ndim != 2:
        return _linear_composite(input, weight, bias)
    if w.dtype.char not in "fd" and (w.dtype.kind == "V" or w.dtype.char == "e"):
        # bfloat16/float16: in float32, rounded once, as PyTorch's CPU addmm (forward and backward)
        return in_float32(linear, input, weight, bias)
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != w.dtype):
        raise RuntimeError(f"linear: input ({input.dtype}) and weight ({weight.dtype}) must have the same dtype"
                           + (f" as the bias ({bias.dtype})" if bias is not None else "")
                           + "; convert the input with .to(weight.dtype) or the layer with .to(input.dtype)")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise RuntimeError(f"linear: input of shape {tuple(x.shape)} cannot be multiplied with a weight of shape "
                           f"{tuple(w.shape)} (the input's last dimension must be {w.shape[1]})")
    if x.ndim > 2:
        # One (N, in) x (in, out) product: NumPy would run one small product per leading index (an LSTM's
        # (B, T, H) output, a strided view, into a 10,000-word decoder: 5x slower). Copying a strided
        # input costs N in, the product N in out.
        x = (np.ascontiguousarray(x) if type(x) is not MetaArray else x).reshape(math.prod(x.shape[:-1]), x.shape[-1])
        y = np.matmul(x, w.T).reshape(input._data.shape[:-1] + (w.shape[0],))
    else:
        y = np.matmul(x, w.T)
    if bias is not None:
        y += bias._data
    t = wrap(y)
    rx, rw = input._rg, weight._rg
    rb = bias is not None and bias._rg
    if gm.enabled and (rx or rw or rb):
        def backward(g):
            if gm.enabled:
                return composite_grad(_linear_composite, (input, weight, bias), g)
            gd = g._data
            gx = None
            if gd.ndim > 2:
                shape = gd.shape
                gd = (np.ascontiguousarray(gd) if type(gd) is not MetaArray else gd).reshape(math.prod(shape[:-1]),
                                                                                          shape[-1])
            if rx:
                gx = np.matmul(gd, w)
                gx = wrap(gx.reshape(shape[:-1] + (w.shape[1],)) if g._data.ndim > 2 else gx)
            gw = gb = None
            if rw:
                gw = wrap(np.outer(gd, x) if x.ndim == 1 else np.matmul(gd.T, x))
            if rb:
                if gd.ndim == 1:
                    gb = wrap(gd.copy())
                elif gd.flags.c_contiguous:
                    # A product with ones runs in BLAS, several times faster than the pairwise sum here.
                    g2 = gd.reshape(-1, gd.shape[-1])
                    gb = wrap(np.matmul(np.ones(g2.shape[0], g2.dtype), g2))
                else:
                    gb = wrap(gd.sum(axis=tuple(range(gd.ndim - 1))))
            return gx, gw, gb
        saved = (input, weight) if rw and rx else (input,) if rw else (weight,) if rx else ()
        record(t, "AddmmBackward0" if bias is not None else "MmBackward0", backward, (input, weight, bias), saved)
    if _hooks.observers:
        # at::linear runs addmm with a bias on a 1-D/2-D or contiguous input, else matmul (an mm)
        fused = bias is not None and (input._data.ndim <= 2 or input._data.flags.c_contiguous)
        _hooks.product("linear+bias" if fused else "linear", input._data.shape, w.shape[::-1], t,
                       (gm.enabled and rx, gm.enabled and rw))
    return t


def bilinear(input1, input2, weight, bias=None):
    """``y_o = x1^T A_o x2 + b_o``.

    Shapes: input1 ``(*, in1)``, input2 ``(*, in2)``, weight ``(out, in1, in2)``, bias ``(out)``,
    output ``(*, out)``.
    """
    a, b = input1._data, input2._data
    w = weight._data
    if a.shape[:-1] != b.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 of shape {tuple(a.shape)} and input2 of shape {tuple(b.shape)} "
                           "must have the same leading (batch) dimensions")
    if a.shape[-1] != w.shape[1] or b.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear: inputs with last dimensions {a.shape[-1]} and {b.shape[-1]} do not match "
                           f"a weight of shape {tuple(w.shape)} (out, in1, in2)")
    lead = a.shape[:-1]
    x1 = reshape(input1, (-1, a.shape[-1]))
    x2 = reshape(input2, (-1, b.shape[-1]))
    y = einsum("ni,oij,nj->no", x1, weight, x2)
    if bias is not None:
        y = add(y, bias)
    return reshape(y, lead + (w.shape[0],))
