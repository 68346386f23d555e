"""Image utilities, as ``torchvision.utils``: tile a batch into one image (:func:`make_grid`),
save it (:func:`save_image`), draw boxes (:func:`draw_bounding_boxes`) and masks
(:func:`draw_segmentation_masks`). Saving and drawing need Pillow (``pip install
"ember[vision]"``).

>>> import ember
>>> make_grid(ember.zeros(6, 3, 4, 4), nrow=3, padding=1).shape
ember.Size([3, 11, 16])
"""
import math
import numbers
import warnings

import numpy as np

import ember
from ember.vision._pil import require_pil
from ember.vision.transforms._color_ops import convert_array_dtype

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks",
           "draw_keypoints", "flow_to_image"]


def _batch(tensor, who):
    if isinstance(tensor, (list, tuple)):
        for t in tensor:
            if not isinstance(t, ember.Tensor):
                raise TypeError(f"{who}: tensor or list of tensors expected, got a list "
                                f"containing {type(t).__name__}")
        return np.stack([t._data for t in tensor])
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"{who}: tensor or list of tensors expected, got "
                        f"{type(tensor).__name__}")
    return tensor._data


def _rescale(arr, value_range):
    low, high = value_range if value_range is not None else (float(arr.min()), float(arr.max()))
    arr = np.clip(arr, low, high)
    return (arr - arr.dtype.type(low)) / arr.dtype.type(max(high - low, 1e-5))


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile images ``(B, C, H, W)`` (or a list of ``(C, H, W)``) into one image ``(C, H', W')``
    of ``nrow`` images per row, ``padding`` pixels of ``pad_value`` between and around them.
    Single-channel images become three-channel. With ``normalize`` the values are clipped to
    ``value_range`` (default: the min and max, per image with ``scale_each``) and mapped to
    ``[0, 1]``. A batch of one is returned as that image, unpadded."""
    arr = _batch(tensor, "make_grid")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = (np.concatenate([arr] * 3) if arr.shape[0] == 1 else arr)[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), (C, H, W) or (H, W), got "
                         f"shape {arr.shape}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")
        arr = (np.stack([_rescale(a, value_range) for a in arr]) if scale_each
               else _rescale(arr, value_range))
    if arr.shape[0] == 1:
        return ember.from_numpy(np.ascontiguousarray(arr[0]))
    count, channels, h, w = arr.shape
    cols = min(nrow, count)
    rows = int(math.ceil(count / cols))
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((channels, cell_h * rows + padding, cell_w * cols + padding), pad_value,
                   dtype=arr.dtype)
    for k in range(count):
        y, x = divmod(k, cols)
        grid[:, y * cell_h + padding:(y + 1) * cell_h, x * cell_w + padding:(x + 1) * cell_w] = \
            arr[k]
    return ember.from_numpy(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor image ``(C, H, W)`` with values in ``[0, 1]`` (a batch is tiled with
    :func:`make_grid` and its ``kwargs``) through Pillow, rounding ``255 * x`` to the nearest
    integer. ``format`` (such as ``"PNG"``) is needed when ``fp`` is a file object."""
    image = require_pil("save_image")
    grid = make_grid(tensor, **kwargs)._data
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels).save(fp, format=format)


def _palette(count):
    # The same distinct-looking colours torchvision picks: multiples of three large constants.
    primes = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1], dtype=np.int64)
    return [tuple(int(v) for v in (i * primes) % 255) for i in range(count)]


def _parse_colors(colors, count, floating=False):
    from PIL import ImageColor
    if colors is None:
        colors = _palette(count)
    elif isinstance(colors, list):
        if len(colors) < count:
            raise ValueError(f"Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {count}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got "
                         f"{colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got "
                         f"{colors}.")
    else:
        colors = [colors] * count
    colors = [ImageColor.getrgb(c) if isinstance(c, str) else tuple(c) for c in colors]
    return [tuple(v / 255 for v in c) for c in colors] if floating else colors


def _check_image(image, who, channels):
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"{who}: Tensor expected, got {type(image).__name__}")
    arr = image._data
    if not (arr.dtype == np.uint8 or arr.dtype.kind == "f"):
        raise ValueError(f"{who}: the image dtype must be uint8 or float, got {image.dtype}")
    if arr.ndim != 3:
        raise ValueError(f"{who}: pass individual images (C, H, W), not batches; got shape "
                         f"{tuple(image.shape)}")
    if arr.shape[0] not in channels:
        raise ValueError(f"{who}: expected an image with {' or '.join(map(str, channels))} "
                         f"channels, got {arr.shape[0]}")
    return arr


