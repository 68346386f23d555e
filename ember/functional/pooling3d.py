"""3-D pooling: ``max_pool3d``, ``avg_pool3d``, ``lp_pool3d``, ``adaptive_avg_pool3d``,
``adaptive_max_pool3d`` and ``max_unpool3d``.

A window is a list of flat positions in the (padded) volume, built once in NumPy per
geometry. Max pooling picks each window's first maximum (a NaN wins, as PyTorch) in NumPy
and gathers those positions with a recorded ``gather``, so its gradient goes to the one
winning input (a scatter-add) at any order. Average pooling gathers whole windows, sums
them and divides by PyTorch's divisor. Adaptive average pooling is three small averaging
matrices, one per dimension.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.arange(64.0).reshape(1, 1, 4, 4, 4)
>>> F.max_pool3d(x, 2).flatten().tolist()
[21.0, 23.0, 29.0, 31.0, 53.0, 55.0, 61.0, 63.0]
>>> F.avg_pool3d(x, 4).item()
31.5
"""
import numpy as np

from ..autograd.tensor import make
from ..autograd.ops import (reshape, gather, squeeze, unsqueeze, sum as _sum, div, matmul, transpose,
                            pow as _pow, mul, sign, relu, abs as _abs)
from .padding import pad as _pad
from .pooling import _tuple, _out_size, _divisor_1d, _adaptive_out, _bounds, _average_matrix, _unpool, \
    _default_unpool_size

__all__ = ["max_pool3d", "max_pool3d_with_indices", "avg_pool3d", "lp_pool3d", "adaptive_avg_pool3d",
           "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "max_unpool3d"]


def _batched(name, x):
    n = x._data.ndim
    if n == 5:
        return x, False
    if n == 4:
        return unsqueeze(x, 0), True
    raise RuntimeError(f"{name}: expected a 4D or 5D input (C, D, H, W) or (N, C, D, H, W), got input of size "
                       f"{list(x._data.shape)}")


def _axis_taps(out, k, s, d):
    """``(out, k)`` positions along one padded axis."""
    return np.arange(out)[:, None] * s + np.arange(k)[None, :] * d


def _windows(shape, taps):
    """Flat positions ``(Do*Ho*Wo, kD*kH*kW)`` in a volume of ``shape`` from per-axis taps."""
    (td, th, tw), (_, H, W) = taps, shape
    pos = (td[:, None, None, :, None, None] * H + th[None, :, None, None, :, None]) * W \
        + tw[None, None, :, None, None, :]
    return pos.reshape(td.shape[0] * th.shape[0] * tw.shape[0], -1)


def _pool_geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode):
    k = _tuple(kernel_size, 3, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _tuple(stride, 3, "stride")
    p, d = _tuple(padding, 3, "padding"), _tuple(dilation, 3, "dilation")
    if any(v <= 0 for v in k) or any(v <= 0 for v in s) or any(v <= 0 for v in d):
        raise RuntimeError(f"{name}: kernel_size, stride and dilation must be greater than zero, got "
                           f"kernel_size={k}, stride={s}, dilation={d}")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got pad={p}, "
                           f"kernel_size={k}")
    size = x._data.shape[-3:]
    out = tuple(_out_size(n, ki, si, pi, di, ceil_mode) for n, ki, si, pi, di in zip(size, k, s, p, d))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{name}: given input size {tuple(size)}, the calculated output size {out} is too small")
    # right padding reaching the last window (ceil_mode may read past the symmetric padding)
    right = tuple(max(pi, (o - 1) * si + di * (ki - 1) + 1 - n - pi)
                  for n, o, ki, si, pi, di in zip(size, out, k, s, p, d))
    return k, s, p, d, out, right


