"""``embedding``: look up rows of a weight table by integer index (and ``one_hot``).

One fused node: the forward is a NumPy take, the backward adds each output row's
gradient into the row it was read from. The ``padding_idx`` row gets no gradient;
``scale_grad_by_freq`` divides each row's gradient by how often it occurs in the
batch; ``max_norm`` renormalises, in place, the looked-up rows whose norm exceeds it.
With ``sparse=True`` the weight's gradient is a sparse COO tensor, as PyTorch's: one entry per
looked-up index (uncoalesced: repeats are separate entries), the ``padding_idx`` lookups left out.
Only first-order gradients are sparse; with ``create_graph=True`` the gradient is dense.

>>> import ember
>>> import ember.nn.functional as F
>>> w = ember.arange(6.0).reshape(3, 2)
>>> F.embedding(ember.tensor([2, 0]), w)
tensor([[4., 5.],
        [0., 1.]])
"""
import numpy as np

from ..autograd.ops import one_hot, mul, reshape  # noqa: F401  (one_hot is re-exported)
from ..autograd.ops.index import index_add_zeros
from ..autograd.tensor import Tensor
from ..backend import meta
from ..backend.meta import MetaArray
from ._fuse import gm, wrap, record


def _indices(input, num, name):
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected integer indices (int64 or int32), got {idx.dtype} - "
                           "convert them with .long()")
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < 0 or hi >= num:
            bad = int(hi if hi >= num else lo)
            raise IndexError(f"{name}: index {bad} is out of range for a table of {num} rows (indices must be "
                             f"in [0, {num - 1}])")
    return idx


def _sparse_rows(flat, g2, shape, padding_idx):
    """The sparse COO gradient of a lookup: row ``flat[k]`` gets ``g2[k]`` (a copy: the engine may keep it)."""
    from ..sparse.tensor import SparseTensor
    if padding_idx is not None:
        keep = flat != padding_idx
        flat, g2 = flat[keep], g2[keep]
    values = wrap(np.array(g2, copy=True))
    return SparseTensor._make(flat.astype(np.int64).reshape(1, -1), values, shape)


def _row_sums(flat, g2, shape, dtype):
    """``gw[i] = sum of g2[k] over flat[k] == i`` as a dense ``shape`` array.

    ``np.add.at`` adds one row at a time; for a small table read many times (a character
    model's vocabulary) a one-hot product does the same sums in one BLAS call (2048 lookups of
    65 rows x 128: 2.8 -> 0.46 ms). Its shapes do not depend on the index values, so
    ``ember.compile`` replays it.
    """
    rows = shape[0]
    if type(g2) is MetaArray:  # the meta device: the shape, no sums
        return meta.empty(shape, dtype)
    if np.dtype(dtype).kind == "V":
        # bfloat16: PyTorch adds the rows one at a time in bfloat16, in index order (whatever its thread
        # count: each table row is one thread's); np.add.at does the same, bit for bit.
        gw = np.zeros(shape, dtype)
        np.add.at(gw, flat, g2.astype(dtype, copy=False))
        return gw
    if rows <= 256 and flat.size >= rows and rows * flat.size <= 1 << 22:
        one_hot = (flat[None, :] == np.arange(rows)[:, None]).astype(dtype)
        return one_hot @ g2
    gw = np.zeros(shape, dtype)
    np.add.at(gw, flat, g2)
    return gw


def _renorm_(weight, idx, max_norm, norm_type):
    w = weight._data
    rows = np.unique(idx)
    sel = w[rows]
    if norm_type == float("inf"):
        norms = np.abs(sel).max(axis=1)
    else:
        norms = (np.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] = sel[big] * scale[:, None]
        weight._bump()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows ``weight[input]``.

    Shapes: input any integer shape ``(*)``; weight ``(num_embeddings, embedding_dim)``; output
    ``(*, embedding_dim)``. ``sparse=True``: the weight's gradient is a sparse COO tensor of
    ``weight``'s shape with indices ``input.reshape(1, -1)`` and values ``grad.reshape(-1, embedding_dim)``.
    """
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError(f"embedding: the weight must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{tuple(w.shape)}")
    V = w.shape[0]
    idx = _indices(input, V, "embedding")
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += V
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    t = wrap(np.take(w, idx, axis=0))
    if gm.enabled and weight._rg:
        flat = idx.reshape(-1)

        def row_scale():
            f = None
            if scale_grad_by_freq:
                counts = np.bincount(flat, minlength=V)
                f = (1.0 / counts[flat]).astype(w.dtype)
            if padding_idx is not None:
                keep = (flat != padding_idx).astype(w.dtype)
                f = keep if f is None else f * keep
            return f

        def backward(g):
            f = row_scale()
            if gm.enabled:
                g2 = reshape(g, (flat.size, w.shape[1]))
                if f is not None:
                    g2 = mul(g2, wrap(f[:, None]))
                return (index_add_zeros(g2, 0, flat, w.shape),)
            g2 = g._data.reshape(flat.size, w.shape[1])
            if f is not None:
                g2 = g2 * f[:, None]
            if sparse:
                return (_sparse_rows(flat, g2, w.shape, padding_idx),)
            return (wrap(_row_sums(flat, g2, w.shape, w.dtype)),)
        record(t, "EmbeddingBackward0", backward, (weight,))
    return t


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxes of bags of embeddings: a 2-D input is one bag per row; a 1-D input is split
    into bags at ``offsets``."""
    from ..autograd.ops import sum as _sum, mean as _mean, amax, stack, getitem
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    idx = input._data
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None")
        bags = [np.arange(i * idx.shape[1], (i + 1) * idx.shape[1]) for i in range(idx.shape[0])]
        flat = idx.reshape(-1)
    else:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        off = list(np.asarray(offsets._data if isinstance(offsets, Tensor) else offsets).reshape(-1))
        if not include_last_offset:
            off = off + [idx.size]
        bags = [np.arange(off[i], off[i + 1]) for i in range(len(off) - 1)]
        flat = idx
    emb = embedding(wrap(flat), weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}')")
        emb = mul(emb, reshape(per_sample_weights, (-1, 1)))
    outs = []
    for b in bags:
        if padding_idx is not None:
            b = b[flat[b] != padding_idx]
        if b.size == 0:
            outs.append(wrap(np.zeros(weight._data.shape[1], weight._data.dtype)))
            continue
        rows = getitem(emb, wrap(b))
        outs.append(_sum(rows, 0) if mode == "sum" else _mean(rows, 0) if mode == "mean" else amax(rows, 0))
    return stack(outs, 0)