def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill=False, width=1, font=None,
                        font_size=None, label_colors=None, label_background_colors=None,
                        fill_labels=False):
    """Draw ``boxes`` ``(N, 4)`` in ``(xmin, ymin, xmax, ymax)`` pixels on an image ``(C, H, W)``
    (uint8, or float in ``[0, 1]``) with Pillow's ``ImageDraw``; ``labels`` are written inside
    each box's top-left corner, ``fill`` shades the boxes (alpha 100/255). Returns a new
    image of the input's dtype, three channels."""
    pil = require_pil("draw_bounding_boxes")
    from PIL import ImageDraw, ImageFont
    arr = _check_image(image, "draw_bounding_boxes", (1, 3))
    box_arr = boxes._data if isinstance(boxes, ember.Tensor) else np.asarray(boxes)
    if box_arr.ndim != 2 or box_arr.shape[-1] != 4:
        raise ValueError(f"draw_bounding_boxes: boxes should have shape (N, 4), got "
                         f"{tuple(box_arr.shape)}")
    if (box_arr[:, 0] > box_arr[:, 2]).any() or (box_arr[:, 1] > box_arr[:, 3]).any():
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "ember.vision.ops.box_convert to convert them")
    count = box_arr.shape[0]
    if count == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn")
        return image
    if labels is None:
        labels = [None] * count
    elif len(labels) != count:
        raise ValueError(f"Number of boxes ({count}) and labels ({len(labels)}) mismatch. "
                         f"Please specify labels for each box.")
    colors = _parse_colors(colors, count)
    if label_colors or fill_labels:
        label_colors = _parse_colors(label_colors or "black", count)
    else:
        label_colors = list(colors)
    label_background_colors = (_parse_colors(label_background_colors, count)
                               if fill_labels and label_background_colors else list(colors))
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.")
        text_font = ImageFont.load_default()
    else:
        text_font = ImageFont.truetype(font=font, size=font_size or 10)
    if arr.shape[0] == 1:
        arr = np.concatenate([arr] * 3)
    pixels = convert_array_dtype(arr, np.uint8) if arr.dtype.kind == "f" else arr
    canvas = pil.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)))
    draw = ImageDraw.Draw(canvas, "RGBA" if fill else None)
    for box, color, label, text_color, background in zip(
            box_arr.astype(np.int64).tolist(), colors, labels, label_colors,
            label_background_colors):
        draw.rectangle(box, width=width, outline=color, fill=color + (100,) if fill else None)
        if label is not None:
            margin = width + 1
            if fill_labels:
                left, top, right, bottom = draw.textbbox((box[0] + margin, box[1] + margin),
                                                         label, font=text_font)
                draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=background)
            draw.text((box[0] + margin, box[1] + margin), label, fill=text_color, font=text_font)
    out = np.asarray(canvas).transpose(2, 0, 1)
    if arr.dtype.kind == "f":
        out = convert_array_dtype(out, arr.dtype)
    return ember.from_numpy(np.ascontiguousarray(out))


def draw_segmentation_masks(image, masks, alpha=0.8, colors=None):
    """Paint boolean ``masks`` ``(N, H, W)`` (or ``(H, W)``) over an RGB image ``(3, H, W)``:
    ``image * (1 - alpha) + painted * alpha``, where pixels under two or more masks are painted
    black."""
    arr = _check_image(image, "draw_segmentation_masks", (3,))
    mask_arr = masks._data if isinstance(masks, ember.Tensor) else np.asarray(masks)
    if mask_arr.ndim == 2:
        mask_arr = mask_arr[None]
    if mask_arr.ndim != 3:
        raise ValueError(f"masks must be of shape (H, W) or (batch_size, H, W), got "
                         f"{tuple(mask_arr.shape)}")
    if mask_arr.dtype != np.bool_:
        raise ValueError(f"The masks must be of dtype bool. Got {mask_arr.dtype}")
    if mask_arr.shape[-2:] != arr.shape[-2:]:
        raise ValueError(f"The image and the masks must have the same height and width, got "
                         f"{arr.shape[-2:]} and {mask_arr.shape[-2:]}")
    if mask_arr.shape[0] == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn")
        return image
    if not isinstance(alpha, numbers.Number):
        raise TypeError(f"alpha should be a number, got {type(alpha).__name__}")
    painted = arr.copy()
    for mask, color in zip(mask_arr, _parse_colors(colors, mask_arr.shape[0],
                                                   arr.dtype.kind == "f")):
        painted[:, mask] = np.asarray(color, dtype=arr.dtype)[:, None]
    painted[:, mask_arr.sum(axis=0) > 1] = 0
    work = arr.astype(np.float32) if arr.dtype.kind != "f" else arr
    ft = work.dtype.type
    out = work * ft(1 - alpha) + painted.astype(work.dtype) * ft(alpha)
    out = np.trunc(out).astype(arr.dtype) if arr.dtype.kind != "f" else out
    return ember.from_numpy(out)


