"""The ``transforms.v2`` transforms: the v1 transforms' parameters and draws, applied to every
part of a sample by its kind (see :mod:`ember.vision.transforms.v2.functional`)."""
import math
import numbers

import numpy as np

import ember
from ember.vision import tv_tensors
from ember.vision._pil import is_pil_image
from ember.vision.transforms import _geometric as G1
from ember.vision.transforms import _photometric as P1
from ember.vision.transforms import functional as F1
from ember.vision.transforms import transforms as T1
from ember.vision.transforms.functional import InterpolationMode
from ember.vision.transforms.transforms import _rand, _randint
from ember.vision.transforms.v2 import functional as F
from ember.vision.transforms.v2._transform import Transform, query_chw, query_size

__all__ = ["Compose", "Identity", "Lambda", "RandomApply", "RandomChoice", "RandomOrder",
           "ToImage", "ToDtype", "ToPureTensor", "ToTensor", "PILToTensor", "ToPILImage",
           "ConvertImageDtype", "Resize", "RandomResizedCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomCrop", "CenterCrop", "Pad", "RandomRotation",
           "RandomAffine", "RandomPerspective", "ElasticTransform", "FiveCrop", "TenCrop",
           "Normalize", "ColorJitter", "Grayscale", "RandomGrayscale", "RGB", "GaussianBlur",
           "GaussianNoise", "RandomInvert", "RandomPosterize", "RandomSolarize",
           "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize",
           "RandomChannelPermutation", "RandomErasing", "LinearTransformation", "MixUp",
           "CutMix"]


class Compose(Transform):
    """Apply ``transforms`` in order to the whole sample."""

    def __init__(self, transforms):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError("Argument transforms should be a sequence of callables")
        self.transforms = list(transforms)

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        for t in self.transforms:
            sample = t(sample)
        return sample

    def __repr__(self):
        return T1.Compose.__repr__(self)


class RandomApply(Compose):
    """Apply all of ``transforms`` with probability ``p`` (default 0.5)."""

    def __init__(self, transforms, p=0.5):
        super().__init__(transforms)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"`p` should be a floating point value in the interval [0.0, 1.0], "
                             f"got {p}")
        self.p = p

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        if _rand() >= self.p:
            return sample
        return super().__call__(sample)


class RandomChoice(Transform):
    """Apply one of ``transforms``, picked with probabilities ``p`` (default equal), drawn from
    ember's generator as v2 does."""

    def __init__(self, transforms, p=None):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError("Argument transforms should be a sequence of callables")
        p = [1.0] * len(transforms) if p is None else list(p)
        if len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        total = sum(p)
        self.transforms, self.p = list(transforms), [v / total for v in p]

    def __call__(self, *inputs):
        idx = int(ember.random._get_rng(None).choice(len(self.transforms), p=self.p))
        return self.transforms[idx](*inputs)


class RandomOrder(Compose):
    """Apply all of ``transforms`` in a random order (ember's generator)."""

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        for i in ember.random._get_rng(None).permutation(len(self.transforms)):
            sample = self.transforms[int(i)](sample)
        return sample


class Identity(Transform):
    """Return the sample unchanged."""

    def __call__(self, *inputs):
        return inputs if len(inputs) > 1 else inputs[0]


class Lambda(Transform):
    """Apply ``lambd`` to the parts of the sample that are instances of ``types`` (default:
    every part)."""

    def __init__(self, lambd, *types):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd, self.types = lambd, types or (object,)

    def _transforms_input(self, inpt):
        return isinstance(inpt, self.types)

    def _needs_transform_list(self, flat_inputs):
        return [self._transforms_input(x) for x in flat_inputs]

    def transform(self, inpt, params):
        return self.lambd(inpt)


# -- conversions ----------------------------------------------------------------------------

class ToImage(Transform):
    """PIL Images, NumPy arrays ``(H, W[, C])`` and plain Tensors become ``tv_tensors.Image``."""

    def _transforms_input(self, inpt):
        return (is_pil_image(inpt) or isinstance(inpt, np.ndarray)
                or (isinstance(inpt, ember.Tensor) and not isinstance(inpt, tv_tensors.TVTensor)))

    def transform(self, inpt, params):
        return F.to_image(inpt)


