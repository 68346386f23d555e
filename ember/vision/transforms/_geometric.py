"""More transforms, as torchvision's: random resized crops, perspective and elastic warps,
erasing, five/ten crops, whitening, the random containers and dtype conversion. Random
parameters come from ember's global generator (``ember.manual_seed``) in torchvision's order;
``RandomChoice`` and ``RandomOrder`` use Python's ``random`` module, as torchvision's do.

>>> import numpy as np, ember
>>> _ = ember.manual_seed(0)
>>> RandomResizedCrop(4)(np.zeros((10, 12, 3), np.uint8)).shape
(4, 4, 3)
"""
import math
import numbers
import random
import warnings

import numpy as np

import ember
from ember.vision.transforms import functional as F
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.transforms import _rand, _randint, _uniform

__all__ = ["RandomResizedCrop", "RandomPerspective", "ElasticTransform", "RandomErasing",
           "FiveCrop", "TenCrop", "LinearTransformation", "RandomApply", "RandomChoice",
           "RandomOrder", "ConvertImageDtype"]


def _log_uniform(low, high):
    return math.exp(_uniform(math.log(low), math.log(high)))


def _ordered(pair, name):
    pair = tuple(float(v) for v in pair)
    if len(pair) != 2:
        raise ValueError(f"{name} should be a sequence of two values (min, max), got {pair}")
    if pair[0] > pair[1]:
        warnings.warn(f"{name} should be of kind (min, max), got {pair}")
    return pair


class RandomResizedCrop:
    """Crop a random region of area ``scale`` (fraction of the image) and aspect ratio
    ``ratio`` (log-uniform), then resize it to ``size``; after ten failed draws, the central
    crop of the nearest allowed ratio.

    Args:
        size (int or (h, w)): output size.
        scale ((min, max)): area fraction range. Default: ``(0.08, 1.0)``.
        ratio ((min, max)): width / height range. Default: ``(3/4, 4/3)``.
        interpolation (InterpolationMode): default ``BILINEAR``.
        antialias (bool): default True.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.size = F._pair(size, "size")
        self.scale, self.ratio = _ordered(scale, "scale"), _ordered(ratio, "ratio")
        self.interpolation, self.antialias = interpolation, antialias

    @staticmethod
    def get_params(img, scale, ratio):
        """``(top, left, height, width)`` of the crop."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = _log_uniform(ratio[0], ratio[1])
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        top, left, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, top, left, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, scale={self.scale}, "
                f"ratio={self.ratio}, interpolation={F._mode(self.interpolation).value}, "
                f"antialias={self.antialias})")


def _tensor_fill(img, fill):
    # torchvision hands tensors a per-channel fill list (so the blended border applies) and
    # PIL Images the fill as given.
    if not isinstance(img, ember.Tensor):
        return fill
    if isinstance(fill, numbers.Number):
        return [float(fill)] * F.get_image_num_channels(img)
    return [float(f) for f in fill]


class RandomPerspective:
    """With probability ``p``, move each corner inwards by up to ``distortion_scale`` of half
    the image size and warp with :func:`F.perspective`.

    Args:
        distortion_scale (float): in ``[0, 1]``. Default: 0.5.
        p (float): default 0.5.
        interpolation (InterpolationMode): default ``BILINEAR``.
        fill (number or sequence): value outside the image. Default: 0.
    """

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR,
                 fill=0):
        if fill is None:
            fill = 0
        elif not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError(f"Fill should be either a sequence or a number, got "
                            f"{type(fill).__name__}")
        self.distortion_scale, self.p = distortion_scale, p
        self.interpolation, self.fill = interpolation, fill

    @staticmethod
    def get_params(width, height, distortion_scale):
        """``(startpoints, endpoints)``: the image corners and where they move to."""
        dx, dy = int(distortion_scale * (width // 2)), int(distortion_scale * (height // 2))
        top_left = [_randint(0, dx + 1), _randint(0, dy + 1)]
        top_right = [_randint(width - dx - 1, width), _randint(0, dy + 1)]
        bottom_right = [_randint(width - dx - 1, width), _randint(height - dy - 1, height)]
        bottom_left = [_randint(0, dx + 1), _randint(height - dy - 1, height)]
        start = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return start, [top_left, top_right, bottom_right, bottom_left]

    def __call__(self, img):
        fill = _tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        if _rand() < self.p:
            start, end = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, start, end, self.interpolation, fill)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


def _float_pair(value, name):
    if isinstance(value, numbers.Number):
        return [float(value)] * 2
    value = [float(v) for v in value]
    if len(value) == 1:
        return value * 2
    if len(value) != 2:
        raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(value)}")
    return value


