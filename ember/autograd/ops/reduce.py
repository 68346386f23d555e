"""Reductions and scans: sum, mean, prod, max/min, var/std, norm, logsumexp, cumsum, sort, topk ...

``dim`` is an int, a tuple of ints or None (all dims); ``keepdim`` keeps reduced
dims as size 1. The gradient of a reduction is the output gradient broadcast back
over the reduced dims (``_unreduce``), times the local derivative.
"""
import collections
import functools

import numpy as np

from ...backend import dtypes as _dt
from .. import grad_mode
from .. import return_types as _rt
from ..node import record as _rec
from ..tensor import Tensor
from .complex_numbers import no_complex as _no_complex
from ._util import out, dims_tuple, wrap_dim, to_tensor, numpy_names
from .elementwise import mul, div, sub, exp, log, sqrt, abs as _abs, pow as _pow, sign, where, add, neg, expand_to
from .shape import reshape as _reshape  # at the top: an import inside a rule costs ~1-2 us per call

_gm = grad_mode.state

values_indices = collections.namedtuple("return_types", ["values", "indices"])


def _returns(cls):
    """Give the op's ``(values, indices)`` result PyTorch's type for it (``torch.return_types.max`` ...)."""
    def wrap(fn):
        @functools.wraps(fn)
        def op(*args, **kwargs):
            return _rt.as_type(cls, fn(*args, **kwargs))
        return op
    return wrap



def _axes(dim, x):
    d = dims_tuple(dim, x._data.ndim)
    if d is not None and len(d) == 0 and x._data.ndim > 0:
        return None  # dim=() means every dim, as in PyTorch
    return d


def _unreduce(g, shape, axes, keepdim):
    """Broadcast the gradient of a reduction back to the input's shape."""
    if axes is None:
        if not _gm.enabled:
            # Not recording (a first-order backward): one NumPy broadcast of the full reduction's gradient,
            # without the reshape and expand ops' own graph bookkeeping.
            return out(np.broadcast_to(g._data.reshape((1,) * len(shape)), shape))
        axes = tuple(range(len(shape)))
    if not keepdim and axes:
        kshape = tuple(1 if i in axes else s for i, s in enumerate(shape))
        if not _gm.enabled:
            return out(np.broadcast_to(g._data.reshape(kshape), shape))
        g = _reshape(g, kshape)
    return expand_to(g, shape)


# PyTorch's C++ scalar type names, as its errors print them.
_SCALAR_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long"}


