"""Scans and differences along a dim: cummax, cummin, logcumsumexp, diff, trapezoid, cumulative_trapezoid.

``cummax``/``cummin`` return ``(values, indices)``; a tie or a NaN moves the index to the
newest position, as PyTorch does, and the gradient goes to the element each output came from.
``logcumsumexp`` is ``log(cumsum(exp(x)))`` computed with ``np.logaddexp.accumulate`` so it
neither overflows nor underflows.

>>> import ember
>>> ember.cummax(ember.tensor([1.0, 3.0, 2.0]), 0).values
tensor([1., 3., 3.])
"""
__all__ = ["cummax", "cummin", "logcumsumexp", "diff", "trapezoid", "trapz", "cumulative_trapezoid"]

import numpy as np

from .. import return_types as _rt
from .. import grad_mode
from ..node import record as _rec
from ._util import out, wrap_dim, numpy_names
from .elementwise import add, sub, mul, div, exp, log, where

_gm = grad_mode.state

cummax_result = _rt.cummax
cummin_result = _rt.cummin


def _cum_extreme(x, dim, is_max, name):
    from .index import scatter_into_zeros
    a = x._data
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return out(a.copy()), out(np.zeros((), np.int64))
    acc = np.maximum if is_max else np.minimum
    vals = acc.accumulate(a, axis=d) if a.size else a.copy()
    pos = np.arange(a.shape[d]).reshape((-1,) + (1,) * (a.ndim - d - 1))
    hit = a == vals
    if a.dtype.kind == "f":
        hit |= np.isnan(a)
    idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=d) if a.size else np.zeros(a.shape, np.int64)
    idx = idx.astype(np.int64)
    t = out(vals)
    if _gm.enabled and x._rg:
        shape = a.shape
        _rec(t, name, lambda g: (scatter_into_zeros(g, d, idx, shape),), (x,))
    return t, out(idx)


def cummax(input, dim):
    """Running maximum along ``dim``: ``values[i] = max(x[:i+1])`` and the index it came from."""
    return cummax_result(*_cum_extreme(input, dim, True, "CummaxBackward0"))


def cummin(input, dim):
    """Running minimum along ``dim``: ``values[i] = min(x[:i+1])`` and the index it came from."""
    return cummin_result(*_cum_extreme(input, dim, False, "CumminBackward0"))


def _rev_logcumsumexp(z, d):
    from .shape import flip
    return flip(logcumsumexp(flip(z, (d,)), d), (d,))


def logcumsumexp(input, dim):
    """``y[i] = log(sum_{j<=i} exp(x[j]))`` along ``dim``.

    The gradient ``sum_{j>=i} g[j] exp(x[i] - y[j])`` is taken in log space, split by the
    sign of ``g`` so that it stays finite for large inputs.
    """
    x = input
    a = x._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"logcumsumexp(): expected a floating point input, got {x.dtype}")
    d = wrap_dim(dim, a.ndim)
    t = out(np.logaddexp.accumulate(a, axis=d) if a.ndim and a.size else a.copy())
    if _gm.enabled and x._rg:
        def backward(g):
            if a.ndim == 0:
                return (g,)
            with np.errstate(divide="ignore"):
                pos = where(g > 0, g, 0.0)
                neg = where(g < 0, -g, 0.0)
                gp = exp(add(x, _rev_logcumsumexp(sub(log(pos), t), d)))
                gn = exp(add(x, _rev_logcumsumexp(sub(log(neg), t), d)))
            return (sub(gp, gn),)
        _rec(t, "LogcumsumexpBackward0", backward, (x,), (x, t))
    return t


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference ``x[i+1] - x[i]`` along ``dim`` (after adding ``prepend``/``append``)."""
    from .shape import cat, narrow, expand
    x = input
    if x._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = wrap_dim(dim, x._data.ndim)
    def part(extra):
        if not hasattr(extra, "_data"):
            extra = out(np.asarray(extra, x._data.dtype))
        if extra._data.ndim == 0:
            shape = list(x._data.shape)
            shape[d] = 1
            extra = expand(extra, tuple(shape))
        return extra
    if prepend is not None or append is not None:
        x = cat(([part(prepend)] if prepend is not None else []) + [x] +
                ([part(append)] if append is not None else []), d)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    for _ in range(n):
        m = x._data.shape[d]
        if m == 0:
            break
        hi, lo = narrow(x, d, 1, m - 1), narrow(x, d, 0, m - 1)
        x = (hi != lo) if x._data.dtype == np.bool_ else sub(hi, lo)   # bool: logical_xor, as in PyTorch
    return x


def _trapz_parts(y, x, dx, dim):
    from .shape import narrow
    d = wrap_dim(dim, y._data.ndim)
    m = y._data.shape[d]
    if m == 0:
        return None, d
    avg = div(add(narrow(y, d, 1, m - 1), narrow(y, d, 0, m - 1)), 2.0)
    if x is None:
        return mul(avg, 1.0 if dx is None else dx), d
    if not hasattr(x, "_data"):
        raise TypeError(f"trapezoid(): x must be a Tensor, got {type(x).__name__}")
    if x._data.ndim == 1:
        if x._data.shape[0] != m:
            raise RuntimeError(f"trapezoid: There must be one `x` value for each sample point (x has "
                               f"{x._data.shape[0]}, y has {m} along dim {d})")
        shape = [1] * y._data.ndim
        shape[d] = -1
        from .shape import reshape
        x = reshape(x, tuple(shape))
        return mul(avg, diff(x, dim=d)), d
    return mul(avg, diff(x, dim=dim)), d


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along ``dim``: ``sum((y[i+1] + y[i]) / 2 * (x[i+1] - x[i]))`` (spacing ``dx`` if no x)."""
    from .reduce import sum as _sum
    if x is not None and not hasattr(x, "_data"):
        dx, x = x, None
    parts, d = _trapz_parts(y, x, dx, dim)
    if parts is None:
        shape = y._data.shape[:d] + y._data.shape[d + 1:]
        return out(np.zeros(shape, y._data.dtype))
    return _sum(parts, d)


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral along ``dim``: one value fewer than ``y`` along it."""
    from .reduce import cumsum
    if x is not None and not hasattr(x, "_data"):
        dx, x = x, None
    parts, d = _trapz_parts(y, x, dx, dim)
    if parts is None:
        return out(y._data.copy())
    return cumsum(parts, d)


numpy_names(globals(), "logcumsumexp cummax cummin diff")