class ToDtype(Transform):
    """Convert to ``dtype`` (one dtype for images, videos and plain tensors, or a dict from
    tv_tensor class or ``"others"`` to dtype); ``scale`` rescales image values."""

    def __init__(self, dtype, scale=False):
        if not isinstance(dtype, (dict, ember.dtype)):
            raise ValueError(f"dtype must be a dict or an ember dtype, got "
                             f"{type(dtype).__name__}")
        self.dtype, self.scale = dtype, scale

    def transform(self, inpt, params):
        if isinstance(self.dtype, dict):
            dtype = self.dtype.get(type(inpt), self.dtype.get(
                ember.Tensor if F.is_pure_tensor(inpt) else None, self.dtype.get("others")))
        elif F.is_pure_tensor(inpt) or isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)):
            dtype = self.dtype
        else:
            return inpt
        if dtype is None or is_pil_image(inpt):
            return inpt
        return F.to_dtype(inpt, dtype, self.scale)

    def extra_repr(self):
        return f"dtype={self.dtype}, scale={self.scale}"


class ToPureTensor(Transform):
    """tv_tensors become plain Tensors (sharing memory)."""

    def _transforms_input(self, inpt):
        return isinstance(inpt, tv_tensors.TVTensor)

    def _needs_transform_list(self, flat_inputs):
        return [self._transforms_input(x) for x in flat_inputs]

    def transform(self, inpt, params):
        return inpt.as_subclass(ember.Tensor)


class _Wrap1(Transform):
    """A v1 conversion applied to the image parts."""

    v1 = None

    def __init__(self, *args, **kwargs):
        self._t = self.v1(*args, **kwargs)

    def _transforms_input(self, inpt):
        return is_pil_image(inpt) or isinstance(inpt, (ember.Tensor, np.ndarray))

    def transform(self, inpt, params):
        if isinstance(inpt, (tv_tensors.Mask, tv_tensors.BoundingBoxes)):
            return inpt
        return self._t(inpt)


class ToTensor(_Wrap1):
    """v1's ToTensor (PIL/NumPy uint8 to float in ``[0, 1]``); prefer ToImage + ToDtype."""
    v1 = T1.ToTensor


class PILToTensor(_Wrap1):
    """v1's PILToTensor."""
    v1 = T1.PILToTensor

    def transform(self, inpt, params):
        return self._t(inpt) if is_pil_image(inpt) else inpt


class ToPILImage(_Wrap1):
    """v1's ToPILImage."""
    v1 = T1.ToPILImage


class ConvertImageDtype(_Wrap1):
    """v1's ConvertImageDtype (``ToDtype(dtype, scale=True)``)."""
    v1 = G1.ConvertImageDtype

    def transform(self, inpt, params):
        if not isinstance(inpt, ember.Tensor) or isinstance(inpt, (tv_tensors.Mask,
                                                                   tv_tensors.BoundingBoxes)):
            return inpt
        return F.to_dtype(inpt, self._t.dtype, scale=True)


# -- geometry -------------------------------------------------------------------------------

class _RandomApplyTransform(Transform):
    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"`p` should be a floating point value in the interval [0.0, 1.0], "
                             f"got {p}")
        self.p = p

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        if _rand() >= self.p:
            return sample
        return self._apply(sample)

    def extra_repr(self):
        return f"p={self.p}"


class RandomHorizontalFlip(_RandomApplyTransform):
    """Mirror the sample left to right with probability ``p``."""

    def transform(self, inpt, params):
        return F.horizontal_flip(inpt)


class RandomVerticalFlip(_RandomApplyTransform):
    """Mirror the sample top to bottom with probability ``p``."""

    def transform(self, inpt, params):
        return F.vertical_flip(inpt)


