"""More of ``torchvision.transforms.functional``: crops that make several images, Gaussian blur,
erasing, perspective and elastic warps, sizes, and dtype conversion. ``functional`` re-exports
them; like it they take PIL Images, NumPy arrays ``(H, W[, C])`` and ember Tensors
``(..., C, H, W)`` and follow torchvision's tensor kernels.

>>> import numpy as np
>>> img = np.arange(16, dtype=np.uint8).reshape(4, 4)
>>> [c.tolist() for c in five_crop(img, 1)]
[[[0]], [[3]], [[12]], [[15]], [[10]]]
"""
import numbers

import numpy as np

import ember
from ember.vision._pil import is_pil_image
from ember.vision.transforms._color_ops import convert_array_dtype
from ember.vision.transforms._image import num_channels, unpack
from ember.vision.transforms._sampling import sample_array
from ember.vision.transforms.functional import (InterpolationMode, _fill_array, _mode, _pair,
                                                _restore_dtype, center_crop, crop, hflip,
                                                resize, vflip)

__all__ = ["get_dimensions", "get_image_size", "get_image_num_channels", "resized_crop",
           "five_crop", "ten_crop", "gaussian_blur", "erase", "perspective",
           "elastic_transform", "convert_image_dtype"]


def get_dimensions(img):
    """``[channels, height, width]`` of any accepted image kind."""
    arr, _ = unpack(img, "get_dimensions")
    return [num_channels(arr), arr.shape[-2], arr.shape[-1]]


def get_image_size(img):
    """``[width, height]``, torchvision's order."""
    c, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    """:func:`crop` then :func:`resize` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def five_crop(img, size):
    """The four corner crops and the centre crop of ``size``: ``(tl, tr, bl, br, center)``."""
    th, tw = _pair(size, "size")
    arr, _ = unpack(img, "five_crop")
    h, w = arr.shape[-2:]
    if th > h or tw > w:
        raise ValueError(f"Requested crop size {(th, tw)} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, th, tw), crop(img, 0, w - tw, th, tw), crop(img, h - th, 0, th, tw),
            crop(img, h - th, w - tw, th, tw), center_crop(img, (th, tw)))


def ten_crop(img, size, vertical_flip=False):
    """:func:`five_crop` of the image and of its mirror (left-right, or top-bottom with
    ``vertical_flip``): ten images."""
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def _blur_kernel(size, sigma, dtype):
    half = (size - 1) * 0.5
    pdf = np.exp(-0.5 * (np.linspace(-half, half, size) / sigma) ** 2)
    return (pdf / pdf.sum()).astype(dtype)


def gaussian_blur(img, kernel_size, sigma=None):
    """Convolve with a Gaussian of ``kernel_size = [kx, ky]`` (odd ints; an int for both) and
    standard deviation ``sigma = [sx, sy]`` (default ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``, i.e.
    ``0.15 k + 0.35``), borders reflected. Integer images are computed in float32 and
    rounded."""
    if isinstance(kernel_size, numbers.Integral):
        kernel_size = [int(kernel_size)] * 2
    kernel_size = list(kernel_size)
    if len(kernel_size) == 1:
        kernel_size = kernel_size * 2
    if len(kernel_size) != 2 or any(k <= 0 or k % 2 == 0 for k in kernel_size):
        raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    elif isinstance(sigma, numbers.Number):
        sigma = [float(sigma)] * 2
    else:
        sigma = [float(s) for s in sigma] * (2 if len(sigma) == 1 else 1)
    if len(sigma) != 2 or any(s <= 0 for s in sigma):
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    arr, back = unpack(img, "gaussian_blur")
    work = arr if arr.dtype.kind == "f" else arr.astype(np.float32)
    kx, ky = kernel_size
    kernel = np.outer(_blur_kernel(ky, sigma[1], work.dtype), _blur_kernel(kx, sigma[0], work.dtype))
    widths = [(0, 0)] * (arr.ndim - 2) + [(ky // 2, ky // 2), (kx // 2, kx // 2)]
    padded = np.pad(work, widths, mode="reflect")
    h, w = arr.shape[-2:]
    out = sum(kernel[u, v] * padded[..., u:u + h, v:v + w] for u in range(ky) for v in range(kx))
    return back(_restore_dtype(out, arr.dtype))


def erase(img, i, j, h, w, v, inplace=False):
    """Set the ``h`` x ``w`` region at ``(i, j)`` of a tensor image to ``v`` (a value or a
    tensor broadcastable to ``(C, h, w)``)."""
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"erase: img should be an ember Tensor image, got {type(img).__name__}")
    out = img if inplace else img.clone()
    values = v._data if isinstance(v, ember.Tensor) else np.asarray(v)
    out._data[..., i:i + h, j:j + w] = values.astype(out._data.dtype, copy=False)
    return out


def _perspective_coeffs(startpoints, endpoints):
    # The eight coefficients of the map from an output point to its input point, solved by
    # least squares in float64 and then rounded to float32, as torchvision does.
    a = np.zeros((8, 8))
    for k, ((x, y), (sx, sy)) in enumerate(zip(endpoints, startpoints)):
        a[2 * k] = [x, y, 1, 0, 0, 0, -sx * x, -sx * y]
        a[2 * k + 1] = [0, 0, 0, x, y, 1, -sy * x, -sy * y]
    b = np.asarray(startpoints, dtype=np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].astype(np.float32).astype(np.float64)


def _warp(img, px, py, interpolation, fill, who):
    arr, back = unpack(img, who)
    mode = _mode(interpolation)
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"{who}: interpolation should be NEAREST or BILINEAR, got {mode}")
    fill_values = None if fill is None else _fill_array(fill, arr)
    out = sample_array(arr.astype(np.float64), px, py, mode.value, fill_values)
    return back(_restore_dtype(out, arr.dtype))


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    """Warp so the four ``startpoints`` ``[[x, y], ...]`` (top-left, top-right, bottom-right,
    bottom-left corners) land on ``endpoints``: output point ``(X, Y)`` reads input point
    ``((a X + b Y + c) / (g X + h Y + 1), (d X + e Y + f) / (g X + h Y + 1))``."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"perspective: startpoints and endpoints should be 4 points each, got "
                         f"{len(startpoints)} and {len(endpoints)}")
    coeffs = _perspective_coeffs(startpoints, endpoints)
    if is_pil_image(img):
        # Pillow warps PIL Images, as torchvision does (Image.PERSPECTIVE is 2).
        from ember.vision.transforms.functional import _pil_fill, _pil_resample
        return img.transform(img.size, 2, coeffs.tolist(), _pil_resample(interpolation),
                             fillcolor=_pil_fill(fill, img))
    a, b, c, d, e, f, g, h = coeffs
    height, width = get_dimensions(img)[1:]
    qy, qx = np.mgrid[0:height, 0:width] + 0.5
    denom = g * qx + h * qy + 1.0
    return _warp(img, (a * qx + b * qy + c) / denom, (d * qx + e * qy + f) / denom,
                 interpolation, fill, "perspective")


