"""The functional ops of ``torchvision.transforms.v2``: each takes an image (PIL Image, Tensor,
``tv_tensors.Image``/``Video``), a ``tv_tensors.Mask`` or ``tv_tensors.BoundingBoxes`` and
transforms it as its kind needs (masks are resampled with NEAREST and filled with 0, boxes have
their coordinates moved and are clamped to the new canvas), returning the same kind.

>>> from ember.vision import tv_tensors
>>> boxes = tv_tensors.BoundingBoxes([[1, 2, 4, 6]], format="XYXY", canvas_size=(8, 10))
>>> horizontal_flip(boxes).tolist()
[[6, 2, 9, 6]]
"""
import numpy as np

import ember
from ember.vision import tv_tensors
from ember.vision._pil import is_pil_image
from ember.vision.transforms import functional as F1
from ember.vision.transforms._color_ops import convert_array_dtype, max_value
from ember.vision.transforms.functional import *  # noqa: F401,F403 (v2 keeps the v1 names)
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.v2 import _keypoints as K
from ember.vision.transforms.v2._keypoints import *  # noqa: F401,F403
from ember.vision.transforms.v2 import _warp_points as W
from ember.vision.transforms.v2._warp_points import *  # noqa: F401,F403

__all__ = list(F1.__all__) + [
    "is_pure_tensor", "to_image", "to_dtype", "horizontal_flip", "vertical_flip",
    "get_size", "get_num_channels", "convert_bounding_box_format", "clamp_bounding_boxes",
    "grayscale_to_rgb", "permute_channels", "gaussian_noise"] + K.__all__ + W.__all__

BoxFormat = tv_tensors.BoundingBoxFormat


def is_pure_tensor(inpt):
    """A Tensor that is not one of the ``tv_tensors`` kinds."""
    return isinstance(inpt, ember.Tensor) and not isinstance(inpt, tv_tensors.TVTensor)


def _rewrap(out, like):
    if isinstance(like, tv_tensors.TVTensor) and isinstance(out, ember.Tensor):
        return tv_tensors.wrap(out, like=like)
    return out


def to_image(inpt):
    """A ``tv_tensors.Image`` from a PIL Image, a NumPy array ``(H, W[, C])`` or a Tensor."""
    if isinstance(inpt, np.ndarray):
        arr = np.atleast_3d(inpt)
        return tv_tensors.Image(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    if is_pil_image(inpt):
        return tv_tensors.Image(F1.pil_to_tensor(inpt))
    if isinstance(inpt, ember.Tensor):
        return tv_tensors.Image(inpt)
    raise TypeError(f"to_image: expected a PIL Image, a NumPy array or a Tensor, got "
                    f"{type(inpt).__name__}")


def to_dtype(inpt, dtype=None, scale=False):
    """``inpt`` in ``dtype`` (default float32). With ``scale`` the values of an image are
    rescaled between the dtypes' ranges (``[0, 1]`` for floats, ``[0, max]`` for integers);
    masks and boxes are never scaled."""
    dtype = ember.float32 if dtype is None else dtype
    arr = inpt._data
    target = np.dtype(dtype.numpy)
    scale = scale and not isinstance(inpt, (tv_tensors.Mask, tv_tensors.BoundingBoxes,
                                            tv_tensors.KeyPoints))
    if arr.dtype == target or not scale:
        out = arr.astype(target)
    elif arr.dtype.kind != "f" and target.kind == "f":
        # v2 multiplies by the reciprocal of the maximum (v1 divides).
        out = arr.astype(target) * target.type(1.0 / max_value(arr.dtype))
    else:
        out = convert_array_dtype(arr, target)
    return _rewrap(ember.from_numpy(np.ascontiguousarray(out)), inpt)


def get_size(inpt):
    """``[height, width]`` of an image, mask or the canvas of boxes."""
    if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.KeyPoints)):
        return list(inpt.canvas_size)
    return F1.get_dimensions(inpt)[1:]


def get_num_channels(inpt):
    return F1.get_dimensions(inpt)[0]


# -- boxes ----------------------------------------------------------------------------------

