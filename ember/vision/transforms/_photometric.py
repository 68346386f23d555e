"""Colour transforms, as torchvision's: ColorJitter, Grayscale and the random colour ops. Each
draws its parameters from ember's global generator (``ember.manual_seed``) in torchvision's
order, then calls the functional op at those parameters.

>>> import numpy as np, ember
>>> _ = ember.manual_seed(0)
>>> ColorJitter(brightness=0.5, hue=0.1)(np.zeros((4, 4, 3), np.uint8)).shape
(4, 4, 3)
"""
import math
import numbers

import ember
from ember.vision.transforms import functional as F
from ember.vision.transforms.transforms import _rand, _uniform

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale", "RandomInvert", "RandomPosterize",
           "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize",
           "GaussianBlur"]


def _jitter_range(value, name, center=1.0, bound=(0.0, math.inf), clip_first_on_zero=True):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative, got "
                             f"{value}")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2, got "
                        f"{value!r}")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


class ColorJitter:
    """Change brightness, contrast, saturation and hue by factors drawn uniformly from
    ``[max(0, 1 - b), 1 + b]`` (and likewise; hue from ``[-h, h]``, ``h <= 0.5``), or from
    given ``(min, max)`` ranges, applied in a random order.

    Args:
        brightness, contrast, saturation (float or (min, max)): default 0 (unchanged).
        hue (float or (min, max)): in ``[-0.5, 0.5]``; default 0.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0, bound=(-0.5, 0.5),
                                 clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """``(order, b, c, s, h)``: a permutation of the four ops and each factor (None where
        its range is None)."""
        order = ember.random._get_rng(None).permutation(4).tolist()
        b, c, s, h = (None if r is None else _uniform(r[0], r[1])
                      for r in (brightness, contrast, saturation, hue))
        return order, b, c, s, h

    def __call__(self, img):
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                          self.hue)
        ops = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for i in order:
            if factors[i] is not None:
                img = ops[i](img, factors[i])
        return img

    def __repr__(self):
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale:
    """Luma as 1 or 3 channels (``num_output_channels``), see :func:`F.rgb_to_grayscale`."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self):
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class _RandomOp:
    """Apply ``self._apply(img)`` with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return self._apply(img) if _rand() < self.p else img

    def _args(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self._args()}p={self.p})"


class RandomGrayscale(_RandomOp):
    """With probability ``p`` (default 0.1), grayscale with as many channels as the input."""

    def __init__(self, p=0.1):
        super().__init__(p)

    def _apply(self, img):
        return F.rgb_to_grayscale(img, F.get_image_num_channels(img))


class RandomInvert(_RandomOp):
    """With probability ``p``, :func:`F.invert`."""

    def _apply(self, img):
        return F.invert(img)


class RandomPosterize(_RandomOp):
    """With probability ``p``, keep ``bits`` bits per channel (:func:`F.posterize`)."""

    def __init__(self, bits, p=0.5):
        super().__init__(p)
        self.bits = bits

    def _apply(self, img):
        return F.posterize(img, self.bits)

    def _args(self):
        return f"bits={self.bits}, "


class RandomSolarize(_RandomOp):
    """With probability ``p``, invert the pixels at or above ``threshold``."""

    def __init__(self, threshold, p=0.5):
        super().__init__(p)
        self.threshold = threshold

    def _apply(self, img):
        return F.solarize(img, self.threshold)

    def _args(self):
        return f"threshold={self.threshold}, "


class RandomAdjustSharpness(_RandomOp):
    """With probability ``p``, :func:`F.adjust_sharpness` by ``sharpness_factor``."""

    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def _apply(self, img):
        return F.adjust_sharpness(img, self.sharpness_factor)

    def _args(self):
        return f"sharpness_factor={self.sharpness_factor}, "


class RandomAutocontrast(_RandomOp):
    """With probability ``p``, :func:`F.autocontrast`."""

    def _apply(self, img):
        return F.autocontrast(img)


class RandomEqualize(_RandomOp):
    """With probability ``p``, :func:`F.equalize` (uint8 images)."""

    def _apply(self, img):
        return F.equalize(img)


class GaussianBlur:
    """Blur with a Gaussian of ``kernel_size`` (odd; an int or ``(kx, ky)``) and a standard
    deviation drawn uniformly from ``sigma`` (``(min, max)``, or one fixed number)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = F._pair(kernel_size, "kernel_size")
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"Kernel size value should be an odd and positive number, got "
                             f"{kernel_size}")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError(f"If sigma is a single number, it must be positive, got "
                                 f"{sigma}")
            sigma = (float(sigma), float(sigma))
        elif isinstance(sigma, (tuple, list)) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError(f"sigma values should be positive and of the form (min, max), "
                                 f"got {sigma}")
        else:
            raise ValueError(f"sigma should be a single number or a list/tuple with length 2, "
                             f"got {sigma!r}")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        return _uniform(sigma_min, sigma_max)

    def __call__(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, list(self.kernel_size), [sigma, sigma])

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"