def sum(input, dim=None, keepdim=False, *, dtype=None):
    x = input
    a = x._data
    axes = _axes(dim, x)
    if dtype is not None:
        # PyTorch casts, then sums in that dtype: bool sums are a logical or, small ints wrap around.
        a = a.astype(_dt.to_dtype(dtype).numpy)
        if a.dtype.kind not in "fc" and _gm.enabled and x._rg:
            raise RuntimeError(f"Autograd not support dtype: {_SCALAR_NAMES.get(a.dtype.name, a.dtype.name)}")
        # bfloat16 and float16 accumulate in float32, as PyTorch
        acc = np.float32 if a.dtype.kind == "V" or a.dtype.char == "e" else a.dtype
        t = out(np.asarray(a.sum(axis=axes, keepdims=keepdim, dtype=acc)).astype(a.dtype, copy=False))
    elif a.dtype.char not in "fdFD":
        if a.dtype.kind in "fV":
            # bfloat16/float16: accumulated in float32 and rounded once, as PyTorch (NumPy's float16 sum
            # rounds each addition along a non-contiguous axis)
            t = out(np.asarray(a.sum(axis=axes, keepdims=keepdim, dtype=np.float32)).astype(a.dtype))
        else:
            a = a.astype(np.int64, copy=False)
            t = out(a.sum(axis=axes, keepdims=keepdim))
    else:
        t = out(a.sum(axis=axes, keepdims=keepdim))
    if _gm.enabled and x._rg:
        shape = a.shape
        _rec(t, "SumBackward1" if dim is not None else "SumBackward0",
             lambda g: (_unreduce(g, shape, axes, keepdim),), (x,))
    return t


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """``sum`` with NaN counted as 0; an integer or bool tensor (which holds no NaN) sums as ``sum`` does."""
    if input._data.dtype.kind not in "fc":
        return sum(input, dim, keepdim, dtype=dtype)
    mask = np.isnan(input._data)
    return sum(where(out(mask), 0.0, input), dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    x = input
    a = x._data
    if dtype is not None:
        a = a.astype(_dt.to_dtype(dtype).numpy)
    lowp = None
    if a.dtype.kind not in "fc":
        if a.dtype.kind != "V":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {_SCALAR_NAMES.get(a.dtype.name, a.dtype.name)}")
        lowp, a = a.dtype, a.astype(np.float32)  # bfloat16: accumulated in float32, rounded once
    axes = _axes(dim, x)
    r = (a.mean(axis=axes, keepdims=keepdim) if a.size else
         np.full(np.sum(a, axis=axes, keepdims=keepdim).shape, np.nan, a.dtype))
    t = out(r if lowp is None else np.asanyarray(r).astype(lowp))
    if _gm.enabled and x._rg:
        shape = a.shape
        n = a.size if axes is None else int(np.prod([shape[i] for i in axes]))

        def backward(g):
            return (_unreduce(div(g, float(n)), shape, axes, keepdim),)
        _rec(t, "MeanBackward1" if dim is not None else "MeanBackward0", backward, (x,))
    return t


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements (in ``dtype`` if given, as ``mean``)."""
    if dtype is not None:
        from .conversion import _cast
        input = _cast(input, _dt.to_dtype(dtype))
    mask = out(~np.isnan(input._data))
    return div(nansum(input, dim, keepdim), sum(mask, dim, keepdim))


def prod(input, dim=None, keepdim=False, *, dtype=None):
    x = input
    a = x._data
    if dtype is not None:
        a = a.astype(_dt.to_dtype(dtype).numpy)
    elif a.dtype.kind in "bui":
        a = a.astype(np.int64)
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError("prod(): argument 'dim' must be int")
    axis = None if dim is None else wrap_dim(int(dim), a.ndim)
    t = out(np.prod(a, axis=axis, keepdims=keepdim if axis is not None else False))
    if _gm.enabled and x._rg:
        def backward(g):
            from .shape import reshape, movedim, flatten
            # Product of all the other elements: exclusive cumprods from both sides (zeros safe).
            if axis is None:
                xs, gg = flatten(x), g
            else:
                xs = movedim(x, axis, -1)
                gg = g if keepdim else _unsq(g, axis)
                gg = movedim(gg, axis, -1)
            left = _excl_cumprod(xs)
            right = _flip_last(_excl_cumprod(_flip_last(xs)))
            gx = mul(mul(left, right), gg)
            if axis is None:
                return (reshape(gx, a.shape),)
            return (movedim(gx, -1, axis),)
        _rec(t, "ProdBackward1" if dim is not None else "ProdBackward0", backward, (x,), (x,))
    return t


def _unsq(g, axis):
    from .shape import unsqueeze
    return unsqueeze(g, axis)


def _flip_last(x):
    from .shape import flip
    return flip(x, (-1,))


def _excl_cumprod(x):
    from .shape import cat
    from .index import getitem
    ones = out(np.ones(x._data.shape[:-1] + (1,), x._data.dtype))
    c = cumprod(x, -1)
    return cat([ones, getitem(c, (Ellipsis, slice(None, -1)))], -1)


# -- max / min ----------------------------------------------------------------------------------------

def _evenly(x, t, axes, keepdim, g):
    """Gradient of amax/amin and full max/min: shared evenly among tied extremes."""
    if axes is None:
        ext = t._data.reshape((1,) * x._data.ndim)
    elif keepdim:
        ext = t._data
    else:
        ext = np.expand_dims(t._data, axes)
    mask = (x._data == ext)
    count = mask.sum(axis=axes, keepdims=True)
    w = out((mask / count).astype(x._data.dtype))
    return mul(_unreduce(g, x._data.shape, axes, keepdim), w)


def amax(input, dim=(), keepdim=False):
    _no_complex("amax", input)
    return _amaxmin(input, dim, keepdim, np.max, "AmaxBackward0")


def amin(input, dim=(), keepdim=False):
    _no_complex("amin", input)
    return _amaxmin(input, dim, keepdim, np.min, "AminBackward0")


def _amaxmin(x, dim, keepdim, fn, name):
    axes = _axes(dim, x)
    if x._data.size == 0 and (axes is None or 0 in [x._data.shape[i] for i in axes]):
        op = name[:4].lower()
        if axes is None or not axes:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                             f"Specify the reduction dim with the 'dim' argument.")
        empty = next(i for i in axes if x._data.shape[i] == 0)
        raise IndexError(f"{op}(): Expected reduction dim {empty} to have non-zero size.")
    t = out(fn(x._data, axis=axes, keepdims=keepdim))
    if _gm.enabled and x._rg:
        _rec(t, name, lambda g: (_evenly(x, t, axes, keepdim, g),), (x,), (x,))
    return t


@_returns(_rt.max)
def max(input, dim=None, keepdim=False, *, other=None):
    """``max(x)``: the largest value; ``max(x, dim)``: (values, indices); ``max(x, y)``: elementwise."""
    _no_complex("max", input)
    return _max_min(input, dim, keepdim, True, other)


@_returns(_rt.min)
def min(input, dim=None, keepdim=False, *, other=None):
    _no_complex("min", input)
    return _max_min(input, dim, keepdim, False, other)


def _max_min(x, dim, keepdim, is_max, other):
    from .elementwise import maximum, minimum
    if isinstance(dim, Tensor):
        return (maximum if is_max else minimum)(x, dim)
    if other is not None:
        return (maximum if is_max else minimum)(x, other)
    name = "max" if is_max else "min"
    if dim is None:
        if x._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        return _amaxmin(x, None, False, np.max if is_max else np.min,
                        "MaxBackward1" if is_max else "MinBackward1")
    axis = wrap_dim(dim, x._data.ndim)
    a = x._data
    if a.ndim and a.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    if a.ndim == 0:
        return values_indices(x.clone() if hasattr(x, "clone") else x, out(np.array(0, np.int64)))
    idx = (np.argmax if is_max else np.argmin)(a, axis=axis, keepdims=True)
    vals = np.take_along_axis(a, idx, axis=axis)
    if not keepdim:
        vals = np.squeeze(vals, axis)
        idx_out = np.squeeze(idx, axis)
    else:
        idx_out = idx
    t = out(vals)
    if _gm.enabled and x._rg:
        def backward(g):
            from .index import scatter_into_zeros
            gg = g if keepdim else _unsq(g, axis)
            return (scatter_into_zeros(gg, axis, idx, a.shape),)
        _rec(t, "MaxBackward0" if is_max else "MinBackward0", backward, (x,))
    return values_indices(t, out(idx_out.astype(np.int64, copy=False)))


def _no_bool(name, a):
    # PyTorch has no ordering kernels for bool (True > False is not an order it offers).
    if a.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")


def _check_nonempty(name, a, dim):
    """torch's IndexError for an arg-reduction with nothing to choose from (NumPy raised a ValueError)."""
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    elif a.ndim and a.shape[wrap_dim(dim, a.ndim)] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


def argmax(input, dim=None, keepdim=False):
    _no_complex("argmax", input)
    a = input._data
    _no_bool("argmax", a)
    _check_nonempty("argmax", a, dim)
    if dim is None:
        r = np.argmax(a)
        return out(np.array(r, np.int64, subok=True).reshape((1,) * a.ndim if keepdim else ()))
    return out(np.argmax(a, axis=wrap_dim(dim, a.ndim), keepdims=keepdim).astype(np.int64))


def argmin(input, dim=None, keepdim=False):
    _no_complex("argmin", input)
    a = input._data
    _no_bool("argmin", a)
    _check_nonempty("argmin", a, dim)
    if dim is None:
        r = np.argmin(a)
        return out(np.array(r, np.int64, subok=True).reshape((1,) * a.ndim if keepdim else ()))
    return out(np.argmin(a, axis=wrap_dim(dim, a.ndim), keepdims=keepdim).astype(np.int64))


# -- statistics -----------------------------------------------------------------------------------------

def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance ``sum((x - mean)^2) / (N - correction)``; ``unbiased=True`` means correction 1 (the default)."""
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    if input._data.dtype.kind == "c":
        # |z - mean|^2 = (x - mean_x)^2 + (y - mean_y)^2: the parts' variances add up (a real result).
        from .complex_numbers import real, imag
        return add(var(real(input), dim, unbiased, keepdim, correction=correction),
                   var(imag(input), dim, unbiased, keepdim, correction=correction))
    if input._data.dtype.itemsize == 2 and input._data.dtype.kind in "fV":
        return _through_float32(var, input, dim, unbiased, keepdim, correction=correction)
    c = _correction(unbiased, correction)
    x = input
    axes = _axes(dim, x)
    n = x._data.size if axes is None else int(np.prod([x._data.shape[i] for i in axes]))
    centered = sub(x, mean(x, axes, keepdim=True))
    return div(sum(mul(centered, centered), axes, keepdim), float(np.maximum(n - c, 0)))


def _through_float32(fn, input, *args, **kwargs):
    """``fn`` of a float16 or bfloat16 tensor accumulated in float32, the result cast back (PyTorch's
    accumulate type: the squares inside a float16 std overflow at |x| > 256 while the std itself is
    representable)."""
    from ...backend import dtypes as _dtypes
    return fn(input.to(_dtypes.float32), *args, **kwargs).to(input.dtype)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    if input._data.dtype.itemsize == 2 and input._data.dtype.kind in "fV":
        return _through_float32(std, input, dim, unbiased, keepdim, correction=correction)
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default): ``(sum |x|^p)^(1/p)``; 'fro' is p = 2."""
    x = input
    if p is None or p == "fro":
        p = 2
    if p == "nuc":
        raise NotImplementedError("norm(p='nuc') is not supported by ember")
    if x._data.dtype.kind not in "fcV" and dtype is None:  # "V": bfloat16
        raise RuntimeError(f"norm(): expected a floating point or complex tensor as input, got {x.dtype}")
    if x._data.dtype.kind == "c":
        return norm(_abs(x), p, dim, keepdim)   # a norm depends on the moduli only
    if x._data.dtype.itemsize == 2 and x._data.dtype.kind in "fV":
        return _through_float32(norm, x, p, dim, keepdim)
    axes = _axes(dim, x)
    if p == 2:
        a = x._data
        t = out(np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim)))
        if _gm.enabled and x._rg:
            def backward(g):
                # d||x||/dx = x / ||x||, taken as 0 where the norm is 0 (as PyTorch does).
                nz = out(t._data != 0)
                safe = where(nz, t, 1.0)
                scale = where(nz, div(g, safe), 0.0)
                return (mul(_unreduce(scale, a.shape, axes, keepdim), x),)
            _rec(t, "NormBackward1", backward, (x,), (x,))
        return t
    if p == float("inf"):
        return amax(_abs(x), axes if axes is not None else (), keepdim)
    if p == -float("inf"):
        return amin(_abs(x), axes if axes is not None else (), keepdim)
    if p == 0:
        return sum(out((x._data != 0).astype(x._data.dtype)), axes, keepdim)
    return _pow(sum(_pow(_abs(x), p), axes, keepdim), 1.0 / p)


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(x)))`` over ``dim``, computed around the max so large inputs do not overflow."""
    x = input
    a = x._data
    if a.dtype.kind != "f":
        if a.dtype.kind == "V":  # bfloat16: in float32, rounded once
            from .conversion import in_float32
            return in_float32(logsumexp, input, dim, keepdim)
        a = a.astype(_dt.get_default_dtype().numpy)
    axes = _axes(dim, x)
    m = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros((), a.dtype)
    m = np.where(np.isfinite(m), m, 0)
    s = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
    t = out(s if keepdim else (np.squeeze(s, axes) if axes is not None else s.reshape(())))
    if _gm.enabled and x._rg:
        def backward(g):
            tk = t if keepdim else _unreduce(t, a.shape, axes, False)
            return (mul(_unreduce(g, a.shape, axes, keepdim), exp(sub(x, tk))),)
        _rec(t, "LogsumexpBackward0", backward, (x,), (x,))
    return t


# -- scans ----------------------------------------------------------------------------------------------

_SCAN_ACC = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32, np.dtype(np.complex64): np.complex128}


def _scan(ufunc, a, axis):
    """``ufunc.accumulate`` along ``axis`` as ATen's CPU cumsum / cumprod run it: the running value in the
    accumulate type (double for float32 and complex64, float for half and bfloat16), each output rounded back
    to the input's dtype. A float32 accumulation drifts by ~1e-7 per thousand terms away from torch's."""
    if not a.ndim:
        return a.copy()
    acc = _SCAN_ACC.get(a.dtype, np.float32 if a.dtype.name == "bfloat16" else None)
    if acc is None:
        return ufunc.accumulate(a, axis=axis)
    return ufunc.accumulate(a.astype(acc), axis=axis).astype(a.dtype)


def cumsum(input, dim, *, dtype=None):
    """``y[i] = sum_{j <= i} x[j]`` along ``dim`` (accumulated as :func:`_scan`). Gradient: the reversed
    cumulative sum of ``g``."""
    x = input
    a = x._data
    if dtype is not None:
        a = a.astype(_dt.to_dtype(dtype).numpy)
    elif a.dtype.kind in "bui":
        a = a.astype(np.int64)
    axis = wrap_dim(dim, a.ndim)
    t = out(_scan(np.add, a, axis))
    if _gm.enabled and x._rg:
        def backward(g):
            from .shape import flip
            from .conversion import _cast_grad
            g = _cast_grad(g, x.dtype)  # torch: cumsum_backward(grad.to(self.scalar_type()), dim)
            if a.ndim == 0:
                return (g,)
            return (flip(cumsum(flip(g, (axis,)), axis), (axis,)),)
        _rec(t, "CumsumBackward0", backward, (x,))
    return t


def cumprod(input, dim, *, dtype=None):
    """``y[i] = prod_{j <= i} x[j]`` along ``dim`` (accumulated as :func:`_scan`)."""
    x = input
    a = x._data
    if dtype is not None:
        a = a.astype(_dt.to_dtype(dtype).numpy)
    elif a.dtype.kind in "bui":
        a = a.astype(np.int64)
    axis = wrap_dim(dim, a.ndim)
    t = out(_scan(np.multiply, a, axis))
    if _gm.enabled and x._rg:
        def backward(g):
            from .shape import flip
            if a.ndim == 0:
                return (g,)
            if not (a == 0).any():
                # sum_{j >= i} g_j y_j / x_i
                return (div(flip(cumsum(flip(mul(g, t), (axis,)), axis), (axis,)), x),)
            return (out(_cumprod_grad_with_zeros(a, g._data, axis)),)
        _rec(t, "CumprodBackward0", backward, (x,), (x,))
    return t


def _cumprod_grad_with_zeros(a, g, axis):
    # grad_i = P_i * S_i with P_i = prod_{k<i} x_k and S_i = g_i + x_{i+1} S_{i+1} (a reverse scan).
    a = np.moveaxis(a, axis, -1)
    g = np.moveaxis(g, axis, -1)
    n = a.shape[-1]
    prefix = np.concatenate([np.ones(a.shape[:-1] + (1,), a.dtype), np.cumprod(a, -1)[..., :-1]], -1)
    s = np.empty_like(g)
    s[..., n - 1] = g[..., n - 1]
    for i in range(n - 2, -1, -1):
        s[..., i] = g[..., i] + a[..., i + 1] * s[..., i + 1]
    return np.moveaxis(prefix * s, -1, axis)


def all(input, dim=None, keepdim=False):
    a = input._data
    return out(_logical_reduce_dtype(np.all(a, axis=dims_tuple(dim, a.ndim), keepdims=keepdim), a))


def any(input, dim=None, keepdim=False):
    a = input._data
    return out(_logical_reduce_dtype(np.any(a, axis=dims_tuple(dim, a.ndim), keepdims=keepdim), a))


def _logical_reduce_dtype(r, a):
    # PyTorch keeps uint8 for all/any of a uint8 tensor (its old mask dtype); every other dtype gives bool.
    return np.asanyarray(r, np.uint8) if a.dtype == np.uint8 else np.asanyarray(r)  # a meta array stays meta


def count_nonzero(input, dim=None):
    a = input._data
    return out(np.asarray(np.count_nonzero(a, axis=dims_tuple(dim, a.ndim)), np.int64))


# -- sorting ----------------------------------------------------------------------------------------------

@_returns(_rt.sort)
def sort(input, dim=-1, descending=False, stable=False):
    _no_complex("sort", input)
    x = input
    a = x._data
    axis = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return values_indices(x, out(np.array(0, np.int64)))
    if descending:
        idx = _descending_order(a, axis)
    else:
        idx = np.argsort(a, axis=axis, kind="stable")
    return _take_values(x, idx, axis, "SortBackward0")


def _descending_key(a):
    """A key whose ascending order is ``a``'s stable descending order. NaN, last in ascending order, comes
    first, as in PyTorch; unsigned and bool values are widened or inverted, since negating them wraps."""
    return -a if a.dtype.kind in "fi" else ~a if a.dtype.kind == "b" else -a.astype(np.int64)


def _descending_order(a, axis):
    """Indices of ``a``'s stable descending order along ``axis``, NaN first (PyTorch counts NaN as the
    largest value; negating it still sorts it last)."""
    idx = np.argsort(_descending_key(a), axis=axis, kind="stable")
    if a.dtype.kind == "f" and np.isnan(a).any():
        nan_last = ~np.isnan(np.take_along_axis(a, idx, axis=axis))
        idx = np.take_along_axis(idx, np.argsort(nan_last, axis=axis, kind="stable"), axis=axis)
    return idx


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


@_returns(_rt.topk)
def topk(input, k, dim=-1, largest=True, sorted=True):
    _no_complex("topk", input)
    x = input
    a = x._data
    _no_bool("topk", a)
    axis = wrap_dim(dim, a.ndim)
    n = a.shape[axis] if a.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, size of dim {dim} is {n})")
    if a.ndim == 0:
        return values_indices(x, out(np.array(0, np.int64)))
    key = _descending_key(a) if largest else a
    if largest and a.dtype.kind == "f" and np.isnan(a).any():
        idx = np.take(_descending_order(a, axis), np.arange(k), axis=axis)
    elif k < n and k < n // 4:
        part = np.argpartition(key, k - 1, axis=axis)
        part = np.take(part, np.arange(k), axis=axis)
        sub_key = np.take_along_axis(key, part, axis=axis)
        order = np.argsort(sub_key, axis=axis, kind="stable")
        idx = np.take_along_axis(part, order, axis=axis)
    else:
        idx = np.take(np.argsort(key, axis=axis, kind="stable"), np.arange(k), axis=axis)
    return _take_values(x, idx, axis, "TopkBackward0")


@_returns(_rt.kthvalue)
def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest element (1-based ``k``) along ``dim``, with its index."""
    axis = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[axis] if input._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis} (k={k}, size {n}; "
                           f"k counts from 1)")
    if input._data.ndim == 0:
        from .shape import reshape
        return kthvalue(reshape(input, (1,)), k, 0)
    v, i = sort(input, dim)
    from .shape import select
    vv, ii = select(v, axis, k - 1), select(i, axis, k - 1)
    if keepdim:
        from .shape import unsqueeze
        vv, ii = unsqueeze(vv, axis), unsqueeze(ii, axis)
    return values_indices(vv, ii)