def _to_xyxy(arr, fmt):
    if fmt is BoxFormat.XYXY:
        return arr.astype(np.float64)
    x, y, a, b = (arr[..., i].astype(np.float64) for i in range(4))
    if fmt is BoxFormat.XYWH:
        return np.stack([x, y, x + a, y + b], axis=-1)
    if fmt is BoxFormat.CXCYWH:
        return np.stack([x - a / 2, y - b / 2, x + a / 2, y + b / 2], axis=-1)
    raise ValueError(f"transforms.v2: rotated boxes ({fmt.value}) are not supported yet")


def _from_xyxy(xyxy, fmt, dtype):
    x1, y1, x2, y2 = (xyxy[..., i] for i in range(4))
    if fmt is BoxFormat.XYWH:
        xyxy = np.stack([x1, y1, x2 - x1, y2 - y1], axis=-1)
    elif fmt is BoxFormat.CXCYWH:
        xyxy = np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=-1)
    return np.trunc(xyxy).astype(dtype) if np.dtype(dtype).kind in "iu" else xyxy.astype(dtype)


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace=False):
    """Boxes re-expressed in ``new_format`` (``old_format`` defaults to the boxes' own)."""
    old = old_format or getattr(inpt, "format", None)
    old = BoxFormat[old.upper()] if isinstance(old, str) else old
    new = BoxFormat[new_format.upper()] if isinstance(new_format, str) else new_format
    if old is None or new is None:
        raise ValueError("convert_bounding_box_format: old_format (for a plain tensor) and "
                         "new_format are needed")
    out = _from_xyxy(_to_xyxy(inpt._data, old), new, inpt._data.dtype)
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        return tv_tensors.wrap(ember.from_numpy(out), like=inpt, format=new)
    return ember.from_numpy(out)


def _clamp_xyxy(xyxy, canvas):
    xyxy[..., 0::2] = np.clip(xyxy[..., 0::2], 0, canvas[1])
    xyxy[..., 1::2] = np.clip(xyxy[..., 1::2], 0, canvas[0])
    return xyxy


def clamp_bounding_boxes(inpt, format=None, canvas_size=None):
    """Boxes clipped to their canvas ``(H, W)``."""
    fmt = format or inpt.format
    canvas = canvas_size or inpt.canvas_size
    out = _from_xyxy(_clamp_xyxy(_to_xyxy(inpt._data, fmt), canvas), fmt, inpt._data.dtype)
    return _rewrap(ember.from_numpy(out), inpt)


def _move_boxes(boxes, fn, canvas, clamp=True):
    """Apply ``fn(xyxy) -> xyxy`` and give the boxes the new ``canvas``; clamped to it (as
    torchvision, except after flips) unless the boxes' ``clamping_mode`` is None."""
    xyxy = fn(_to_xyxy(boxes._data, boxes.format))
    if clamp and getattr(boxes, "clamping_mode", "soft") is not None:
        xyxy = _clamp_xyxy(xyxy, canvas)
    out = _from_xyxy(xyxy, boxes.format, boxes._data.dtype)
    return tv_tensors.wrap(ember.from_numpy(np.ascontiguousarray(out)), like=boxes,
                           canvas_size=tuple(canvas))


def _is_boxes(inpt):
    return isinstance(inpt, tv_tensors.BoundingBoxes)


def _is_mask(inpt):
    return isinstance(inpt, tv_tensors.Mask)


def _is_points(inpt):
    return isinstance(inpt, tv_tensors.KeyPoints)


def _points(inpt, out):
    """Wrap a keypoint kernel's result (points, or ``(points, canvas)``) like ``inpt``."""
    points, canvas = out if isinstance(out, tuple) else (out, inpt.canvas_size)
    return tv_tensors.wrap(points, like=inpt, canvas_size=tuple(canvas))


def _image_op(op, inpt, *args, **kwargs):
    return _rewrap(op(inpt, *args, **kwargs), inpt)


# -- geometry on every kind -----------------------------------------------------------------

def horizontal_flip(inpt):
    """Mirror left to right (boxes: ``x -> W - x``; keypoints ``x -> W - 1 - x``)."""
    if _is_points(inpt):
        return _points(inpt, K.horizontal_flip_keypoints(inpt, inpt.canvas_size))
    if _is_boxes(inpt):
        w = inpt.canvas_size[1]
        return _move_boxes(inpt, lambda b: np.stack([w - b[:, 2], b[:, 1], w - b[:, 0], b[:, 3]],
                                                    axis=-1), inpt.canvas_size, clamp=False)
    return _image_op(F1.hflip, inpt)


