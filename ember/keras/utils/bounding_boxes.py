"""``keras.utils.bounding_boxes``: box-format conversion and box geometry over ``keras.ops``.

Formats (last axis of size 4, case-insensitive): ``xyxy`` = (left, top, right, bottom), ``yxyx``,
``xywh`` = (left, top, width, height), ``center_xywh``, ``center_yxhw``, and the relative ``rel_xyxy``,
``rel_yxyx``, ``rel_xywh``, ``rel_center_xywh`` whose x coordinates are divided by the image ``width``
and y coordinates by its ``height``. Every format is linear in the corners ``(x1, y1, x2, y2)``, so each
conversion goes source -> corners -> target.

>>> import numpy as np
>>> from ember import keras
>>> keras.utils.bounding_boxes.convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "xywh").tolist()
[[10.0, 20.0, 20.0, 20.0]]
"""
import math

from .. import ops
from ..backend import epsilon

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
                     "rel_center_xywh")


def _coords(boxes):
    return [boxes[..., i:i + 1] for i in range(4)]


def _corners(boxes, fmt):
    """``(x1, y1, x2, y2)`` of absolute-format ``boxes``."""
    p, q, r, s = _coords(boxes)
    if fmt == "xyxy":
        return p, q, r, s
    if fmt == "yxyx":
        return q, p, s, r
    if fmt == "xywh":
        return p, q, p + r, q + s
    if fmt == "center_xywh":
        return p - r / 2.0, q - s / 2.0, p + r / 2.0, q + s / 2.0
    return q - s / 2.0, p - r / 2.0, q + s / 2.0, p + r / 2.0  # center_yxhw


def _from_corners(x1, y1, x2, y2, fmt):
    if fmt == "xyxy":
        parts = [x1, y1, x2, y2]
    elif fmt == "yxyx":
        parts = [y1, x1, y2, x2]
    elif fmt == "xywh":
        parts = [x1, y1, x2 - x1, y2 - y1]
    elif fmt == "center_xywh":
        parts = [x1 + (x2 - x1) / 2.0, y1 + (y2 - y1) / 2.0, x2 - x1, y2 - y1]
    else:  # center_yxhw
        parts = [y1 + (y2 - y1) / 2.0, x1 + (x2 - x1) / 2.0, y2 - y1, x2 - x1]
    return ops.concatenate(parts, axis=-1)


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Convert ``boxes`` (``(..., 4)``, or a dict whose ``"boxes"`` entry is converted in place) from the
    ``source`` format to the ``target`` one, cast to ``dtype``; ``height``/``width`` are needed when either
    format is relative.

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.utils.bounding_boxes.convert_format(np.array([[0., 0, 50, 20]]), "xyxy", "rel_xyxy",
    ...                                           height=40, width=100).tolist()
    [[0.0, 0.0, 0.5, 0.5]]
    """
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source, target, height=height, width=width, dtype=dtype)
        return boxes
    boxes = ops.convert_to_tensor(boxes)
    if tuple(boxes.shape)[-1:] != (4,):
        raise ValueError(f"convert_format: `boxes` must be a tensor with the last dimension of 4. "
                         f"Received: boxes.shape={tuple(boxes.shape)}")
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"convert_format: invalid source or target format (source={source!r}, "
                         f"target={target!r}). Supported formats: {SUPPORTED_FORMATS}")
    rel_source, rel_target = source.startswith("rel_"), target.startswith("rel_")
    if (rel_source or rel_target) and (height is None or width is None):
        raise ValueError(f"convert_format() must receive `height` and `width` to convert between relative and "
                         f"absolute formats; received source={source!r}, target={target!r}, height={height}, "
                         f"width={width}.")
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    x1, y1, x2, y2 = _corners(boxes, source.replace("rel_", "", 1))
    if rel_source != rel_target:
        # Only absolute <-> relative rescales: x coordinates by the width, y ones by the height.
        w, h = ops.cast(width, dtype), ops.cast(height, dtype)
        if rel_source:
            x1, y1, x2, y2 = x1 * w, y1 * h, x2 * w, y2 * h
        else:
            x1, y1, x2, y2 = x1 / w, y1 / h, x2 / w, y2 / h
    return _from_corners(x1, y1, x2, y2, target.replace("rel_", "", 1))


def _xyxy_only(fn, bounding_box_format, allowed=("xyxy",)):
    if bounding_box_format not in allowed:
        raise NotImplementedError(f"{fn}: bounding_box_format={bounding_box_format!r} is not supported; "
                                  f"expected one of {allowed} (convert with convert_format first).")


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clip ``bounding_boxes["boxes"]`` to the image (``[0, width] x [0, height]`` for ``xyxy``, the unit
    square for ``rel_xyxy``); a box left with zero area gets label ``-1``. Returns a new dict.

    >>> import numpy as np
    >>> from ember import keras
    >>> out = keras.utils.bounding_boxes.clip_to_image_size(
    ...     {"boxes": np.array([[-5., 2, 20, 8], [12., 0, 15, 4]]), "labels": np.array([3, 4])}, height=10, width=10)
    >>> out["boxes"].tolist(), out["labels"].tolist()
    ([[0.0, 2.0, 10.0, 8.0], [10.0, 0.0, 10.0, 4.0]], [3, -1])
    """
    _xyxy_only("clip_to_image_size", bounding_box_format, ("xyxy", "rel_xyxy"))
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("clip_to_image_size: `height` and `width` must be set if `format='xyxy'`.")
    boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
    if bounding_box_format == "xyxy":
        w, h = ops.cast(width, boxes.dtype), ops.cast(height, boxes.dtype)
    else:
        w = h = 1.0
    x1, y1, x2, y2 = _coords(boxes)
    boxes = ops.concatenate([ops.clip(x1, 0, w), ops.clip(y1, 0, h), ops.clip(x2, 0, w), ops.clip(y2, 0, h)],
                            axis=-1)
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    labels = bounding_boxes.get("labels")
    if labels is not None:
        cx1, cy1, cx2, cy2 = _coords(boxes)
        area = ops.squeeze((cx2 - cx1) * (cy2 - cy1), axis=-1)
        result["labels"] = ops.where(area > 0, ops.convert_to_tensor(labels), -1)
    return result