def elastic_transform(img, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move every output pixel's read point by ``displacement`` ``(1, H, W, 2)``, given as
    ``(dx, dy)`` in ``grid_sample``'s normalised units (2 is the image width or height)."""
    arr, _ = unpack(img, "elastic_transform")
    h, w = arr.shape[-2:]
    disp = displacement._data if isinstance(displacement, ember.Tensor) else np.asarray(
        displacement)
    if disp.shape != (1, h, w, 2):
        raise ValueError(f"elastic_transform: displacement should have shape (1, {h}, {w}, 2), "
                         f"got {tuple(disp.shape)}")
    gy, gx = np.meshgrid(np.linspace((1 - h) / h, (h - 1) / h, h),
                         np.linspace((1 - w) / w, (w - 1) / w, w), indexing="ij")
    gx, gy = gx + disp[0, ..., 0], gy + disp[0, ..., 1]
    return _warp(img, (gx + 1) * w / 2, (gy + 1) * h / 2, interpolation, fill,
                 "elastic_transform")


def convert_image_dtype(image, dtype=None):
    """An image tensor in ``dtype`` (default float32) with its values rescaled: floats span
    ``[0, 1]``, integers ``[0, dtype max]`` (see
    :func:`ember.vision.transforms._color_ops.convert_array_dtype`)."""
    if not isinstance(image, ember.Tensor):
        kind = "PIL Image" if is_pil_image(image) else type(image).__name__
        raise TypeError(f"convert_image_dtype: expected an ember Tensor, got {kind}")
    dtype = ember.float32 if dtype is None else dtype
    return ember.from_numpy(np.ascontiguousarray(convert_array_dtype(image._data, dtype.numpy)))
