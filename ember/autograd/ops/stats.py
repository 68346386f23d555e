"""Order statistics and moments: quantile, nanquantile, mode, nanmedian, aminmax, msort, cov, corrcoef.

They are built from ``sort``, ``gather`` and arithmetic, so their gradients come from
those ops (a quantile's gradient goes to the one or two sorted elements it interpolates).

>>> import ember
>>> ember.quantile(ember.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
tensor(2.5000)
"""
__all__ = ["quantile", "nanquantile", "nanmedian", "mode", "aminmax", "msort", "cov", "corrcoef"]

import numpy as np

from .. import return_types as _rt
from ._util import out, wrap_dim, numpy_names
from .elementwise import add, sub, mul, div, sqrt, clamp

aminmax_result = _rt.aminmax
mode_result = _rt.mode
nanmedian_result = _rt.nanmedian

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan, name):
    from .reduce import sort
    from .index import gather
    from .shape import reshape, movedim, unsqueeze, expand
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype, got {x.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. "
                           f"Got '{interpolation}'")
    scalar_q = not hasattr(q, "_data")
    qa = np.asarray(q if scalar_q else q._data, dtype=x._data.dtype)
    if qa.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor, got a tensor of shape {tuple(qa.shape)}")
    if not scalar_q and q._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor ({x.dtype}), got {q.dtype}")
    if qa.size and (np.any(qa < 0) or np.any(qa > 1)):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1], got {qa.tolist()}")
    if x._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    a = x._data
    if dim is None:
        xs = reshape(x, (-1,))
        d = 0
    else:
        d = wrap_dim(dim, a.ndim)
        xs = x if a.ndim else reshape(x, (1,))
    xs = movedim(xs, d, -1)
    srt = sort(xs, -1).values                       # NaN sorts last
    n = srt._data.shape[-1]
    nan = np.isnan(srt._data)
    batch = srt._data.shape[:-1]
    if ignore_nan:
        valid = n - nan.sum(-1)
        last = np.maximum(valid - 1, 0)
        rank = qa.reshape(qa.shape + (1,) * len(batch)) * last
        rank = np.where(valid == 0, n - 1, rank)    # an all-NaN row gives NaN
    else:
        rank = qa.reshape(qa.shape + (1,) * len(batch)) * (n - 1)
        rank = np.where(nan.any(-1), n - 1, rank)  # any NaN makes the result NaN
    rank = np.broadcast_to(rank, qa.shape + batch)
    if interpolation == "nearest":
        rank = np.round(rank)
    lo = np.floor(rank).astype(np.int64)
    hi = np.ceil(rank).astype(np.int64)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        hi = lo
    src = expand(unsqueeze(srt, 0), qa.shape[:1] + srt._data.shape) if qa.ndim else srt
    gl = gather(src, -1, out(lo[..., None]))
    if interpolation in ("lower", "higher", "nearest"):
        r = gl
    else:
        gh = gather(src, -1, out(hi[..., None]))
        w = 0.5 if interpolation == "midpoint" else out((rank - lo)[..., None].astype(a.dtype))
        r = add(gl, mul(sub(gh, gl), w))
    r = reshape(r, r._data.shape[:-1])             # (Q?, *batch)
    if keepdim:
        if dim is None:
            r = reshape(r, qa.shape + (1,) * a.ndim)
        else:
            r = unsqueeze(r, d + (1 if qa.ndim else 0)) if a.ndim else r
    return r


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles (``q`` a float or 1-D tensor in [0, 1]) over ``dim`` (all elements if None).

    Between two sorted values the result follows ``interpolation``: 'linear' ``lo + (hi - lo) * frac``,
    'lower', 'higher', 'midpoint' or 'nearest'. A 1-D ``q`` adds a leading dim; a NaN gives NaN.
    """
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` that ignores NaN values (a row of only NaN gives NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the non-NaN values; with ``dim`` also the index it came from."""
    from .reduce import sort
    from .index import gather
    from .shape import reshape, squeeze
    x = input
    if dim is None:
        flat = reshape(x, (-1,))
        if flat._data.size == 0:
            return out(np.array(np.nan, x._data.dtype))
        return nanmedian(flat, 0).values
    a = x._data
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return nanmedian_result(x, out(np.zeros((), np.int64)))
    srt = sort(x, d)
    valid = a.shape[d] - np.isnan(a).sum(axis=d, keepdims=True)
    k = np.where(valid == 0, 0, (valid - 1) // 2).astype(np.int64)
    v = gather(srt.values, d, out(k))
    i = gather(srt.indices, d, out(k))
    if not keepdim:
        v, i = squeeze(v, d), squeeze(i, d)
    return nanmedian_result(v, i)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest one on a tie) and its last index."""
    from .index import gather
    from .shape import squeeze
    x = input
    a = x._data
    if a.ndim == 0:
        return mode_result(x, out(np.zeros((), np.int64)))
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size")
    am = np.moveaxis(a, d, -1)
    perm = np.argsort(am, axis=-1, kind="stable")
    s = np.take_along_axis(am, perm, -1)
    pos = np.arange(n)
    start = np.ones(s.shape, bool)
    start[..., 1:] = s[..., 1:] != s[..., :-1]
    end = np.ones(s.shape, bool)
    end[..., :-1] = start[..., 1:]
    first = np.maximum.accumulate(np.where(start, pos, 0), axis=-1)
    length = pos - first + 1
    best_end = np.argmax(np.where(end, length, 0), axis=-1)        # the first (smallest) longest run
    # Stable sort keeps equal values in index order: the run's last element has the largest index.
    idx = np.take_along_axis(perm, best_end[..., None], -1)
    idx = np.moveaxis(idx, -1, d)
    v = gather(x, d, out(idx))
    i = out(idx.astype(np.int64))
    if not keepdim:
        v, i = squeeze(v, d), squeeze(i, d)
    return mode_result(v, i)


def aminmax(input, *, dim=None, keepdim=False):
    """``(amin, amax)`` over ``dim`` (all elements if None)."""
    from .reduce import amax, amin
    if input._data.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    dims = () if dim is None else dim
    if dim is None and keepdim:
        return aminmax_result(amin(input, tuple(range(input.ndim)), True), amax(input, tuple(range(input.ndim)),
                                                                                  True))
    return aminmax_result(amin(input, dims, keepdim), amax(input, dims, keepdim))


def msort(input):
    """Sort along dim 0 (values only)."""
    from .reduce import sort
    return sort(input, 0).values


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance of the variables in the rows of ``input`` (observations in columns).

    ``cov = (X - mean) W (X - mean)^T / (sum(w) - correction * sum(w * aw) / sum(w))`` with
    ``w = fweights * aweights`` (each optional) and the weighted mean.
    """
    from .reduce import sum as _sum
    from .shape import reshape, transpose
    from .linalg import matmul
    x = input
    if x._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{x._data.ndim} dimensions")
    if x._data.ndim < 2:
        x = reshape(x, (1, -1))
    if x._data.dtype.kind != "f":
        from ...backend import dtypes as _dt
        x = x.to(_dt.get_default_dtype())
    nobs = x._data.shape[1]
    w = None
    if fweights is not None:
        fw = fweights._data
        if fw.ndim > 1 or fw.shape[0] != nobs:
            raise RuntimeError(f"cov(): expected fweights to have one dimension of size {nobs} (the number of "
                               f"observations) but got shape {tuple(fw.shape)}")
        if fw.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got {fweights.dtype}")
        if (fw < 0).any():
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        aw = aweights._data
        if aw.ndim > 1 or aw.shape[0] != nobs:
            raise RuntimeError(f"cov(): expected aweights to have one dimension of size {nobs} (the number of "
                               f"observations) but got shape {tuple(aw.shape)}")
        if aw.dtype.kind != "f":
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got {aweights.dtype}")
        if (aw < 0).any():
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else mul(w, aweights)
    if w is None:
        avg = div(_sum(x, 1, keepdim=True), float(nobs))
        norm = max(float(nobs) - correction, 0.0)
    else:
        wsum = _sum(w)
        avg = div(_sum(mul(x, w), 1, keepdim=True), wsum)
        if correction == 0:
            norm = wsum
        elif aweights is None:
            norm = clamp(sub(wsum, correction), min=0)
        else:
            norm = clamp(sub(wsum, div(mul(_sum(mul(w, aweights)), correction), wsum)), min=0)
    xc = sub(x, avg)
    xw = xc if w is None else mul(xc, w)
    c = div(matmul(xw, transpose(xc, 0, 1)), norm)
    return reshape(c, ()) if input._data.ndim < 2 else c


def corrcoef(input):
    """Pearson correlation coefficients ``cov[i, j] / sqrt(cov[i, i] cov[j, j])``, clamped to [-1, 1]."""
    from .shape import diagonal, reshape
    c = cov(input)
    if c._data.ndim == 0:
        return div(c, c)
    dg = sqrt(diagonal(c))
    c = div(div(c, reshape(dg, (-1, 1))), reshape(dg, (1, -1)))
    return clamp(c, -1, 1)


numpy_names(globals(), "mode nanmedian")