def vertical_flip(inpt):
    """Mirror top to bottom (boxes: ``y -> H - y``; keypoints ``y -> H - 1 - y``)."""
    if _is_points(inpt):
        return _points(inpt, K.vertical_flip_keypoints(inpt, inpt.canvas_size))
    if _is_boxes(inpt):
        h = inpt.canvas_size[0]
        return _move_boxes(inpt, lambda b: np.stack([b[:, 0], h - b[:, 3], b[:, 2], h - b[:, 1]],
                                                    axis=-1), inpt.canvas_size, clamp=False)
    return _image_op(F1.vflip, inpt)


hflip, vflip = horizontal_flip, vertical_flip


def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize an image (masks with NEAREST; boxes and keypoints scaled to the new canvas)."""
    if _is_points(inpt):
        return _points(inpt, K.resize_keypoints(inpt, size, inpt.canvas_size, max_size))
    if _is_boxes(inpt):
        h, w = inpt.canvas_size
        nh, nw = F1.resized_output_size(h, w, size, max_size)
        ratio = np.array([nw / w, nh / h, nw / w, nh / h])
        return _move_boxes(inpt, lambda b: b * ratio, (nh, nw))
    if _is_mask(inpt):
        interpolation = InterpolationMode.NEAREST
    return _image_op(F1.resize, inpt, size, interpolation, max_size, antialias)


def crop(inpt, top, left, height, width):
    """The ``height`` x ``width`` region at ``(top, left)`` (boxes shifted and clamped)."""
    if _is_points(inpt):
        return _points(inpt, K.crop_keypoints(inpt, top, left, height, width))
    if _is_boxes(inpt):
        return _move_boxes(inpt, lambda b: b - np.array([left, top, left, top]),
                           (height, width))
    return _image_op(F1.crop, inpt, top, left, height, width)


def center_crop(inpt, output_size):
    """The central ``output_size`` region."""
    if _is_points(inpt):
        return _points(inpt, K.center_crop_keypoints(inpt, inpt.canvas_size, output_size))
    if _is_boxes(inpt):
        th, tw = F1._pair(output_size, "output_size")
        h, w = inpt.canvas_size
        # A crop larger than the canvas has a negative anchor (the image is padded there).
        return crop(inpt, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)
    return _image_op(F1.center_crop, inpt, output_size)


def resized_crop(inpt, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    """:func:`crop` then :func:`resize`."""
    return resize(crop(inpt, top, left, height, width), size, interpolation,
                  antialias=antialias)


def pad(inpt, padding, fill=0, padding_mode="constant"):
    """Pad the borders (boxes shifted onto the larger canvas; masks filled with 0 unless
    ``fill`` says otherwise)."""
    if _is_points(inpt):
        return _points(inpt, K.pad_keypoints(inpt, inpt.canvas_size, padding, padding_mode))
    if _is_boxes(inpt):
        if padding_mode != "constant":
            raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding "
                             f"boxes")
        left, top, right, bottom = F1.parse_padding(padding)
        h, w = inpt.canvas_size
        return _move_boxes(inpt, lambda b: b + np.array([left, top, left, top]),
                           (h + top + bottom, w + left + right))
    return _image_op(F1.pad, inpt, padding, fill, padding_mode)


def _image_or_mask(name, op):
    def fn(inpt, *args, **kwargs):
        if _is_mask(inpt):
            kwargs["interpolation"] = InterpolationMode.NEAREST
        return _image_op(op, inpt, *args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"v1's ``{op.__name__}`` for images; masks are resampled with NEAREST."
    return fn


_rotate_image = _image_or_mask("rotate", F1.rotate)
_affine_image = _image_or_mask("affine", F1.affine)
_perspective_image = _image_or_mask("perspective", F1.perspective)
_elastic_image = _image_or_mask("elastic_transform", F1.elastic_transform)


def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """v1's elastic_transform for images (masks NEAREST); boxes and keypoints are moved with
    it."""
    if _is_points(inpt):
        return _points(inpt, W.elastic_keypoints(inpt, inpt.canvas_size, displacement))
    if _is_boxes(inpt):
        return tv_tensors.wrap(W.elastic_bounding_boxes(
            inpt, inpt.format, inpt.canvas_size, displacement, inpt.clamping_mode), like=inpt)
    return _elastic_image(inpt, displacement, interpolation=interpolation, fill=fill)


elastic_transform = elastic


def rotate(inpt, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """v1's rotate for images (masks NEAREST); boxes and keypoints are moved with it."""
    if _is_points(inpt):
        return _points(inpt, W.rotate_keypoints(inpt, inpt.canvas_size, angle, expand, center))
    if _is_boxes(inpt):
        boxes, canvas = W.rotate_bounding_boxes(inpt, inpt.format, inpt.canvas_size, angle,
                                                expand, center, inpt.clamping_mode)
        return tv_tensors.wrap(boxes, like=inpt, canvas_size=canvas)
    return _rotate_image(inpt, angle, interpolation=interpolation, expand=expand,
                         center=center, fill=fill)


