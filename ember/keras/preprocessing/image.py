"""``keras.preprocessing.image``: load, save and convert images, and ``smart_resize``."""
import numpy as np

from ..utils.image_utils import array_to_img, img_to_array, load_img, save_img


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", backend_module=None):
    """Resize ``x`` (``(h, w, c)`` or a batch) to ``size`` without distorting it: first the largest
    centered crop with the target's aspect ratio, then a resize. NumPy in, NumPy out."""
    from ..ops import image as _image
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    arr = np.asarray(x._data if hasattr(x, "_data") else x)
    if arr.ndim not in (3, 4):
        raise ValueError(f"Expected an image array with shape `(height, width, channels)`, or `(batch_size, "
                         f"height, width, channels)`, but got input with incorrect rank, of shape {arr.shape}.")
    hw = (arr.shape[-3], arr.shape[-2]) if data_format == "channels_last" else (arr.shape[-2], arr.shape[-1])
    height, width = hw
    th, tw = size
    crop_h = max(min(height, int(float(width * th) / tw)), 1)
    crop_w = max(min(width, int(float(height * tw) / th)), 1)
    h0, w0 = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    if data_format == "channels_last":
        arr = arr[..., h0:h0 + crop_h, w0:w0 + crop_w, :]
    else:
        arr = arr[..., h0:h0 + crop_h, w0:w0 + crop_w]
    out = _image.resize(arr.astype(np.float32) if arr.dtype.kind != "f" else arr, size,
                        interpolation=interpolation, data_format=data_format)
    return np.asarray(out._data if hasattr(out, "_data") else out)


__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
