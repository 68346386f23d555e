"""``keras.ops`` reductions, statistics, sorting and counting, with Keras's dtype rules.

``sum`` of small ints and bools gives ``int32``; ``mean``/``var``/``std``/``quantile`` of ints give
floats; variances have no Bessel correction (NumPy's); arg-reductions return ``int32``. ``quantile``
and ``median`` average the middle values as NumPy does (and are differentiable through the sort).

>>> from ember.keras import ops
>>> ops.median([1, 3, 2, 4]).item(), round(ops.var([1.0, 2.0, 3.0]).item(), 6)
(2.5, 0.666667)
"""
import builtins

import numpy as np

from ... import creation as _C
from ...autograd import ops as _E
from ...autograd.tensor import make
from .core import cast, convert_to_tensor as _T
from .dtypes import floatx, result_type, standardize_dtype, to_ember_dtype


def _name(x):
    return standardize_dtype(x.dtype)


def _axis(axis):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def _empty_axis(axis):
    return isinstance(axis, (list, tuple)) and len(axis) == 0


def _stack_list(x):
    from .core import convert_to_tensor
    if isinstance(x, (list, tuple)):
        return _E.stack([convert_to_tensor(e) for e in x])
    return convert_to_tensor(x)


def _sum_dtype(n):
    return "int32" if n in ("bool", "uint8", "int8", "int16") else n


def sum(x, axis=None, keepdims=False):
    x = _stack_list(x)
    if _empty_axis(axis):
        return x
    d = _sum_dtype(_name(x))
    r = _E.sum(x) if axis is None else _E.sum(x, _axis(axis), keepdim=keepdims)
    if axis is None and keepdims:
        r = r.reshape((1,) * x.ndim)
    return cast(r, d)


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _T(x)
    if dtype is None:
        dtype = result_type(x.dtype)
        if dtype in ("bool", "int8", "int16", "uint8"):
            dtype = "int32"
    x = cast(x, dtype)
    if axis is None:
        r = cast(_E.prod(x), dtype)
        return r.reshape((1,) * x.ndim) if keepdims else r
    for a in sorted((a % x.ndim for a in np.atleast_1d(axis)), reverse=True):
        x = cast(_E.prod(x, int(a), keepdim=keepdims), dtype)
    return x


def mean(x, axis=None, keepdims=False):
    x = _stack_list(x)
    if _empty_axis(axis):
        return x
    n = _name(x)
    compute = result_type(x.dtype, "float32")
    out = compute if "int" in n or n == "bool" else n
    x = cast(x, compute)
    r = _E.mean(x) if axis is None else _E.mean(x, _axis(axis), keepdim=keepdims)
    if axis is None and keepdims:
        r = r.reshape((1,) * x.ndim)
    return cast(r, out)


def var(x, axis=None, keepdims=False):
    """Population variance ``mean((x - mean(x))**2)``."""
    x = _T(x)
    compute, out = result_type(x.dtype, "float32"), result_type(x.dtype, float)
    if _empty_axis(axis):
        return _C.zeros_like(cast(x, out))
    x = cast(x, compute)
    r = _E.var(x, _axis(axis), keepdim=keepdims, correction=0)
    if axis is None and keepdims:
        r = r.reshape((1,) * x.ndim)
    return cast(r, out)


def std(x, axis=None, keepdims=False):
    x = _T(x)
    n = _name(x)
    if "int" in n or n == "bool":
        x = cast(x, "float32")
    r = _E.std(x, _axis(axis), keepdim=keepdims, correction=0)
    return r.reshape((1,) * x.ndim) if axis is None and keepdims else r


def _check_nonempty(x, initial, keepdims, what):
    if 0 in tuple(x.shape):
        if initial is None:
            raise ValueError(f"Cannot compute the {what} of an empty tensor.")
        return make(np.full((1,) * x.ndim if keepdims else (), initial, np.float32))
    return None


def amax(x, axis=None, keepdims=False):
    x = _T(x)
    if _empty_axis(axis):
        return x
    if axis is None:
        r = _E.amax(x)
        return r.reshape((1,) * x.ndim) if keepdims else r
    return _E.amax(x, _axis(axis), keepdim=keepdims)