def draw_keypoints(image, keypoints, connectivity=None, colors=None, radius=2, width=3,
                   visibility=None):
    """Draw ``keypoints`` ``(num_instances, K, 2)`` as discs of ``radius`` (in ``colors``) on an
    RGB image ``(3, H, W)``, joined by lines of ``width`` for each ``(i, j)`` of
    ``connectivity`` whose ends are both visible (``visibility`` ``(num_instances, K)``)."""
    pil = require_pil("draw_keypoints")
    from PIL import ImageDraw
    arr = _check_image(image, "draw_keypoints", (3,))
    points = keypoints._data if isinstance(keypoints, ember.Tensor) else np.asarray(keypoints)
    if points.ndim != 3:
        raise ValueError(f"keypoints must be of shape (num_instances, K, 2), got "
                         f"{points.shape}")
    vis = (np.ones(points.shape[:-1], dtype=bool) if visibility is None else
           np.asarray(visibility._data if isinstance(visibility, ember.Tensor) else visibility))
    if vis.ndim == 3:
        vis = vis[..., 0]
    if vis.shape != points.shape[:-1]:
        raise ValueError(f"keypoints and visibility must have the same dimensionality for "
                         f"num_instances and K. Got visibility.shape={vis.shape} and "
                         f"keypoints.shape={points.shape}")
    pixels = convert_array_dtype(arr, np.uint8) if arr.dtype.kind == "f" else arr
    canvas = pil.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)))
    draw = ImageDraw.Draw(canvas)
    for inst, inst_vis in zip(points.astype(np.int64).tolist(), vis.astype(bool).tolist()):
        for (x, y), shown in zip(inst, inst_vis):
            if shown:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors,
                             outline=None, width=0)
        for i, j in connectivity or ():
            if inst_vis[i] and inst_vis[j]:
                draw.line((tuple(inst[i]), tuple(inst[j])), width=width)
    out = np.asarray(canvas).transpose(2, 0, 1)
    if arr.dtype.kind == "f":
        out = convert_array_dtype(out, arr.dtype)
    return ember.from_numpy(np.ascontiguousarray(out))


def _colour_wheel():
    # Baker et al. (2007): hue segments red-yellow, yellow-green, green-cyan, cyan-blue,
    # blue-magenta, magenta-red, each ramping one channel by floor(255 * i / n).
    segments = [(15, 0, 1, True), (6, 1, 0, False), (4, 1, 2, True), (11, 2, 1, False),
                (13, 2, 0, True), (6, 0, 2, False)]
    rows = []
    for n, full, ramp, rising in segments:
        ramp_values = np.floor(255 * np.arange(n, dtype=np.float32) / np.float32(n))
        block = np.zeros((n, 3), dtype=np.float32)
        block[:, full] = 255
        block[:, ramp] = ramp_values if rising else 255 - ramp_values
        rows.append(block)
    return np.concatenate(rows)


def flow_to_image(flow):
    """An optical flow ``(N, 2, H, W)`` or ``(2, H, W)`` (float32) as uint8 RGB images: the hue
    is the direction (on the Middlebury colour wheel) and the saturation the length, relative
    to the longest vector."""
    if not isinstance(flow, ember.Tensor) or flow.dtype != ember.float32:
        kind = flow.dtype if isinstance(flow, ember.Tensor) else type(flow).__name__
        raise ValueError(f"Flow should be of dtype float32, got {kind}.")
    arr = flow._data
    batch = arr[None] if arr.ndim == 3 else arr
    if batch.ndim != 4 or batch.shape[1] != 2:
        raise ValueError(f"Input flow should have shape (2, H, W) or (N, 2, H, W), got "
                         f"{arr.shape}.")
    f32 = np.float32
    max_norm = np.sqrt((batch ** 2).sum(axis=1)).max()
    flow_n = batch / (max_norm + np.finfo(np.float32).eps)
    wheel = _colour_wheel()
    cols = wheel.shape[0]
    norm = np.sqrt((flow_n ** 2).sum(axis=1))
    angle = np.arctan2(-flow_n[:, 1], -flow_n[:, 0]) / f32(np.pi)
    fk = (angle + f32(1)) / f32(2) * f32(cols - 1)
    k0 = np.floor(fk).astype(np.int64)
    k1 = np.where(k0 + 1 == cols, 0, k0 + 1)
    frac = fk - k0
    out = np.empty((batch.shape[0], 3) + batch.shape[2:], dtype=np.uint8)
    for c in range(3):
        col = (f32(1) - frac) * (wheel[k0, c] / f32(255.0)) + frac * (wheel[k1, c] / f32(255.0))
        out[:, c] = np.floor(f32(255) * (f32(1) - norm * (f32(1) - col)))
    return ember.from_numpy(out[0] if arr.ndim == 3 else out)
