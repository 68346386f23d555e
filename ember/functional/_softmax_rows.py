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
    """Whether :func:`softmax_last` computes ``softmax(input, dim, dtype)``: last dim, contiguous, float32 or
    float64 (float16 computes in float32 and rounds once, in :mod:`ember.autograd.ops.softmax`), not empty."""
    a = input._data
    return (dtype is None and a.ndim >= 1 and dim in (-1, a.ndim - 1) and a.dtype.char in "fd" and a.size > 0
            and a.flags.c_contiguous)


def _row_sums(dtype, C):
    """Row sums of ``(n, C)`` blocks: a product with ones (BLAS), as NumPy's sum along rows of tens of elements
    costs about six times as much."""
    ones = np.ones(C, dtype)
    return lambda b: b @ ones


def _forward_blocks(rows, y, sums, blocks):
    for b in blocks:
        yb, xb = y[b], rows[b]
        np.subtract(xb, row_max(xb), out=yb)
        np.exp(yb, out=yb)
        yb /= sums(yb)[:, None]


def _backward_blocks(y, gr, gx, sums, blocks):
    for b in blocks:
        yb, gb, ob = y[b], gr[b], gx[b]
        np.multiply(gb, yb, out=ob)
        np.subtract(gb, sums(ob)[:, None], out=ob)
        ob *= yb


def _over_blocks(fn, n_rows, C, *arrays):
    """``fn(*arrays, blocks)`` over cache-sized blocks of rows. An input within one block (attention scores of a
    short sequence) skips the slicing: ~2 us of a few-us op."""
    if n_rows * C <= BLOCK:
        return fn(*arrays, (slice(None),))
    fn(*arrays, row_blocks(n_rows, C))


def softmax_last(input):
    a = input._data
    C = a.shape[-1]
    rows = a.reshape(-1, C)
    y = np.empty_like(rows)
    sums = _row_sums(a.dtype, C)
    _over_blocks(_forward_blocks, rows.shape[0], C, rows, y, sums)
    t = wrap(y.reshape(a.shape))
    if gm.enabled and input._rg:
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda x: _softmax(x, -1), (input,), g)
            gr = np.ascontiguousarray(g._data, dtype=y.dtype).reshape(-1, C)
            gx = np.empty_like(y)
            _over_blocks(_backward_blocks, y.shape[0], C, y, gr, gx, sums)
            return (wrap(gx.reshape(a.shape)),)
        record(t, "SoftmaxBackward0", backward, (input,), (t,))
    return t