class Resize(Transform):
    """Resize images (masks with NEAREST, boxes scaled): see v1 ``Resize``."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        self._t = T1.Resize(size, interpolation, max_size, antialias)
        self.size, self.interpolation = size, interpolation
        self.max_size, self.antialias = max_size, antialias

    def transform(self, inpt, params):
        return F.resize(inpt, self.size, self.interpolation, self.max_size, self.antialias)

    def extra_repr(self):
        return f"size={self.size}, max_size={self.max_size}, antialias={self.antialias}"


class CenterCrop(Transform):
    """Crop the centre ``size`` of every part."""

    def __init__(self, size):
        self.size = F1._pair(size, "size")

    def transform(self, inpt, params):
        return F.center_crop(inpt, self.size)


class RandomResizedCrop(Transform):
    """v1's RandomResizedCrop, one crop for the whole sample."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self._t = G1.RandomResizedCrop(size, scale, ratio, interpolation, antialias)
        self.size, self.scale, self.ratio = self._t.size, self._t.scale, self._t.ratio
        self.interpolation, self.antialias = interpolation, antialias

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        probe = ember.zeros(1, h, w)
        return dict(zip(("top", "left", "height", "width"),
                        self._t.get_params(probe, self.scale, self.ratio)))

    def transform(self, inpt, params):
        return F.resized_crop(inpt, params["top"], params["left"], params["height"],
                              params["width"], self.size, self.interpolation,
                              antialias=self.antialias)


class Pad(Transform):
    """Pad every part: see v1 ``Pad`` (boxes need ``padding_mode='constant'``)."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        T1.Pad(padding, 0, padding_mode)
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def transform(self, inpt, params):
        fill = 0 if isinstance(inpt, tv_tensors.Mask) else self.fill
        return F.pad(inpt, self.padding, fill, self.padding_mode)


class RandomCrop(Transform):
    """v1's RandomCrop (padding, ``pad_if_needed``), one window for the whole sample."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = F1._pair(size, "size")
        self.padding = None if padding is None else F1.parse_padding(padding)
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        left, top, right, bottom = self.padding or (0, 0, 0, 0)
        h, w = h + top + bottom, w + left + right
        th, tw = self.size
        if self.pad_if_needed and h < th:
            top, bottom, h = top + th - h, bottom + th - h, h + 2 * (th - h)
        if self.pad_if_needed and w < tw:
            left, right, w = left + tw - w, right + tw - w, w + 2 * (tw - w)
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        pad = (left, top, right, bottom)
        y = _randint(0, h - th + 1) if h > th else 0
        x = _randint(0, w - tw + 1) if w > tw else 0
        return {"padding": pad if any(pad) else None, "top": y, "left": x}

    def transform(self, inpt, params):
        if params["padding"] is not None:
            fill = 0 if isinstance(inpt, tv_tensors.Mask) else self.fill
            inpt = F.pad(inpt, list(params["padding"]), fill, self.padding_mode)
        return F.crop(inpt, params["top"], params["left"], *self.size)


class _ImageMaskOnly(Transform):
    """A random warp of images and masks (v1's parameters; boxes are not supported yet)."""

    def transform(self, inpt, params):
        fill = 0 if isinstance(inpt, tv_tensors.Mask) else self._fill(inpt)
        return self._warp(inpt, params, fill)

    def _fill(self, inpt):
        fill = self.fill
        if isinstance(inpt, ember.Tensor) and isinstance(fill, numbers.Number):
            return [float(fill)] * F.get_num_channels(inpt)
        return fill


class RandomRotation(_ImageMaskOnly):
    """v1's RandomRotation for the whole sample."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        self.degrees = T1._range(degrees, "degrees")
        self.interpolation, self.expand, self.center, self.fill = (interpolation, expand,
                                                                   center, fill)

    def make_params(self, flat_inputs):
        return {"angle": T1.RandomRotation.get_params(self.degrees)}

    def _warp(self, inpt, params, fill):
        return F.rotate(inpt, params["angle"], interpolation=self.interpolation,
                        expand=self.expand, center=self.center, fill=fill)


class RandomAffine(_ImageMaskOnly):
    """v1's RandomAffine for the whole sample."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self._t = T1.RandomAffine(degrees, translate, scale, shear, interpolation, fill, center)
        self.interpolation, self.fill, self.center = interpolation, fill, center

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        t = self._t
        angle, translate, scale, shear = t.get_params(t.degrees, t.translate, t.scale, t.shear,
                                                      (w, h))
        return {"angle": angle, "translate": translate, "scale": scale, "shear": shear}

    def _warp(self, inpt, params, fill):
        return F.affine(inpt, params["angle"], params["translate"], params["scale"],
                        params["shear"], interpolation=self.interpolation, fill=fill,
                        center=self.center)


