"""Spatial transformers: ``affine_grid`` makes a sampling grid from affine matrices and ``grid_sample``
reads an input at a grid's (normalized) positions, as ``torch.nn.functional``.

Grid coordinates are in ``[-1, 1]`` (``-1`` the left/top edge): with ``align_corners=True`` the
extremes are the centres of the corner pixels, else their outer edges. A position becomes a
pixel coordinate, is folded back by the padding mode (``'border'`` clamps, ``'reflection'``
mirrors), and is read by ``'bilinear'`` (trilinear for 5-D inputs), ``'nearest'`` or
``'bicubic'`` interpolation; a tap outside the input reads 0. Everything is composed of
recorded ops (each tap is a ``gather``), so gradients flow to the input and to the grid.

>>> import ember
>>> import ember.nn.functional as F
>>> theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
>>> grid = F.affine_grid(theta, (1, 1, 2, 3), align_corners=False)
>>> x = ember.arange(6.0).reshape(1, 1, 2, 3)
>>> F.grid_sample(x, grid, align_corners=False).flatten().tolist()
[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
"""
import warnings

import numpy as np

from ..autograd.tensor import Tensor, make
from ..autograd.ops import (reshape, unsqueeze, mul, add, sub, abs as _abs, fmod, floor, clamp, where, gather,
                            matmul, transpose, sum as _sum)

__all__ = ["affine_grid", "grid_sample"]

GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}

_ALIGN_WARNING = ("Default {} behavior has changed to align_corners=False since 1.3.0. Please specify "
                  "align_corners=True if the old behavior is desired. See the documentation of {} for details.")


def _base_axis(n, align_corners, dtype):
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    axis = np.linspace(-1.0, 1.0, n, dtype=np.float64)
    if not align_corners:
        axis = axis * (n - 1) / n
    return axis.astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid ``theta @ [x, y, 1]`` over an output of ``size``.

    Args:
        theta: ``(N, 2, 3)`` for 2-D (``size = (N, C, H, W)``) or ``(N, 3, 4)`` for 3-D
            (``size = (N, C, D, H, W)``) affine matrices, floating point.
        align_corners: as :func:`grid_sample` (default False, with a warning when not given).

    Returns ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) positions ``(x, y[, z])`` in ``[-1, 1]`` coordinates.
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING.format("affine_grid", "affine_grid"), UserWarning, stacklevel=2)
        align_corners = False
    if theta._data.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    nd = len(size) - 2
    if nd == 2:
        if theta._data.ndim != 3 or theta._data.shape[-2:] != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{list(theta._data.shape)}.")
    elif nd == 3:
        if theta._data.ndim != 3 or theta._data.shape[-2:] != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{list(theta._data.shape)}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta._data.shape[0] != size[0]:
        raise ValueError(f"Expected theta batch size {theta._data.shape[0]} to match size[0] = {size[0]}")
    dtype = theta._data.dtype
    spatial = size[2:]
    axes = [_base_axis(n, align_corners, dtype) for n in spatial[::-1]]       # x, y[, z]
    mesh = list(np.meshgrid(*axes[::-1], indexing="ij"))[::-1]                 # each of shape spatial
    base = np.stack(mesh + [np.ones(spatial, dtype)], axis=-1).reshape(1, -1, nd + 1)
    grid = matmul(make(base), transpose(theta, 1, 2))                          # (N, P, nd)
    return reshape(grid, [size[0]] + spatial + [nd])


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return mul(add(coord, 1.0), (size - 1) / 2)
    return mul(sub(mul(add(coord, 1.0), size), 1.0), 0.5)


def _reflect(coord, twice_low, twice_high):
    if twice_low == twice_high:
        return mul(coord, 0.0)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    coord = _abs(sub(coord, low))
    extra = fmod(coord, span)
    flips = np.floor(coord._data / span)
    even = make(np.mod(flips, 2) == 0)
    return where(even, add(extra, low), add(mul(extra, -1.0), span + low))


def _fold(coord, size, padding_mode, align_corners):
    """Apply the padding mode to pixel coordinates (continuous ones, or a bicubic tap's integer ones)."""
    if padding_mode == "border":
        return clamp(coord, 0, size - 1)
    if padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
        return clamp(coord, 0, size - 1)
    return coord


def _cubic_coefficients(t, A=-0.75):
    """The four cubic-convolution weights of taps at -1, 0, 1, 2 for a fraction ``t`` (a tensor)."""
    def near(x):                      # |x| <= 1
        return add(mul(mul(mul(x, x), add(mul(x, A + 2), -(A + 3))), 1.0), 1.0)

    def far(x):                       # 1 < |x| < 2
        return add(mul(add(mul(add(mul(x, A), -5 * A), x), 8 * A), x), -4 * A)
    one_minus = add(mul(t, -1.0), 1.0)
    return [far(add(t, 1.0)), near(t), near(one_minus), far(add(one_minus, 1.0))]


