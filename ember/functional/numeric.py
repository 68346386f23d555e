"""Numerical helpers of the torch namespace: ``gradient``, ``segment_reduce``, ``histogramdd`` and
``binomial``.

* ``gradient(f, spacing=1, dim=None, edge_order=1)``: the derivative of samples ``f`` along each
  dim by second-order central differences inside and one-sided differences (first or second
  order) at the edges; ``spacing`` a scalar, one scalar per dim, or one coordinate tensor per dim
  (uneven samples). Differentiable in ``f``.
* ``segment_reduce(data, reduce, lengths=... | offsets=..., axis=0, initial=None)``: ``sum``,
  ``mean``, ``max``, ``min`` or ``prod`` of consecutive segments along ``axis`` (``initial``
  joins every segment; an empty segment gives ``initial`` or the reduction's identity, NaN for
  mean). Differentiable in ``data``.
* ``histogramdd(input, bins, range=None, weight=None, density=False)``: counts of the ``D``-dim
  points ``input[..., :]`` in a grid of bins, with the bin edges of each dim.
* ``binomial(count, prob, generator=None)``: draws of Binomial(count, prob), elementwise.
* ``hash_tensor(input, dim=None, keepdim=False, mode=0)``: the xor of the elements' 64-bit patterns
  (floats as float64, integers as int64), a ``uint64`` per reduced row.

>>> import ember
>>> gradient(ember.tensor([1.0, 4.0, 9.0, 16.0]))
(tensor([3., 4., 6., 7.]),)
"""
import numpy as np

from ..autograd.ops import add, amax, amin, cat, div, mul, narrow, prod, stack, sub, sum as _sum
from ..autograd.tensor_extras import hash_tensor  # noqa: F401  (a Tensor method too)
from ..autograd import return_types as _rt
from ..creation import full, tensor as _tensor

__all__ = ["gradient", "segment_reduce", "histogramdd", "binomial", "hash_tensor"]


def _const(values, like):
    return _tensor(np.asarray(values, dtype=like._data.dtype))


def _along(c, dim, ndim):
    """Shape a 1-d coefficient array to broadcast along ``dim``."""
    shape = [1] * ndim
    shape[dim] = -1
    return np.reshape(c, shape)


