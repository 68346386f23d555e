"""ONNX Resize (opsets 10-19) and Upsample: nearest, linear and cubic, one axis at a time.

Each output coordinate ``x`` maps to an input coordinate by ``coordinate_transformation_mode``
(s = output/input size along the axis)::

    half_pixel          (x + 0.5) / s - 0.5
    pytorch_half_pixel  (x + 0.5) / s - 0.5, or 0 when the output has one element
    align_corners       x * (in - 1) / (out - 1)
    asymmetric          x / s
    tf_crop_and_resize  roi_start * (in - 1) + x * (roi_end - roi_start) * (in - 1) / (out - 1)

and the output there is a weighted sum of input neighbours (1, 2 or 4 of them) picked with
``index_select``: a sum of differentiable gathers, so gradients reach the input.
"""
import numpy as np

import ember

from . import register, arr, tensor, ints


def _in_coords(mode, out_n, in_n, scale, roi):
    x = np.arange(out_n, dtype=np.float64)
    if mode == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        adj = out_n / (scale * in_n)
        offset = in_n / 2 * (1 - adj)
        return offset + (x + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if out_n > 1 else np.zeros_like(x)
    if mode == "align_corners":  # ONNX divides by the unrounded output length, in * scale - 1
        return x * (in_n - 1) / (in_n * scale - 1) if out_n > 1 else np.zeros_like(x)
    if mode == "asymmetric":
        return x / scale
    if mode == "tf_crop_and_resize":
        start, end = roi
        if out_n > 1:
            return start * (in_n - 1) + x * (end - start) * (in_n - 1) / (out_n - 1)
        return np.full_like(x, 0.5 * (start + end) * (in_n - 1))
    raise NotImplementedError(f"ember.onnx: Resize coordinate_transformation_mode {mode!r}")


def _nearest(xi, nearest_mode):
    if nearest_mode == "floor":
        return np.floor(xi)
    if nearest_mode == "ceil":
        return np.ceil(xi)
    frac = xi - np.floor(xi)
    half = np.isclose(frac, 0.5)
    rounded = np.round(xi)
    if nearest_mode == "round_prefer_ceil":
        return np.where(half, np.ceil(xi), rounded)
    return np.where(half, np.floor(xi), rounded)


def _cubic_weights(t, a):
    t = t[:, None] + np.array([1.0, 0.0, -1.0, -2.0])
    t = np.abs(t)
    w = np.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                 np.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, 0.0))
    return w


def _resize_axis(x, axis, out_n, scale, roi, ctx, mode):
    in_n = x.shape[axis]
    ctm = ctx.attr("coordinate_transformation_mode", "half_pixel")
    xi = _in_coords(ctm, out_n, in_n, scale, roi)
    outside = (xi < 0) | (xi > in_n - 1) if ctm == "tf_crop_and_resize" else None
    dt = np.dtype(x.dtype.numpy)
    wshape = [1] * x.dim()
    wshape[axis] = out_n

    def pick(idx):
        return ember.index_select(x, axis, tensor(np.clip(idx, 0, in_n - 1).astype(np.int64)))

    if mode == "nearest":
        y = pick(_nearest(xi, ctx.attr("nearest_mode", "round_prefer_floor")).astype(np.int64))
    elif mode == "linear":
        xc = np.clip(xi, 0, in_n - 1)
        x0 = np.floor(xc)
        w = (xc - x0).astype(dt).reshape(wshape)
        y = pick(x0.astype(np.int64)) * tensor(1 - w) + pick(x0.astype(np.int64) + 1) * tensor(w)
    elif mode == "cubic":
        x0 = np.floor(xi)
        w = _cubic_weights(xi - x0, ctx.attr("cubic_coeff_a", -0.75))
        nb = x0[:, None].astype(np.int64) + np.array([-1, 0, 1, 2])
        if ctx.attr("exclude_outside", 0):
            w = np.where((nb < 0) | (nb >= in_n), 0.0, w)
            w = w / w.sum(axis=1, keepdims=True)
        y = None
        for k in range(4):
            term = pick(nb[:, k]) * tensor(w[:, k].astype(dt).reshape(wshape))
            y = term if y is None else y + term
    else:
        raise ctx.unsupported(f"mode {mode!r}")
    if outside is not None and outside.any():
        fill = ctx.attr("extrapolation_value", 0.0)
        y = ember.where(tensor(outside.reshape(wshape)), ember.full_like(y, fill), y)
    return y


def _resize(ctx, x, roi, scales, sizes, mode):
    if ctx.attr("antialias", 0):
        raise ctx.unsupported("antialias=1")
    rank = x.dim()
    axes = ctx.attr("axes")
    axes = list(range(rank)) if axes is None else [a + rank if a < 0 else a for a in axes]
    in_shape = [x.shape[a] for a in axes]
    if sizes is not None:
        out = [int(s) for s in sizes]
        sc = [o / i for o, i in zip(out, in_shape)]
        policy = ctx.attr("keep_aspect_ratio_policy", "stretch")
        if policy != "stretch":
            common = min(sc) if policy == "not_larger" else max(sc)
            sc = [common] * len(sc)
            out = [int(np.floor(common * i + 0.5)) for i in in_shape]
    else:
        sc = [float(s) for s in scales]
        out = [int(np.floor(i * s)) for i, s in zip(in_shape, sc)]
    roi_v = None if roi is None or roi.numel() == 0 else arr(roi).astype(np.float64)
    y = x
    for k, a in enumerate(axes):
        r = (roi_v[k], roi_v[k + len(axes)]) if roi_v is not None else (0.0, 1.0)
        crop = ctx.attr("coordinate_transformation_mode") == "tf_crop_and_resize"
        if out[k] == in_shape[k] and sc[k] == 1.0 and not crop:
            continue
        y = _resize_axis(y, a, out[k], sc[k], r, ctx, mode)
    return y


@register("Resize")
def resize(ctx, x, roi=None, scales=None, sizes=None):
    if ctx.opset < 11:  # Resize-10: (X, scales), asymmetric coordinates
        scales, roi = roi, None
        ctx.attrs.setdefault("coordinate_transformation_mode", "asymmetric")
    mode = ctx.attr("mode", "nearest")
    sizes_v = ints(sizes) if sizes is not None and sizes.numel() else None
    scales_v = arr(scales).reshape(-1).tolist() if scales is not None and scales.numel() else None
    return _resize(ctx, x, roi, scales_v, sizes_v, mode)


@register("Upsample")
def upsample(ctx, x, scales=None):
    sc = ctx.attr("scales") if scales is None else arr(scales).reshape(-1).tolist()
    ctx.attrs.setdefault("coordinate_transformation_mode", "asymmetric")
    ctx.attrs.setdefault("nearest_mode", "floor")
    return _resize(ctx, x, None, sc, None, ctx.attr("mode", "nearest"))
