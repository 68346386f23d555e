"""Pooling: max, average, adaptive, power-average (LP) pooling and max unpooling, in 1-D and 2-D.

A pooling window of ``kh x kw`` taps is read as ``kh * kw`` strided views of the
(padded) input, one per tap, each the size of the output; a pooled value is the
elementwise max or sum over those views. No window array is ever materialised,
so a 2x2 max pool costs three ``np.maximum`` passes over quarter-size views.

Max pooling remembers, per output, which tap won (the first maximum in window
order, or a NaN, as PyTorch) as a ``uint8`` code; the backward pass writes the
gradient through the same views (``kh * kw`` masked writes, no ``np.add.at``).
Average pooling's backward is its adjoint: the gradient divided by each window's
divisor, added back through the views.

Gradients of every order are exact: each op's gradient is itself a recorded op
(max pooling's is a scatter to the winning positions, whose gradient is a gather
from them; average pooling's adjoint has average pooling as its own gradient).

1-D ops are the 2-D ops on inputs of height 1.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.arange(16.0).reshape(1, 1, 4, 4)
>>> F.max_pool2d(x, 2)
tensor([[[[ 5.,  7.],
          [13., 15.]]]])
>>> F.avg_pool2d(x, 2)
tensor([[[[ 2.5000,  4.5000],
          [10.5000, 12.5000]]]])
"""
import numpy as np

from ..autograd import grad_mode
from ..autograd.node import Node
from ..autograd.tensor import Tensor, _new
from ..autograd.ops.conversion import in_float32
from ..autograd.ops import (squeeze, unsqueeze, mean, matmul, pow as _pow, mul, sign, relu, abs as _abs)
from ..backend import parallel as _parallel
from ..backend import meta as _meta
from ..backend.meta import MetaArray as _MetaArray
from ..backend.half import to_half

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool1d", "max_unpool2d", "lp_pool1d", "lp_pool2d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices"]

_gm = grad_mode.state
# Below this many input elements a pooling pass stays on one thread.
_PARALLEL_MIN = 200_000


def _wrap(arr):
    t = _new(Tensor)
    t._data = arr
    return t


def _record(t, name, fn, inputs, saved=()):
    t.grad_fn = Node(name, fn, inputs, saved)
    t._rg = True
    return t


def _tuple(v, n, name):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {v}")
    return v


# -- geometry ------------------------------------------------------------------------------------------

def _out_size(size, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff + ((s - 1) if ceil_mode else 0)
    out = num // s + 1
    # A window may start in the right padding only if it starts inside the input or left padding.
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class PoolGeom:
    """Windows of ``kh x kw`` taps (stride, padding, dilation) over an (N, C, H, W) input."""

    __slots__ = ("N", "C", "H", "W", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "Ho", "Wo", "Hp", "Wp",
                 "overlap")

    def __init__(self, shape, kernel, stride, padding, dilation, ceil_mode, out_hw=None):
        self.N, self.C, self.H, self.W = shape
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.ph, self.pw = padding
        self.dh, self.dw = dilation
        if out_hw is None:
            out_hw = (_out_size(self.H, self.kh, self.sh, self.ph, self.dh, ceil_mode),
                      _out_size(self.W, self.kw, self.sw, self.pw, self.dw, ceil_mode))
        self.Ho, self.Wo = out_hw
        # The padded extent every window fits in (ceil mode may reach past the right padding).
        self.Hp = max(self.H + self.ph, (self.Ho - 1) * self.sh + self.dh * (self.kh - 1) + 1 - self.ph) + self.ph
        self.Wp = max(self.W + self.pw, (self.Wo - 1) * self.sw + self.dw * (self.kw - 1) + 1 - self.pw) + self.pw
        self.overlap = self.sh < self.dh * (self.kh - 1) + 1 or self.sw < self.dw * (self.kw - 1) + 1

    @property
    def needs_pad(self):
        return self.ph or self.pw or self.Hp > self.H or self.Wp > self.W

    def pad(self, x, fill):
        if not self.needs_pad:
            return x
        xp = np.full((x.shape[0], self.C, self.Hp, self.Wp), fill, x.dtype)
        xp[:, :, self.ph:self.ph + self.H, self.pw:self.pw + self.W] = x
        return xp

    def crop(self, xp):
        if not self.needs_pad:
            return xp
        return np.ascontiguousarray(xp[:, :, self.ph:self.ph + self.H, self.pw:self.pw + self.W])

    def views(self, xp):
        """One (N, C, Ho, Wo) strided view of the padded array per tap, in window (row-major) order."""
        hs, ws = (self.Ho - 1) * self.sh + 1, (self.Wo - 1) * self.sw + 1
        return [xp[:, :, i * self.dh:i * self.dh + hs:self.sh, j * self.dw:j * self.dw + ws:self.sw]
                for i in range(self.kh) for j in range(self.kw)]

    def tap_offsets(self):
        """Each tap's offset in the flat (H * W) input plane, for PyTorch's indices."""
        return np.array([i * self.dh * self.W + j * self.dw for i in range(self.kh) for j in range(self.kw)],
                        np.int64)

    def plane_index(self, tap):
        """Flat (h * W + w) input index of each output's winning tap, as PyTorch's ``return_indices``."""
        base = ((np.arange(self.Ho, dtype=np.int64) * self.sh - self.ph)[:, None] * self.W
                + (np.arange(self.Wo, dtype=np.int64) * self.sw - self.pw)[None, :])
        return base + self.tap_offsets()[tap]


def _pool_args(name, input, kernel_size, stride, padding, dilation, nd):
    x = input
    n = x._data.ndim
    if n not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: expected a {nd + 1}D (unbatched) or {nd + 2}D (batched) input, got input of "
                           f"size {list(x._data.shape)}")
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    d = _tuple(dilation, nd, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got {k}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{name}: stride must be greater than zero, but got {s}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{name}: dilation must be greater than zero, but got {d}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"{name}: padding must be non-negative, but got {p}")
    return k, s, p, d


