"""Image operations behind the transforms, in pure NumPy, as torchvision's ``functional``.

Every function takes a PIL Image, a NumPy array ``(H, W)``/``(H, W, C)`` or an ember Tensor
``(..., C, H, W)`` and returns the same kind. Integer images are computed in float64,
rounded (half to even) and clipped back to their dtype.

>>> import numpy as np
>>> img = np.arange(16, dtype=np.uint8).reshape(4, 4)
>>> resize(img, [2, 2], interpolation=InterpolationMode.NEAREST).tolist()
[[0, 2], [8, 10]]
>>> hflip(img)[0].tolist()
[3, 2, 1, 0]
"""
import enum
import math
import numbers

import numpy as np

import ember
from ember.vision._pil import is_pil_image, require_pil
from ember.vision.transforms._image import num_channels, unpack
from ember.vision.transforms._sampling import sample_array

__all__ = ["InterpolationMode", "to_tensor", "pil_to_tensor", "to_pil_image", "normalize",
           "resize", "pad", "crop", "center_crop", "hflip", "vflip", "affine", "rotate",
           "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "adjust_gamma", "adjust_sharpness", "rgb_to_grayscale", "to_grayscale", "invert",
           "posterize", "solarize", "autocontrast", "equalize", "get_dimensions",
           "get_image_size", "get_image_num_channels", "resized_crop", "five_crop", "ten_crop",
           "gaussian_blur", "erase", "perspective", "elastic_transform", "convert_image_dtype"]


class InterpolationMode(enum.Enum):
    """How to sample between pixels: ``NEAREST`` (PyTorch's ``'nearest'``: source index
    ``floor(i * in / out)``), ``NEAREST_EXACT`` (``floor((i + 0.5) * in / out)``, as PIL),
    ``BILINEAR`` and ``BICUBIC``."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    # Pillow's filters, for PIL Images only (as torchvision).
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# torchvision resizes PIL Images with Pillow's own filters.
_PIL_FILTERS = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0,
                InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
                InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                InterpolationMode.LANCZOS: 1}


def _mode(interpolation):
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    try:
        return InterpolationMode(interpolation)
    except ValueError:
        raise ValueError(f"interpolation must be an InterpolationMode or one of "
                         f"{[m.value for m in InterpolationMode]}, got {interpolation!r}") from None


def _restore_dtype(result, dtype):
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.round(result), info.min, info.max).astype(dtype)
    if dtype == np.bool_:
        return result > 0.5
    return result.astype(dtype, copy=False)


# -- conversion -----------------------------------------------------------------------------

def to_tensor(pic):
    """A PIL Image or NumPy array ``(H, W)``/``(H, W, C)`` as a tensor ``(C, H, W)``; uint8
    values are scaled to float32 in ``[0, 1]``, other dtypes are kept unscaled.

    >>> to_tensor(np.full((2, 2), 255, dtype=np.uint8)).tolist()
    [[[1.0, 1.0], [1.0, 1.0]]]
    """
    if is_pil_image(pic):
        if pic.mode == "1":
            pic = pic.convert("L")
        arr = _from_pil_array(pic)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_tensor: expected a NumPy image of shape (H, W) or (H, W, C), "
                             f"got shape {pic.shape}")
        arr = pic
    else:
        raise TypeError(f"to_tensor: expected a PIL Image or a NumPy array (H, W) or (H, W, C), "
                        f"got {type(pic).__name__}")
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    if chw.dtype == np.uint8:
        chw = chw.astype(ember.get_default_dtype().numpy) / np.float32(255)
    return ember.from_numpy(np.ascontiguousarray(chw))


def _from_pil_array(pic):
    if pic.mode == "P":
        pic = pic.convert("RGBA" if "transparency" in pic.info else "RGB")
    return np.asarray(pic)


def pil_to_tensor(pic):
    """A PIL Image (or NumPy array ``(H, W[, C])``) as a tensor ``(C, H, W)`` of the same dtype,
    without scaling."""
    if is_pil_image(pic):
        arr = _from_pil_array(pic)
    elif isinstance(pic, np.ndarray) and pic.ndim in (2, 3):
        arr = pic
    else:
        raise TypeError(f"pil_to_tensor: expected a PIL Image or a NumPy array (H, W) or "
                        f"(H, W, C), got {type(pic).__name__}")
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return ember.from_numpy(np.ascontiguousarray(chw))


def to_pil_image(pic, mode=None):
    """A tensor ``(C, H, W)`` or NumPy array ``(H, W[, C])`` as a PIL Image. Float tensors are
    multiplied by 255 and truncated to uint8, as torchvision does."""
    image = require_pil("to_pil_image")
    if isinstance(pic, ember.Tensor):
        arr = pic._data
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ValueError(f"to_pil_image: expected a tensor of shape (C, H, W) or (H, W), got "
                             f"shape {tuple(pic.shape)}")
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * 255).astype(np.uint8)
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_pil_image: expected a NumPy array of shape (H, W) or "
                             f"(H, W, C), got shape {pic.shape}")
        arr = pic
    else:
        raise TypeError(f"to_pil_image: expected an ember Tensor or a NumPy array, got "
                        f"{type(pic).__name__}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    result = image.fromarray(np.ascontiguousarray(arr))
    return result.convert(mode) if mode is not None and mode != result.mode else result


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean[c]) / std[c]`` for each channel ``c`` of a float tensor ``(..., C, H, W)``.

    >>> t = ember.ones(2, 1, 1)
    >>> normalize(t, [0.5, 0.0], [0.5, 2.0]).flatten().tolist()
    [1.0, 0.5]
    """
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"normalize: expected an ember Tensor (..., C, H, W) (use ToTensor first), "
                        f"got {type(tensor).__name__}")
    arr = tensor._data
    if arr.dtype.kind != "f":
        raise TypeError(f"normalize: input tensor should be a float tensor, got {tensor.dtype}")
    if arr.ndim < 3:
        raise ValueError(f"normalize: expected a tensor image of shape (..., C, H, W), got "
                         f"shape {tuple(tensor.shape)}")
    mean = np.asarray(mean, dtype=arr.dtype).reshape(-1, 1, 1)
    std = np.asarray(std, dtype=arr.dtype).reshape(-1, 1, 1)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {arr.dtype}, leading to "
                         f"division by zero: std={std.ravel().tolist()}")
    if inplace:
        np.subtract(arr, mean, out=arr)
        np.divide(arr, std, out=arr)
        return tensor
    return ember.from_numpy((arr - mean) / std)


