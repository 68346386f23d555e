"""Bounding boxes through Keras 3's geometric preprocessing layers.

A layer made with ``bounding_box_format=`` (any of ``keras.utils.bounding_boxes``'s formats) accepts Keras's
dict input ``{"images": ..., "bounding_boxes": {"boxes": (batch, n, 4), "labels": (batch, n)}, "labels": ...,
"segmentation_masks": ...}``: one transformation is drawn for the images (``get_random_transformation``) and
the same one moves the boxes (``transform_bounding_boxes(boxes, transformation, training)``), so a fixed
transformation can be replayed. Each rule below is Keras 3.15's, step for step (the formats it converts
through, where it clips): flips mirror relative corners (``x -> 1 - x``), translations shift the corners,
zooms map the visible window back to the image, rotations move the four corners and take their bounding box,
shears move each edge by its leading corner, resizes scale (stretch, crop or pad to the aspect ratio), the
centre crop shifts and clips, and RandomCrop shifts and floors at 0 (Keras 3.15 does not clip it). A box left
with no area is labelled ``-1``, as ``clip_to_image_size`` does. Labels pass through; segmentation masks move
like the images.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.RandomFlip("horizontal", bounding_box_format="xyxy")
>>> boxes = {"boxes": np.array([[[0., 1, 2, 3]]]), "labels": np.array([[1]])}
>>> t = {"flips": np.array([[[[True]]]]), "input_shape": (1, 4, 8, 3)}
>>> layer.transform_bounding_boxes(boxes, t)["boxes"].numpy().tolist()
[[[6.0, 1.0, 8.0, 3.0]]]
"""
import numpy as np

from ...autograd.tensor import Tensor, make
from ..utils.bounding_boxes import clip_to_image_size, convert_format


def _np(x):
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _densify(bounding_boxes):
    """Keras's ``densify_bounding_boxes`` for dense input: float32 boxes and integer labels, copied."""
    out = {}
    for key, value in bounding_boxes.items():
        a = _np(value)
        out[key] = make(a.astype(np.float32) if key == "boxes" else a.astype(np.int32) if key == "labels"
                        else a.copy())
    return out


def _height_width(layer, shape):
    return (shape[-2], shape[-1]) if layer.data_format == "channels_first" else (shape[-3], shape[-2])


class BoundingBoxMixin:
    """Dict inputs for a geometric preprocessing layer: ``call`` hands a dict to ``_call_dict``."""

    def _call_dict(self, data, training=True):
        images = data["images"]
        single = np.ndim(_np(images)) == 3
        transformation = self.get_random_transformation(images, training=training)
        out = dict(data)
        out["images"] = self.transform_images(images, transformation, training=training)
        if "bounding_boxes" in data:
            if not getattr(self, "bounding_box_format", None):
                raise ValueError("You passed an input with a 'bounding_boxes' key, but you didn't specify a bounding "
                                 f"box format. Pass a `bounding_box_format` argument to your {type(self).__name__} "
                                 "layer, e.g. `bounding_box_format='xyxy'`.")
            boxes = _densify(data["bounding_boxes"])
            if single:
                boxes = {k: make(v._data[None]) if k in ("boxes", "labels") else v for k, v in boxes.items()}
            boxes = self.transform_bounding_boxes(boxes, transformation, training=training)
            if single:
                boxes = {k: make(_np(v)[0]) if k in ("boxes", "labels") else v for k, v in boxes.items()}
            out["bounding_boxes"] = boxes
        if "labels" in data:
            out["labels"] = make(_np(data["labels"]))
        if "segmentation_masks" in data:
            out["segmentation_masks"] = self.transform_segmentation_masks(data["segmentation_masks"], transformation,
                                                                          training=training)
        return out

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def get_config(self):
        config = super().get_config()
        if getattr(self, "bounding_box_format", None) is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


def _split(boxes):
    b = _np(boxes).astype(np.float32)
    return [b[..., i:i + 1] for i in range(4)]


def _per_image(v, boxes):
    """A per-image ``(batch, 1)`` value broadcast against batched ``(batch, n, 1)`` box coordinates."""
    v = np.asarray(v, np.float32)
    return v[..., None] if np.ndim(_np(boxes)) == 3 else v