def _as4d(x, nd):
    """Return the input as (N, C, H, W), and a function that turns a 4-D result back."""
    n = x._data.ndim
    if nd == 2:
        if n == 4:
            return x, lambda t: t
        return unsqueeze(x, 0), lambda t: squeeze(t, 0)
    if n == 3:
        return unsqueeze(x, 2), lambda t: squeeze(t, 2)
    return unsqueeze(unsqueeze(x, 0), 2), lambda t: squeeze(squeeze(t, 2), 0)


def _to2(v, nd, fill):
    return (fill,) + v if nd == 1 else v


def _check_output(name, geo, nd):
    if geo.Ho <= 0 or geo.Wo <= 0:
        ins = f"{geo.C}x{geo.H}x{geo.W}" if nd == 2 else f"{geo.C}x{geo.W}"
        outs = f"{geo.C}x{geo.Ho}x{geo.Wo}" if nd == 2 else f"{geo.C}x{geo.Wo}"
        raise RuntimeError(f"{name}: given input size ({ins}), calculated output size ({outs}) is too small")


# -- plane gather / scatter (the gradients of max pooling and unpooling, for higher orders) ------------

def _plane_gather(x, idx):
    """``y[n, c, k] = x[n, c].flat[idx[n, c, k]]``; idx (N, C, *out) int64."""
    N, C = x._data.shape[:2]
    a = x._data.reshape(N, C, -1)
    y = _wrap(np.take_along_axis(a, idx.reshape(N, C, -1), axis=2).reshape(idx.shape))
    if _gm.enabled and x._rg:
        shape = x._data.shape
        _record(y, "GatherBackward0", lambda g: (_plane_scatter_add(g, idx, shape),), (x,))
    return y


def _plane_scatter_add(g, idx, shape):
    """The adjoint of :func:`_plane_gather`: zeros of ``shape`` with ``g`` added at ``idx`` of each plane."""
    N, C = shape[:2]
    hw = int(np.prod(shape[2:]))
    flat = (np.arange(N * C, dtype=np.int64).reshape(N, C, 1) * hw + idx.reshape(N, C, -1)).ravel()
    r = np.bincount(flat, weights=g._data.ravel(), minlength=N * C * hw)
    y = _wrap(r.astype(g._data.dtype, copy=False).reshape(shape))
    if _gm.enabled and g._rg:
        _record(y, "ScatterAddBackward0", lambda gg: (_plane_gather(gg, idx),), (g,))
    return y


# -- max pooling ---------------------------------------------------------------------------------------

