"""Row blocks that fit in the CPU's L2 cache, for kernels that make several passes over a big array.

A chain of NumPy ufuncs over an array larger than the cache streams the whole array
through memory once per ufunc. Run over blocks of about ``BLOCK`` elements, each
block's temporaries stay in cache, so only the first read and the last write go to
memory: softmax / cross entropy over 7M logits and GELU over 1M activations run
1.5-2x faster this way. Each row is still computed whole, by the same ufuncs, so
the results are the same bit for bit as one call over the whole array. ``row_max`` is the per-row
maximum those kernels shift by, in one call.

>>> from ember.functional._blocks import row_blocks
>>> [(s.start, s.stop) for s in row_blocks(10, 30000)]
[(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
"""

import numpy as np

BLOCK = 65536   # float32 elements: 256 KiB, with a temporary or two within a 512 KiB-1 MiB L2


def row_blocks(n, row_size, block=BLOCK):
    """Slices covering ``range(n)`` in runs of whole rows of ``row_size`` elements, each about ``block`` elements."""
    step = max(1, block // max(1, row_size))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def row_max(rows, out=None):
    """``rows.max(axis=1, keepdims=True)`` of a 2-D array with non-empty rows, the same values (NaN propagates),
    by one ``np.maximum.reduceat`` over the flat array: 1.5-2x faster for rows of 10 to 1000 elements, where
    NumPy's reduction along an axis pays a cost per row. ``out``, when given, is an ``(n, 1)`` array to fill."""
    n, C = rows.shape
    flat = rows.reshape(-1)
    starts = np.arange(0, n * C, C)
    if out is None:
        return np.maximum.reduceat(flat, starts).reshape(n, 1)
    np.maximum.reduceat(flat, starts, out=out.reshape(n))
    return out
