"""The three kinds of image the transforms accept, and moving between them.

* a PIL Image (when Pillow is installed);
* a NumPy array of shape ``(H, W)`` or ``(H, W, C)`` (channels last, as PIL and image files);
* an ember Tensor of shape ``(..., C, H, W)`` or ``(H, W)`` (channels first, as after ToTensor).

Geometric kernels work on one layout, a NumPy array ``(..., H, W)``; :func:`unpack` gives that
array and a function that turns a result back into the kind that came in.
"""
import numpy as np

import ember
from ember.vision._pil import is_pil_image, pil_image_module

__all__ = ["unpack", "image_size", "KINDS"]

KINDS = "a PIL Image, a NumPy array of shape (H, W) or (H, W, C), or an ember Tensor (..., C, H, W)"


def _from_pil(img):
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    arr = np.asarray(img)
    if arr.ndim == 2:
        return arr, _to_pil
    return arr.transpose(2, 0, 1), _to_pil_hwc


def _to_pil(arr):
    return pil_image_module().fromarray(np.ascontiguousarray(arr))


def _to_pil_hwc(arr):
    # A one-channel result (grayscale of an RGB image) is a mode "L" image.
    return _to_pil(arr[0] if arr.shape[0] == 1 else arr.transpose(1, 2, 0))


def _to_numpy_hwc(arr):
    return np.ascontiguousarray(arr.transpose(1, 2, 0))


def _to_tensor(arr):
    return ember.from_numpy(np.ascontiguousarray(arr))


def unpack(img, who="transform"):
    """``(array (..., H, W), rewrap)`` for any accepted image kind.

    Raises:
        TypeError: for anything else, naming what was given.
    """
    if isinstance(img, ember.Tensor):
        if img.ndim < 2:
            raise ValueError(f"{who}: expected a tensor image of shape (..., H, W), got shape "
                             f"{tuple(img.shape)}")
        return img._data, _to_tensor
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img, np.ascontiguousarray
        if img.ndim == 3:
            return img.transpose(2, 0, 1), _to_numpy_hwc
        raise ValueError(f"{who}: expected a NumPy image of shape (H, W) or (H, W, C), got "
                         f"shape {img.shape}")
    if is_pil_image(img):
        return _from_pil(img)
    raise TypeError(f"{who}: expected {KINDS}; got {type(img).__name__}")


def image_size(img):
    """``(height, width)`` of any accepted image kind."""
    if is_pil_image(img):
        return img.size[1], img.size[0]
    arr, _ = unpack(img)
    return arr.shape[-2], arr.shape[-1]


def num_channels(arr):
    return 1 if arr.ndim == 2 else arr.shape[-3]
