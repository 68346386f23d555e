"""Resampling: ``interpolate`` (``upsample``), ``pixel_shuffle``, ``pixel_unshuffle``.

Interpolation is separable: each spatial axis is resampled in turn by gathering
input rows along it (``nearest``: one per output; ``linear``: two, mixed by
weights; ``bicubic``: four). The gathers are differentiable ops (their gradient
adds each output's gradient back to the rows it read), so gradients of any order
are exact. Source coordinates follow PyTorch:

* ``align_corners=True``:  ``src = dst * (in - 1) / (out - 1)``;
* ``align_corners=False``: ``src = (dst + 0.5) * scale - 0.5`` (clamped at 0 for linear modes), with
  ``scale = 1 / scale_factor`` when a scale factor is given (and not recomputed), else ``in / out``;
* ``nearest``: ``floor(dst * scale)``; ``nearest-exact``: ``floor((dst + 0.5) * scale)``.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.tensor([[[1.0, 2.0]]])
>>> F.interpolate(x, scale_factor=2)
tensor([[[1., 1., 2., 2.]]])
>>> F.interpolate(x, size=3, mode="linear", align_corners=True)
tensor([[[1.0000, 1.5000, 2.0000]]])
"""
import math
import warnings

import numpy as np

from ..autograd.ops import reshape, permute, mul, add
from ..autograd.tensor import Tensor, _new
from .padding import _take

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle"]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_NDIM = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _const(arr):
    t = _new(Tensor)
    t._data = arr
    return t


def _source_scale(in_size, out_size, align_corners, scale_factor):
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return in_size / out_size


def _antialias_axis(x, axis, out_size, align_corners, scale_factor, cubic):
    # PyTorch's antialias=True: output pixel i averages the input under the triangle (bilinear)
    # or Keys cubic with a = -0.5 (bicubic) filter, centred at scale * (i + 0.5) and stretched
    # by the downscale factor, over the taps [trunc(c - support + 0.5), trunc(c + support + 0.5))
    # kept inside the input, its weights normalised to sum to one. One (out, in) weight matrix
    # per axis, so the gradient is its transpose.
    in_size = x._data.shape[axis]
    scale = _source_scale(in_size, out_size, align_corners, scale_factor)
    stretch = max(scale, 1.0)
    support = (2.0 if cubic else 1.0) * stretch
    center = scale * (np.arange(out_size, dtype=np.float64) + 0.5)[:, None]
    lo = np.maximum(np.trunc(center - support + 0.5), 0)
    hi = np.minimum(np.trunc(center + support + 0.5), in_size)
    taps = np.arange(in_size, dtype=np.float64)[None, :]
    d = np.abs((taps - center + 0.5) / stretch)
    if cubic:
        a = -0.5
        k = np.where(d < 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                     np.where(d < 2, ((a * d - 5 * a) * d + 8 * a) * d - 4 * a, 0.0))
    else:
        k = np.maximum(1.0 - d, 0.0)
    k = np.where((taps >= lo) & (taps < hi), k, 0.0)
    total = k.sum(axis=1, keepdims=True)
    w = np.divide(k, total, out=np.zeros_like(k), where=total != 0).astype(x._data.dtype)
    from ..autograd.ops.linalg import matmul
    moved = permute(x, [i for i in range(x._data.ndim) if i != axis] + [axis])
    y = matmul(moved, _const(np.ascontiguousarray(w.T)))
    back = list(range(x._data.ndim - 1))
    back.insert(axis, x._data.ndim - 1)
    return permute(y, back)


def _nearest_index(in_size, out_size, scale_factor, exact):
    if out_size == in_size:
        return np.arange(out_size)
    scale = np.float32(1.0 / scale_factor if scale_factor else in_size / out_size)
    o = np.arange(out_size, dtype=np.float32)
    src = np.floor(((o + np.float32(0.5)) if exact else o) * scale).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _linear_axis(x, axis, out_size, align_corners, scale_factor):
    in_size = x._data.shape[axis]
    scale = _source_scale(in_size, out_size, align_corners, scale_factor)
    dst = np.arange(out_size, dtype=np.float64)
    src = dst * scale if align_corners else np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = (src - i0).astype(x._data.dtype)
    shape = [1] * x._data.ndim
    shape[axis] = out_size
    w1 = _const(lam.reshape(shape))
    w0 = _const((1 - lam).reshape(shape))
    return add(mul(_take(x, axis, i0, in_size), w0), mul(_take(x, axis, i1, in_size), w1))


def _cubic_weights(t, A=-0.75):
    """Keys' cubic convolution weights of the 4 taps at offsets -1, 0, 1, 2 for fraction ``t``."""
    def near(d):
        return ((A + 2) * d - (A + 3)) * d * d + 1

    def far(d):
        return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A
    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _cubic_axis(x, axis, out_size, align_corners, scale_factor):
    in_size = x._data.shape[axis]
    scale = _source_scale(in_size, out_size, align_corners, scale_factor)
    dst = np.arange(out_size, dtype=np.float64)
    src = dst * scale if align_corners else (dst + 0.5) * scale - 0.5
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    shape = [1] * x._data.ndim
    shape[axis] = out_size
    y = None
    for k, w in enumerate(_cubic_weights(t)):
        idx = np.clip(i0 - 1 + k, 0, in_size - 1)
        term = mul(_take(x, axis, idx, in_size), _const(w.astype(x._data.dtype).reshape(shape)))
        y = term if y is None else add(y, term)
    return y


