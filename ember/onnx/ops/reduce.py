"""ONNX reductions (Reduce*), Softmax/LogSoftmax/Hardmax and LpNormalization.

The reduction axes are an attribute up to opset 12 (ReduceSum) or 17 (the others) and an
optional input afterwards; an empty axes list reduces every axis unless ``noop_with_empty_axes``.
Softmax before opset 13 flattens the input to 2-D at ``axis`` (default 1); from 13 it is taken
along ``axis`` (default -1).
"""
import numpy as np

import ember
import ember.nn.functional as F

from . import register, arr, tensor, ints, is_float, axis_of


def _axes(ctx, x, axes_in):
    axes = ints(axes_in) if axes_in is not None else ctx.attr("axes")
    if not axes:
        if ctx.attr("noop_with_empty_axes", 0):
            return None
        return tuple(range(x.dim()))
    return tuple(sorted(axis_of(a, x.dim()) for a in axes))


# name -> (ember reduction on floats, NumPy reduction, value over an empty set)
def _em_sum(x, d, k):
    return x.sum(dim=d, keepdim=k)


def _em_prod(x, d, k):
    for a in sorted(d, reverse=True):
        x = ember.prod(x, dim=a, keepdim=k)
    return x


_REDUCE = {
    "ReduceSum": (_em_sum, lambda a, d, k: np.sum(a, axis=d, keepdims=k), 0),
    "ReduceMean": (lambda x, d, k: x.mean(dim=d, keepdim=k),
                   lambda a, d, k: np.mean(a, axis=d, keepdims=k), np.nan),
    "ReduceMax": (lambda x, d, k: ember.amax(x, dim=d, keepdim=k),
                  lambda a, d, k: np.max(a, axis=d, keepdims=k), -np.inf),
    "ReduceMin": (lambda x, d, k: ember.amin(x, dim=d, keepdim=k),
                  lambda a, d, k: np.min(a, axis=d, keepdims=k), np.inf),
    "ReduceProd": (_em_prod, lambda a, d, k: np.prod(a, axis=d, keepdims=k), 1),
    "ReduceL1": (lambda x, d, k: ember.abs(x).sum(dim=d, keepdim=k),
                 lambda a, d, k: np.sum(np.abs(a), axis=d, keepdims=k), 0),
    "ReduceL2": (lambda x, d, k: ember.sqrt((x * x).sum(dim=d, keepdim=k)),
                 lambda a, d, k: np.sqrt(np.sum(a * a, axis=d, keepdims=k)), 0),
    "ReduceSumSquare": (lambda x, d, k: (x * x).sum(dim=d, keepdim=k),
                        lambda a, d, k: np.sum(a * a, axis=d, keepdims=k), 0),
    "ReduceLogSum": (lambda x, d, k: ember.log(x.sum(dim=d, keepdim=k)),
                     lambda a, d, k: np.log(np.sum(a, axis=d, keepdims=k)), -np.inf),
    "ReduceLogSumExp": (lambda x, d, k: ember.logsumexp(x, dim=d, keepdim=k),
                        lambda a, d, k: np.log(np.sum(np.exp(a), axis=d, keepdims=k)), -np.inf),
}


def _reduce(name, em_fn, np_fn, empty):
    def op(ctx, x, axes_in=None):
        axes = _axes(ctx, x, axes_in)
        if axes is None:
            return x
        keep = bool(ctx.attr("keepdims", 1))
        if x.numel() == 0 or any(x.shape[a] == 0 for a in axes):
            a = arr(x)
            shape = [1 if i in axes else d for i, d in enumerate(a.shape) if keep or i not in axes]
            fill = empty
            if a.dtype.kind in "iub" and not np.isfinite(fill):
                fill = (fill > 0) if a.dtype.kind == "b" else \
                    (np.iinfo(a.dtype).min if fill < 0 else np.iinfo(a.dtype).max)
            return tensor(np.full(shape, fill, dtype=a.dtype))
        if is_float(x):
            return em_fn(x, axes, keep)
        a = arr(x)
        return tensor(np.asarray(np_fn(a, axes, keep)).astype(a.dtype))
    op.__name__ = name
    return op


for _name, (_em, _np, _empty) in _REDUCE.items():
    register(_name)(_reduce(_name, _em, _np, _empty))


def _softmax_like(fn):
    def op(ctx, x):
        if ctx.opset < 13:
            axis = axis_of(ctx.attr("axis", 1), x.dim())
            shape = x.shape
            flat = x.reshape(int(np.prod(shape[:axis])), -1)
            return fn(flat, 1).reshape(*shape)
        return fn(x, axis_of(ctx.attr("axis", -1), x.dim()))
    return op


def _hardmax(x, axis):
    a = arr(x)
    idx = np.expand_dims(np.argmax(a, axis=axis), axis)
    out = np.zeros_like(a)
    np.put_along_axis(out, idx, 1, axis=axis)
    return tensor(out)


register("Softmax")(_softmax_like(lambda x, d: F.softmax(x, dim=d)))
register("LogSoftmax")(_softmax_like(lambda x, d: F.log_softmax(x, dim=d)))
register("Hardmax")(_softmax_like(_hardmax))


@register("LpNormalization")
def lp_normalization(ctx, x):
    axis = axis_of(ctx.attr("axis", -1), x.dim())
    p = ctx.attr("p", 2)
    norm = ember.abs(x).sum(dim=axis, keepdim=True) if p == 1 else \
        ember.sqrt((x * x).sum(dim=axis, keepdim=True))
    safe = ember.where(norm == 0, ember.ones_like(norm), norm)
    return ember.where(norm == 0, ember.zeros_like(x), x / safe)