def flip_boxes(layer, bounding_boxes, transformation, training=True):
    """RandomFlip: in ``rel_xyxy``, a horizontal flip maps ``(x1, y1, x2, y2)`` to ``(1 - x2, y1, 1 - x1, y2)``
    and a vertical one to ``(x1, 1 - y2, x2, 1 - y1)`` (both, with the same draw, for
    ``horizontal_and_vertical``)."""
    if not training:
        return bounding_boxes
    flips = _np(transformation["flips"]).reshape(-1, 1, 1) if np.ndim(_np(bounding_boxes["boxes"])) == 3 \
        else _np(transformation["flips"]).reshape(-1, 1)
    h, w = _height_width(layer, transformation["input_shape"])
    bounding_boxes = convert_format(bounding_boxes, layer.bounding_box_format, "rel_xyxy", height=h, width=w)
    x1, y1, x2, y2 = _split(bounding_boxes["boxes"])
    b = np.concatenate([x1, y1, x2, y2], -1)
    if layer.mode in ("horizontal", "horizontal_and_vertical"):
        b = np.where(flips, np.concatenate([1 - x2, y1, 1 - x1, y2], -1), b)
    if layer.mode in ("vertical", "horizontal_and_vertical"):
        x1, y1, x2, y2 = (b[..., i:i + 1] for i in range(4))
        b = np.where(flips, np.concatenate([x1, 1 - y2, x2, 1 - y1], -1), b)
    bounding_boxes["boxes"] = make(b)
    # Keras clips the relative boxes as if they were absolute ones in an h x w image (a no-op for boxes inside).
    bounding_boxes = clip_to_image_size(bounding_boxes, height=h, width=w, bounding_box_format="xyxy")
    return convert_format(bounding_boxes, "rel_xyxy", layer.bounding_box_format, height=h, width=w)


def translate_boxes(layer, bounding_boxes, transformation, training=True):
    """RandomTranslation: ``xyxy`` corners move by the drawn ``(dx, dy)`` pixels, then are clipped."""
    if not training:
        return bounding_boxes
    h, w = _height_width(layer, transformation["input_shape"])
    bounding_boxes = convert_format(bounding_boxes, layer.bounding_box_format, "xyxy", height=h, width=w)
    t = _np(transformation["translations"]).astype(np.float32)
    # Keras reads the shift as the translation matrix's offsets at the origin, -dx and -dy, and subtracts them.
    dx, dy = _per_image(-t[:, 0:1], bounding_boxes["boxes"]), _per_image(-t[:, 1:2], bounding_boxes["boxes"])
    x1, y1, x2, y2 = _split(bounding_boxes["boxes"])
    bounding_boxes["boxes"] = make(np.concatenate([x1 - dx, y1 - dy, x2 - dx, y2 - dy], -1))
    bounding_boxes = clip_to_image_size(bounding_boxes, height=h, width=w, bounding_box_format="xyxy")
    return convert_format(bounding_boxes, "xyxy", layer.bounding_box_format, height=h, width=w)


def zoom_boxes(layer, bounding_boxes, transformation, training=True):
    """RandomZoom: the input window the output shows, ``[c (1 - z), c (1 - z) + z size]`` with ``c = (size - 1)
    / 2`` on each axis, clips the ``xyxy`` boxes; they are then rescaled from the window to the image."""
    if not training:
        return bounding_boxes
    h, w = _height_width(layer, transformation["input_shape"])
    bounding_boxes = convert_format(bounding_boxes, layer.bounding_box_format, "xyxy", height=h, width=w)
    zx = _np(transformation["width_zoom"]).astype(np.float32).reshape(-1, 1)
    zy = _np(transformation["height_zoom"]).astype(np.float32).reshape(-1, 1)
    x_off, y_off = (np.float32(w) - 1) / 2 * (1 - zx), (np.float32(h) - 1) / 2 * (1 - zy)
    w_start, h_start, w_end, h_end = x_off, y_off, zx * w + x_off, zy * h + y_off
    boxes = bounding_boxes["boxes"]
    ws, hs, we, he = (_per_image(v, boxes) for v in (w_start, h_start, w_end, h_end))
    x1, y1, x2, y2 = _split(boxes)
    bounding_boxes["boxes"] = make(np.concatenate([np.clip(x1, ws, we) - ws, np.clip(y1, hs, he) - hs,
                                                   np.clip(x2, ws, we) - ws, np.clip(y2, hs, he) - hs], -1))
    height_t, width_t = _per_image(h_end - h_start, boxes), _per_image(w_end - w_start, boxes)
    bounding_boxes = convert_format(bounding_boxes, "xyxy", "rel_xyxy", height=make(height_t), width=make(width_t))
    bounding_boxes = clip_to_image_size(bounding_boxes, height=height_t, width=width_t,
                                        bounding_box_format="rel_xyxy")
    return convert_format(bounding_boxes, "rel_xyxy", layer.bounding_box_format, height=h, width=w)