def _max_taps(views, need_idx, m, idx):
    """Write the elementwise max over the tap views into ``m`` and, if asked, the first winning tap into
    ``idx`` (NaN wins, as PyTorch).

    Selections are uint8 arithmetic (``b + c * (a - b)``): NumPy's ``where`` is several times slower.
    """
    if len(views) == 1:
        np.copyto(m, views[0])
        if need_idx:
            idx[...] = 0
        return
    if len(views) == 4 and need_idx:
        v0, v1, v2, v3 = views
        m01 = np.maximum(v0, v1)
        m23 = np.maximum(v2, v3)
        np.maximum(m01, m23, out=m)
        lo = (v1 > v0).view(np.uint8)
        hi = (v3 > v2).view(np.uint8) + np.uint8(2)
        np.add(lo, (m23 > m01).view(np.uint8) * (hi - lo), out=idx)
        if m.dtype.kind == "f" and np.isnan(m).any():
            idx[...] = _nan_aware_idx(views)
        return
    np.maximum(views[0], views[1], out=m)
    for v in views[2:]:
        np.maximum(m, v, out=m)
    if not need_idx:
        return
    if m.dtype.kind == "f" and np.isnan(m).any():
        idx[...] = _nan_aware_idx(views)
        return
    cur = np.maximum(views[0], views[1])
    np.copyto(idx, (views[1] > views[0]).view(np.uint8))
    for t, v in enumerate(views[2:], 2):
        upd = (v > cur).view(np.uint8)
        np.maximum(cur, v, out=cur)
        idx += upd * (np.uint8(t) - idx)


def _nan_aware_idx(views):
    cur = views[0].copy()
    idx = np.zeros(cur.shape, np.uint8)
    for t, v in enumerate(views[1:], 1):
        upd = (v > cur) | np.isnan(v)
        np.copyto(cur, v, where=upd)
        np.copyto(idx, t, where=upd)
    return idx


def _max_scatter(g, tap, geo, dx):
    """dx of max pooling: each output's gradient written to its winning tap's input position. Where windows
    overlap the taps go last to first: an input position then takes its outputs' gradients in their row-major
    order, as PyTorch adds them (which matters for float16, added in float16)."""
    dxp = np.zeros((g.shape[0], geo.C, geo.Hp, geo.Wp), g.dtype) if geo.needs_pad else dx
    if not geo.needs_pad:
        dxp[...] = 0
    views = list(enumerate(geo.views(dxp)))
    for t, dv in (reversed(views) if geo.overlap else views):
        if geo.overlap:
            dv += g * (tap == t)
        else:
            np.multiply(g, tap == t, out=dv)
    if geo.needs_pad:
        dx[...] = dxp[:, :, geo.ph:geo.ph + geo.H, geo.pw:geo.pw + geo.W]


def _tiles(geo):
    """True when the windows tile the input without overlap or padding (e.g. 2x2, stride 2)."""
    return (not geo.needs_pad and geo.sh == geo.kh and geo.sw == geo.kw and geo.dh == 1 and geo.dw == 1
            and geo.kh * geo.kw > 1)


def _tile_taps(a, geo):
    """Per tap (i, j), the (n, C, Ho, Wo) strided view of the tiled part of ``a``."""
    g = geo
    a6 = a[:, :, :g.Ho * g.kh, :g.Wo * g.kw].reshape(a.shape[0], g.C, g.Ho, g.kh, g.Wo, g.kw)
    return [a6[:, :, :, i, :, j] for i in range(g.kh) for j in range(g.kw)]


def _pieces(n, work):
    """Batch ranges for the threads: several only when there is enough work to share."""
    return _parallel.split(n, _parallel.workers() if n > 1 and work >= _PARALLEL_MIN else 1)


def _max_pool_slice(a, g, tiled, need_idx, fill, m, tap, n0, n1):
    xs = a[n0:n1]
    t = tap[n0:n1] if need_idx else None
    if tiled:
        # Tiled windows: copy the taps apart (one copy per tap; NumPy picks a slow loop order for one
        # permuted copy) so that every later pass runs on contiguous arrays: NumPy's strided loops over
        # short rows cost several times more than the copy.
        _max_taps([v.copy() for v in _tile_taps(xs, g)], True, m[n0:n1], t)
    else:
        _max_taps(g.views(g.pad(xs, fill)), need_idx, m[n0:n1], t)


