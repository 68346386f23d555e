"""ONNX image-geometry ops: GridSample, AffineGrid, Col2Im, MaxUnpool, CenterCropPad and
NonMaxSuppression.

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


def _corners(b, center):
    if center:  # (x_center, y_center, width, height)
        x, y, w, h = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
        return np.stack([y - h / 2, x - w / 2, y + h / 2, x + w / 2], axis=-1)
    # (y1, x1, y2, x2), either corner order
    return np.stack([np.minimum(b[..., 0], b[..., 2]), np.minimum(b[..., 1], b[..., 3]),
                     np.maximum(b[..., 0], b[..., 2]), np.maximum(b[..., 1], b[..., 3])], axis=-1)


def _area(b):
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def _iou(box, others):
    ih = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    iw = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = ih * iw
    union = _area(box) + _area(others) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


@register("NonMaxSuppression")
def non_max_suppression(ctx, boxes, scores, max_per_class=None, iou_threshold=None,
                        score_threshold=None):
    """Greedy per batch and class: take boxes by falling score (above ``score_threshold``),
    dropping those whose IoU with a kept box exceeds ``iou_threshold``; at most
    ``max_output_boxes_per_class`` each. Output rows: (batch, class, box)."""
    b = _corners(arr(boxes).astype(np.float64), ctx.attr("center_point_box", 0))
    s = arr(scores).astype(np.float64)
    k = 0 if max_per_class is None else int(arr(max_per_class).reshape(-1)[0])
    iou_t = 0.0 if iou_threshold is None else float(arr(iou_threshold).reshape(-1)[0])
    score_t = None if score_threshold is None else float(arr(score_threshold).reshape(-1)[0])
    rows = []
    for n in range(s.shape[0]):
        for c in range(s.shape[1]):
            order = np.argsort(-s[n, c], kind="stable")
            if score_t is not None:
                order = order[s[n, c, order] > score_t]
            kept = []
            for i in order:
                if len(kept) >= k:
                    break
                if kept and np.any(_iou(b[n, i], b[n, kept]) > iou_t):
                    continue
                kept.append(i)
            rows += [(n, c, i) for i in kept]
    return tensor(np.asarray(rows, dtype=np.int64).reshape(-1, 3))