class RandomPerspective(_ImageMaskOnly):
    """v1's RandomPerspective for the whole sample."""

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR,
                 fill=0):
        self.distortion_scale, self.p, self.interpolation, self.fill = (distortion_scale, p,
                                                                        interpolation, fill)

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        if _rand() >= self.p:
            return sample
        return self._apply(sample)

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        start, end = G1.RandomPerspective.get_params(w, h, self.distortion_scale)
        return {"startpoints": start, "endpoints": end}

    def _warp(self, inpt, params, fill):
        return F.perspective(inpt, params["startpoints"], params["endpoints"],
                             interpolation=self.interpolation, fill=fill)


class ElasticTransform(_ImageMaskOnly):
    """v1's ElasticTransform, one displacement for the whole sample."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        self._t = G1.ElasticTransform(alpha, sigma, interpolation, fill)
        self.interpolation, self.fill = interpolation, fill

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        return {"displacement": self._t.get_params(self._t.alpha, self._t.sigma, [h, w])}

    def _warp(self, inpt, params, fill):
        return F.elastic_transform(inpt, params["displacement"],
                                   interpolation=self.interpolation, fill=fill)


class FiveCrop(Transform):
    """v1's FiveCrop on the image parts."""

    def __init__(self, size):
        self.size = F1._pair(size, "size")

    def transform(self, inpt, params):
        return tuple(F._rewrap(c, inpt) for c in F1.five_crop(inpt, self.size))


class TenCrop(FiveCrop):
    """v1's TenCrop on the image parts."""

    def __init__(self, size, vertical_flip=False):
        super().__init__(size)
        self.vertical_flip = vertical_flip

    def transform(self, inpt, params):
        return tuple(F._rewrap(c, inpt) for c in F1.ten_crop(inpt, self.size,
                                                             self.vertical_flip))


# -- colour (images only; masks and boxes pass through) -------------------------------------

class _ImageOnly(Transform):
    def _transforms_input(self, inpt):
        return (is_pil_image(inpt) or isinstance(inpt, ember.Tensor)) and not isinstance(
            inpt, (tv_tensors.Mask, tv_tensors.BoundingBoxes, tv_tensors.KeyPoints))


class Normalize(_ImageOnly):
    """v1's Normalize on float images."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def transform(self, inpt, params):
        return F.normalize(inpt, self.mean, self.std, self.inplace)


class ColorJitter(_ImageOnly):
    """v1's ColorJitter, one draw for the whole sample."""

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None):
        self._t = P1.ColorJitter(brightness or 0, contrast or 0, saturation or 0, hue or 0)
        self.brightness, self.contrast = self._t.brightness, self._t.contrast
        self.saturation, self.hue = self._t.saturation, self._t.hue

    def make_params(self, flat_inputs):
        order, *factors = self._t.get_params(self.brightness, self.contrast, self.saturation,
                                             self.hue)
        return {"order": order, "factors": factors}

    def transform(self, inpt, params):
        ops = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for i in params["order"]:
            if params["factors"][i] is not None:
                inpt = ops[i](inpt, params["factors"][i])
        return inpt


class Grayscale(_ImageOnly):
    """v1's Grayscale."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def transform(self, inpt, params):
        return F.rgb_to_grayscale(inpt, self.num_output_channels)


class RGB(_ImageOnly):
    """Make every image three-channel (grayscale repeated)."""

    def transform(self, inpt, params):
        return F.grayscale_to_rgb(inpt)


class GaussianBlur(_ImageOnly):
    """v1's GaussianBlur, one sigma for the whole sample."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self._t = P1.GaussianBlur(kernel_size, sigma)
        self.kernel_size, self.sigma = self._t.kernel_size, self._t.sigma

    def make_params(self, flat_inputs):
        return {"sigma": self._t.get_params(*self.sigma)}

    def transform(self, inpt, params):
        return F.gaussian_blur(inpt, list(self.kernel_size), [params["sigma"]] * 2)


class GaussianNoise(_ImageOnly):
    """Add normal noise of ``mean`` and ``sigma`` to float images, clipped to ``[0, 1]``."""

    def __init__(self, mean=0.0, sigma=0.1, clip=True):
        self.mean, self.sigma, self.clip = mean, sigma, clip

    def transform(self, inpt, params):
        return F.gaussian_noise(inpt, self.mean, self.sigma, self.clip)


class _RandomImageOp(_ImageOnly, _RandomApplyTransform):
    op = None

    def __init__(self, *args, p=0.5):
        _RandomApplyTransform.__init__(self, p)
        self.args = args

    def transform(self, inpt, params):
        return getattr(F, self.op)(inpt, *self.args)