def _max_scatter_slice(gy, tap, g, tiled, dx, n0, n1):
    if not tiled:
        _max_scatter(gy[n0:n1], tap[n0:n1], g, dx[n0:n1])
        return
    d = dx[n0:n1]
    if not (g.H == g.Ho * g.kh and g.W == g.Wo * g.kw):
        d[...] = 0
    gs, ts = gy[n0:n1], tap[n0:n1]
    part = np.empty(gs.shape, gs.dtype)
    for t, dv in enumerate(_tile_taps(d, g)):
        np.multiply(gs, ts == t, out=part)
        np.copyto(dv, part)


def _meta_pool(x, shape, return_indices, node):
    """A pooling's (output, indices or None) for a meta input ``x``; the gradient is meta too."""
    y = _wrap(_meta.empty(shape, x._data.dtype))
    if _gm.enabled and x._rg:
        _record(y, node, lambda g: (_wrap(_meta.like(x._data)),), (x,))
    return y, (_wrap(_meta.empty(shape, np.int64)) if return_indices else None)


def _max_pool(x, geo, return_indices):
    """Max pooling on a planned (4-D) geometry; returns (y, indices or None)."""
    a = x._data
    g = geo
    if type(a) is _MetaArray:  # the meta device: the shapes, no values
        return _meta_pool(x, (g.N, g.C, g.Ho, g.Wo), return_indices, "MaxPool2DWithIndicesBackward0")
    half = a.dtype.char == "e"
    if half:  # float16: pooled in float32 (the same values; NumPy's float16 max and compares are ~30x slower)
        a = a.astype(np.float32)
    fill = -np.inf if a.dtype.kind in "fV" else np.iinfo(a.dtype).min  # "V": bfloat16
    need_grad = _gm.enabled and x._rg
    need_idx = need_grad or return_indices
    tiled = bool(need_idx and _tiles(g) and a.size)
    m = np.empty((g.N, g.C, g.Ho, g.Wo), a.dtype)
    tap = np.empty(m.shape, np.uint8) if need_idx else None
    pieces = _pieces(g.N, a.size)
    _parallel.run(_max_pool_slice, [(a, g, tiled, need_idx, fill, m, tap, n0, n1) for n0, n1 in pieces])
    y = _wrap(m.astype(np.float16) if half else m)
    idx = g.plane_index(tap) if return_indices else None
    if need_grad:
        def backward(gy):
            if _gm.enabled:
                return (_plane_scatter_add(gy, g.plane_index(tap), a.shape),)
            gd = gy._data
            if half and gd.dtype.char == "e" and (tiled or not g.overlap):
                gd = gd.astype(np.float32)  # overlapping windows: float16 sums, as PyTorch's
            dx = np.empty(a.shape, gd.dtype)
            _parallel.run(_max_scatter_slice, [(gd, tap, g, tiled, dx, n0, n1) for n0, n1 in pieces])
            return (_wrap(to_half(dx) if dx.dtype.char == "f" and half else dx),)
        _record(y, "MaxPool2DWithIndicesBackward0", backward, (x,), (x,))
    return y, (None if idx is None else _wrap(idx))