def _inverse_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale, shear_x, shear_y,
                           height, width):
    """``(B, 2, 3)`` maps taking an output pixel back to the input pixel it samples (the inverse of rotating by
    ``angle`` degrees, shearing by ``shear_x``/``shear_y`` degrees, scaling by ``scale`` and translating by a
    fraction of the image, all about the center ``(center_x (W - 1), center_y (H - 1))``)."""
    to_rad = math.pi / 180.0
    rot, sx, sy = -angle * to_rad, -shear_x * to_rad, -shear_y * to_rad
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    a = ops.cos(rot - sy) / ops.cos(sy)
    c = -ops.sin(rot - sy) / ops.cos(sy)
    b = a * ops.tan(sx) + ops.sin(rot)
    d = ops.cos(rot) - c * ops.tan(sx)
    m00, m01, m10, m11 = d * scale, -b * scale, -c * scale, a * scale
    px, py = cx + tx, cy + ty
    row0 = ops.stack([m00, m01, cx - m00 * px - m01 * py], axis=-1)
    row1 = ops.stack([m10, m11, cy - m10 * px - m11 * py], axis=-1)
    return ops.stack([row0, row1], axis=1)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height, width, center_x=None,
                     center_y=None, bounding_box_format="xyxy"):
    """Move batched ``xyxy`` ``boxes`` ``(B, N, 4)`` through the per-image affine map of
    ``keras.layers.RandomAffine``-style parameters (each ``(B,)``: ``angle``/``shear_*`` in degrees,
    ``translate_*``/``center_*`` as fractions of the image, ``center`` defaulting to 0.5): the four corners of
    each box go through the map ``p -> A p + t`` and the result is their bounding box."""
    _xyxy_only("affine_transform", bounding_box_format)
    params = [ops.reshape(ops.cast(v, "float32"), (-1,)) for v in (angle, translate_x, translate_y, scale,
                                                                    shear_x, shear_y)]
    matrix = _inverse_affine_matrix(0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y,
                                    *params, height, width)
    boxes = ops.cast(boxes, matrix.dtype)
    if len(boxes.shape) != 3:
        raise ValueError(f"affine_transform: `boxes` must be batched, shape (batch, N, 4); got {tuple(boxes.shape)}")
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    corners = ops.stack([ops.stack([x1, y1], -1), ops.stack([x2, y1], -1), ops.stack([x2, y2], -1),
                         ops.stack([x1, y2], -1)], axis=2)  # (B, N, 4 corners, 2)
    moved = ops.einsum("bnkj,bij->bnki", corners, matrix[:, :, :2]) + matrix[:, None, None, :, 2]
    return ops.concatenate([ops.amin(moved, axis=2), ops.amax(moved, axis=2)], axis=-1)


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """``xyxy`` boxes in the frame of the crop whose top-left corner is ``(left, top)``, clipped to its
    ``width`` x ``height``.

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.utils.bounding_boxes.crop(np.array([[10., 20, 50, 60]]), top=10, left=20, height=40, width=30).tolist()
    [[0.0, 10.0, 30.0, 40.0]]
    """
    _xyxy_only("crop", bounding_box_format)
    x1, y1, x2, y2 = _coords(ops.convert_to_tensor(boxes))
    return ops.concatenate([ops.clip(x1 - left, 0, width), ops.clip(y1 - top, 0, height),
                            ops.clip(x2 - left, 0, width), ops.clip(y2 - top, 0, height)], axis=-1)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """``xyxy`` boxes shifted by ``left`` and ``top``, for an image padded by that much on those sides
    (``height``/``width`` are accepted as in Keras and unused)."""
    _xyxy_only("pad", bounding_box_format)
    x1, y1, x2, y2 = _coords(ops.convert_to_tensor(boxes))
    return ops.concatenate([x1 + left, y1 + top, x2 + left, y2 + top], axis=-1)


