"""``softmax`` over the last dim of a contiguous float array as one node, forward and backward in cache-sized blocks.

Forward ``y = exp(x - max x) / sum exp(x - max x)`` per row; backward ``y * (g - sum(g * y))``,
the same ufuncs in the same order as the composite rule in :mod:`ember.autograd.ops.softmax`
(so the same values bit for bit), but over blocks of rows (:mod:`._blocks`) so that the
temporaries stay in cache and the backward records no graph nodes. Higher-order gradients
go through the composite definition.

>>> import ember
>>> from ember.functional._softmax_rows import softmax_last
>>> softmax_last(ember.tensor([[0.0, 0.0], [0.0, 1e9]]))
tensor([[0.5000, 0.5000],
        [0.0000, 1.0000]])
"""
import numpy as np

from ..autograd.ops import softmax as _softmax
from ._blocks import BLOCK, row_blocks, row_max
from ._fuse import gm, wrap, record, composite_grad


def applies(input, dim, dtype):
    """Whether :func:`softmax_last` computes ``softmax(input, dim, dtype)``: last dim, contiguous, float, not empty."""
    a = input._data
    return (dtype is None and a.ndim >= 1 and dim in (-1, a.ndim - 1) and a.dtype.kind == "f" and a.size > 0
            and a.flags.c_contiguous)


def _row_sums(dtype, C):
    """Row sums of ``(n, C)`` blocks: for float32/float64 a product with ones (BLAS), as NumPy's sum along rows
    of tens of elements costs about six times as much; half precision keeps NumPy's sum."""
    if dtype not in (np.float32, np.float64):
        return lambda b: b.sum(axis=1)
    ones = np.ones(C, dtype)
    return lambda b: b @ ones


def softmax_last(input):
    a = input._data
    C = a.shape[-1]
    rows = a.reshape(-1, C)
    y = np.empty_like(rows)
    sums = _row_sums(a.dtype, C)
    # An input within one block (attention scores of a short sequence) skips the slicing: ~2 us of a few-us op.
    for b in (row_blocks(rows.shape[0], C) if rows.size > BLOCK else (slice(None),)):
        yb, xb = y[b], rows[b]
        np.subtract(xb, row_max(xb), out=yb)
        np.exp(yb, out=yb)
        yb /= sums(yb)[:, None]
    t = wrap(y.reshape(a.shape))
    if gm.enabled and input._rg:
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda x: _softmax(x, -1), (input,), g)
            gr = np.ascontiguousarray(g._data, dtype=y.dtype).reshape(-1, C)
            gx = np.empty_like(y)
            for b in (row_blocks(y.shape[0], C) if y.size > BLOCK else (slice(None),)):
                yb, gb, ob = y[b], gr[b], gx[b]
                np.multiply(gb, yb, out=ob)
                np.subtract(gb, sums(ob)[:, None], out=ob)
                ob *= yb
            return (wrap(gx.reshape(a.shape)),)
        record(t, "SoftmaxBackward0", backward, (input,), (t,))
    return t
