"""Transforms: callable objects over images, as ``torchvision.transforms``.

Each accepts a PIL Image (if Pillow is installed), a NumPy array ``(H, W)``/``(H, W, C)``
or an ember Tensor ``(..., C, H, W)``, and returns the same kind (``ToTensor`` and friends
convert). Random transforms draw from ember's global generator, so ``ember.manual_seed(s)``
repeats them.

>>> import numpy as np, ember
>>> t = Compose([RandomCrop(24, padding=2), ToTensor(), Normalize((0.1307,), (0.3081,))])
>>> t(np.zeros((28, 28), dtype=np.uint8)).shape
ember.Size([1, 24, 24])
"""
import numbers

import ember
from ember.vision.transforms import functional as F
from ember.vision.transforms._image import image_size
from ember.vision.transforms.functional import InterpolationMode

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Lambda", "Resize",
           "CenterCrop", "RandomCrop", "Pad", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomRotation", "RandomAffine", "InterpolationMode"]


def _rng():
    return ember.random._get_rng(None)


def _uniform(low, high):
    return float(_rng().uniform(low, high))


def _randint(low, high):
    """An int in ``[low, high)``."""
    return int(_rng().integers(low, high))


def _rand():
    return float(_rng().random())


class Compose:
    """Apply ``transforms`` in order.

    >>> Compose([Lambda(lambda x: x + 1), Lambda(lambda x: x * 2)])(3)
    8
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """PIL Image or NumPy ``(H, W, C)`` uint8 -> float32 tensor ``(C, H, W)`` in ``[0, 1]``;
    ``(H, W)`` -> ``(1, H, W)``. Non-uint8 arrays keep their dtype and values."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"


class PILToTensor:
    """PIL Image (or NumPy ``(H, W[, C])``) -> tensor ``(C, H, W)`` of the same dtype, unscaled."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToPILImage:
    """Tensor ``(C, H, W)`` or NumPy ``(H, W[, C])`` -> PIL Image (needs Pillow)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        return f"{type(self).__name__}(mode={self.mode})"


class Normalize:
    """``output[c] = (input[c] - mean[c]) / std[c]`` on a float tensor ``(..., C, H, W)``.

    Args:
        mean (sequence): per-channel means.
        std (sequence): per-channel standard deviations.
        inplace (bool): overwrite the input tensor. Default: False.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Resize:
    """Resize to ``size``: ``(h, w)``, or an int for the shorter side (aspect ratio kept,
    longer side capped by ``max_size``).

    Args:
        interpolation (InterpolationMode): default ``BILINEAR``.
        antialias (bool): filter when downscaling (default True), as torchvision.
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        if not isinstance(size, (numbers.Integral, list, tuple)):
            raise TypeError(f"Size should be int or sequence. Got {type(size).__name__}")
        self.size, self.interpolation = size, interpolation
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation="
                f"{F._mode(self.interpolation).value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop:
    """Crop the centre ``size`` (int for a square, or ``(h, w)``); zero-pads smaller images."""

    def __init__(self, size):
        self.size = F._pair(size, "size")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    """Pad the borders: see :func:`ember.vision.transforms.functional.pad`."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        F.parse_padding(padding)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"padding_mode should be constant, edge, reflect or symmetric, got "
                             f"{padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class RandomCrop:
    """Crop a random ``size`` region.

    Args:
        size (int or (h, w)): output size.
        padding (int or sequence, optional): pad the borders first (see ``Pad``).
        pad_if_needed (bool): pad images smaller than ``size`` so the crop fits.
        fill (number or sequence): constant fill for padding.
        padding_mode (str): ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'``.
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = F._pair(size, "size")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """``(top, left, h, w)`` of a random crop of ``output_size``."""
        h, w = image_size(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        h, w = image_size(img)
        th, tw = self.size
        if self.pad_if_needed and w < tw:
            img = F.pad(img, [tw - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < th:
            img = F.pad(img, [0, th - h], self.fill, self.padding_mode)
        top, left, height, width = self.get_params(img, self.size)
        return F.crop(img, top, left, height, width)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror left to right with probability ``p`` (default 0.5)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return F.hflip(img) if _rand() < self.p else img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip:
    """Mirror top to bottom with probability ``p`` (default 0.5)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return F.vflip(img) if _rand() < self.p else img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


def _range(value, name, center=0.0):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be positive, got {value}")
        return [center - value, center + value]
    value = list(value)
    if len(value) != 2:
        raise ValueError(f"If {name} is a sequence, it must be of len 2, got {value}")
    return [float(v) for v in value]


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` (a number ``d`` means ``(-d, d)``),
    counter-clockwise for positive angles.

    Args:
        interpolation (InterpolationMode): ``NEAREST`` (default) or ``BILINEAR``.
        expand (bool): grow the output to hold the whole rotated image.
        center ((x, y), optional): centre of rotation; default the image centre.
        fill (number or sequence): value for pixels from outside the image.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        self.degrees = _range(degrees, "degrees")
        self.interpolation, self.expand = interpolation, expand
        self.center, self.fill = center, fill

    @staticmethod
    def get_params(degrees):
        return _uniform(degrees[0], degrees[1])

    def __call__(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def __repr__(self):
        return f"{type(self).__name__}(degrees={self.degrees}, expand={self.expand})"


class RandomAffine:
    """A random affine transform that keeps the image centre fixed (up to translation).

    Args:
        degrees (number or (min, max)): rotation range, clockwise (0 for none).
        translate ((a, b), optional): shifts drawn from ``|dx| <= a * W``, ``|dy| <= b * H``.
        scale ((min, max), optional): scale factor range.
        shear (number or sequence, optional): x-shear range in degrees (``s`` means
            ``(-s, s)``; 2 values a range; 4 values x and y ranges).
        interpolation (InterpolationMode): ``NEAREST`` (default) or ``BILINEAR``.
        fill (number or sequence): value for pixels from outside the image.
        center ((x, y), optional): centre of rotation; default the image centre.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self.degrees = _range(degrees, "degrees")
        if translate is not None:
            translate = list(translate)
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"translate should be a sequence of two values between 0 and 1, "
                                 f"got {translate}")
        if scale is not None:
            scale = list(scale)
            if len(scale) != 2 or any(s <= 0 for s in scale):
                raise ValueError(f"scale should be a sequence of two positive values, got {scale}")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                shear = _range(shear, "shear")
            else:
                shear = [float(s) for s in shear]
                if len(shear) not in (2, 4):
                    raise ValueError(f"shear should be a number or a sequence of 2 or 4 values, "
                                     f"got {shear}")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation, self.fill, self.center = interpolation, fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (dx, dy), scale, (shear_x, shear_y))``; ``img_size`` is ``(W, H)``."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx, max_dy = translate[0] * img_size[0], translate[1] * img_size[1]
            translations = (int(round(_uniform(-max_dx, max_dx))),
                            int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = _uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        h, w = image_size(img)
        angle, translations, scale, shear = self.get_params(self.degrees, self.translate,
                                                            self.scale, self.shear, (w, h))
        return F.affine(img, angle, translations, scale, shear, self.interpolation, self.fill,
                        self.center)

    def __repr__(self):
        return (f"{type(self).__name__}(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale}, shear={self.shear})")