class ElasticTransform:
    """Displace every pixel by random offsets: uniform noise in ``[-1, 1]`` smoothed by a
    Gaussian of standard deviation ``sigma`` and scaled by ``alpha`` (in pixels), then
    :func:`F.elastic_transform`.

    Args:
        alpha (float or (ax, ay)): displacement magnitude. Default: 50.0.
        sigma (float or (sx, sy)): smoothness. Default: 5.0.
        interpolation (InterpolationMode): default ``BILINEAR``.
        fill (number or sequence): value outside the image. Default: 0.
    """

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        self.alpha, self.sigma = _float_pair(alpha, "alpha"), _float_pair(sigma, "sigma")
        if isinstance(fill, numbers.Number):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(f"fill should be int or float or a list or tuple of them. Got "
                            f"{type(fill).__name__}")
        self.interpolation, self.fill = interpolation, fill

    @staticmethod
    def get_params(alpha, sigma, size):
        """The displacement ``(1, H, W, 2)`` for an image of ``size = [H, W]``."""
        rng = ember.random._get_rng(None)
        parts = []
        for axis in range(2):
            noise = ember.from_numpy(rng.random((1, 1) + tuple(size), dtype=np.float32) * 2 - 1)
            if sigma[axis] > 0.0:
                k = int(8 * sigma[axis] + 1)
                k += 1 - k % 2
                noise = F.gaussian_blur(noise, [k, k], sigma)
            # Horizontal offsets are relative to the width, vertical ones to the height.
            parts.append(noise._data * np.float32(alpha[axis]) / size[1 - axis])
        return ember.from_numpy(np.ascontiguousarray(
            np.concatenate(parts, axis=1).transpose(0, 2, 3, 1)))

    def __call__(self, img):
        _, height, width = F.get_dimensions(img)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F.elastic_transform(img, displacement, self.interpolation, self.fill)

    def __repr__(self):
        return (f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma}, "
                f"interpolation={F._mode(self.interpolation).value}, fill={self.fill})")


