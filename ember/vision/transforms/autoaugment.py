"""Learned and random augmentation policies, as ``torchvision.transforms.autoaugment``:
:class:`AutoAugment` (the ImageNet, CIFAR-10 and SVHN policies of Cubuk et al., 2019),
:class:`RandAugment`, :class:`TrivialAugmentWide` and :class:`AugMix`. Each picks operations
and magnitudes from a table, then applies :func:`_apply_op`; images are uint8 (tensors
``(..., 1 or 3, H, W)``, or PIL Images). Draws come from ember's generator.

>>> import numpy as np, ember
>>> _ = ember.manual_seed(0)
>>> RandAugment()(np.zeros((8, 8, 3), np.uint8)).shape
(8, 8, 3)
"""
import enum
import math

import numpy as np

import ember
from ember.vision._pil import is_pil_image
from ember.vision.transforms import functional as F
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.transforms import _rand, _randint

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _apply_op(img, op_name, magnitude, interpolation, fill):
    """One augmentation ``op_name`` at ``magnitude`` (shears are ``tan`` of the angle, about the
    top-left corner; translations in pixels; colour factors are ``1 + magnitude``)."""
    if op_name in ("ShearX", "ShearY"):
        angle = math.degrees(math.atan(magnitude))
        shear = [angle, 0.0] if op_name == "ShearX" else [0.0, angle]
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=shear,
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name in ("TranslateX", "TranslateY"):
        shift = [int(magnitude), 0] if op_name == "TranslateX" else [0, int(magnitude)]
        return F.affine(img, angle=0.0, translate=shift, scale=1.0, shear=[0.0, 0.0],
                        interpolation=interpolation, fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    factors = {"Brightness": F.adjust_brightness, "Color": F.adjust_saturation,
               "Contrast": F.adjust_contrast, "Sharpness": F.adjust_sharpness}
    if op_name in factors:
        return factors[op_name](img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    plain = {"AutoContrast": F.autocontrast, "Equalize": F.equalize, "Invert": F.invert,
             "Identity": lambda x: x}
    if op_name in plain:
        return plain[op_name](img)
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _linspace(start, end, steps):
    # As torch.linspace in float32: the first half counts up from start, the second half
    # down from end, so both ends are exact; each value is one fused multiply-add (the
    # float32 product is exact in float64, then rounded once).
    f32 = np.float32
    start, end = f32(start), f32(end)
    step = np.float64((end - start) / f32(steps - 1) if steps > 1 else f32(0.0))
    i = np.arange(steps, dtype=np.float64)
    values = np.where(i < steps // 2, np.float64(start) + step * i,
                      np.float64(end) - step * (steps - 1 - i))
    return values.astype(np.float32)


def _posterize_bins(top, num_bins, spread):
    return (top - np.round(np.arange(num_bins, dtype=np.float32)
                           / np.float32((num_bins - 1) / spread))).astype(np.int32)


def _space(num_bins, image_size, shear, translate, rotate, colour, posterize_top,
           posterize_spread, extra=(), colour_last=False):
    """``{op: (magnitudes, signed)}`` in torchvision's order (which decides which op an index
    draws); a scalar magnitude means the op takes none."""
    none = np.float32(0.0)
    space = {"ShearX": (_linspace(0.0, shear, num_bins), True),
             "ShearY": (_linspace(0.0, shear, num_bins), True),
             "TranslateX": (_linspace(0.0, translate[1], num_bins), True),
             "TranslateY": (_linspace(0.0, translate[0], num_bins), True),
             "Rotate": (_linspace(0.0, rotate, num_bins), True)}
    colours = {} if colour is None else {
        name: (_linspace(0.0, colour, num_bins), True)
        for name in ("Brightness", "Color", "Contrast", "Sharpness")}
    if not colour_last:
        space.update(colours)
    space["Posterize"] = (_posterize_bins(posterize_top, num_bins, posterize_spread), False)
    space["Solarize"] = (_linspace(255.0, 0.0, num_bins), False)
    for name in ("AutoContrast", "Equalize") + tuple(extra):
        space[name] = (none, False)
    if colour_last:
        space.update(colours)
    return space


def _tensor_fill(img, fill):
    if not isinstance(img, ember.Tensor) or fill is None:
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_image_num_channels(img)
    return [float(f) for f in fill]


class AutoAugmentPolicy(enum.Enum):
    """The learned policies: ``IMAGENET``, ``CIFAR10`` and ``SVHN``."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# The published sub-policies: "op probability magnitude-bin" pairs ("-" for no magnitude).
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: """
        Posterize 0.4 8/Rotate 0.6 9, Solarize 0.6 5/AutoContrast 0.6 -,
        Equalize 0.8 -/Equalize 0.6 -, Posterize 0.6 7/Posterize 0.6 6,
        Equalize 0.4 -/Solarize 0.2 4, Equalize 0.4 -/Rotate 0.8 8,
        Solarize 0.6 3/Equalize 0.6 -, Posterize 0.8 5/Equalize 1.0 -,
        Rotate 0.2 3/Solarize 0.6 8, Equalize 0.6 -/Posterize 0.4 6, Rotate 0.8 8/Color 0.4 0,
        Rotate 0.4 9/Equalize 0.6 -, Equalize 0.0 -/Equalize 0.8 -, Invert 0.6 -/Equalize 1.0 -,
        Color 0.6 4/Contrast 1.0 8, Rotate 0.8 8/Color 1.0 2, Color 0.8 8/Solarize 0.8 7,
        Sharpness 0.4 7/Invert 0.6 -, ShearX 0.6 5/Equalize 1.0 -, Color 0.4 0/Equalize 0.6 -,
        Equalize 0.4 -/Solarize 0.2 4, Solarize 0.6 5/AutoContrast 0.6 -,
        Invert 0.6 -/Equalize 1.0 -, Color 0.6 4/Contrast 1.0 8, Equalize 0.8 -/Equalize 0.6 -""",
    AutoAugmentPolicy.CIFAR10: """
        Invert 0.1 -/Contrast 0.2 6, Rotate 0.7 2/TranslateX 0.3 9,
        Sharpness 0.8 1/Sharpness 0.9 3, ShearY 0.5 8/TranslateY 0.7 9,
        AutoContrast 0.5 -/Equalize 0.9 -, ShearY 0.2 7/Posterize 0.3 7,
        Color 0.4 3/Brightness 0.6 7, Sharpness 0.3 9/Brightness 0.7 9,
        Equalize 0.6 -/Equalize 0.5 -, Contrast 0.6 7/Sharpness 0.6 5,
        Color 0.7 7/TranslateX 0.5 8, Equalize 0.3 -/AutoContrast 0.4 -,
        TranslateY 0.4 3/Sharpness 0.2 6, Brightness 0.9 6/Color 0.2 8,
        Solarize 0.5 2/Invert 0.0 -, Equalize 0.2 -/AutoContrast 0.6 -,
        Equalize 0.2 -/Equalize 0.6 -, Color 0.9 9/Equalize 0.6 -,
        AutoContrast 0.8 -/Solarize 0.2 8, Brightness 0.1 3/Color 0.7 0,
        Solarize 0.4 5/AutoContrast 0.9 -, TranslateY 0.9 9/TranslateY 0.7 9,
        AutoContrast 0.9 -/Solarize 0.8 3, Equalize 0.8 -/Invert 0.1 -,
        TranslateY 0.7 9/AutoContrast 0.9 -""",
    AutoAugmentPolicy.SVHN: """
        ShearX 0.9 4/Invert 0.2 -, ShearY 0.9 8/Invert 0.7 -, Equalize 0.6 -/Solarize 0.6 6,
        Invert 0.9 -/Equalize 0.6 -, Equalize 0.6 -/Rotate 0.9 3, ShearX 0.9 4/AutoContrast 0.8 -,
        ShearY 0.9 8/Invert 0.4 -, ShearY 0.9 5/Solarize 0.2 6, Invert 0.9 -/AutoContrast 0.8 -,
        Equalize 0.6 -/Rotate 0.9 3, ShearX 0.9 4/Solarize 0.3 3, ShearY 0.8 8/Invert 0.7 -,
        Equalize 0.9 -/TranslateY 0.6 6, Invert 0.9 -/Equalize 0.6 -, Contrast 0.3 3/Rotate 0.8 4,
        Invert 0.8 -/TranslateY 0.0 2, ShearY 0.7 6/Solarize 0.4 8, Invert 0.6 -/Rotate 0.8 4,
        ShearY 0.3 7/TranslateX 0.9 3, ShearX 0.1 6/Invert 0.6 -, Solarize 0.7 2/TranslateY 0.6 7,
        ShearY 0.8 4/Invert 0.8 -, ShearX 0.7 9/TranslateY 0.8 3, ShearY 0.8 5/AutoContrast 0.7 -,
        ShearX 0.7 2/Invert 0.1 -""",
}


def _parse_policy(text):
    subs = []
    for sub in text.split(","):
        ops = []
        for op in sub.split("/"):
            name, p, m = op.split()
            ops.append((name, float(p), None if m == "-" else int(m)))
        subs.append(tuple(ops))
    return subs


class AutoAugment:
    """Apply one of the policy's 25 sub-policies (picked uniformly): each of its two ops runs
    with its probability, at its magnitude bin of 10, with a random sign where signed.

    Args:
        policy (AutoAugmentPolicy): default ``IMAGENET``.
        interpolation (InterpolationMode): default ``NEAREST``.
        fill (number or sequence, optional): value outside the image.
    """

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy, self.interpolation, self.fill = policy, interpolation, fill
        self.policies = _parse_policy(_POLICIES[policy])

    def _augmentation_space(self, num_bins, image_size):
        return _space(num_bins, image_size, 0.3, (150.0 / 331.0 * image_size[0],
                                                  150.0 / 331.0 * image_size[1]), 30.0, 0.9,
                      8, 4, extra=("Invert",))

    @staticmethod
    def get_params(transform_num):
        """``(sub-policy index, two uniform draws, two signs in {0, 1})``."""
        rng = ember.random._get_rng(None)
        index = _randint(0, transform_num)
        return index, rng.random(2, dtype=np.float32), rng.integers(0, 2, 2)

    def __call__(self, img):
        fill = _tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        index, probs, signs = self.get_params(len(self.policies))
        space = self._augmentation_space(10, (height, width))
        for i, (name, p, bin_id) in enumerate(self.policies[index]):
            if probs[i] <= p:
                magnitudes, signed = space[name]
                magnitude = float(magnitudes[bin_id]) if bin_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude = -magnitude
                img = _apply_op(img, name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment:
    """Apply ``num_ops`` ops picked uniformly, each at bin ``magnitude`` of
    ``num_magnitude_bins``, with a random sign where signed (Cubuk et al., 2020)."""

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31,
                 interpolation=InterpolationMode.NEAREST, fill=None):
        self.num_ops, self.magnitude = num_ops, magnitude
        self.num_magnitude_bins, self.interpolation, self.fill = (num_magnitude_bins,
                                                                  interpolation, fill)

    def _augmentation_space(self, num_bins, image_size):
        space = {"Identity": (np.float32(0.0), False)}
        space.update(_space(num_bins, image_size, 0.3, (150.0 / 331.0 * image_size[0],
                                                        150.0 / 331.0 * image_size[1]), 30.0,
                            0.9, 8, 4))
        return space

    def __call__(self, img):
        fill = _tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        space = self._augmentation_space(self.num_magnitude_bins, (height, width))
        names = list(space)
        for _ in range(self.num_ops):
            name = names[_randint(0, len(names))]
            magnitudes, signed = space[name]
            magnitude = float(magnitudes[self.magnitude]) if np.ndim(magnitudes) else 0.0
            if signed and _randint(0, 2):
                magnitude = -magnitude
            img = _apply_op(img, name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self):
        return (f"{type(self).__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class TrivialAugmentWide:
    """Apply one op picked uniformly at a magnitude picked uniformly from its
    ``num_magnitude_bins`` (Müller and Hutter, 2021), with a random sign where signed."""

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        self.num_magnitude_bins, self.interpolation, self.fill = (num_magnitude_bins,
                                                                  interpolation, fill)

    def _augmentation_space(self, num_bins):
        space = {"Identity": (np.float32(0.0), False)}
        space.update(_space(num_bins, None, 0.99, (32.0, 32.0), 135.0, 0.99, 8, 6))
        return space

    def __call__(self, img):
        fill = _tensor_fill(img, self.fill)
        space = self._augmentation_space(self.num_magnitude_bins)
        names = list(space)
        name = names[_randint(0, len(names))]
        magnitudes, signed = space[name]
        magnitude = float(magnitudes[_randint(0, len(magnitudes))]) if np.ndim(
            magnitudes) else 0.0
        if signed and _randint(0, 2):
            magnitude = -magnitude
        return _apply_op(img, name, magnitude, self.interpolation, fill)

    def __repr__(self):
        return (f"{type(self).__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class AugMix:
    """Mix the image with ``mixture_width`` chains of 1-3 (or ``chain_depth``) random ops at
    severities below ``severity``: ``m0 * x + m1 * sum_i w_i chain_i(x)`` with
    ``(m0, m1) ~ Dirichlet(alpha, alpha)`` and ``w ~ Dirichlet(alpha, ...)``
    (Hendrycks et al., 2020)."""

    _PARAMETER_MAX = 10

    def __init__(self, severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, all_ops=True,
                 interpolation=InterpolationMode.BILINEAR, fill=None):
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.alpha, self.all_ops = alpha, all_ops
        self.interpolation, self.fill = interpolation, fill

    def _augmentation_space(self, num_bins, image_size):
        return _space(num_bins, image_size, 0.3, (image_size[0] / 3.0, image_size[1] / 3.0),
                      30.0, 0.9 if self.all_ops else None, 4, 4, colour_last=True)

    def __call__(self, orig_img):
        pil = is_pil_image(orig_img)
        img = F.pil_to_tensor(orig_img) if pil else orig_img
        if not isinstance(img, ember.Tensor):
            raise TypeError(f"AugMix: expected a PIL Image or an ember Tensor, got "
                            f"{type(orig_img).__name__}")
        fill = _tensor_fill(img, self.fill)
        _, height, width = F.get_dimensions(img)
        space = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        names = list(space)
        arr = img._data
        batch = arr.reshape((1,) * max(4 - arr.ndim, 0) + arr.shape)
        n = batch.shape[0]
        rng = ember.random._get_rng(None)
        m = rng.dirichlet([self.alpha, self.alpha], size=n).astype(np.float32)
        weights = rng.dirichlet([self.alpha] * self.mixture_width, size=n).astype(
            np.float32) * m[:, 1:2]
        shape = (n,) + (1,) * (batch.ndim - 1)
        mix = m[:, 0].reshape(shape) * batch
        for i in range(self.mixture_width):
            aug = ember.from_numpy(np.ascontiguousarray(batch))
            depth = self.chain_depth if self.chain_depth > 0 else _randint(1, 4)
            for _ in range(depth):
                name = names[_randint(0, len(names))]
                magnitudes, signed = space[name]
                magnitude = float(magnitudes[_randint(0, self.severity)]) if np.ndim(
                    magnitudes) else 0.0
                if signed and _randint(0, 2):
                    magnitude = -magnitude
                aug = _apply_op(aug, name, magnitude, self.interpolation, fill)
            mix = mix + weights[:, i].reshape(shape) * aug._data
        out = np.trunc(mix).astype(arr.dtype).reshape(arr.shape) if arr.dtype.kind != "f" else (
            mix.astype(arr.dtype).reshape(arr.shape))
        out = ember.from_numpy(np.ascontiguousarray(out))
        return F.to_pil_image(out) if pil else out

    def __repr__(self):
        return (f"{type(self).__name__}(severity={self.severity}, mixture_width="
                f"{self.mixture_width}, chain_depth={self.chain_depth}, alpha={self.alpha}, "
                f"all_ops={self.all_ops}, interpolation={self.interpolation}, fill={self.fill})")