def _output_size(name, shape, nd, size, scale_factor):
    spatial = shape[-nd:]
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = (int(size),) * nd if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(spatial)} and output size of {list(out)}. Please provide "
                             f"input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             f"format.")
        return out, (None,) * nd
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    sf = (float(scale_factor),) * nd if isinstance(scale_factor, (int, float)) else tuple(float(s) for s in scale_factor)
    if len(sf) != nd:
        raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                         f"with spatial dimensions of {list(spatial)} and scale_factor of shape {list(sf)}. Please "
                         f"provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                         f"format.")
    return tuple(int(math.floor(i * s)) for i, s in zip(spatial, sf)), sf


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dims of ``(N, C, *spatial)`` to ``size`` or ``floor(in * scale_factor)``.

    Args:
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'``/``'bicubic'``
            (4-D), ``'trilinear'`` (5-D) or ``'area'`` (adaptive average pooling).
        align_corners: for the linear and cubic modes, map the corner pixels' centers onto each other
            (default False).
        recompute_scale_factor: compute the coordinate scale from the sizes instead of ``scale_factor``.
        antialias: for ``'bilinear'`` and ``'bicubic'``, average the input under the interpolation
            filter stretched by the downscale factor (PIL's and PyTorch's anti-aliasing; bicubic then
            uses Keys' a = -0.5); when upscaling the filter is not stretched.
    """
    x = input
    a = x._data
    if mode not in _MODES:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {a.ndim}D) for the "
                                  f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise NotImplementedError(f"interpolate: anti-alias option is restricted to bilinear and bicubic modes and "
                                  f"requires a 4-D tensor as input, got mode={mode!r}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if a.ndim not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {a.ndim}D) for the "
                                  f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    nd = a.ndim - 2
    if mode in _NDIM and _NDIM[mode] != nd:
        raise NotImplementedError(f"Got {a.ndim}D input, but {mode} mode needs {_NDIM[mode] + 2}D input")
    out, sf = _output_size("interpolate", a.shape, nd, size, scale_factor)
    if any(o <= 0 for o in out):
        raise RuntimeError(f"interpolate: input size {list(a.shape[2:])} and the requested output size {list(out)} "
                           f"must both be greater than 0")
    if recompute_scale_factor:
        sf = (None,) * nd
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
        if nd == 1:
            return adaptive_avg_pool1d(x, out)
        if nd == 2:
            return adaptive_avg_pool2d(x, out)
        raise NotImplementedError("interpolate: mode='area' supports 3-D and 4-D inputs")
    if a.dtype.kind != "f" and mode != "nearest":
        raise RuntimeError(f"interpolate: mode={mode!r} expects a floating point input, got {x.dtype}")
    y = x
    for k in range(nd):
        axis = 2 + k
        in_size = a.shape[axis]
        if antialias:
            y = _antialias_axis(y, axis, out[k], align_corners, sf[k], mode == "bicubic")
        elif mode in ("nearest", "nearest-exact"):
            if out[k] != in_size:
                y = _take(y, axis, _nearest_index(in_size, out[k], sf[k], mode == "nearest-exact"), in_size)
        elif mode == "bicubic":
            y = _cubic_axis(y, axis, out[k], align_corners, sf[k])
        else:
            y = _linear_axis(y, axis, out[k], align_corners, sf[k])
    if y is x:
        y = mul(x, 1) if x._data.dtype.kind == "f" else _const(x._data.copy())
    return y


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (kept for old code)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)`` (sub-pixel convolution's upsampling).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pixel_shuffle(ember.arange(4.0).reshape(1, 4, 1, 1), 2)
    tensor([[[[0., 1.],
              [2., 3.]]]])
    """
    a = input._data
    r = int(upscale_factor)
    if a.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {a.ndim} "
                           f"dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    C, H, W = a.shape[-3:]
    if C % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={C} is not divisible by {r * r}")
    lead = a.shape[:-3]
    n = len(lead)
    y = reshape(input, lead + (C // (r * r), r, r, H, W))
    y = permute(y, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return reshape(y, lead + (C // (r * r), H * r, W * r))


def pixel_unshuffle(input, downscale_factor):
    """Rearrange ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)``: the inverse of :func:`pixel_shuffle`."""
    a = input._data
    r = int(downscale_factor)
    if a.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{a.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    C, H, W = a.shape[-3:]
    if H % r or W % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by downscale_factor, but input "
                           f"of size [{H}, {W}] is not divisible by {r}")
    lead = a.shape[:-3]
    n = len(lead)
    y = reshape(input, lead + (C, H // r, r, W // r, r))
    y = permute(y, tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return reshape(y, lead + (C * r * r, H // r, W // r))
