"""ONNX image-geometry ops: GridSample, AffineGrid, Col2Im, MaxUnpool and CenterCropPad.

GridSample and AffineGrid map to ember's ``grid_sample``/``affine_grid`` (ONNX's
linear/cubic are PyTorch's bilinear/bicubic); Col2Im is ``fold`` on the padded image, then
cropped, so begin and end pads may differ; MaxUnpool scatters each value to the flat index
MaxPool recorded, into zeros of the unpooled size.
"""
import numpy as np

import ember
import ember.nn.functional as F

from . import register, arr, tensor, ints


@register("GridSample")
def grid_sample(ctx, x, grid):
    mode = {"linear": "bilinear", "cubic": "bicubic"}.get(ctx.attr("mode", "bilinear"),
                                                          ctx.attr("mode", "bilinear"))
    if x.dim() != 4:
        raise ctx.unsupported(f"{x.dim() - 2}-D sampling")
    return F.grid_sample(x, grid, mode=mode, padding_mode=ctx.attr("padding_mode", "zeros"),
                         align_corners=bool(ctx.attr("align_corners", 0)))


@register("AffineGrid")
def affine_grid(ctx, theta, size):
    return F.affine_grid(theta, ints(size), align_corners=bool(ctx.attr("align_corners", 0)))


@register("Col2Im")
def col2im(ctx, x, image_shape, block_shape):
    img, block = ints(image_shape), ints(block_shape)
    if len(img) != 2:
        raise ctx.unsupported(f"{len(img)}-D images")
    nd = len(img)
    dil = list(ctx.attr("dilations") or [1] * nd)
    strides = list(ctx.attr("strides") or [1] * nd)
    pads = list(ctx.attr("pads") or [0] * (2 * nd))
    padded = [i + pads[k] + pads[k + nd] for k, i in enumerate(img)]
    y = F.fold(x, padded, block, dilation=dil, padding=0, stride=strides)
    return y[:, :, pads[0]:pads[0] + img[0], pads[1]:pads[1] + img[1]]


@register("MaxUnpool")
def max_unpool(ctx, x, indices, output_shape=None):
    kernel = list(ctx.attr("kernel_shape"))
    nd = len(kernel)
    strides = list(ctx.attr("strides") or [1] * nd)
    pads = list(ctx.attr("pads") or [0] * (2 * nd))
    spatial = [(i - 1) * s + k - pads[j] - pads[j + nd]
               for j, (i, s, k) in enumerate(zip(x.shape[2:], strides, kernel))]
    shape = list(x.shape[:2]) + spatial
    total = int(np.prod(shape))
    flat = ember.zeros(total, dtype=x.dtype).scatter(0, tensor(arr(indices).reshape(-1).astype(np.int64)),
                                                     x.reshape(-1))
    if output_shape is not None:  # a larger output_shape holds the unpooled block at its start
        target = ints(output_shape)
        spec = []
        for have, want in zip(reversed(shape), reversed(target)):
            spec += [0, want - have]
        return F.pad(flat.reshape(*shape), spec)
    return flat.reshape(*shape)


@register("CenterCropPad")
def center_crop_pad(ctx, x, shape):
    from .shape import slice_axis
    target = ints(shape)
    rank = x.dim()
    axes = ctx.attr("axes") or list(range(rank))
    axes = [a + rank if a < 0 else a for a in axes]
    out = x
    for a, t in zip(axes, target):
        n = out.shape[a]  # an odd difference: the extra element is cropped at / padded to the end
        if n > t:
            start = (n - t) // 2
            out = slice_axis(out, a, start, start + t, 1)
        elif n < t:
            before = (t - n) // 2
            spec = [0, 0] * (rank - 1 - a) + [before, t - n - before]
            if out.dtype.is_floating_point:
                out = F.pad(out, spec)
            else:
                width = [(0, 0)] * rank
                width[a] = (before, t - n - before)
                out = tensor(np.pad(arr(out), width))
    return out