def affine(inpt, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """v1's affine for images (masks NEAREST); boxes and keypoints are moved with it."""
    if _is_points(inpt):
        return _points(inpt, W.affine_keypoints(inpt, inpt.canvas_size, angle, translate, scale,
                                                shear, center))
    if _is_boxes(inpt):
        return tv_tensors.wrap(W.affine_bounding_boxes(
            inpt, inpt.format, inpt.canvas_size, angle, translate, scale, shear, center,
            inpt.clamping_mode), like=inpt)
    return _affine_image(inpt, angle, translate, scale, shear, interpolation=interpolation,
                         fill=fill, center=center)


def perspective(inpt, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    """v1's perspective for images (masks NEAREST); boxes and keypoints are moved with it."""
    if _is_points(inpt):
        return _points(inpt, W.perspective_keypoints(inpt, inpt.canvas_size, startpoints,
                                                     endpoints))
    if _is_boxes(inpt):
        return tv_tensors.wrap(W.perspective_bounding_boxes(
            inpt, inpt.format, inpt.canvas_size, startpoints, endpoints,
            clamping_mode=inpt.clamping_mode), like=inpt)
    return _perspective_image(inpt, startpoints, endpoints, interpolation=interpolation,
                              fill=fill)


# -- images only ----------------------------------------------------------------------------

def grayscale_to_rgb(inpt):
    """A one-channel image repeated to three channels (three-channel images unchanged)."""
    if get_num_channels(inpt) == 3:
        return inpt
    return F1.rgb_to_grayscale(inpt, 3) if not is_pil_image(inpt) else inpt.convert("RGB")


def permute_channels(inpt, permutation):
    """The channels reordered as ``permutation``."""
    arr = inpt._data
    return _rewrap(ember.from_numpy(np.ascontiguousarray(arr[..., list(permutation), :, :])),
                   inpt)


def gaussian_noise(inpt, mean=0.0, sigma=0.1, clip=True):
    """Add normal noise (drawn from ember's generator) to a float image, clipped to
    ``[0, 1]`` with ``clip``."""
    arr = inpt._data
    if arr.dtype.kind != "f":
        raise ValueError(f"gaussian_noise: input tensor is expected to be in float dtype, got "
                         f"{inpt.dtype}")
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    noise = ember.random._get_rng(None).standard_normal(arr.shape).astype(arr.dtype)
    out = arr + noise * arr.dtype.type(sigma) + arr.dtype.type(mean)
    if clip:
        out = np.clip(out, 0, 1)
    return _rewrap(ember.from_numpy(out), inpt)


def _photometric(op):
    def fn(inpt, *args, **kwargs):
        return _image_op(op, inpt, *args, **kwargs)
    fn.__name__, fn.__doc__ = op.__name__, op.__doc__
    return fn


for _name in ("adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
              "adjust_gamma", "adjust_sharpness", "rgb_to_grayscale", "invert", "posterize",
              "solarize", "autocontrast", "equalize", "gaussian_blur", "normalize", "erase"):
    globals()[_name] = _photometric(getattr(F1, _name))
del _name

# The per-kind kernels build on the dispatching ops above.
from ember.vision.transforms.v2 import _kernels  # noqa: E402
from ember.vision.transforms.v2._kernels import *  # noqa: E402,F401,F403

__all__ += _kernels.__all__
