"""Colour operations of ``torchvision.transforms.functional``, in NumPy.

On PIL Images they call Pillow as torchvision does (``ImageEnhance``, ``ImageOps``). On
tensors and NumPy arrays they follow torchvision's tensor kernels: an integer image is worked in
float32, a float image in its own dtype, and blends are clipped to ``[0, bound]`` (bound 255 for uint8, 1 for floats) and
*truncated* back to integers, as ``Tensor.to(torch.uint8)`` does.

>>> import numpy as np
>>> adjust_brightness(np.array([[100, 200]], dtype=np.uint8), 1.5).tolist()
[[150, 255]]
>>> invert(np.array([[0, 55]], dtype=np.uint8)).tolist()
[[255, 200]]
"""
import numbers

import numpy as np

from ember.vision._pil import is_pil_image
from ember.vision.transforms._image import num_channels, unpack
from ember.vision.transforms._pil_color import PIL_COLOR_OPS

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "adjust_gamma", "adjust_sharpness", "rgb_to_grayscale", "to_grayscale", "invert",
           "posterize", "solarize", "autocontrast", "equalize", "max_value", "convert_array_dtype"]


def max_value(dtype):
    """The brightest value of an image of ``dtype``: 1 for floats, the dtype's max for integers."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return int(np.iinfo(dtype).max)
    return 1


def _work(arr):
    return arr if arr.dtype.kind == "f" else arr.astype(np.float32)


def _to_dtype(values, dtype):
    # Tensor.to(integer dtype) truncates towards zero.
    if np.dtype(dtype).kind in "iu":
        return np.trunc(values).astype(dtype)
    return values.astype(dtype, copy=False)


def blend(arr1, arr2, ratio):
    """``clip(ratio * arr1 + (1 - ratio) * arr2, 0, bound)`` in ``arr1``'s dtype."""
    ratio = float(ratio)
    w1 = _work(arr1)
    ft = w1.dtype.type
    out = ft(ratio) * w1 + ft(1.0 - ratio) * _work(arr2).astype(w1.dtype, copy=False)
    return _to_dtype(np.clip(out, 0, max_value(arr1.dtype)), arr1.dtype)


def _check_channels(arr, allowed, who):
    c = num_channels(arr)
    if c not in allowed:
        raise TypeError(f"{who}: input image should have one of {allowed} channels, got {c}")
    return c


def _check_factor(value, name):
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def _gray_array(arr):
    ft = _work(arr).dtype.type
    r, g, b = (_work(arr[..., i, :, :]) for i in range(3))
    return _to_dtype(ft(0.2989) * r + ft(0.587) * g + ft(0.114) * b, arr.dtype)[..., None, :, :]


