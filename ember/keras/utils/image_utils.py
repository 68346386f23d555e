"""``array_to_img``, ``img_to_array``, ``load_img`` and ``save_img`` between NumPy arrays and Pillow images
(Pillow is the ``vision`` extra: ``pip install ember[vision]``)."""
import io
import os

import numpy as np

from .. import backend


def _pil_image():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("Could not import PIL.Image. The use of `load_img`/`array_to_img` and the image "
                          "dataset utilities requires Pillow: pip install ember[vision] (or pip install pillow)"
                          ) from e
    return Image


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A Pillow image from a 3-D array (height, width, channels) with 1 (L), 3 (RGB) or 4 (RGBA) channels;
    ``scale`` maps the values' range onto ``[0, 255]`` first."""
    Image = _pil_image()
    data_format = backend.standardize_data_format(data_format)
    x = np.asarray(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    c = x.shape[2]
    if c == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if c == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if c == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {c}")


def img_to_array(img, data_format=None, dtype=None):
    """A float32 (``dtype``) array ``(height, width, channels)`` of a Pillow image (grayscale gets one
    channel)."""
    data_format = backend.standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape) if data_format == "channels_first" else x.reshape(x.shape + (1,))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the image array ``x`` to ``path`` (format from ``file_format`` or the extension)."""
    data_format = backend.standardize_data_format(data_format)
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and (file_format == "jpg" or file_format == "jpeg"
                               or str(path).lower().endswith((".jpg", ".jpeg"))):
        img = img.convert("RGB")
    if file_format == "jpg":
        file_format = "jpeg"
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Open an image file (a path or a file-like object) as a Pillow image in ``color_mode`` ('grayscale',
    'rgb', 'rgba'), resized to ``target_size`` ``(height, width)`` with ``interpolation``
    (``keep_aspect_ratio`` crops the centre to the target's aspect ratio first)."""
    Image = _pil_image()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if target_size is not None:
        width_height = (target_size[1], target_size[0])
        if img.size != width_height:
            from .dataset_utils import _resample
            resample = _resample(Image, interpolation)
            if keep_aspect_ratio:
                w, h = img.size
                tw, th = width_height
                crop_h = min(h, (w * th) // tw)
                crop_w = min(w, (h * tw) // th)
                left, top = (w - crop_w) // 2, (h - crop_h) // 2
                img = img.resize(width_height, resample, box=[left, top, left + crop_w, top + crop_h])
            else:
                img = img.resize(width_height, resample)
    return img