def rotate_boxes(layer, bounding_boxes, transformation, training=True):
    """RandomRotation: the boxes (read as ``xyxy``, as Keras does) go through the rotation about the image
    centre; each becomes the bounding box of its four moved corners, clipped to the image."""
    if not training:
        return bounding_boxes
    from ..utils.bounding_boxes import affine_transform
    h, w, n = transformation["image_height"], transformation["image_width"], transformation["batch_size"]
    zeros, ones = np.zeros(n, np.float32), np.ones(n, np.float32)
    bounding_boxes["boxes"] = affine_transform(bounding_boxes["boxes"], angle=_np(transformation["angle"]),
                                               translate_x=zeros, translate_y=zeros, scale=ones, shear_x=zeros,
                                               shear_y=zeros, height=h, width=w)
    bounding_boxes = clip_to_image_size(bounding_boxes, height=h, width=w, bounding_box_format="xyxy")
    return convert_format(bounding_boxes, "xyxy", layer.bounding_box_format, height=h, width=w)


def resize_boxes(layer, bounding_boxes, input_height, input_width):
    """Resizing: ``xyxy`` boxes scaled by ``(width / W, height / H)`` (or, with ``crop_to_aspect_ratio``, by the
    uncropped scale and shifted by the crop; with ``pad_to_aspect_ratio``, by the smaller ratio and shifted by
    the padding), clipped to the output; all-zero or all -1 (padding) boxes stay zero."""
    boxes = _np(bounding_boxes["boxes"]).astype(np.float32)
    padding = np.all(boxes == -1, -1) | np.all(boxes == 0, -1)
    bounding_boxes = convert_format(bounding_boxes, layer.bounding_box_format, "xyxy", height=input_height,
                                    width=input_width)
    x1, y1, x2, y2 = (v[..., 0] for v in _split(bounding_boxes["boxes"]))
    H, W = np.float32(input_height), np.float32(input_width)
    if layer.pad_to_aspect_ratio:
        ratio = np.minimum(np.float32(layer.height / H), np.float32(layer.width / W))
        dy, dx = (layer.height - H * ratio) // 2, (layer.width - W * ratio) // 2
        b = np.stack([x1 * ratio + dx, y1 * ratio + dy, x2 * ratio + dx, y2 * ratio + dy], -1)
    elif layer.crop_to_aspect_ratio:
        source, target = W / H, layer.width / layer.height
        new_w = layer.height * source if source > target else layer.width
        new_h = layer.height if source > target else layer.width / source
        sx, sy = new_w / W, new_h / H
        left, top = (new_w - layer.width) // 2, (new_h - layer.height) // 2
        b = np.stack([x1 * sx - left, y1 * sy - top, x2 * sx - left, y2 * sy - top], -1)
    else:
        sy, sx = np.float32(layer.height / H), np.float32(layer.width / W)
        b = np.stack([x1 * sx, y1 * sy, x2 * sx, y2 * sy], -1)
    bounding_boxes["boxes"] = make(b.astype(np.float32))
    bounding_boxes = clip_to_image_size(bounding_boxes, height=layer.height, width=layer.width)
    bounding_boxes["boxes"] = make(np.where(padding[..., None], np.float32(0), _np(bounding_boxes["boxes"])))
    return convert_format(bounding_boxes, "xyxy", layer.bounding_box_format, height=layer.height,
                          width=layer.width)