class RandomGrayscale(_RandomImageOp):
    """With probability ``p`` (default 0.1), grayscale keeping the channel count."""

    def __init__(self, p=0.1):
        super().__init__(p=p)

    def transform(self, inpt, params):
        return F.rgb_to_grayscale(inpt, F.get_num_channels(inpt))


class RandomInvert(_RandomImageOp):
    """With probability ``p``, invert."""
    op = "invert"

    def __init__(self, p=0.5):
        super().__init__(p=p)


class RandomPosterize(_RandomImageOp):
    """With probability ``p``, keep ``bits`` bits."""
    op = "posterize"

    def __init__(self, bits, p=0.5):
        super().__init__(bits, p=p)


class RandomSolarize(_RandomImageOp):
    """With probability ``p``, invert at or above ``threshold``."""
    op = "solarize"

    def __init__(self, threshold, p=0.5):
        super().__init__(threshold, p=p)


class RandomAdjustSharpness(_RandomImageOp):
    """With probability ``p``, adjust sharpness by ``sharpness_factor``."""
    op = "adjust_sharpness"

    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(sharpness_factor, p=p)


class RandomAutocontrast(_RandomImageOp):
    """With probability ``p``, autocontrast."""
    op = "autocontrast"

    def __init__(self, p=0.5):
        super().__init__(p=p)


class RandomEqualize(_RandomImageOp):
    """With probability ``p``, equalize."""
    op = "equalize"

    def __init__(self, p=0.5):
        super().__init__(p=p)


class RandomChannelPermutation(_ImageOnly):
    """Shuffle the channels of the images (one permutation for the sample)."""

    def make_params(self, flat_inputs):
        c = query_chw(flat_inputs)[0]
        return {"permutation": ember.random._get_rng(None).permutation(c).tolist()}

    def transform(self, inpt, params):
        return F.permute_channels(inpt, params["permutation"])


class RandomErasing(_ImageOnly):
    """v1's RandomErasing on tensor images (masks and boxes pass through)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        self._t = G1.RandomErasing(p, scale, ratio, value, inplace)
        self.p, self.scale, self.ratio = p, self._t.scale, self._t.ratio
        self.value, self.inplace = value, inplace

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        if _rand() >= self.p:
            return sample
        return self._apply(sample)

    def make_params(self, flat_inputs):
        c, h, w = query_chw(flat_inputs)
        value = self.value
        if isinstance(value, numbers.Number):
            value = [float(value)]
        elif isinstance(value, str):
            value = None
        else:
            value = list(value)
        if value is not None and len(value) not in (1, c):
            raise ValueError(f"If value is a sequence, it should have either a single value or "
                             f"{c} (number of input channels), got {len(value)}")
        top, left, eh, ew, v = self._t.get_params(ember.zeros(c, h, w), self.scale, self.ratio,
                                                  value)
        if eh == h and ew == w:  # no draw fitted: leave the images unchanged
            return {"box": None}
        return {"box": (top, left, eh, ew), "value": v}

    def transform(self, inpt, params):
        if params["box"] is None or not isinstance(inpt, ember.Tensor):
            return inpt
        return F.erase(inpt, *params["box"], params["value"], inplace=self.inplace)


class LinearTransformation(_ImageOnly):
    """v1's LinearTransformation on tensor images."""

    def __init__(self, transformation_matrix, mean_vector):
        self._t = G1.LinearTransformation(transformation_matrix, mean_vector)

    def transform(self, inpt, params):
        if is_pil_image(inpt):
            raise TypeError("LinearTransformation() does not support PIL images.")
        return F._rewrap(self._t(inpt), inpt)


# -- batch mixing ---------------------------------------------------------------------------