class RandomErasing:
    """With probability ``p``, erase a random rectangle of a tensor image ``(..., C, H, W)``:
    area ``scale`` of the image, aspect ratio ``ratio`` (log-uniform), filled with ``value``
    (a number, one per channel, or ``'random'`` for standard normal noise).

    Args:
        p (float): default 0.5.
        scale ((min, max)): default ``(0.02, 0.33)``.
        ratio ((min, max)): default ``(0.3, 3.3)``.
        value (number, sequence or 'random'): default 0.
        inplace (bool): default False.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"If value is str, it should be 'random', got {value!r}")
        self.scale, self.ratio = _ordered(scale, "scale"), _ordered(ratio, "ratio")
        if self.scale[0] < 0 or self.scale[1] > 1:
            raise ValueError(f"Scale should be between 0 and 1, got {scale}")
        if p < 0 or p > 1:
            raise ValueError(f"Random erasing probability should be between 0 and 1, got {p}")
        self.p, self.value, self.inplace = p, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(top, left, h, w, values)``; ``value`` None draws normal noise. After ten failed
        draws, the whole image with itself as the values (no change)."""
        c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        rng = ember.random._get_rng(None)
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect = _log_uniform(ratio[0], ratio[1])
            h = int(round(math.sqrt(erase_area * aspect)))
            w = int(round(math.sqrt(erase_area / aspect)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = ember.from_numpy(rng.standard_normal((c, h, w), dtype=np.float32))
            else:
                v = ember.from_numpy(np.asarray(value, dtype=np.float32)[:, None, None])
            return _randint(0, img_h - h + 1), _randint(0, img_w - w + 1), h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if _rand() >= self.p:
            return img
        if not isinstance(img, ember.Tensor):
            raise TypeError(f"RandomErasing: expected an ember Tensor image (..., C, H, W), got "
                            f"{type(img).__name__} (use ToTensor first)")
        if isinstance(self.value, numbers.Number):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = list(self.value)
        if value is not None and len(value) not in (1, img.shape[-3]):
            raise ValueError(f"If value is a sequence, it should have either a single value or "
                             f"{img.shape[-3]} (number of input channels), got {len(value)}")
        top, left, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        return F.erase(img, top, left, h, w, v, self.inplace)

    def __repr__(self):
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class FiveCrop:
    """The four corners and the centre, each of ``size``: a tuple of five images."""

    def __init__(self, size):
        self.size = F._pair(size, "size")

    def __call__(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class TenCrop(FiveCrop):
    """:class:`FiveCrop` of the image and of its mirror image (``vertical_flip`` for top to
    bottom): a tuple of ten images."""

    def __init__(self, size, vertical_flip=False):
        super().__init__(size)
        self.vertical_flip = vertical_flip

    def __call__(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class LinearTransformation:
    """Whitening: ``(x.flatten() - mean_vector) @ transformation_matrix`` for each tensor image
    ``(C, H, W)``, reshaped back; the matrix is ``(D, D)`` with ``D = C * H * W``."""

    def __init__(self, transformation_matrix, mean_vector):
        matrix, mean = transformation_matrix, mean_vector
        if matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"transformation_matrix should be square. Got "
                             f"{tuple(matrix.shape)} rectangular matrix.")
        if mean.shape[0] != matrix.shape[0]:
            raise ValueError(f"mean_vector should have the same length {mean.shape[0]} as any "
                             f"one of the dimensions of the transformation_matrix "
                             f"[{tuple(matrix.shape)}]")
        if matrix.dtype != mean.dtype:
            raise ValueError(f"Input tensors should have the same dtype. Got {matrix.dtype} and "
                             f"{mean.dtype}")
        self.transformation_matrix, self.mean_vector = matrix, mean

    def __call__(self, tensor):
        shape = tuple(tensor.shape)
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError(f"Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != "
                             f"{self.transformation_matrix.shape[0]}")
        flat = tensor.reshape(-1, n) - self.mean_vector
        return (flat @ self.transformation_matrix.to(flat.dtype)).reshape(shape)

    def __repr__(self):
        return (f"{type(self).__name__}(transformation_matrix="
                f"{self.transformation_matrix.tolist()}, mean_vector={self.mean_vector.tolist()})")


class _Container:
    def __init__(self, transforms):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError(f"Argument transforms should be a sequence, got "
                            f"{type(transforms).__name__}")
        self.transforms = transforms

    def _body(self):
        return "".join(f"\n    {t}" for t in self.transforms)

    def __repr__(self):
        return f"{type(self).__name__}({self._body()}\n)"


class RandomApply(_Container):
    """Apply all of ``transforms`` in order with probability ``p`` (default 0.5), else none."""

    def __init__(self, transforms, p=0.5):
        self.transforms, self.p = transforms, p

    def __call__(self, img):
        if self.p < _rand():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(\n    p={self.p}{self._body()}\n)"


class RandomChoice(_Container):
    """Apply one of ``transforms``, picked by Python's ``random.choices`` with weights ``p``."""

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, (list, tuple)):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        return random.choices(self.transforms, weights=self.p)[0](*args)

    def __repr__(self):
        return f"{super().__repr__()}(p={self.p})"


class RandomOrder(_Container):
    """Apply all of ``transforms`` in an order shuffled by Python's ``random.shuffle``."""

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class ConvertImageDtype:
    """:func:`F.convert_image_dtype` to ``dtype``, rescaling the values."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, image):
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self):
        return f"{type(self).__name__}(dtype={self.dtype})"