# -- resizing -------------------------------------------------------------------------------

def _cubic(x, a):
    x = np.abs(x)
    return np.where(x <= 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))


def _linear(x):
    return np.clip(1 - np.abs(x), 0, None)


def _classic_weights(n_in, n_out, mode):
    scale = n_in / n_out
    src = (np.arange(n_out) + 0.5) * scale - 0.5
    w = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode is InterpolationMode.BILINEAR:
        src = np.maximum(src, 0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        frac = src - i0
        np.add.at(w, (rows, i0), 1 - frac)
        np.add.at(w, (rows, i1), frac)
        return w
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    for k, dist in zip(range(-1, 3), (t + 1, t, 1 - t, 2 - t)):
        np.add.at(w, (rows, np.clip(i0 + k, 0, n_in - 1)), _cubic(dist, -0.75))
    return w


def _antialias_weights(n_in, n_out, mode):
    # Each output pixel averages the input under a filter stretched by the downscale
    # factor (as PIL and PyTorch's antialias=True do), normalised to sum to one; the
    # filter's support is cut to the taps [lo, hi) those libraries use.
    scale = n_in / n_out
    stretch = max(scale, 1.0)
    radius = (1.0 if mode is InterpolationMode.BILINEAR else 2.0) * stretch
    center = scale * (np.arange(n_out) + 0.5)[:, None]
    lo = np.maximum(np.trunc(center - radius + 0.5), 0)
    hi = np.minimum(np.trunc(center + radius + 0.5), n_in)
    taps = np.arange(n_in)[None, :]
    x = (taps - center + 0.5) / stretch
    k = _linear(x) if mode is InterpolationMode.BILINEAR else _cubic(x, -0.5)
    k = np.where((taps >= lo) & (taps < hi), k, 0.0)
    total = k.sum(axis=1, keepdims=True)
    return np.divide(k, total, out=np.zeros_like(k), where=total != 0)


def _nearest_index(n_in, n_out, mode):
    scale = n_in / n_out
    offset = 0.5 if mode is InterpolationMode.NEAREST_EXACT else 0.0
    return np.minimum(np.floor((np.arange(n_out) + offset) * scale).astype(np.int64), n_in - 1)


def resize_array(arr, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """Resize an array ``(..., H, W)`` to ``size = (h, w)``."""
    mode = _mode(interpolation)
    if mode in (InterpolationMode.BOX, InterpolationMode.HAMMING, InterpolationMode.LANCZOS):
        raise ValueError(f"resize: {mode} interpolation is only supported for PIL Images; use "
                         f"NEAREST, NEAREST_EXACT, BILINEAR or BICUBIC for arrays and tensors")
    (h, w), (oh, ow) = arr.shape[-2:], size
    if (h, w) == (oh, ow):
        return arr.copy()
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        rows, cols = _nearest_index(h, oh, mode), _nearest_index(w, ow, mode)
        return arr[..., rows[:, None], cols[None, :]]
    weights = _antialias_weights if antialias else _classic_weights
    wh, ww = weights(h, oh, mode), weights(w, ow, mode)
    # Two plain 2-D products (rows, then columns): a 2-D matrix times a stack of images
    # would not reach BLAS and runs tens of times slower.
    lead = arr.shape[:-2]
    cols = arr.astype(np.float64).reshape(-1, w) @ ww.T
    rows = np.swapaxes(cols.reshape(-1, h, ow), 1, 2).reshape(-1, h) @ wh.T
    out = np.swapaxes(rows.reshape(-1, ow, oh), 1, 2).reshape(lead + (oh, ow))
    return _restore_dtype(out, arr.dtype)


def resized_output_size(height, width, size, max_size=None):
    """torchvision's rule: an int (or 1-sequence) ``size`` is the new shorter side, keeping the
    aspect ratio (longer side at most ``max_size``); a pair is ``(h, w)``."""
    if isinstance(size, numbers.Integral):
        size = [size]
    size = list(size)
    if len(size) == 2:
        if max_size is not None:
            raise ValueError(f"max_size is only allowed when size is an int, got size={size}")
        return size[0], size[1]
    if len(size) != 1:
        raise ValueError(f"size must be an int or a sequence of 1 or 2 ints, got {size}")
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= size[0]:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size[0]}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize ``img`` to ``size`` (see :func:`resized_output_size`).

    Bilinear and bicubic match PyTorch's ``interpolate(..., align_corners=False)``, with
    ``antialias`` as there (PIL's filter when downscaling). PIL Images are resized by Pillow
    with its filter for ``interpolation`` (always antialiased), as torchvision does.
    """
    if is_pil_image(img):
        oh, ow = resized_output_size(img.size[1], img.size[0], size, max_size)
        if (oh, ow) == (img.size[1], img.size[0]):
            return img
        return img.resize((ow, oh), _PIL_FILTERS[_mode(interpolation)])
    arr, back = unpack(img, "resize")
    out_size = resized_output_size(arr.shape[-2], arr.shape[-1], size, max_size)
    return back(resize_array(arr, out_size, interpolation, antialias))


# -- padding and cropping -------------------------------------------------------------------

_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def parse_padding(padding):
    """``(left, top, right, bottom)`` from an int, a pair ``(lr, tb)`` or a 4-sequence."""
    if isinstance(padding, numbers.Integral):
        return (padding,) * 4
    padding = tuple(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return padding
    raise ValueError(f"padding must be an int or a sequence of 1, 2 or 4 ints, got {padding}")


def _fill_array(fill, arr):
    fill = 0 if fill is None else fill
    if isinstance(fill, numbers.Number):
        return np.asarray(fill, dtype=np.float64)
    fill = np.asarray(fill, dtype=np.float64).ravel()
    channels = num_channels(arr)
    if fill.size == 1:
        return fill.reshape(())
    if fill.size != channels:
        raise ValueError(f"fill has {fill.size} values but the image has {channels} channels")
    return fill.reshape(channels, 1, 1)


def pad_array(arr, padding, fill=0, padding_mode="constant"):
    left, top, right, bottom = parse_padding(padding)
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode must be one of {list(_PAD_MODES)}, got {padding_mode!r}")
    if min(left, top, right, bottom) < 0:
        # Negative padding crops, as torchvision allows.
        h, w = arr.shape[-2:]
        arr = arr[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode != "constant":
        return np.pad(arr, widths, mode=_PAD_MODES[padding_mode])
    values = _fill_array(fill, arr)
    h, w = arr.shape[-2:]
    out = np.empty(arr.shape[:-2] + (h + top + bottom, w + left + right), dtype=arr.dtype)
    out[...] = _restore_dtype(values, arr.dtype)
    out[..., top:top + h, left:left + w] = arr
    return out


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad ``img`` on each side. ``padding``: int (all sides), ``(left/right, top/bottom)`` or
    ``(left, top, right, bottom)``; ``padding_mode``: ``'constant'`` (with ``fill``, a number
    or one per channel), ``'edge'``, ``'reflect'`` or ``'symmetric'``."""
    arr, back = unpack(img, "pad")
    return back(pad_array(arr, padding, fill, padding_mode))


def crop_array(arr, top, left, height, width):
    h, w = arr.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return arr[..., top:top + height, left:left + width].copy()
    # Outside the image is zero, as torchvision's crop does.
    padding = (max(-left, 0), max(-top, 0), max(left + width - w, 0), max(top + height - h, 0))
    padded = pad_array(arr, padding, 0)
    top, left = top + padding[1], left + padding[0]
    return padded[..., top:top + height, left:left + width].copy()


def crop(img, top, left, height, width):
    """The ``height`` x ``width`` region of ``img`` whose top-left corner is ``(top, left)``;
    what lies outside the image is zero."""
    arr, back = unpack(img, "crop")
    return back(crop_array(arr, top, left, height, width))


def _pair(size, name):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    size = tuple(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{name} must be an int or a sequence of 1 or 2 ints, got {size}")
    return int(size[0]), int(size[1])


def center_crop_array(arr, output_size):
    th, tw = _pair(output_size, "output_size")
    h, w = arr.shape[-2:]
    if th > h or tw > w:
        arr = pad_array(arr, ((tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                              (tw - w + 1) // 2 if tw > w else 0,
                              (th - h + 1) // 2 if th > h else 0))
        h, w = arr.shape[-2:]
    top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
    return crop_array(arr, top, left, th, tw)


def center_crop(img, output_size):
    """The central ``output_size`` region of ``img`` (zero-padded first when larger)."""
    arr, back = unpack(img, "center_crop")
    return back(center_crop_array(arr, output_size))


def hflip(img):
    """Mirror ``img`` left to right."""
    arr, back = unpack(img, "hflip")
    return back(arr[..., ::-1])


def vflip(img):
    """Mirror ``img`` top to bottom."""
    arr, back = unpack(img, "vflip")
    return back(arr[..., ::-1, :])


# -- affine transforms ----------------------------------------------------------------------

def affine_matrix(angle, translate, scale, shear):
    """The 2x2 linear part and translation of torchvision's affine transform: rotation by
    ``angle`` degrees clockwise (image coordinates, y down), scale, and shear ``(sx, sy)``
    in degrees."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    return np.array([[a, b], [c, d]]) * scale, np.asarray(translate, dtype=np.float64)


def warp_array(arr, linear, translate, center=None, out_size=None, out_center=None,
               interpolation=InterpolationMode.NEAREST, fill=None):
    """Sample ``arr (..., H, W)`` under the forward map ``q = c_out + t + linear @ (p - c)``:
    each output pixel centre ``q`` looks up input point ``p`` by the inverse map. Points are
    continuous ``(x, y)`` with pixel ``(i, j)`` centred at ``(j + 0.5, i + 0.5)``; ``center``
    defaults to the image centre ``(W / 2, H / 2)``. Outside the input is zero, or ``fill`` (see
    :func:`~ember.vision.transforms._sampling.sample_array`)."""
    mode = _mode(interpolation)
    h, w = arr.shape[-2:]
    oh, ow = out_size or (h, w)
    cx, cy = center if center is not None else (w / 2, h / 2)
    ocx, ocy = out_center if out_center is not None else (cx + (ow - w) / 2, cy + (oh - h) / 2)
    inverse = np.linalg.inv(linear)
    qy, qx = np.mgrid[0:oh, 0:ow] + 0.5
    dx, dy = qx - ocx - translate[0], qy - ocy - translate[1]
    px = inverse[0, 0] * dx + inverse[0, 1] * dy + cx
    py = inverse[1, 0] * dx + inverse[1, 1] * dy + cy
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"affine transforms support NEAREST and BILINEAR interpolation, got "
                         f"{mode}")
    fill_values = None if fill is None else _fill_array(fill, arr)
    out = sample_array(arr.astype(np.float64), px, py, mode.value, fill_values)
    return _restore_dtype(out, arr.dtype)


def _pil_fill(fill, img):
    # Pillow's fillcolor: one int per band (floats for mode "F"), as torchvision passes it.
    bands = len(img.getbands())
    fill = 0 if fill is None else fill
    if isinstance(fill, numbers.Number):
        fill = [fill] * bands if bands > 1 else fill
    if isinstance(fill, (list, tuple)):
        fill = list(fill) * bands if len(fill) == 1 else list(fill)
        if len(fill) != bands:
            raise ValueError(f"The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {bands})")
        return tuple(fill if img.mode == "F" else (int(v) for v in fill))
    return fill if img.mode == "F" else int(fill)


def _pil_resample(interpolation):
    return _PIL_FILTERS[_mode(interpolation)]


def inverse_affine_coefficients(center, angle, translate, scale, shear):
    """The six numbers ``(a, b, c, d, e, f)`` mapping an output point ``(x, y)`` to its input
    point ``(a x + b y + c, d x + e y + f)`` for :func:`affine` about ``center``, computed
    as torchvision does for Pillow's ``Image.transform``."""
    linear, _ = affine_matrix(angle, (0.0, 0.0), 1.0, shear)
    (a, b), (c, d) = linear.tolist()
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    cx, cy = center
    tx, ty = translate
    m[2] = m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] = m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotate ``img`` by ``angle`` degrees *clockwise* about ``center``, scale it, shear it by
    ``shear`` degrees (a number for x, or ``(sx, sy)``) and translate it by ``translate``
    pixels ``(dx, dy)``, as torchvision's ``affine``. The output keeps the input's size. PIL
    Images are warped by Pillow (``Image.transform``), as torchvision does."""
    if isinstance(shear, numbers.Number):
        shear = (shear, 0.0)
    shear = tuple(shear) + (0.0,) * (2 - len(shear))
    if is_pil_image(img):
        w, h = img.size
        coeffs = inverse_affine_coefficients(center if center is not None else (w * 0.5, h * 0.5),
                                             angle, translate, scale, shear)
        return img.transform(img.size, 0, coeffs, _pil_resample(interpolation),
                             fillcolor=_pil_fill(fill, img))
    arr, back = unpack(img, "affine")
    linear, t = affine_matrix(angle, translate, scale, shear)
    return back(warp_array(arr, linear, t, center=center, interpolation=interpolation,
                           fill=fill))


def expanded_size(linear, h, w):
    """``(height, width)`` of the smallest canvas holding an ``h`` x ``w`` image moved by the
    2x2 ``linear`` map (about its centre)."""
    corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]], dtype=np.float64).T * 0.5
    # Shifted to image coordinates before rounding, so a half-pixel corner of an odd size
    # does not round outwards.
    moved = linear @ corners + np.array([[w / 2], [h / 2]])
    tol = 1e-4
    hi = np.ceil(np.trunc(moved.max(axis=1) / tol) * tol)
    lo = np.floor(np.trunc(moved.min(axis=1) / tol) * tol)
    ow, oh = (int(v) for v in hi - lo)
    return oh, ow


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate ``img`` by ``angle`` degrees *counter-clockwise* about ``center`` (default the
    image centre). With ``expand`` the output grows to hold the whole rotated image.

    >>> rotate(np.array([[1, 2], [3, 4]], dtype=np.uint8), 90).tolist()
    [[2, 4], [1, 3]]

    PIL Images are rotated by Pillow (``Image.rotate``), as torchvision does.
    """
    if is_pil_image(img):
        return img.rotate(angle, _pil_resample(interpolation), expand,
                          None if center is None else tuple(center),
                          fillcolor=_pil_fill(fill, img))
    arr, back = unpack(img, "rotate")
    linear, t = affine_matrix(-angle, (0.0, 0.0), 1.0, (0.0, 0.0))
    h, w = arr.shape[-2:]
    out_size = out_center = None
    if expand:
        oh, ow = expanded_size(linear, h, w)
        out_size, out_center = (oh, ow), (ow / 2, oh / 2)
        center = None
    return back(warp_array(arr, linear, t, center=center, out_size=out_size,
                           out_center=out_center, interpolation=interpolation, fill=fill))


# The colour and remaining geometric ops live in their own files and are re-exported here, as
# torchvision's one functional namespace; imported last because they build on the ops above.
from ember.vision.transforms._color_ops import (adjust_brightness, adjust_contrast,  # noqa: E402
                                                adjust_gamma, adjust_hue, adjust_saturation,
                                                adjust_sharpness, autocontrast, equalize,
                                                invert, posterize, rgb_to_grayscale, solarize,
                                                to_grayscale)
from ember.vision.transforms._geometry_ops import (convert_image_dtype,  # noqa: E402
                                                   elastic_transform, erase, five_crop,
                                                   gaussian_blur, get_dimensions,
                                                   get_image_num_channels, get_image_size,
                                                   perspective, resized_crop, ten_crop)