def _gray(arr, num_output_channels, who):
    if num_output_channels not in (1, 3):
        raise ValueError(f"{who}: num_output_channels should be either 1 or 3, got "
                         f"{num_output_channels}")
    if arr.ndim == 2:
        arr = arr[None]
    c = _check_channels(arr, (1, 3), who)
    gray = _gray_array(arr) if c == 3 else arr.copy()
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return gray


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` as 1 or 3 channels (``num_output_channels``).

    >>> rgb_to_grayscale(np.full((1, 1, 3), 100, np.uint8)).tolist()
    [[[99]]]
    """
    if is_pil_image(img):
        return PIL_COLOR_OPS["rgb_to_grayscale"](img, num_output_channels)
    arr, back = unpack(img, "rgb_to_grayscale")
    gray = _gray(arr, num_output_channels, "rgb_to_grayscale")
    return back(gray[0] if arr.ndim == 2 and num_output_channels == 1 else gray)


def to_grayscale(img, num_output_channels=1):
    """:func:`rgb_to_grayscale` (torchvision's older name, for PIL Images)."""
    return rgb_to_grayscale(img, num_output_channels)


def adjust_brightness(img, brightness_factor):
    """``img * brightness_factor``, clipped: 0 gives black, 1 the original."""
    _check_factor(brightness_factor, "brightness_factor")
    if is_pil_image(img):
        return PIL_COLOR_OPS["adjust_brightness"](img, brightness_factor)
    arr, back = unpack(img, "adjust_brightness")
    _check_channels(arr, (1, 3), "adjust_brightness")
    return back(blend(arr, np.zeros_like(arr), brightness_factor))


def adjust_contrast(img, contrast_factor):
    """Blend with the mean grey level of the whole image: 0 gives flat grey, 1 the original."""
    _check_factor(contrast_factor, "contrast_factor")
    if is_pil_image(img):
        return PIL_COLOR_OPS["adjust_contrast"](img, contrast_factor)
    arr, back = unpack(img, "adjust_contrast")
    c = _check_channels(arr, (1, 3), "adjust_contrast")
    gray = _work(_gray_array(arr) if c == 3 else arr)
    axes = (-3, -2, -1) if arr.ndim >= 3 else (-2, -1)
    mean = gray.mean(axis=axes, keepdims=True, dtype=gray.dtype)
    return back(blend(arr, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    """Blend with the grayscale image: 0 gives grey, 1 the original, 2 doubles saturation."""
    _check_factor(saturation_factor, "saturation_factor")
    if is_pil_image(img):
        return PIL_COLOR_OPS["adjust_saturation"](img, saturation_factor)
    arr, back = unpack(img, "adjust_saturation")
    if _check_channels(arr, (1, 3), "adjust_saturation") == 1:
        return back(arr.copy())
    return back(blend(arr, _gray_array(arr), saturation_factor))


def _rgb_to_hsv(rgb):
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    same = maxc == minc
    span = maxc - minc
    one = np.ones_like(maxc)
    s = span / np.where(same, one, maxc)
    divisor = np.where(same, one, span)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    ft = rgb.dtype.type
    h = ((maxc == r) * (bc - gc) + ((maxc == g) & (maxc != r)) * (ft(2.0) + rc - bc)
         + ((maxc != g) & (maxc != r)) * (ft(4.0) + gc - rc))
    h = np.fmod(h / ft(6.0) + ft(1.0), ft(1.0))
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    ft = v.dtype.type
    sector = np.floor(h * ft(6.0))
    f = h * ft(6.0) - sector
    sector = sector.astype(np.int32) % 6
    p = np.clip(v * (ft(1.0) - s), 0, 1)
    q = np.clip(v * (ft(1.0) - s * f), 0, 1)
    t = np.clip(v * (ft(1.0) - s * (ft(1.0) - f)), 0, 1)
    table = np.stack([np.stack(row, axis=-3) for row in
                      ((v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q))], axis=-4)
    pick = np.expand_dims(sector, (-4, -3))
    return np.take_along_axis(table, pick, axis=-3)[..., 0, :, :]


def adjust_hue(img, hue_factor):
    """Turn every pixel's hue by ``hue_factor`` of a full circle (in ``[-0.5, 0.5]``), in HSV
    space computed in float32."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if is_pil_image(img):
        return PIL_COLOR_OPS["adjust_hue"](img, hue_factor)
    arr, back = unpack(img, "adjust_hue")
    if _check_channels(arr, (1, 3), "adjust_hue") == 1:
        return back(arr.copy())
    h, s, v = _rgb_to_hsv(convert_array_dtype(arr, np.float32))
    h = np.mod(h + np.float32(hue_factor), np.float32(1.0))
    return back(convert_array_dtype(_hsv_to_rgb(h, s, v), arr.dtype))


def adjust_gamma(img, gamma, gain=1):
    """``gain * img ** gamma`` on the image scaled to ``[0, 1]``, clipped."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if is_pil_image(img):
        return PIL_COLOR_OPS["adjust_gamma"](img, gamma, gain)
    arr, back = unpack(img, "adjust_gamma")
    _check_channels(arr, (1, 3), "adjust_gamma")
    work = arr if arr.dtype.kind == "f" else convert_array_dtype(arr, np.float32)
    ft = work.dtype.type
    out = np.clip(ft(gain) * work ** ft(gamma), 0, 1)
    return back(convert_array_dtype(out, arr.dtype))


def _smoothed(arr):
    # The 3x3 kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 over the interior; the border
    # keeps its pixels.
    work = _work(arr)
    kernel = np.ones((3, 3), dtype=work.dtype)
    kernel[1, 1] = 5
    kernel /= kernel.sum()
    h, w = arr.shape[-2:]
    inner = sum(kernel[u, v] * work[..., u:h - 2 + u, v:w - 2 + v]
                for u in range(3) for v in range(3))
    if arr.dtype.kind != "f":
        inner = np.round(inner)
    out = arr.copy()
    out[..., 1:-1, 1:-1] = inner
    return out


def adjust_sharpness(img, sharpness_factor):
    """Blend with a smoothed copy: 0 blurs, 1 is the original, 2 sharpens."""
    _check_factor(sharpness_factor, "sharpness_factor")
    if is_pil_image(img):
        return PIL_COLOR_OPS["adjust_sharpness"](img, sharpness_factor)
    arr, back = unpack(img, "adjust_sharpness")
    _check_channels(arr, (1, 3), "adjust_sharpness")
    if arr.shape[-1] <= 2 or arr.shape[-2] <= 2:
        return back(arr.copy())
    return back(blend(arr, _smoothed(arr), sharpness_factor))


def invert(img):
    """``bound - img`` (255 for uint8, 1 for floats)."""
    if is_pil_image(img):
        return PIL_COLOR_OPS["invert"](img)
    arr, back = unpack(img, "invert")
    _check_channels(arr, (1, 3), "invert")
    return back((np.asarray(max_value(arr.dtype), dtype=arr.dtype) - arr).astype(arr.dtype))


def posterize(img, bits):
    """Keep the ``bits`` most significant bits of each channel of a uint8 image."""
    if is_pil_image(img):
        return PIL_COLOR_OPS["posterize"](img, bits)
    arr, back = unpack(img, "posterize")
    if arr.dtype != np.uint8:
        raise TypeError(f"posterize: only uint8 images are supported, got {arr.dtype}")
    if not isinstance(bits, numbers.Integral) or not 0 <= bits <= 8:
        raise ValueError(f"posterize: bits should be an int in [0, 8], got {bits!r}")
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return back(arr & mask)


def solarize(img, threshold):
    """Invert the pixels at or above ``threshold``."""
    if is_pil_image(img):
        return PIL_COLOR_OPS["solarize"](img, threshold)
    arr, back = unpack(img, "solarize")
    _check_channels(arr, (1, 3), "solarize")
    if threshold > max_value(arr.dtype):
        raise TypeError(f"solarize: threshold should be less than bound of img "
                        f"({max_value(arr.dtype)}), got {threshold}")
    inverted = (np.asarray(max_value(arr.dtype), dtype=arr.dtype) - arr).astype(arr.dtype)
    return back(np.where(arr >= threshold, inverted, arr))


def autocontrast(img):
    """Stretch each channel so its darkest pixel becomes 0 and its brightest the bound."""
    if is_pil_image(img):
        return PIL_COLOR_OPS["autocontrast"](img)
    arr, back = unpack(img, "autocontrast")
    if arr.ndim < 3:
        raise TypeError(f"autocontrast: input image should have at least 3 dimensions, got "
                        f"{arr.ndim}")
    _check_channels(arr, (1, 3), "autocontrast")
    work = _work(arr)
    ft = work.dtype.type
    low = work.min(axis=(-2, -1), keepdims=True)
    high = work.max(axis=(-2, -1), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        # As torch's ``number / tensor``: the reciprocal, then the product.
        scale = (ft(1) / (high - low)) * ft(max_value(arr.dtype))
    flat = ~np.isfinite(scale)
    low, scale = np.where(flat, ft(0), low), np.where(flat, ft(1), scale)
    return back(_to_dtype(np.clip((work - low) * scale, 0, max_value(arr.dtype)), arr.dtype))


def _equalize_channel(chan):
    hist = np.bincount(chan.ravel(), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return chan
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[chan].astype(np.uint8)


def equalize(img):
    """Histogram equalization of each channel of a uint8 image."""
    if is_pil_image(img):
        return PIL_COLOR_OPS["equalize"](img)
    arr, back = unpack(img, "equalize")
    if arr.dtype != np.uint8:
        raise TypeError(f"equalize: only uint8 images are supported, got {arr.dtype}")
    if arr.ndim == 2:
        return back(_equalize_channel(arr))
    flat = arr.reshape((-1,) + arr.shape[-2:])
    return back(np.stack([_equalize_channel(c) for c in flat]).reshape(arr.shape))


def convert_array_dtype(arr, dtype):
    """torchvision's ``convert_image_dtype`` on a NumPy array: floats are ``[0, 1]``, integers
    ``[0, max]``; float to integer multiplies by ``max + 1 - 0.001`` and truncates, integer to
    integer shifts by whole powers of two."""
    dtype = np.dtype(dtype)
    src = arr.dtype
    if src == dtype:
        return arr
    if src.kind == "f":
        if dtype.kind == "f":
            return arr.astype(dtype)
        if (src == np.float32 and dtype in (np.int32, np.int64)) or (
                src == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {src} to {dtype} cannot be performed safely.")
        ft = src.type
        return np.trunc(arr * ft(max_value(dtype) + 1.0 - 1e-3)).astype(dtype)
    if dtype.kind == "f":
        return arr.astype(dtype) / dtype.type(max_value(src))
    in_max, out_max = max_value(src), max_value(dtype)
    if in_max > out_max:
        return (arr.astype(np.int64) // ((in_max + 1) // (out_max + 1))).astype(dtype)
    return arr.astype(dtype) * dtype.type((out_max + 1) // (in_max + 1))