class _MixBase(Transform):
    def __init__(self, *, alpha=1.0, num_classes=None, labels_getter="default"):
        if alpha <= 0:
            raise ValueError(f"alpha should be positive, got {alpha}")
        self.alpha, self.num_classes = float(alpha), num_classes
        if labels_getter != "default" and not callable(labels_getter):
            raise ValueError(f"labels_getter should either be 'default' or a callable, but got "
                             f"{labels_getter}.")
        self.labels_getter = labels_getter

    def _labels(self, sample):
        if callable(self.labels_getter):
            return self.labels_getter(sample)
        if isinstance(sample, (tuple, list)):
            sample = sample[1]
        if isinstance(sample, dict):
            keys = [k for k in sample if k.lower() == "labels"] or [
                k for k in sample if "label" in k.lower()]
            if not keys:
                raise ValueError("Could not infer where the labels are in the sample.")
            sample = sample[keys[0]]
        return sample

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        from ember.vision.transforms.v2._transform import tree_flatten
        flat, rebuild = tree_flatten(sample)
        if any(is_pil_image(x) or isinstance(x, (tv_tensors.BoundingBoxes, tv_tensors.Mask,
                                                 tv_tensors.KeyPoints)) for x in flat):
            raise ValueError(f"{type(self).__name__}() does not support PIL images, bounding "
                             f"boxes, keypoints and masks.")
        labels = self._labels(sample)
        if not isinstance(labels, ember.Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels).__name__} "
                             f"instead.")
        if labels.ndim not in (1, 2):
            raise ValueError(f"labels should be index based with shape (batch_size,) or "
                             f"probability based with shape (batch_size, num_classes), but got "
                             f"a tensor of shape {tuple(labels.shape)} instead.")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        needs = self._needs_transform_list([x for x in flat])
        images = [x for x, n in zip(flat, needs) if n and x is not labels]
        params = {"labels": labels, "batch_size": labels.shape[0], **self.make_params(images)}
        out = [self._mix_label(x, params) if x is labels else
               (self.transform(x, params) if n else x) for x, n in zip(flat, needs)]
        return rebuild(out)

    def _check(self, arr, batch_size, video):
        expected = 5 if video else 4
        if arr.ndim != expected:
            raise ValueError(f"Expected a batched input with {expected} dims, but got "
                             f"{arr.ndim} dimensions instead.")
        if arr.shape[0] != batch_size:
            raise ValueError(f"The batch size of the image or video does not match the batch "
                             f"size of the labels: {arr.shape[0]} != {batch_size}.")

    def _mix_label(self, labels, params):
        arr = labels._data
        if arr.ndim == 1:
            arr = np.eye(self.num_classes, dtype=np.int64)[arr]
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float32)
        lam = arr.dtype.type(params["lam"])
        return ember.from_numpy(np.roll(arr, 1, axis=0) * (arr.dtype.type(1) - lam) + arr * lam)

    def _beta(self):
        return float(ember.random._get_rng(None).beta(self.alpha, self.alpha))


class MixUp(_MixBase):
    """Mix each image of a batch ``(B, C, H, W)`` and its one-hot label with the previous one in
    the batch: ``lam * x + (1 - lam) * roll(x, 1)``, ``lam ~ Beta(alpha, alpha)``."""

    def make_params(self, flat_inputs):
        return {"lam": self._beta()}

    def transform(self, inpt, params):
        arr = inpt._data
        self._check(arr, params["batch_size"], isinstance(inpt, tv_tensors.Video))
        lam = arr.dtype.type(params["lam"])
        return F._rewrap(ember.from_numpy(np.roll(arr, 1, axis=0) * (1 - lam) + arr * lam), inpt)


class CutMix(_MixBase):
    """Paste a random box of the previous image in the batch into each image; labels mix by the
    pasted area: ``lam = 1 - box area / image area``."""

    def make_params(self, flat_inputs):
        lam = self._beta()
        h, w = query_size(flat_inputs)
        rx, ry = _randint(0, w), _randint(0, h)
        r = 0.5 * math.sqrt(1.0 - lam)
        rw, rh = int(r * w), int(r * h)
        x1, y1 = max(rx - rw, 0), max(ry - rh, 0)
        x2, y2 = min(rx + rw, w), min(ry + rh, h)
        return {"box": (x1, y1, x2, y2), "lam": float(1.0 - (x2 - x1) * (y2 - y1) / (w * h))}

    def transform(self, inpt, params):
        arr = inpt._data
        self._check(arr, params["batch_size"], isinstance(inpt, tv_tensors.Video))
        x1, y1, x2, y2 = params["box"]
        out = arr.copy()
        out[..., y1:y2, x1:x2] = np.roll(arr, 1, axis=0)[..., y1:y2, x1:x2]
        return F._rewrap(ember.from_numpy(out), inpt)
