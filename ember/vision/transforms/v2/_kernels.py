"""The per-kind kernels of ``transforms.v2.functional`` (``resize_image``, ``crop_mask``,
``pad_bounding_boxes``...): the same ops as the dispatching functions, on plain tensors that
the caller says are images, videos, masks or boxes. Box kernels take the boxes' ``format`` and
``canvas_size`` and, where the canvas changes, return ``(boxes, new canvas_size)`` as torchvision.
"""
import io as _io

import numpy as np

import ember
from ember.vision import tv_tensors
from ember.vision._pil import require_pil
from ember.vision.transforms.v2 import functional as F

BoxFormat = tv_tensors.BoundingBoxFormat

# op name -> the dispatching function, for the ops whose image and video kernels are the op on
# a plain tensor ``(..., C, H, W)`` (a video's frames lie in the leading dimensions).
_IMAGE_OPS = ["adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
              "adjust_saturation", "adjust_sharpness", "affine", "autocontrast", "center_crop",
              "crop", "elastic", "equalize", "erase", "five_crop", "gaussian_blur",
              "gaussian_noise", "get_dimensions", "get_num_channels", "get_size",
              "horizontal_flip", "invert", "normalize", "pad", "permute_channels",
              "perspective", "posterize", "resize", "resized_crop", "rotate", "solarize",
              "ten_crop", "to_dtype", "vertical_flip"]
_IMAGE_ONLY = ["rgb_to_grayscale", "grayscale_to_rgb"]
_MASK_OPS = ["affine", "center_crop", "crop", "elastic", "horizontal_flip", "pad",
             "perspective", "resize", "resized_crop", "rotate", "vertical_flip", "get_size"]

__all__ = ([f"{op}_{kind}" for op in _IMAGE_OPS for kind in ("image", "video")]
           + [f"{op}_image" for op in _IMAGE_ONLY] + [f"{op}_mask" for op in _MASK_OPS]
           + ["horizontal_flip_bounding_boxes", "vertical_flip_bounding_boxes",
              "resize_bounding_boxes", "crop_bounding_boxes", "center_crop_bounding_boxes",
              "resized_crop_bounding_boxes", "pad_bounding_boxes", "get_size_bounding_boxes",
              "sanitize_bounding_boxes", "get_num_frames", "get_num_frames_video",
              "uniform_temporal_subsample", "uniform_temporal_subsample_video", "jpeg",
              "jpeg_image", "jpeg_video"])


def _plain(x):
    return x.as_subclass(ember.Tensor) if isinstance(x, tv_tensors.TVTensor) else x


def _unwrap(out):
    if isinstance(out, tuple):
        return tuple(_plain(o) for o in out)
    return _plain(out)


def _image_kernel(op):
    fn = getattr(F, "elastic_transform" if op == "elastic" else op)

    def kernel(image, *args, **kwargs):
        return _unwrap(fn(_plain(image), *args, **kwargs))
    kernel.__doc__ = f"``{op}`` of a plain image or video tensor."
    return kernel


def _mask_kernel(op):
    fn = getattr(F, "elastic_transform" if op == "elastic" else op)

    def kernel(mask, *args, **kwargs):
        if op == "resize":
            kwargs.pop("interpolation", None)
        return _unwrap(fn(tv_tensors.Mask(mask), *args, **kwargs))
    kernel.__doc__ = f"``{op}`` of a mask tensor (NEAREST resampling, zero fill)."
    return kernel


for _op in _IMAGE_OPS:
    globals()[f"{_op}_image"] = globals()[f"{_op}_video"] = _image_kernel(_op)
for _op in _IMAGE_ONLY:
    globals()[f"{_op}_image"] = _image_kernel(_op)
for _op in _MASK_OPS:
    globals()[f"{_op}_mask"] = _mask_kernel(_op)
del _op


def _boxes(bounding_boxes, format, canvas_size, clamping_mode="soft"):
    return tv_tensors.BoundingBoxes(bounding_boxes, format=format, canvas_size=canvas_size,
                                    clamping_mode=clamping_mode)


def _with_canvas(out):
    return out.as_subclass(ember.Tensor), out.canvas_size


def horizontal_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    """Boxes ``(N, 4)`` mirrored left to right on a canvas ``(H, W)``."""
    return F.horizontal_flip(_boxes(bounding_boxes, format, canvas_size)).as_subclass(
        ember.Tensor)


def vertical_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    """Boxes mirrored top to bottom."""
    return F.vertical_flip(_boxes(bounding_boxes, format, canvas_size)).as_subclass(
        ember.Tensor)


def resize_bounding_boxes(bounding_boxes, canvas_size, size, max_size=None,
                          format=BoxFormat.XYXY, clamping_mode="soft"):
    """``(boxes, new canvas)`` after resizing the canvas to ``size``."""
    return _with_canvas(F.resize(_boxes(bounding_boxes, format, canvas_size, clamping_mode),
                                 size, max_size=max_size))


