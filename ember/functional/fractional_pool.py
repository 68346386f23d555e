"""Fractional max pooling (Graham, 2014): ``fractional_max_pool2d`` and ``fractional_max_pool3d``.

The output size is not a divisor of the input size: along each dimension the windows of
``kernel_size`` start at pseudo-random, increasing offsets drawn from one uniform sample per
(sample, channel) and dimension (``_random_samples``, shape ``(N, C, 2)`` or ``(N, C, 3)``, drawn
when not given), as PyTorch's ``generate_intervals``: start ``i`` is
``int((i + u) * a) - int(u * a)`` with ``a = (size - k) / (out - 1)``, and the last window ends at
the input's end. Each output is its window's first maximum; the gradient goes to that element.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.arange(25.0).reshape(1, 1, 5, 5)
>>> F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=ember.full((1, 1, 2), 0.5)).shape
ember.Size([1, 1, 3, 3])
"""
import numpy as np

from .. import random as _random
from ..autograd.tensor import make
from ..autograd.ops import reshape, gather, squeeze, unsqueeze

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
           "fractional_max_pool3d_with_indices"]


def _intervals(samples, size, out, k, dtype):
    """Window starts ``(N, C, out)`` for samples ``(N, C)``, computed in the input's dtype as PyTorch."""
    starts = np.empty(samples.shape + (out,), np.int64)
    if out > 1:
        alpha = dtype.type(size - k) / dtype.type(out - 1)
        i = np.arange(out - 1, dtype=dtype)
        u = samples.astype(dtype)[..., None]
        starts[..., :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    if out > 0:
        starts[..., -1] = size - k
    return starts


def _fractional(name, input, kernel_size, output_size, output_ratio, return_indices, samples, nd):
    x, unb = (unsqueeze(input, 0), True) if input._data.ndim == nd + 1 else (input, False)
    if x._data.ndim != nd + 2:
        raise RuntimeError(f"{name}: expected a {nd + 1}D or {nd + 2}D input, got input of size "
                           f"{list(input._data.shape)}")
    k = (kernel_size,) * nd if isinstance(kernel_size, int) else tuple(kernel_size)
    sizes = x._data.shape[2:]
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
        ratio = (output_ratio,) * nd if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
        out = tuple(int(n * r) for n, r in zip(sizes, ratio))
    else:
        out = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    for n, o, ki in zip(sizes, out, k):
        if o + ki - 1 > n:
            raise RuntimeError(f"{name}: output size {out} + kernel size {k} - 1 is too large for the input size "
                               f"{tuple(sizes)}")
    N, C = x._data.shape[:2]
    dtype = x._data.dtype
    if samples is None:
        samples = _random.rand(N, C, nd, dtype=input.dtype)
    u = samples._data
    if u.shape != (N, C, nd):
        raise RuntimeError(f"{name}: expected _random_samples of shape {(N, C, nd)}, got {list(u.shape)}")
    # PyTorch's sample order: (w, h) for 2-D, (t, h, w) for 3-D
    order = [1, 0] if nd == 2 else [0, 1, 2]
    starts = [_intervals(u[..., order[d]], sizes[d], out[d], k[d], dtype) for d in range(nd)]
    # flat positions (N, C, P, K) of every window tap, in scan order
    pos = np.zeros((N, C) + out + k, np.int64)
    for d in range(nd):
        view = [N, C] + [1] * nd + [1] * nd
        view[2 + d] = out[d]
        tap = [1] * (2 + 2 * nd)
        tap[2 + nd + d] = k[d]
        coord = starts[d].reshape(view) + np.arange(k[d]).reshape(tap)
        pos = pos * sizes[d] + coord
    pos = pos.reshape(N, C, -1, int(np.prod(k)))
    vals = np.take_along_axis(x._data.reshape(N, C, -1), pos.reshape(N, C, -1), axis=2).reshape(pos.shape)
    nan = np.isnan(vals)
    best = np.where(nan.any(-1), nan.argmax(-1), vals.argmax(-1))
    idx = np.take_along_axis(pos, best[..., None], -1)[..., 0]
    y = reshape(gather(reshape(x, (N, C, -1)), 2, make(idx)), (N, C) + out)
    ind = make(idx.reshape((N, C) + out))
    if unb:
        y, ind = squeeze(y, 0), squeeze(ind, 0)
    return (y, ind) if return_indices else y


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """2-D fractional max pooling of ``(N, C, H, W)`` to ``output_size`` (or ``output_ratio`` of the input)."""
    return _fractional("fractional_max_pool2d", input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples, 2)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return _fractional("fractional_max_pool2d", input, kernel_size, output_size, output_ratio, True,
                       _random_samples, 2)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """3-D fractional max pooling of ``(N, C, D, H, W)`` to ``output_size`` (or ``output_ratio``)."""
    return _fractional("fractional_max_pool3d", input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples, 3)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return _fractional("fractional_max_pool3d", input, kernel_size, output_size, output_ratio, True,
                       _random_samples, 3)