def amin(x, axis=None, keepdims=False):
    x = _T(x)
    if _empty_axis(axis):
        return x
    if axis is None:
        r = _E.amin(x)
        return r.reshape((1,) * x.ndim) if keepdims else r
    return _E.amin(x, _axis(axis), keepdim=keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    x = _T(x)
    empty = _check_nonempty(x, initial, keepdims, "max")
    if empty is not None:
        return empty
    r = _E.max(x).reshape((1,) * x.ndim if keepdims else ()) if axis is None else amax(x, axis, keepdims)
    if initial is not None:
        r = _E.maximum(r, make(np.asarray(initial, r._data.dtype)))
    return r


def min(x, axis=None, keepdims=False, initial=None):
    x = _T(x)
    empty = _check_nonempty(x, initial, keepdims, "min")
    if empty is not None:
        return empty
    r = _E.min(x).reshape((1,) * x.ndim if keepdims else ()) if axis is None else amin(x, axis, keepdims)
    if initial is not None:
        r = _E.minimum(r, make(np.asarray(initial, r._data.dtype)))
    return r


def ptp(x, axis=None, keepdims=False):
    """``max - min`` along ``axis``."""
    x = _T(x)
    if _empty_axis(axis):
        return _C.zeros_like(x)
    return _E.sub(amax(x, axis, keepdims), amin(x, axis, keepdims))


def all(x, axis=None, keepdims=False):
    x = _T(x)
    if _empty_axis(axis):
        return cast(x, "bool")
    r = _E.all(x, _axis(axis), keepdim=keepdims) if axis is not None else _E.all(x)
    return cast(r.reshape((1,) * x.ndim) if axis is None and keepdims else r, "bool")


def any(x, axis=None, keepdims=False):
    x = _T(x)
    if _empty_axis(axis):
        return cast(x, "bool")
    r = _E.any(x, _axis(axis), keepdim=keepdims) if axis is not None else _E.any(x)
    return cast(r.reshape((1,) * x.ndim) if axis is None and keepdims else r, "bool")


def _arg(fn, x, axis, keepdims):
    x = _T(x)
    if _name(x) == "bool":
        x = cast(x, "uint8")
    if axis is None:
        r = fn(x)
        return cast(r.reshape((1,) * x.ndim) if keepdims else r, "int32")
    return cast(fn(x, int(axis), keepdim=keepdims), "int32")


def argmax(x, axis=None, keepdims=False):
    return _arg(_E.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _arg(_E.argmin, x, axis, keepdims)


def _nan_arg(x, axis, keepdims, fill, fn):
    x = _T(x)
    if not x.is_floating_point():
        return fn(x, axis, keepdims)
    nan = _E.isnan(x)
    best = fn(_E.where(nan, make(np.asarray(fill, x._data.dtype)), x), axis, keepdims)
    allnan = all(nan, axis, keepdims)
    return _E.where(allnan, make(np.asarray(-1, np.int32)), best)


def nanargmax(x, axis=None, keepdims=False):
    return _nan_arg(x, axis, keepdims, -np.inf, argmax)


def nanargmin(x, axis=None, keepdims=False):
    return _nan_arg(x, axis, keepdims, np.inf, argmin)


def sort(x, axis=-1):
    x = _T(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return _E.sort(x, int(axis))[0]


def argsort(x, axis=-1):
    x = _T(x)
    if _name(x) == "bool":
        x = cast(x, "uint8")
    if axis is None:
        x, axis = x.reshape(-1), -1
    return cast(_E.argsort(x, int(axis), stable=True), "int32")


def argpartition(x, kth, axis=-1):
    """Indices that put the ``kth`` smallest element in place, smaller ones before it (a stable argsort does)."""
    x = _T(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return make(np.argsort(x._data, axis=int(axis), kind="stable").astype(np.int32))


def _cum(fn, x, axis, dtype):
    x = _T(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    d = result_type(dtype or x.dtype)
    if d == "bool":
        d = "int32"
    return cast(fn(cast(x, d), int(axis), dtype=to_ember_dtype(d)), d)


def cumsum(x, axis=None, dtype=None):
    return _cum(_E.cumsum, x, axis, dtype)


def cumprod(x, axis=None, dtype=None):
    return _cum(_E.cumprod, x, axis, dtype)


def nancumsum(x, axis=None, dtype=None):
    return cumsum(nan_to_num_(x, 0.0), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(nan_to_num_(x, 1.0), axis, dtype)


def nan_to_num_(x, nan):
    from .numpy_math import nan_to_num
    return nan_to_num(x, nan=nan)


def count_nonzero(x, axis=None):
    x = _T(x)
    if _empty_axis(axis):
        return cast(_E.ne(x, 0), "int32")
    return cast(_E.sum(cast(_E.ne(x, 0), "int32"), _axis(axis)) if axis is not None else
                _E.sum(cast(_E.ne(x, 0), "int32")), "int32")


def average(x, axis=None, weights=None):
    """The mean of ``x`` along ``axis`` weighted by ``weights`` (1-D along ``axis`` or ``x``'s shape)."""
    x = _T(x)
    ds = [x.dtype, float]
    if weights is not None:
        weights = _T(weights)
        ds.append(weights.dtype)
    d = result_type(*ds)
    x = cast(x, d)
    if _empty_axis(axis):
        return x
    if weights is None:
        return _E.mean(x) if axis is None else _E.mean(x, int(axis))
    w = cast(weights, d)
    if axis is not None and w.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[int(axis)] = -1
        w = w.reshape(shape)
    if axis is None:
        return _E.div(_E.sum(_E.mul(x, w)), _E.sum(w))
    return _E.div(_E.sum(_E.mul(x, w), int(axis)), _E.sum(_E.expand_as(w, x) if w.shape != x.shape else w, int(axis)))


def _to_last(x, axis):
    """``x`` with the reduced axes flattened into one last axis, and the reduced axes (canonical)."""
    if axis is None:
        return x.reshape(-1), None
    axes = [a % x.ndim for a in np.atleast_1d(axis)]
    others = [a for a in range(x.ndim) if a not in axes]
    y = _E.permute(x, others + axes)
    return y.reshape(*[x.shape[a] for a in others], -1), axes


def _quantile_last(y, q, method, count=None):
    """Quantiles ``q`` (0-d or 1-d) of the last axis of sorted ``y`` with ``count`` valid values per row."""
    n = y.shape[-1]
    cnt = make(np.full(y.shape[:-1], n, np.float64)) if count is None else count
    qs = np.atleast_1d(q._data).astype(np.float64)
    outs = []
    for qi in qs:
        pos = qi * (cnt._data - 1)
        lo = np.floor(pos)
        hi = np.ceil(pos)
        if method == "lower":
            hi = lo
        elif method == "higher":
            lo = hi
        elif method == "nearest":
            lo = hi = np.round(pos)
        lo_i = np.clip(lo, 0, n - 1).astype(np.int64)[..., None]
        hi_i = np.clip(hi, 0, n - 1).astype(np.int64)[..., None]
        a = _E.take_along_dim(y, make(lo_i), -1)[..., 0]
        b = _E.take_along_dim(y, make(hi_i), -1)[..., 0]
        if method == "midpoint":
            w = np.where(hi > lo, 0.5, 0.0)
        elif method == "linear":
            w = pos - lo
        else:
            w = np.zeros_like(pos)
        r = _E.add(a, _E.mul(_E.sub(b, a), make(w.astype(y._data.dtype))))
        if count is not None:
            r = _E.where(make(cnt._data == 0), make(np.asarray(np.nan, y._data.dtype)), r)
        outs.append(r)
    return _E.stack(outs) if q.ndim else outs[0]


def _quantile(x, q, axis, method, keepdims, nan):
    x, q = _T(x), _T(q)
    compute, out = result_type(x.dtype, "float32"), result_type(x.dtype, float)
    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(f"quantile: method must be 'linear', 'lower', 'higher', 'midpoint' or 'nearest', "
                         f"got {method!r}")
    x = cast(x, compute)
    y, axes = _to_last(x, axis)
    count = None
    if nan:
        count = make((~np.isnan(y._data)).sum(-1).astype(np.float64))
    ys = _E.sort(y, -1)[0]
    r = _quantile_last(ys, cast(q, "float64"), method, count)
    if keepdims:
        lead = 1 if q.ndim else 0
        for a in (range(x.ndim) if axes is None else sorted(axes)):
            r = r.unsqueeze(a + lead)
    return cast(r, out)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile(x, q, axis, method, keepdims, False)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile(x, q, axis, method, keepdims, True)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return quantile(x, _E.div(_T(q, floatx()), 100.0), axis, method, keepdims)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, _E.div(_T(q, floatx()), 100.0), axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def nanmedian(x, axis=None, keepdims=False):
    x = _T(x)
    if _empty_axis(axis):
        return x
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def nansum(x, axis=None, keepdims=False):
    x = _stack_list(x)
    d = _sum_dtype(_name(x))
    if _empty_axis(axis):
        return cast(nan_to_num_(x, 0.0), d)
    return cast(_E.nansum(x, _axis(axis), keepdim=keepdims) if axis is not None else _E.nansum(x), d)


def nanprod(x, axis=None, keepdims=False):
    x = _T(x)
    if _empty_axis(axis):
        return nan_to_num_(x, 1.0)
    return prod(nan_to_num_(x, 1.0), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    x = _T(x)
    if _empty_axis(axis):
        return x
    x = cast(x, result_type(x.dtype, float))
    return _E.nanmean(x, _axis(axis), keepdim=keepdims) if axis is not None else _E.nanmean(x)


def _nan_extreme(x, axis, keepdims, fill, fn):
    x = _T(x)
    if not x.is_floating_point():
        return fn(x, axis, keepdims)
    if _empty_axis(axis):
        return x
    nan = _E.isnan(x)
    r = fn(_E.where(nan, make(np.asarray(fill, x._data.dtype)), x), axis, keepdims)
    return _E.where(all(nan, axis, keepdims), make(np.asarray(np.nan, x._data.dtype)), r)


def nanmax(x, axis=None, keepdims=False):
    return _nan_extreme(x, axis, keepdims, -np.inf, amax)


def nanmin(x, axis=None, keepdims=False):
    return _nan_extreme(x, axis, keepdims, np.inf, amin)


def nanvar(x, axis=None, keepdims=False):
    x = _T(x)
    x = cast(x, result_type(x.dtype, float))
    if _empty_axis(axis):
        return _E.where(_E.isnan(x), x, _C.zeros_like(x))
    valid = _E.logical_not(_E.isnan(x))
    m = nanmean(x, axis, True) if axis is not None else _E.nanmean(x).reshape((1,) * x.ndim)
    c = _E.where(valid, _E.sub(x, m), _C.zeros_like(x))
    ax = _axis(axis)
    s = _E.sum(_E.mul(c, c), ax, keepdim=keepdims) if ax is not None else _E.sum(_E.mul(c, c))
    n = _E.sum(cast(valid, x.dtype), ax, keepdim=keepdims) if ax is not None else _E.sum(cast(valid, x.dtype))
    return _E.div(s, n)


def nanstd(x, axis=None, keepdims=False):
    return _E.sqrt(nanvar(x, axis, keepdims))


def trace(x, offset=0, axis1=0, axis2=1):
    x = _T(x)
    d = _sum_dtype(_name(x))
    return cast(_E.sum(_E.diagonal(x, offset, axis1, axis2), -1), d)


def histogram(x, bins=10, range=None):
    """Counts of ``x`` in ``bins`` equal bins over ``range`` (default ``(min, max)``) and the bin edges."""
    x = _T(x)
    a = x._data
    lo, hi = (float(a.min()), float(a.max())) if range is None else (float(range[0]), float(range[1]))
    counts, edges = np.histogram(a, bins=int(bins), range=(lo, hi))
    return make(counts.astype(a.dtype)), make(edges.astype(a.dtype))


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or weight sums) of each non-negative int in ``x``; 2-D ``x`` counts row by row."""
    if sparse:
        raise ValueError("bincount: `sparse=True` is not supported by ember")
    x = _T(x)
    a = x._data.astype(np.int64)
    size = builtins.max(int(a.max()) + 1 if a.size else 0, int(minlength))
    if weights is None:
        d = "int32"
        w = None
    else:
        weights = _T(weights)
        d = result_type(x.dtype, weights.dtype)
        w = weights
    if a.ndim == 1:
        if w is None:
            return make(np.bincount(a, minlength=size).astype(np.int32))
        z = _C.zeros(size, dtype=w.dtype)
        return cast(_E.index_add(z, 0, make(a), w), d)
    rows = [bincount(make(a[i]), None if w is None else w[i], size) for i in builtins.range(a.shape[0])]
    return cast(_E.stack(rows), d)


def digitize(x, bins):
    """The bin index of each value: ``i`` such that ``bins[i-1] <= x < bins[i]`` (NumPy's, increasing bins)."""
    x, bins = _T(x), _T(bins)
    return make(np.searchsorted(bins._data, x._data, side="right").astype(np.int32))


def searchsorted(sorted_sequence, values, side="left"):
    s, v = _T(sorted_sequence), _T(values)
    if s.ndim != 1:
        raise ValueError("`searchsorted` only supports 1-D sorted sequences. You can use "
                         f"`keras.ops.vectorized_map` to extend it to N-D sequences. Received: "
                         f"sorted_sequence.shape={tuple(s.shape)}")
    return make(np.searchsorted(s._data, v._data, side=side).astype(np.int32))


def nonzero(x):
    """The indices of the nonzero entries as one ``int32`` tensor ``(ndim, count)``."""
    a = _T(x)._data
    return make(np.stack(np.nonzero(a)).astype(np.int32).reshape(a.ndim, -1))


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None,
           fill_value=None):
    """The unique values of ``x`` (along ``axis``), optionally their first indices, the inverse and counts."""
    x = _T(x)
    vals, index, inverse, counts = np.unique(x._data, return_index=True, return_inverse=True, return_counts=True,
                                             axis=axis)
    dim = 0 if axis is None else axis % x.ndim
    if size is not None:
        n = vals.shape[dim]
        if n > size:
            vals = np.take(vals, np.arange(size), axis=dim)
            index, counts = index[:size], counts[:size]
        elif n < size:
            pad = [(0, 0)] * vals.ndim
            pad[dim] = (0, size - n)
            vals = np.pad(vals, pad, constant_values=0 if fill_value is None else fill_value)
            index = np.pad(index, (0, size - n), constant_values=1)
            counts = np.pad(counts, (0, size - n))
    res = [make(vals.astype(x._data.dtype))]
    if return_index:
        res.append(make(index.astype(np.int64)))
    if return_inverse:
        res.append(make(inverse.reshape(-1).astype(np.int64) if axis is None else inverse.astype(np.int64)))
    if return_counts:
        res.append(make(counts.astype(np.int64)))
    return res[0] if len(res) == 1 else tuple(res)


def corrcoef(x):
    """Pearson correlation of the rows of ``x``."""
    x = _T(x)
    n = _name(x)
    x = cast(x, floatx() if n == "bool" else "float64" if n == "int64" else n if "float" in n else "float32")
    if x.ndim == 1:
        x = x.reshape(1, -1)
    c = _E.sub(x, _E.mean(x, 1, keepdim=True))
    cov = _E.matmul(c, _E.transpose(c, 0, 1))
    d = _E.sqrt(_E.diagonal(cov))
    r = _E.div(_E.div(cov, d.reshape(-1, 1)), d.reshape(1, -1))
    r = _E.clamp(r, -1.0, 1.0)
    return r.reshape(()) if r.shape == (1, 1) else r


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The trapezoidal-rule integral of ``y`` along ``axis`` (sample points ``x`` or spacing ``dx``)."""
    y = _T(y)
    if _name(y) == "bool":
        y = cast(y, floatx())
    n = y.shape[axis]
    a, b = _E.narrow(y, axis, 1, n - 1), _E.narrow(y, axis, 0, n - 1)
    if x is not None:
        x = _T(x)
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[axis] = -1
            x = x.reshape(shape)
        nx = x.shape[axis]
        h = _E.sub(_E.narrow(x, axis, 1, nx - 1), _E.narrow(x, axis, 0, nx - 1))
        return _E.sum(_E.mul(_E.mul(_E.add(a, b), h), 0.5), axis)
    return _E.mul(_E.sum(_E.mul(_E.add(a, b), 0.5), axis), _T(dx))