@_returns(_rt.median)
def median(input, dim=None, keepdim=False):
    """The lower median (PyTorch's choice for an even count)."""
    x = input
    if x._data.dtype == np.bool_ and x._data.size:
        raise NotImplementedError("median(): not implemented for bool tensors")
    if dim is None:
        from .shape import reshape
        flat = reshape(x, (-1,))
        n = flat._data.shape[0]
        if n == 0:  # PyTorch: NaN for a float tensor, 0 for an integer one
            return out(np.array(np.nan if x._data.dtype.kind == "f" else 0, x._data.dtype))
        return kthvalue(flat, (n + 1) // 2, 0).values
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d] if x._data.ndim else 1
    return kthvalue(x, (n + 1) // 2, dim, keepdim)


def _take_values(x, idx, axis, name):
    a = x._data
    t = out(np.take_along_axis(a, idx, axis=axis))
    if _gm.enabled and x._rg:
        def backward(g):
            from .index import scatter_into_zeros
            return (scatter_into_zeros(g, axis, idx, a.shape),)
        _rec(t, name, backward, (x,))
    return values_indices(t, out(idx.astype(np.int64, copy=False)))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with inverse indices and counts."""
    a = input._data
    res = np.unique(a, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return out(res)
    res = list(res)
    vals = out(res[0])
    rest = [out(np.asarray(r, np.int64).reshape(a.shape if dim is None and k == 0 and return_inverse else -1))
            for k, r in enumerate(res[1:])]
    return (vals, *rest)


# torch.norm and Tensor.norm are Python functions in torch and take neither alias.
numpy_names(globals(), "sum nansum mean nanmean prod amax amin max min argmax argmin var std var_mean std_mean logsumexp "
                       "all any kthvalue median count_nonzero cumsum cumprod sort argsort topk")