def _gradient_1d(f, dim, h, edge_order):
    """Derivative along ``dim`` from samples at spacing ``h`` (a float) or coordinates ``h`` (1-d array)."""
    n = f.shape[dim]
    if n < edge_order + 1:
        raise RuntimeError(f"torch.gradient expected each dimension size to be at least edge_order+1, got size "
                           f"{n} along dim {dim} with edge_order={edge_order}")
    nd = f.ndim

    def sl(start, length):
        return narrow(f, dim, start, length)
    if np.ndim(h) == 0:
        dx = np.full(n - 1, float(h))
    else:
        coords = np.asarray(h, dtype=np.float64)
        if coords.shape != (n,):
            raise RuntimeError(f"torch.gradient expected the coordinates along dim {dim} to have {n} elements, got "
                               f"{coords.shape}")
        dx = np.diff(coords)
    dt = f._data.dtype
    d1, d2 = dx[:-1], dx[1:]
    a = -d2 / (d1 * (d1 + d2))
    b = (d2 - d1) / (d1 * d2)
    c = d1 / (d2 * (d1 + d2))
    inner = add(add(mul(sl(0, n - 2), _tensor(_along(a, dim, nd).astype(dt))),
                    mul(sl(1, n - 2), _tensor(_along(b, dim, nd).astype(dt)))),
                mul(sl(2, n - 2), _tensor(_along(c, dim, nd).astype(dt))))
    if edge_order == 1:
        first = div(sub(sl(1, 1), sl(0, 1)), float(dx[0]))
        last = div(sub(sl(n - 1, 1), sl(n - 2, 1)), float(dx[-1]))
    else:
        h1, h2 = dx[0], dx[1]
        ca, cb, cc = -(2 * h1 + h2) / (h1 * (h1 + h2)), (h1 + h2) / (h1 * h2), -h1 / (h2 * (h1 + h2))
        first = add(add(mul(sl(0, 1), float(ca)), mul(sl(1, 1), float(cb))), mul(sl(2, 1), float(cc)))
        h1, h2 = dx[-2], dx[-1]
        ca, cb, cc = h2 / (h1 * (h1 + h2)), -(h2 + h1) / (h1 * h2), (2 * h2 + h1) / (h2 * (h1 + h2))
        last = add(add(mul(sl(n - 3, 1), float(ca)), mul(sl(n - 2, 1), float(cb))), mul(sl(n - 1, 1), float(cc)))
    return cat([first, inner, last], dim)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimate the derivative of ``input`` along ``dim`` (all dims by default); a tuple, one per dim."""
    if edge_order not in (1, 2):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order}")
    if input._data.dtype.kind not in "fc":
        input = input.float()
    if dim is None:
        dims = list(range(input.ndim))
    elif isinstance(dim, int):
        dims = [dim]
    else:
        dims = list(dim)
    dims = [d % input.ndim for d in dims]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or a list of length "
                               f"{len(dims)}, but got a list of length {len(spacing)}")
        steps = [s._data if hasattr(s, "_data") else s for s in spacing]
    else:
        steps = [spacing._data if hasattr(spacing, "_data") else spacing] * len(dims)
    return tuple(_gradient_1d(input, d, h, edge_order) for d, h in zip(dims, steps))


_IDENTITY = {"sum": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf, "mean": np.nan}


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    """Reduce consecutive segments of ``data`` along ``axis`` (segment sizes from ``lengths`` or
    ``offsets``; for ``data`` of more dims, ``lengths`` may carry the leading dims)."""
    if reduce not in _IDENTITY:
        raise RuntimeError(f"segment_reduce: reduce must be one of {sorted(_IDENTITY)}, got {reduce!r}")
    if indices is not None:
        raise RuntimeError("segment_reduce: indices are not supported yet (PyTorch neither); give lengths or offsets")
    if (lengths is None) == (offsets is None):
        raise RuntimeError("segment_reduce: give exactly one of lengths or offsets")
    axis %= data.ndim
    lens = np.diff(offsets._data, axis=-1) if offsets is not None else np.asarray(lengths._data)
    if lens.ndim > 1:
        # lengths per leading index: reduce each leading slice on its own.
        return stack([segment_reduce(data.select(0, i), reduce, lengths=_tensor(lens[i]), axis=axis - 1,
                                     initial=initial) for i in range(lens.shape[0])], 0)
    if not unsafe and (lens < 0).any() or int(lens.sum()) != data.shape[axis]:
        raise RuntimeError(f"segment_reduce: segment lengths {lens.tolist()} must be non-negative and sum to "
                           f"data.size({axis}) = {data.shape[axis]}")
    out, start = [], 0
    fill_shape = tuple(s for d, s in enumerate(data.shape) if d != axis)
    for n in lens.tolist():
        seg = narrow(data, axis, start, n)
        start += n
        if n == 0:
            value = _IDENTITY[reduce] if initial is None else initial
            out.append(full(fill_shape, value, dtype=data.dtype))
            continue
        if reduce == "sum" or reduce == "mean":
            r = _sum(seg, axis)
            if initial is not None:
                r = add(r, initial)
            if reduce == "mean":
                r = div(r, n)
        elif reduce == "prod":
            r = prod(seg, axis)
            if initial is not None:
                r = mul(r, initial)
        else:
            r = (amax if reduce == "max" else amin)(seg, axis)
            if initial is not None:
                bound = full(fill_shape, initial, dtype=data.dtype)
                r = amax(stack([r, bound], 0), 0) if reduce == "max" else amin(stack([r, bound], 0), 0)
        out.append(r)
    return stack(out, axis)


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)`` of the points in ``input`` (``(..., D)``): ``bins`` an int, one int per
    dim, or one edge tensor per dim; ``range`` ``[lo_0, hi_0, lo_1, hi_1, ...]``."""
    x = input._data
    D = x.shape[-1]
    points = x.reshape(-1, D)
    if isinstance(bins, int):
        np_bins = [bins] * D
    else:
        np_bins = [b._data if hasattr(b, "_data") else b for b in bins]
        if len(np_bins) != D:
            raise RuntimeError(f"histogramdd: expected {D} bin specifications for {D}-d points, got {len(np_bins)}")
    np_range = None
    if range is not None:
        if len(range) != 2 * D:
            raise RuntimeError(f"histogramdd: range should have {2 * D} elements, but got {len(range)}")
        np_range = [(range[2 * i], range[2 * i + 1]) for i in np.arange(D)]
    w = None if weight is None else weight._data.reshape(-1)
    if np_range is None and points.shape[0] == 0:
        np_range = [(0.0, 1.0)] * D
    hist, edges = np.histogramdd(points.astype(np.float64), bins=np_bins, range=np_range, weights=w, density=density)
    dt = x.dtype
    return _rt.histogramdd(_tensor(hist.astype(dt)), tuple(_tensor(e.astype(dt)) for e in edges))


def binomial(count, prob, generator=None):
    """Samples of Binomial(count, prob), one per element (a float tensor of ``count``'s dtype), drawn as torch's
    CPU kernel does (:func:`ember.random._binomial_values`), so a seeded program gets torch's counts."""
    if count._data.shape != prob._data.shape:
        raise RuntimeError(f"binomial: count {tuple(count.shape)} and prob {tuple(prob.shape)} must have the same "
                           "shape")
    p = prob._data
    if ((p < 0) | (p > 1)).any():
        raise RuntimeError("binomial: prob must be in [0, 1]")
    from ..random import _binomial_values, _gen
    draws = _binomial_values(_gen(generator), count._data, p, single=count._data.dtype == np.float32)
    return _tensor(draws.astype(count._data.dtype))