def _variance(variance):
    if variance is None:
        return None
    variance = ops.convert_to_tensor(variance, "float32")
    if tuple(variance.shape)[-1:] != (4,):
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return variance


def _center_format(fmt, arg):
    if fmt not in ("center_xywh", "center_yxhw"):
        raise ValueError(f"`{arg}` should be one of 'center_xywh' or 'center_yxhw', got {fmt}")


def _hw(image_shape):
    return (None, None) if image_shape is None else tuple(image_shape)[:2]


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format, encoding_format="center_yxhw", variance=None,
                         image_shape=None):
    """Regression targets of ``boxes`` against ``anchors``: in the center ``encoding_format``, with anchor
    center ``c_a`` and size ``s_a`` (both clamped to at least epsilon for the sizes), the deltas are
    ``((c - c_a) / s_a, log(s / s_a))``, divided by ``variance`` when given."""
    variance = _variance(variance)
    _center_format(encoding_format, "encoding_format")
    height, width = _hw(image_shape)
    a = convert_format(anchors, anchor_format, encoding_format, height=height, width=width)
    b = convert_format(boxes, box_format, encoding_format, height=height, width=width)
    a_size = ops.maximum(a[..., 2:], epsilon())
    b_size = ops.maximum(b[..., 2:], epsilon())
    deltas = ops.concatenate([(b[..., :2] - a[..., :2]) / a_size, ops.log(b_size / a_size)], axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format, encoded_format="center_yxhw",
                           variance=None, image_shape=None):
    """Inverse of ``encode_box_to_deltas``: center ``c_a + d_c s_a`` and size ``s_a exp(d_s)`` (deltas first
    multiplied by ``variance``), returned in ``box_format``. ``anchors``/``boxes_delta`` may be dicts of
    levels with the same keys."""
    variance = _variance(variance)
    _center_format(encoded_format, "encoded_format")
    height, width = _hw(image_shape)

    def decode(anchor, delta):
        a = convert_format(anchor, anchor_format, encoded_format, height=height, width=width)
        delta = ops.convert_to_tensor(delta)
        if variance is not None:
            delta = delta * variance
        box = ops.concatenate([delta[..., :2] * a[..., 2:] + a[..., :2], ops.exp(delta[..., 2:]) * a[..., 2:]],
                              axis=-1)
        return convert_format(box, encoded_format, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


def _check_rank(boxes, name):
    rank = len(boxes.shape)
    if rank not in (2, 3):
        raise ValueError(f"compute_iou() expects {name} to be batched (rank 3) or unbatched (rank 2); got rank "
                         f"{rank} (shape {tuple(boxes.shape)}).")
    return rank


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1, image_shape=None):
    """Pairwise intersection over union ``|A n B| / (|A u B| + eps)``: ``(M, 4)`` and ``(N, 4)`` give
    ``(M, N)``; a batched side gives ``(batch, M, N)``. With ``use_masking`` a pair where either box has all
    coordinates negative gets ``mask_val``."""
    boxes1, boxes2 = ops.convert_to_tensor(boxes1), ops.convert_to_tensor(boxes2)
    _check_rank(boxes1, "boxes1")
    rank2 = _check_rank(boxes2, "boxes2")
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(f"compute_iou: relative bounding box formats need the `image_shape` argument; received "
                         f"image_shape={image_shape}")
    height, width = _hw(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    swap = (1, 0) if rank2 == 2 else (0, 2, 1)
    ax1, ay1, ax2, ay2 = _coords(boxes1)  # (..., M, 1)
    bx1, by1, bx2, by2 = (ops.transpose(v, swap) for v in _coords(boxes2))  # (..., 1, N)
    inter = (ops.maximum(ops.minimum(ax2, bx2) - ops.maximum(ax1, bx1), 0.0)
             * ops.maximum(ops.minimum(ay2, by2) - ops.maximum(ay1, by1), 0.0))
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    iou = inter / (union + epsilon())
    if not use_masking:
        return iou
    mask1 = ops.max(boxes1, axis=-1, keepdims=True) < 0.0
    mask2 = ops.transpose(ops.max(boxes2, axis=-1, keepdims=True) < 0.0, swap)
    return ops.where(ops.logical_or(mask1, mask2), ops.cast(mask_val, iou.dtype), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """Complete IoU of matching boxes (``(..., 4)`` each, result ``(...)``):
    ``IoU - rho^2 / c^2 - alpha v`` with ``rho`` the distance between the centers, ``c`` the diagonal of the
    smallest enclosing box, ``v = 4 / pi^2 (atan(w2 / h2) - atan(w1 / h1))^2`` and
    ``alpha = v / (v - IoU + 1 + eps)``. Relative formats are rejected, as in Keras."""
    if "rel" in bounding_box_format:
        raise ValueError(f"compute_ciou: relative bounding box formats (e.g. `rel_yxyx`) are not supported; "
                         f"received bounding_box_format={bounding_box_format!r}, image_shape={image_shape}")
    height, width = _hw(image_shape)
    eps = epsilon()
    ax1, ay1, ax2, ay2 = _coords(convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width))
    bx1, by1, bx2, by2 = _coords(convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width))
    w1, h1 = ax2 - ax1, ay2 - ay1 + eps
    w2, h2 = bx2 - bx1, by2 - by1 + eps
    inter = (ops.maximum(ops.minimum(ax2, bx2) - ops.maximum(ax1, bx1), 0)
             * ops.maximum(ops.minimum(ay2, by2) - ops.maximum(ay1, by1), 0))
    iou = ops.squeeze(inter / (w1 * h1 + w2 * h2 - inter + eps + eps), axis=-1)
    diag2 = ops.squeeze((ops.maximum(ax2, bx2) - ops.minimum(ax1, bx1)) ** 2
                        + (ops.maximum(ay2, by2) - ops.minimum(ay1, by1)) ** 2 + eps, axis=-1)
    rho2 = ops.squeeze(((ax1 + ax2) / 2 - (bx1 + bx2) / 2) ** 2 + ((ay1 + ay2) / 2 - (by1 + by2) / 2) ** 2,
                       axis=-1)
    v = ops.squeeze((4 / math.pi ** 2) * (ops.arctan(w2 / h2) - ops.arctan(w1 / h1)) ** 2, axis=-1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / diag2 + v * alpha)