def _max_pool_nd(name, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd):
    k, s, p, d = _pool_args(name, input, kernel_size, stride, padding, dilation, nd)
    for pi, ki, di in zip(p, k, d):
        if pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got pad={pi}, "
                               f"kernel_size={ki} and dilation={di}")
    x, back = _as4d(input, nd)
    geo = PoolGeom(x._data.shape, _to2(k, nd, 1), _to2(s, nd, 1), _to2(p, nd, 0), _to2(d, nd, 1), ceil_mode)
    _check_output(name, geo, nd)
    y, idx = _max_pool(x, geo, return_indices)
    if return_indices:
        return back(y), back(idx)
    return back(y)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)``.

    Args:
        kernel_size: window size, int or (kH, kW).
        stride: window step (default: ``kernel_size``).
        padding: implicit ``-inf`` border on each side (at most half the effective kernel size).
        dilation: spacing between a window's taps.
        ceil_mode: round the output size up (a last partial window is kept if it starts inside the input or
            left padding).
        return_indices: also return each maximum's flat index ``h * W + w`` in its input plane
            (for :func:`max_unpool2d`).

    Output ``H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1`` (ceil with ``ceil_mode``).
    """
    if getattr(input, "is_quantized", False):  # pooling commutes with the affine map: run it on the integers
        from ..autograd.quantized import on_integers
        return on_integers(input, lambda t: max_pool2d(t, kernel_size, stride, padding, dilation, ceil_mode),
                           "max_pool2d")
    return _max_pool_nd("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)``; arguments as :func:`max_pool2d` (ints)."""
    if getattr(input, "is_quantized", False):
        from ..autograd.quantized import on_integers
        return on_integers(input, lambda t: max_pool1d(t, kernel_size, stride, padding, dilation, ceil_mode),
                           "max_pool1d")
    return _max_pool_nd("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# -- average pooling -----------------------------------------------------------------------------------

def _divisor_1d(size, out, k, s, p):
    """Per output position: the window length clipped to the padded input, and the count of real inputs."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    with_pad = end - start
    count = np.minimum(end, size) - np.maximum(start, 0)
    return with_pad, count


def _avg_divisor(geo, count_include_pad, divisor_override):
    if divisor_override is not None:
        return float(divisor_override)
    hp, hc = _divisor_1d(geo.H, geo.Ho, geo.kh, geo.sh, geo.ph)
    wp, wc = _divisor_1d(geo.W, geo.Wo, geo.kw, geo.sw, geo.pw)
    if count_include_pad:
        div = np.outer(hp, wp)
    else:
        div = np.outer(hc, wc)
    if np.all(div == div.flat[0]):
        return float(div.flat[0])
    # A window wholly in the padding sums to 0; dividing by 1 keeps it 0 (as PyTorch).
    return np.maximum(div, 1)


def _avg_pool_np(a, geo, div):
    if type(a) is _MetaArray:
        return _meta.empty((a.shape[0], geo.C, geo.Ho, geo.Wo), a.dtype)
    views = geo.views(geo.pad(a, 0))
    s = views[0] + views[1] if len(views) > 1 else views[0].copy()
    for v in views[2:]:
        s += v
    if isinstance(div, float):
        s *= a.dtype.type(1.0 / div)
    else:
        s /= div.astype(a.dtype)
    return s


def _avg_pool_adjoint_np(g, geo, div):
    if type(g) is _MetaArray:
        return _meta.empty((g.shape[0], geo.C, geo.H, geo.W), g.dtype)
    gd = g * g.dtype.type(1.0 / div) if isinstance(div, float) else g / div.astype(g.dtype)
    # When the windows tile the input exactly, each input gets exactly one write.
    tiles = (not geo.needs_pad and geo.sh == geo.kh and geo.sw == geo.kw
             and geo.H == geo.Ho * geo.kh and geo.W == geo.Wo * geo.kw)
    dxp = (np.empty if tiles else np.zeros)((geo.N, geo.C, geo.Hp, geo.Wp), g.dtype)
    for dv in geo.views(dxp):
        if tiles:
            np.copyto(dv, gd)
        else:
            dv += gd
    return geo.crop(dxp)


def _avg_pool(x, geo, div):
    y = _wrap(_avg_pool_np(x._data, geo, div))
    if _gm.enabled and x._rg:
        _record(y, "AvgPool2DBackward0", lambda g: (_avg_pool_adjoint(g, geo, div),), (x,))
    return y


def _avg_pool_adjoint(g, geo, div):
    y = _wrap(_avg_pool_adjoint_np(g._data, geo, div))
    if _gm.enabled and g._rg:
        _record(y, "AvgPool2DBackwardBackward0", lambda gg: (_avg_pool(gg, geo, div),), (g,))
    return y


def _avg_pool_nd(name, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd):
    k, s, p, _ = _pool_args(name, input, kernel_size, stride, padding, 1, nd)
    for pi, ki in zip(p, k):
        if pi > ki // 2:
            raise RuntimeError(f"{name}: pad should be at most half of kernel size, but got pad={pi} and "
                               f"kernel_size={ki}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{name}: divisor must be not zero")
    if input._data.dtype.char not in "fd":
        if input._data.dtype.kind == "V" or input._data.dtype.char == "e":
            # bfloat16/float16: the mean in float32, rounded once, as PyTorch
            return in_float32(_avg_pool_nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                              divisor_override, nd)
        if input._data.dtype.kind != "f":
            raise RuntimeError(f"{name}: expected a floating point input, got {input.dtype}")
    x, back = _as4d(input, nd)
    geo = PoolGeom(x._data.shape, _to2(k, nd, 1), _to2(s, nd, 1), _to2(p, nd, 0), (1, 1), ceil_mode)
    _check_output(name, geo, nd)
    return back(_avg_pool(x, geo, _avg_divisor(geo, count_include_pad, divisor_override)))


def _avg_counts(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, shape):
    """How many elements each output of :func:`avg_pool2d` divides by (for quantized averages)."""
    if divisor_override:
        return float(divisor_override)
    from ..autograd.tensor import make
    h, w = input.shape[-2:]
    if count_include_pad:  # the window clipped to the padded input: pad the ones with ones
        ph, pw = (padding, padding) if isinstance(padding, int) else tuple(padding)
        ones = make(np.ones((1, 1, h + 2 * ph, w + 2 * pw)))
        n = avg_pool2d(ones, kernel_size, stride, 0, ceil_mode, True, 1)._data[0, 0]
    else:
        n = avg_pool2d(make(np.ones((1, 1, h, w))), kernel_size, stride, padding, ceil_mode, True, 1)._data[0, 0]
    if n.shape != tuple(shape[-2:]):  # ceil_mode can drop a last window differently: the full window then
        k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        return float(k[0] * k[1])
    return n


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling over ``(N, C, H, W)`` or ``(C, H, W)``.

    Each output is the window's sum divided by: ``divisor_override`` if given; else the window's
    size including zero padding (``count_include_pad=True``) or the number of real inputs in it.
    Other arguments as :func:`max_pool2d` (no dilation).
    """
    if getattr(input, "is_quantized", False):  # pooling commutes with the affine map: run it on the integers
        from ..autograd.quantized import on_integers
        return on_integers(input, lambda t: avg_pool2d(t, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                                       divisor_override), "avg_pool2d",
                           lambda shape: _avg_counts(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                                     divisor_override, shape))
    return _avg_pool_nd("avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override, 2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)``; arguments as :func:`avg_pool2d`."""
    return _avg_pool_nd("avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum over the window of x^p)^(1/p)`` (p = ``norm_type``)."""
    kh, kw = _tuple(kernel_size, 2, "kernel_size")
    y = avg_pool2d(_pow(input, norm_type), (kh, kw), stride, 0, ceil_mode)
    return _pow(mul(mul(sign(y), relu(_abs(y))), kh * kw), 1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling: ``(sum over the window of x^p)^(1/p)``."""
    (k,) = _tuple(kernel_size, 1, "kernel_size")
    y = avg_pool1d(_pow(input, norm_type), k, stride, 0, ceil_mode)
    return _pow(mul(mul(sign(y), relu(_abs(y))), k), 1.0 / norm_type)


# -- adaptive pooling ----------------------------------------------------------------------------------

def _adaptive_out(name, output_size, in_hw, nd):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1 and nd == 2:
        output_size = output_size * 2
    if len(output_size) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd} (an int or a tuple of {nd} ints), got {output_size}")
    out = tuple(i if o is None else int(o) for o, i in zip(output_size, in_hw))
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but received "
                           f"{out}")
    return out


def _bounds(size, out):
    o = np.arange(out)
    return (o * size) // out, -((-(o + 1) * size) // out)


def _adaptive_check(name, x, nd):
    n = x._data.ndim
    if n not in (nd + 1, nd + 2) or any(s == 0 for s in x._data.shape[-nd:]):
        raise RuntimeError(f"{name}: expected a {nd + 1}D or {nd + 2}D input with non-zero sizes in the pooled "
                           f"dimensions, got input of size {list(x._data.shape)}")


def _average_matrix(size, out, dtype):
    start, end = _bounds(size, out)
    m = np.zeros((out, size), dtype)
    for o in range(out):
        m[o, start[o]:end[o]] = 1.0 / (end[o] - start[o])
    return m


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size: output ``(i, j)`` averages rows ``[floor(i*H/Ho), ceil((i+1)*H/Ho))``
    and the columns likewise. ``None`` in ``output_size`` keeps that input size."""
    if getattr(input, "is_quantized", False):  # pooling commutes with the affine map: run it on the integers
        from ..autograd.quantized import on_integers
        from ..autograd.quantized import adaptive_counts
        return on_integers(input, lambda t: adaptive_avg_pool2d(t, output_size), "adaptive_avg_pool2d",
                           lambda shape: adaptive_counts(input.shape[-2:], shape[-2:]))
    _adaptive_check("adaptive_avg_pool2d", input, 2)
    H, W = input._data.shape[-2:]
    Ho, Wo = _adaptive_out("adaptive_avg_pool2d", output_size, (H, W), 2)
    if input._data.dtype.char not in "fd":
        if input._data.dtype.char == "e" and (Ho, Wo) != (1, 1):
            return _adaptive_avg_half(input, Ho, Wo)
        if input._data.dtype.kind == "V" or input._data.dtype.char == "e":
            return in_float32(adaptive_avg_pool2d, input, output_size)  # bfloat16/float16: float32, rounded once
        if input._data.dtype.kind != "f":
            raise RuntimeError(f"adaptive_avg_pool2d: expected a floating point input, got {input.dtype}")
    if (Ho, Wo) == (1, 1):
        return mean(input, (-2, -1), keepdim=True)
    if Ho and Wo and H % Ho == 0 and W % Wo == 0:
        return avg_pool2d(input, (H // Ho, W // Wo))
    # Separable: y = A_h @ x @ A_w^T with averaging matrices (windows may overlap or differ in size).
    dt = input._data.dtype
    ah = _wrap(_average_matrix(H, Ho, dt))
    aw = _wrap(np.ascontiguousarray(_average_matrix(W, Wo, dt).T))
    return matmul(ah, matmul(input, aw))


def _adaptive_avg_half(x, Ho, Wo):
    """float16 adaptive average pooling as PyTorch's CPU kernel: each mean in float32, rounded once; the
    gradient in float16 arithmetic, ``(g / kh) / kw`` added into each window output by output (windows may
    overlap), every step rounded."""
    a = x._data
    H, W = a.shape[-2:]
    hs, he = _bounds(H, Ho)
    ws, we = _bounds(W, Wo)
    a32 = a.astype(np.float32)
    y = np.empty(a.shape[:-2] + (Ho, Wo), np.float32)
    for i in range(Ho):
        rows = a32[..., hs[i]:he[i], :]
        for j in range(Wo):
            y[..., i, j] = rows[..., ws[j]:we[j]].mean(axis=(-2, -1))
    t = _wrap(y.astype(np.float16))
    if _gm.enabled and x._rg:
        def backward(g):
            if _gm.enabled:
                from ._fuse import composite_grad
                return composite_grad(lambda x_: in_float32(adaptive_avg_pool2d, x_, (Ho, Wo)), (x,), g)
            gd = g._data
            gx = np.zeros(a.shape, np.float16)
            for i in range(Ho):
                kh = np.float16(he[i] - hs[i])
                for j in range(Wo):
                    d = (gd[..., i, j] / kh) / np.float16(we[j] - ws[j])
                    gx[..., hs[i]:he[i], ws[j]:we[j]] += d[..., None, None]
            return (_wrap(gx),)
        _record(t, "AdaptiveAvgPool2DBackward0", backward, (x,))
    return t


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling over ``(N, C, L)`` or ``(C, L)``."""
    if getattr(input, "is_quantized", False):
        from ..autograd.quantized import on_integers
        from ..autograd.quantized import adaptive_counts
        return on_integers(input, lambda t: adaptive_avg_pool1d(t, output_size), "adaptive_avg_pool1d",
                           lambda shape: adaptive_counts(input.shape[-1:], shape[-1:]))
    _adaptive_check("adaptive_avg_pool1d", input, 1)
    (Lo,) = _adaptive_out("adaptive_avg_pool1d", output_size, input._data.shape[-1:], 1)
    return squeeze(adaptive_avg_pool2d(unsqueeze(input, -2), (1, Lo)), -2)


def _adaptive_max(x, Ho, Wo, return_indices):
    a = x._data
    N, C, H, W = a.shape
    if type(a) is _MetaArray:
        return _meta_pool(x, (N, C, Ho, Wo), return_indices, "AdaptiveMaxPool2DBackward0")
    if Ho and Wo and H % Ho == 0 and W % Wo == 0:
        geo = PoolGeom(a.shape, (H // Ho, W // Wo), (H // Ho, W // Wo), (0, 0), (1, 1), False)
        return _max_pool(x, geo, return_indices)
    hs, he = _bounds(H, Ho)
    ws, we = _bounds(W, Wo)
    kh, kw = int((he - hs).max()), int((we - ws).max())
    # Tap t of window o reads row min(start + t, end - 1): short windows repeat their last row, which
    # never wins over the first occurrence.
    rows = np.minimum(hs[:, None] + np.arange(kh), he[:, None] - 1)
    cols = np.minimum(ws[:, None] + np.arange(kw), we[:, None] - 1)
    views = [a[:, :, rows[:, i][:, None], cols[:, j][None, :]] for i in range(kh) for j in range(kw)]
    need = (_gm.enabled and x._rg) or return_indices
    m = np.empty(views[0].shape, a.dtype)
    tap = np.empty(m.shape, np.uint8) if need else None
    _max_taps(views, need, m, tap)
    y = _wrap(m)
    idx = None
    if need:
        ti, tj = np.divmod(tap.astype(np.int64), kw)
        oh = np.arange(Ho)[:, None]
        ow = np.arange(Wo)[None, :]
        idx = rows[oh, ti] * W + cols[ow, tj]
    if _gm.enabled and x._rg:
        _record(y, "AdaptiveMaxPool2DBackward0", lambda g: (_plane_scatter_add(g, idx, a.shape),), (x,), (x,))
    return y, (_wrap(idx) if return_indices else None)


def _adaptive_max_nd(name, input, output_size, return_indices, nd):
    _adaptive_check(name, input, nd)
    x, back = _as4d(input, nd)
    H, W = x._data.shape[-2:]
    Ho, Wo = _to2(_adaptive_out(name, output_size, (H, W)[2 - nd:], nd), nd, 1)
    y, idx = _adaptive_max(x, Ho, Wo, return_indices)
    if return_indices:
        return back(y), back(idx)
    return back(y)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (windows as :func:`adaptive_avg_pool2d`)."""
    return _adaptive_max_nd("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling over ``(N, C, L)`` or ``(C, L)``."""
    return _adaptive_max_nd("adaptive_max_pool1d", input, output_size, return_indices, 1)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


# -- max unpooling -------------------------------------------------------------------------------------

def _unpool(x, idx, out_hw):
    a = x._data
    N, C = a.shape[:2]
    hw = out_hw[0] * out_hw[1]
    ia = idx.reshape(N, C, -1)
    if ia.size and (ia.min() < 0 or ia.max() >= hw):
        bad = int(ia.max()) if ia.max() >= hw else int(ia.min())
        raise RuntimeError(f"max_unpool2d: found an invalid max index {bad} (output volumes are of size "
                           f"{out_hw[0]}x{out_hw[1]})")
    r = np.zeros((N, C, hw), a.dtype)
    np.put_along_axis(r, ia, a.reshape(N, C, -1), axis=2)
    y = _wrap(r.reshape(N, C, *out_hw))
    if _gm.enabled and x._rg:
        _record(y, "MaxUnpool2DBackward0", lambda g: (_plane_gather(g, idx),), (x,))
    return y


def _default_unpool_size(in_hw, k, s, p):
    return tuple((i - 1) * si - 2 * pi + ki for i, ki, si, pi in zip(in_hw, k, s, p))


def _max_unpool_nd(name, input, indices, kernel_size, stride, padding, output_size, nd):
    n = input._data.ndim
    if n not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: expected a {nd + 1}D or {nd + 2}D input, got input of size "
                           f"{list(input._data.shape)}")
    if tuple(indices._data.shape) != tuple(input._data.shape):
        raise RuntimeError(f"{name}: expected indices of the input's shape {list(input._data.shape)}, got "
                           f"{list(indices._data.shape)}")
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    in_hw = input._data.shape[-nd:]
    default = _default_unpool_size(in_hw, k, s, p)
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in output_size)[-nd:]
        if len(out) != nd:
            raise ValueError(f"{name}: output_size must have {nd} or {nd + 2} elements, got {tuple(output_size)}")
        for o, dflt, si in zip(out, default, s):
            if not dflt - si < o < dflt + si:
                raise ValueError(f"{name}: invalid output_size {tuple(output_size)} (it must be between "
                                 f"{tuple(d - st + 1 for d, st in zip(default, s))} and "
                                 f"{tuple(d + st - 1 for d, st in zip(default, s))})")
    x, back = _as4d(input, nd)
    idx = indices._data.reshape(x._data.shape).astype(np.int64, copy=False)
    return back(_unpool(x, idx, _to2(out, nd, 1)))


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool2d`: each value goes to its index, every other output is 0.

    ``indices`` are those returned by ``max_pool2d(..., return_indices=True)``. The default output size is
    ``(H - 1) * stride - 2 * padding + kernel_size``; ``output_size`` picks another valid one.
    """
    return _max_unpool_nd("max_unpool2d", input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """1-D :func:`max_unpool2d`."""
    return _max_unpool_nd("max_unpool1d", input, indices, kernel_size, stride, padding, output_size, 1)
