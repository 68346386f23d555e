"""Counting and searching: bincount, histc, histogram, bucketize, searchsorted, isin, unique_consecutive.

None of these is differentiable (PyTorch's are not either); they return counts or indices.

>>> import ember
>>> ember.bucketize(ember.tensor([1, 5, 9]), ember.tensor([2, 4, 6, 8]))
tensor([0, 2, 4])
"""
__all__ = ["bincount", "histc", "histogram", "bucketize", "searchsorted", "isin", "unique_consecutive",
           "unravel_index"]

import numpy as np

from .. import return_types as _rt
from ...backend import dtypes as _dt
from ._util import out
from .reduce import _SCALAR_NAMES

histogram_result = _rt.histogram


def bincount(input, weights=None, minlength=0):
    """``out[v]`` = the number of times ``v`` occurs in the 1-D non-negative int ``input`` (or the sum of its
    ``weights``); the length is ``max(max(input) + 1, minlength)``."""
    a = input._data
    if a.ndim != 1:
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got a {a.ndim}-d input")
    if a.dtype.kind not in "iub":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got dtype {input.dtype}")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs, got negative values")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is None:
        return out(np.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.shape != a.shape:
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input "
                           f"({a.shape[0]}), got shape {tuple(w.shape)}")
    dt = w.dtype if w.dtype.kind == "f" else np.float64
    return out(np.bincount(a, weights=w, minlength=minlength).astype(dt))


def histc(input, bins=100, min=0, max=0):
    """Counts in ``bins`` equal-width bins over ``[min, max]`` (the data's range when both are 0);
    values outside are ignored. The result has the input's dtype."""
    a = input._data
    if a.dtype.kind != "f":
        # torch's kernel is dispatched for floating types only (bool fails earlier, in its linspace)
        kernel = "linspace_cpu" if a.dtype == np.bool_ else "histogram_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_SCALAR_NAMES.get(a.dtype.name, a.dtype.name)}\'')
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min, got min={lo} and max={hi}")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"histc: range of [{lo}, {hi}] is not finite")
    v = a.reshape(-1)
    v = v[(v >= lo) & (v <= hi)]
    # PyTorch's bin rule: floor((x - min) * bins / (max - min)), the max itself in the last bin.
    idx = ((v - lo) * bins / (hi - lo)).astype(np.int64)
    idx = np.minimum(idx, bins - 1)
    return out(np.bincount(idx, minlength=bins).astype(a.dtype))


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)``: counts (or summed ``weight``) of ``input`` in ``bins`` (an int or a 1-D tensor
    of increasing edges); ``density`` normalizes so the integral over the range is 1."""
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"histogram: input must be a floating point tensor, got {input.dtype}")
    b = bins._data if hasattr(bins, "_data") else bins
    if isinstance(b, np.ndarray) and b.ndim != 1:
        raise RuntimeError(f"histogram: bins tensor should have one dimension, got {b.ndim}")
    w = None if weight is None else weight._data.reshape(-1)
    if w is not None and weight._data.shape != a.shape:
        raise RuntimeError(f"histogram: weight should have the same shape as input {tuple(a.shape)}, got "
                           f"{tuple(weight._data.shape)}")
    rng = None if range is None else (float(range[0]), float(range[1]))
    if rng is not None and rng[0] > rng[1]:
        raise RuntimeError(f"histogram: min should not exceed max, got min {rng[0]} max {rng[1]}")
    h, e = np.histogram(a.reshape(-1), b, range=rng, weights=w, density=density)
    return histogram_result(out(h.astype(a.dtype)), out(e.astype(a.dtype)))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of each value: ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``) for 1-D increasing ``boundaries``."""
    bd = boundaries._data
    if bd.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({bd.ndim})")
    v = input._data if hasattr(input, "_data") else np.asarray(input)
    r = np.searchsorted(bd, v, side="right" if right else "left")
    return out(np.asanyarray(r, np.int32 if out_int32 else np.int64))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input`` would be inserted into the innermost dim of ``sorted_sequence`` to keep it
    sorted: the first such place (``side='left'``) or the last (``right=True`` / ``side='right'``).
    ``sorter`` gives the order that sorts an unsorted sequence. Leading dims must match."""
    seq = sorted_sequence._data
    scalar = not hasattr(input, "_data")
    v = np.asarray(input) if scalar else input._data
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    srt = None
    if sorter is not None:
        srt = sorter._data
        if srt.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)} and got sorter tensor {list(srt.shape)}")
        seq = np.take_along_axis(seq, srt, -1)
    s = "right" if right else "left"
    dt = np.int32 if out_int32 else np.int64
    if seq.ndim == 1:
        return out(np.asarray(np.searchsorted(seq, v, side=s), dt))
    if scalar or v.ndim == 0:
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                           f"dimension is 1, but we got boundaries tensor dim({seq.ndim})")
    if seq.shape[:-1] != v.shape[:-1]:
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(v.shape)}")
    s2 = seq.reshape(-1, seq.shape[-1])
    v2 = v.reshape(-1, v.shape[-1])
    r = np.empty(v2.shape, dt)
    for i in np.ndindex(s2.shape[0]):
        r[i] = np.searchsorted(s2[i], v2[i], side=s)
    return out(r.reshape(v.shape))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """A bool tensor: whether each of ``elements`` occurs in ``test_elements`` (either may be a scalar)."""
    e = elements._data if hasattr(elements, "_data") else np.asarray(elements)
    t = test_elements._data if hasattr(test_elements, "_data") else np.asarray(test_elements)
    return out(np.asarray(np.isin(e, t, assume_unique=assume_unique, invert=invert)))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Drop every element (or slice along ``dim``) equal to the one just before it; optionally with the
    inverse indices (the output position of each input element) and the counts of each run."""
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        keep = np.ones(flat.shape, bool)
        keep[1:] = flat[1:] != flat[:-1]
        vals = flat[keep]
        inv_shape = a.shape
    else:
        from ._util import wrap_dim
        d = wrap_dim(dim, a.ndim)
        m = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        keep = np.ones(a.shape[d], bool)
        keep[1:] = (m[1:] != m[:-1]).any(axis=1) if m.shape[1] else False
        vals = np.compress(keep, a, axis=d)
        inv_shape = (a.shape[d],)
    res = [out(vals)]
    if return_inverse:
        res.append(out((np.cumsum(keep) - 1).astype(np.int64).reshape(inv_shape)))
    if return_counts:
        starts = np.flatnonzero(keep)
        res.append(out(np.diff(np.append(starts, keep.size)).astype(np.int64)))
    return res[0] if len(res) == 1 else tuple(res)


def unravel_index(indices, shape):
    """The coordinates in ``shape`` of flat (C-order) ``indices``: a tuple of int64 tensors."""
    from ._util import shape_args
    shape = shape_args((shape,) if isinstance(shape, (int, np.integer)) else (tuple(shape),), "unravel_index")
    i = indices._data if hasattr(indices, "_data") else np.asarray(indices)
    if i.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {_dt.from_numpy(i.dtype)}")
    n = int(np.prod(shape))
    if i.size and (i.max() >= n or i.min() < -n):
        raise RuntimeError(f"unravel_index: 'indices' must be in range [{-n}, {n - 1}] for shape {shape}")
    i = np.where(i < 0, i + n, i)
    return tuple(out(np.asarray(c, np.int64)) for c in np.unravel_index(i, shape))