def center_crop_boxes(layer, bounding_boxes, input_shape):
    """CenterCrop: ``xyxy`` boxes clipped to the central window and shifted to its origin; when the image is
    smaller than the target, the window is the largest one of the target's aspect ratio, rescaled to it."""
    H, W = _height_width(layer, input_shape)
    bounding_boxes = convert_format(bounding_boxes, layer.bounding_box_format, "xyxy", height=H, width=W)

    def window(top, left, bottom, right):
        x1, y1, x2, y2 = _split(bounding_boxes["boxes"])
        bounding_boxes["boxes"] = make(np.concatenate([np.clip(x1, left, right) - left, np.clip(y1, top, bottom) - top,
                                                       np.clip(x2, left, right) - left,
                                                       np.clip(y2, top, bottom) - top], -1))

    if H >= layer.height and W >= layer.width:
        top, left = int((H - layer.height) / 2), int((W - layer.width) / 2)
        window(top, left, top + layer.height, left + layer.width)
    else:
        crop_h = max(min(H, int(float(W * layer.height) / layer.width)), 1)
        crop_w = max(min(W, int(float(H * layer.width) / layer.height)), 1)
        top, left = int(float(H - crop_h) / 2), int(float(W - crop_w) / 2)
        window(top, left, top + crop_h, left + crop_w)
        bounding_boxes = convert_format(bounding_boxes, "xyxy", "rel_xyxy", height=crop_h, width=crop_w)
        bounding_boxes = convert_format(bounding_boxes, "rel_xyxy", "xyxy", height=layer.height, width=layer.width)
    bounding_boxes = clip_to_image_size(bounding_boxes, height=layer.height, width=layer.width,
                                        bounding_box_format="xyxy")
    return convert_format(bounding_boxes, "xyxy", layer.bounding_box_format, height=layer.height, width=layer.width)


def random_crop_boxes(layer, bounding_boxes, transformation, training=True):
    """RandomCrop, exactly as Keras 3.15 computes it: the boxes are read in the crop's own size, and each
    coordinate loses the window's offset (x coordinates the top offset, y ones the left, as Keras pairs them)
    and is floored at 0; no clipping on the far side, labels unchanged."""
    if not training:
        return bounding_boxes
    top, left = (np.float32(v) for v in transformation)
    boxes = _np(convert_format(bounding_boxes["boxes"], layer.bounding_box_format, "xyxy", height=layer.height,
                               width=layer.width))
    boxes = np.maximum(boxes - np.array([top, left, top, left], np.float32), 0)
    boxes = convert_format(boxes, "xyxy", layer.bounding_box_format, height=layer.height, width=layer.width)
    return {"boxes": boxes, "labels": bounding_boxes["labels"]}


def shear_boxes(layer, bounding_boxes, transformation, training=True):
    """RandomShear: in ``rel_xyxy``, each box edge moves by the shear of the corner that leads in its
    direction (``x - sx y`` at the top or bottom edge, ``y - sy x`` at the left or right one, as Keras
    chooses them by the shear's sign), then the boxes are clipped to the unit square."""
    if not training:
        return bounding_boxes
    h, w = _height_width(layer, transformation["input_shape"])
    bounding_boxes = convert_format(bounding_boxes, layer.bounding_box_format, "rel_xyxy", height=h, width=w,
                                    dtype=layer.dtype)
    shear = _np(transformation["shear_factor"]).astype(np.float32)
    sx, sy = shear[:, 0:1], shear[:, 1:2]
    b = _np(bounding_boxes["boxes"])
    if b.ndim == 2:
        sx, sy = sx[:, 0], sy[:, 0]
    x1, y1, x2, y2 = (b[..., i] for i in range(4))
    x1, x2 = np.where(sx < 0, x1 - sx * y1, x1 - sx * y2), np.where(sx < 0, x2 - sx * y2, x2 - sx * y1)
    y1, y2 = np.where(sy > 0, y1 - sy * x2, y1 - sy * x1), np.where(sy > 0, y2 - sy * x1, y2 - sy * x2)
    bounding_boxes["boxes"] = make(np.stack([x1, y1, x2, y2], -1).astype(np.float32))
    bounding_boxes = clip_to_image_size(bounding_boxes, height=h, width=w, bounding_box_format="rel_xyxy")
    return convert_format(bounding_boxes, "rel_xyxy", layer.bounding_box_format, height=h, width=w,
                          dtype=layer.dtype)