def crop_bounding_boxes(bounding_boxes, format, top, left, height, width, clamping_mode="soft"):
    """``(boxes, (height, width))`` after cropping the canvas."""
    boxes = _boxes(bounding_boxes, format, (height, width), clamping_mode)
    return _with_canvas(F.crop(boxes, top, left, height, width))


def center_crop_bounding_boxes(bounding_boxes, format, canvas_size, output_size,
                               clamping_mode="soft"):
    """``(boxes, output_size)`` after a centre crop."""
    return _with_canvas(F.center_crop(_boxes(bounding_boxes, format, canvas_size,
                                             clamping_mode), output_size))


def resized_crop_bounding_boxes(bounding_boxes, format, top, left, height, width, size,
                                clamping_mode="soft"):
    """``(boxes, size)`` after a crop and a resize."""
    boxes = _boxes(bounding_boxes, format, (height, width), clamping_mode)
    return _with_canvas(F.resized_crop(boxes, top, left, height, width, size))


def pad_bounding_boxes(bounding_boxes, format, canvas_size, padding, padding_mode="constant",
                       clamping_mode="soft"):
    """``(boxes, new canvas)`` after padding the canvas."""
    return _with_canvas(F.pad(_boxes(bounding_boxes, format, canvas_size, clamping_mode),
                              padding, padding_mode=padding_mode))


def get_size_bounding_boxes(bounding_box):
    return list(bounding_box.canvas_size)


def sanitize_bounding_boxes(bounding_boxes, format=None, canvas_size=None, min_size=1.0,
                            min_area=1.0):
    """``(kept boxes, valid)``: a box is valid when its width and height are at least
    ``min_size``, its area at least ``min_area`` and it lies within the canvas."""
    if isinstance(bounding_boxes, tv_tensors.BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError("format and canvas_size must be None when bounding_boxes is a "
                             "tv_tensors.BoundingBoxes")
        format, canvas_size = bounding_boxes.format, bounding_boxes.canvas_size
    elif format is None or canvas_size is None:
        raise ValueError("format and canvas_size cannot be None if bounding_boxes is a plain "
                         "tensor")
    format = BoxFormat[format.upper()] if isinstance(format, str) else format
    xyxy = F._to_xyxy(bounding_boxes._data, format)
    w, h = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    valid = (w >= min_size) & (h >= min_size) & (xyxy >= 0).all(axis=-1) & (w * h >= min_area)
    valid &= (xyxy[:, 0] <= canvas_size[1]) & (xyxy[:, 2] <= canvas_size[1])
    valid &= (xyxy[:, 1] <= canvas_size[0]) & (xyxy[:, 3] <= canvas_size[0])
    kept = ember.from_numpy(np.ascontiguousarray(bounding_boxes._data[valid]))
    if isinstance(bounding_boxes, tv_tensors.BoundingBoxes):
        kept = tv_tensors.wrap(kept, like=bounding_boxes)
    return kept, ember.from_numpy(valid)


def get_num_frames(inpt):
    """The number of frames ``T`` of a video ``(..., T, C, H, W)``."""
    return inpt.shape[-4]


get_num_frames_video = get_num_frames


def uniform_temporal_subsample(inpt, num_samples):
    """``num_samples`` frames evenly spaced from first to last (indices truncated)."""
    t = inpt.shape[-4]
    idx = np.linspace(0, t - 1, num_samples).astype(np.float32).astype(np.int64)
    out = ember.from_numpy(np.ascontiguousarray(np.take(inpt._data, idx, axis=-4)))
    return F._rewrap(out, inpt)


uniform_temporal_subsample_video = uniform_temporal_subsample


def jpeg(image, quality):
    """Each uint8 image ``(..., C, H, W)`` encoded as JPEG at ``quality`` and decoded again."""
    image_module = require_pil("jpeg")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be an integer from 1 to 100, got {quality}")
    arr = image._data
    if arr.dtype != np.uint8:
        raise TypeError(f"jpeg: input tensor must be uint8, got {image.dtype}")
    flat = arr.reshape((-1,) + arr.shape[-3:])
    out = np.empty_like(flat)
    for k, one in enumerate(flat):
        pil = image_module.fromarray(one[0] if one.shape[0] == 1 else one.transpose(1, 2, 0))
        buffer = _io.BytesIO()
        pil.save(buffer, format="JPEG", quality=quality)
        back = np.asarray(image_module.open(buffer))
        out[k] = back[None] if back.ndim == 2 else back.transpose(2, 0, 1)
    return F._rewrap(ember.from_numpy(out.reshape(arr.shape)), image)


jpeg_image = jpeg_video = jpeg