def _max_pool3d(name, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unb = _batched(name, input)
    k, s, p, d, out, right = _pool_geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, D, H, W = x._data.shape
    xp = x
    if any(p) or any(r for r in right):
        xp = _pad(x, (p[2], right[2], p[1], right[1], p[0], right[0]), value=-np.inf)
    padded = xp._data.shape[-3:]
    win = _windows(padded, [_axis_taps(o, ki, si, di) for o, ki, si, di in zip(out, k, s, d)])
    flat = xp._data.reshape(N, C, -1)
    vals = flat[:, :, win]                                     # (N, C, P, K)
    nan = np.isnan(vals)
    best = np.where(nan.any(-1), nan.argmax(-1), vals.argmax(-1))
    pos = np.take_along_axis(np.broadcast_to(win, vals.shape), best[..., None], -1)[..., 0]
    y = reshape(gather(reshape(xp, (N, C, -1)), 2, make(pos)), (N, C) + out)
    if not return_indices:
        return squeeze(y, 0) if unb else y
    zd, rem = np.divmod(pos, padded[1] * padded[2])
    zh, zw = np.divmod(rem, padded[2])
    idx = make((((zd - p[0]) * H + (zh - p[1])) * W + (zw - p[2])).reshape((N, C) + out).astype(np.int64))
    return (squeeze(y, 0), squeeze(idx, 0)) if unb else (y, idx)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-D max pooling over ``(N, C, D, H, W)`` (or ``(C, D, H, W)``); ``stride`` defaults to ``kernel_size``.

    Output ``D_out = floor((D + 2 * padding - dilation * (kD - 1) - 1) / stride) + 1`` (ceil with
    ``ceil_mode``, a window starting in the right padding dropped); with ``return_indices`` also the
    flat ``D * H * W`` index of each maximum (for :func:`max_unpool3d`).
    """
    return _max_pool3d("max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_pool3d("max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-D average pooling: each window's sum divided by its size (with ``count_include_pad``, the
    padded zeros count; else only real inputs), or by ``divisor_override``."""
    x, unb = _batched("avg_pool3d", input)
    k, s, p, _, out, right = _pool_geometry("avg_pool3d", x, kernel_size, stride, padding, 1, ceil_mode)
    N, C = x._data.shape[:2]
    xp = _pad(x, (p[2], right[2], p[1], right[1], p[0], right[0])) if any(p) or any(right) else x
    win = _windows(xp._data.shape[-3:], [_axis_taps(o, ki, si, 1) for o, ki, si in zip(out, k, s)])
    flat = reshape(xp, (N, C, -1))
    sums = _sum(reshape(gather(flat, 2, make(np.broadcast_to(win.reshape(1, 1, -1), (N, C, win.size)))),
                        (N, C, win.shape[0], win.shape[1])), -1)
    if divisor_override is not None:
        divisor = float(divisor_override)
    else:
        parts = [_divisor_1d(n, o, ki, si, pi) for n, o, ki, si, pi in zip(x._data.shape[-3:], out, k, s, p)]
        which = 0 if count_include_pad else 1
        dv = np.einsum("i,j,k->ijk", *(part[which] for part in parts)).reshape(-1)
        divisor = make(np.maximum(dv, 1).astype(x._data.dtype))
    y = reshape(div(sums, divisor), (N, C) + out)
    return squeeze(y, 0) if unb else y


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-D power-average pooling: ``(sum over the window of x^p)^(1/p)`` (p = ``norm_type``)."""
    kd, kh, kw = _tuple(kernel_size, 3, "kernel_size")
    y = avg_pool3d(_pow(input, norm_type), (kd, kh, kw), stride, 0, ceil_mode)
    return _pow(mul(mul(sign(y), relu(_abs(y))), kd * kh * kw), 1.0 / norm_type)


def _adaptive_check(name, x):
    if x._data.ndim not in (4, 5) or any(n == 0 for n in x._data.shape[-3:]):
        raise RuntimeError(f"{name}: expected a 4D or 5D input with non-zero sizes in the pooled dimensions, got "
                           f"input of size {list(x._data.shape)}")


def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed ``(D_out, H_out, W_out)``: output ``i`` along a dimension of size ``n``
    averages ``[floor(i * n / n_out), ceil((i + 1) * n / n_out))``; ``None`` keeps that size."""
    _adaptive_check("adaptive_avg_pool3d", input)
    size = input._data.shape[-3:]
    out = _adaptive_out("adaptive_avg_pool3d", output_size, size, 3)
    dt = input._data.dtype
    md, mh, mw = (make(_average_matrix(n, o, dt)) for n, o in zip(size, out))
    y = matmul(input, transpose(mw, 0, 1))                     # (..., D, H, Wo)
    y = matmul(mh, y)                                          # (..., D, Ho, Wo)
    lead = y._data.shape[:-3]
    y = reshape(matmul(md, reshape(y, lead + (size[0], -1))), lead + out)
    return y


def _adaptive_max3d(name, input, output_size, return_indices):
    _adaptive_check(name, input)
    x, unb = _batched(name, input)
    N, C, D, H, W = x._data.shape
    out = _adaptive_out(name, output_size, (D, H, W), 3)
    taps = []
    for n, o in zip((D, H, W), out):
        start, end = _bounds(n, o)
        k = int((end - start).max())
        # a shorter window repeats its last position (harmless for a maximum)
        taps.append(np.minimum(start[:, None] + np.arange(k)[None, :], end[:, None] - 1))
    win = _windows((D, H, W), taps)
    vals = x._data.reshape(N, C, -1)[:, :, win]
    nan = np.isnan(vals)
    best = np.where(nan.any(-1), nan.argmax(-1), vals.argmax(-1))
    pos = np.take_along_axis(np.broadcast_to(win, vals.shape), best[..., None], -1)[..., 0]
    y = reshape(gather(reshape(x, (N, C, -1)), 2, make(pos)), (N, C) + out)
    idx = make(pos.reshape((N, C) + out).astype(np.int64))
    if unb:
        y, idx = squeeze(y, 0), squeeze(idx, 0)
    return (y, idx) if return_indices else y


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed ``(D_out, H_out, W_out)`` over PyTorch's adaptive windows (see
    :func:`adaptive_avg_pool3d`); ``return_indices`` also gives the flat ``D * H * W`` index of each max."""
    return _adaptive_max3d("adaptive_max_pool3d", input, output_size, return_indices)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max3d("adaptive_max_pool3d", input, output_size, True)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool3d`: each value goes to its flat index, the rest is 0.

    The default output size is ``(D - 1) * stride - 2 * padding + kernel_size`` per dimension.
    """
    x, unb = _batched("max_unpool3d", input)
    if tuple(indices._data.shape) != tuple(input._data.shape):
        raise RuntimeError(f"max_unpool3d: expected indices of the input's shape {list(input._data.shape)}, got "
                           f"{list(indices._data.shape)}")
    k = _tuple(kernel_size, 3, "kernel_size")
    s = k if stride is None else _tuple(stride, 3, "stride")
    p = _tuple(padding, 3, "padding")
    default = _default_unpool_size(x._data.shape[-3:], k, s, p)
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in output_size)[-3:]
        for o, dflt, si in zip(out, default, s):
            if not dflt - si < o < dflt + si:
                raise ValueError(f"max_unpool3d: invalid output_size {tuple(output_size)} (it must be between "
                                 f"{tuple(dd - st + 1 for dd, st in zip(default, s))} and "
                                 f"{tuple(dd + st - 1 for dd, st in zip(default, s))})")
    N, C, Di, Hi, Wi = x._data.shape
    idx = indices._data.reshape(N, C, Di * Hi, Wi).astype(np.int64, copy=False)
    y = _unpool(reshape(x, (N, C, Di * Hi, Wi)), idx, (out[0] * out[1], out[2]))
    y = reshape(y, (N, C) + out)
    return squeeze(y, 0) if unb else y