def _tap(flat, coords, sizes, weight):
    """``weight * input`` at integer tap coordinates (NumPy arrays), 0 outside; flat is ``(N, C, prod(sizes))``."""
    inside = np.ones(coords[0].shape, bool)
    index = np.zeros(coords[0].shape, np.int64)
    for c, n in zip(coords, sizes):
        inside &= (c >= 0) & (c <= n - 1)
        index = index * n + np.clip(c, 0, n - 1).astype(np.int64)
    N, C = flat._data.shape[:2]
    idx = make(np.ascontiguousarray(np.broadcast_to(index.reshape(N, 1, -1), (N, C, index[0].size))))
    vals = gather(flat, 2, idx)
    w = mul(weight, make(inside.astype(flat._data.dtype))) if weight is not None else \
        make(inside.astype(flat._data.dtype))
    return mul(vals, unsqueeze(reshape(w, (N, -1)), 1))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at ``grid``'s positions.

    Args:
        input: ``(N, C, H, W)`` (or ``(N, C, D, H, W)``).
        grid: ``(N, H_out, W_out, 2)`` positions ``(x, y)`` (or ``(N, D_out, H_out, W_out, 3)`` with
            ``(x, y, z)``) in ``[-1, 1]``.
        mode: ``'bilinear'`` (default; trilinear for 5-D), ``'nearest'`` (ties to even) or ``'bicubic'``
            (4-D only, cubic convolution with ``A = -0.75``).
        padding_mode: ``'zeros'`` (default), ``'border'`` or ``'reflection'``.
        align_corners: whether -1 and 1 are the centres of the corner pixels (True) or their outer edges
            (False, the default, with a warning when not given).

    Returns ``(N, C, H_out, W_out)`` (or ``(N, C, D_out, H_out, W_out)``).
    """
    if mode not in GRID_SAMPLE_INTERPOLATION_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in GRID_SAMPLE_PADDING_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING.format("grid_sample", "grid_sample"), UserWarning, stacklevel=2)
        align_corners = False
    x, g = input._data, grid._data
    nd = x.ndim - 2
    if x.ndim not in (4, 5) or g.ndim != x.ndim or g.shape[-1] != nd or g.shape[0] != x.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected a 4-D or 5-D input and a grid of the same dimension with "
                           f"the input's batch size and last dimension {nd}, but got input with sizes "
                           f"{list(x.shape)} and grid with sizes {list(g.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if x.dtype != g.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}")
    N, C = x.shape[:2]
    sizes = x.shape[2:]                                   # (H, W) or (D, H, W)
    out_spatial = g.shape[1:-1]
    flat = reshape(input, (N, C, -1))
    # grid[..., 0] is x (the last input dimension): coordinates listed in the input's dimension order
    coords = [_unnormalize(grid[..., nd - 1 - i], sizes[i], align_corners) for i in range(nd)]
    if mode == "bicubic":
        out = _bicubic(flat, coords, sizes, padding_mode, align_corners)
    else:
        coords = [_fold(c, n, padding_mode, align_corners) for c, n in zip(coords, sizes)]
        if mode == "nearest":
            # a zero-weighted path to the grid: its gradient is zeros, as PyTorch's, not missing
            out = _tap(flat, [np.round(c._data) for c in coords], sizes, add(mul(coords[0], 0.0), 1.0))
        else:
            out = None
            lows = [np.floor(c._data) for c in coords]
            fracs = [sub(c, make(lo)) for c, lo in zip(coords, lows)]
            for corner in range(2 ** nd):
                bits = [(corner >> (nd - 1 - i)) & 1 for i in range(nd)]
                weight = None
                for b, f in zip(bits, fracs):
                    w = f if b else add(mul(f, -1.0), 1.0)
                    weight = w if weight is None else mul(weight, w)
                term = _tap(flat, [lo + b for lo, b in zip(lows, bits)], sizes, weight)
                out = term if out is None else add(out, term)
    return reshape(out, (N, C) + tuple(out_spatial))


def _bicubic(flat, coords, sizes, padding_mode, align_corners):
    (iy, ix), (H, W) = coords, sizes
    y0, x0 = np.floor(iy._data), np.floor(ix._data)
    wy = _cubic_coefficients(sub(iy, make(y0)))
    wx = _cubic_coefficients(sub(ix, make(x0)))
    out = None
    for i in range(4):
        ty = _fold(make(y0 - 1 + i), H, padding_mode, align_corners)._data
        for j in range(4):
            tx = _fold(make(x0 - 1 + j), W, padding_mode, align_corners)._data
            term = _tap(flat, [ty, tx], sizes, mul(wy[i], wx[j]))
            out = term if out is None else add(out, term)
    return out
