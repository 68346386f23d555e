"""Colour and pixel-value augmentation layers of Keras 3 (channels-last or channels-first images, one image
or a batch): ``RandomGrayscale``, ``RandomInvert``, ``Solarization``, ``RandomPosterization``,
``RandomColorDegeneration``, ``RandomSaturation``, ``RandomHue``, ``RandomSharpness``,
``RandomGaussianBlur`` and the deterministic ``Equalization``.

Each layer has Keras's two steps: ``get_random_transformation(images)`` draws the per-image
parameters (a dict, from the layer's own generator when ``seed`` is given, else ember's global one) and
``transform_images(images, transformation)`` applies them, so a transformation can be fixed and
reused. Called with ``training=True`` (as inside ``fit``) the layer draws and applies; at inference
it passes images through (cast to the layer's dtype).

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.RandomInvert(factor=1.0)
>>> images = np.array([[[[0.0], [255.0]]]], "float32")
>>> layer.transform_images(images, {"apply_inversion": np.array([True])}).numpy().ravel().tolist()
[255.0, 0.0]
"""
import numpy as np

from ...autograd.tensor import Tensor, make
from ...random import _get_rng
from .. import backend
from ..ops import image as _image
from .layer import Layer


def _array(x, dtype):
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    return a.astype(dtype)


def _factor(factor, bounds, name="factor"):
    """Keras's factor rule: a pair is sorted; a number ``f`` means ``(max(-f, low), f)``."""
    msg = (f"The `{name}` argument should be a number (or a list of two numbers) in the range "
           f"[{bounds[0]}, {bounds[1]}]. Received: {name}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(msg)
        return tuple(sorted(float(f) for f in factor))
    if isinstance(factor, (int, float)):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(msg)
        f = abs(float(factor))
        return (max(-f, bounds[0]), f)
    raise ValueError(msg)


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"The `value_range` argument should be a list of two numbers. Received: "
                         f"value_range={value_range}")
    return tuple(sorted(value_range))


def _rescale(a, source, target):
    if tuple(source) == tuple(target):
        return a
    return (a - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


class _ColorLayer(Layer):
    """Shared machinery: batching, channels-first handling, the generator, training switch."""

    def __init__(self, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range)
        self.seed = seed
        self.data_format = backend.standardize_data_format(data_format)
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _generator(self, seed=None):
        # A composite layer (RandAugment, AugMix) hands its own generator down as ``seed``, as Keras hands
        # down its seed generator, so one seed fixes the whole draw.
        if isinstance(seed, np.random.Generator):
            return seed
        return self._rng if self._rng is not None else _get_rng()

    def _hw(self, a):
        """Height and width of the batch ``a`` (in the layer's data format)."""
        return (a.shape[1], a.shape[2]) if self.data_format == "channels_last" else (a.shape[2], a.shape[3])

    def _batch(self, images):
        a = _array(images, self.dtype)
        if a.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected the input image to be rank 3 or 4. Received "
                             f"inputs.shape={a.shape}")
        return (a[None], True) if a.ndim == 3 else (a, False)

    def _nhwc(self, a):
        return np.moveaxis(a, 1, -1) if self.data_format == "channels_first" else a

    def _nchw(self, a):
        return np.moveaxis(a, -1, 1) if self.data_format == "channels_first" else a

    # A deterministic layer (Equalization) transforms with no parameters (Keras hands it ``None``).
    _needs_transformation = True

    def get_random_transformation(self, images, training=True, seed=None):
        a, _ = self._batch(images)
        return self._draw(a.shape[0], self._generator(seed))

    def transform_images(self, images, transformation, training=True):
        """``images`` (a batch) transformed with the given parameters; returns an ember tensor."""
        a, single = self._batch(images)
        if training and (transformation is not None or not self._needs_transformation):
            transformation = transformation or {}
            params = {k: np.asarray(v._data if isinstance(v, Tensor) else v) for k, v in transformation.items()}
            a = self._nchw(self._apply(self._nhwc(a), params)).astype(self.dtype)
        return make(np.ascontiguousarray(a[0] if single else a))

    def call(self, inputs, training=True):
        if not training:
            return make(_array(inputs, self.dtype))
        return self.transform_images(inputs, self.get_random_transformation(inputs), training=True)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(value_range=list(self.value_range), seed=self.seed, data_format=self.data_format)
        return config


def _gray(a):
    return _image.rgb_to_grayscale(make(np.ascontiguousarray(a)), data_format="channels_last")._data


class RandomGrayscale(_ColorLayer):
    """With probability ``factor`` per image, replace it by its grayscale (``0.2989 R + 0.587 G + 0.114 B``
    in every channel)."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor

    def _draw(self, n, rng):
        return {"should_apply": rng.uniform(0, 1, n) < self.factor}

    def _apply(self, a, p):
        gray = np.broadcast_to(_gray(a), a.shape)
        return np.where(p["should_apply"].reshape(-1, 1, 1, 1), gray, a)

    def get_config(self):
        config = super().get_config()
        for key in ("value_range", "seed"):   # Keras's RandomGrayscale writes neither
            config.pop(key)
        config.update(factor=self.factor)
        return config


class RandomInvert(_ColorLayer):
    """Invert images (``value_range[1] - x``), each with a probability drawn from ``U(factor)``."""

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (0, 1))   # Keras's _FACTOR_BOUNDS for this layer

    def _draw(self, n, rng):
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        return {"apply_inversion": rng.uniform(0, 1, n) < probability}

    def _apply(self, a, p):
        return np.where(p["apply_inversion"].reshape(-1, 1, 1, 1), self.value_range[1] - a, a)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class Solarization(_ColorLayer):
    """On the [0, 255] scale: ``y = clip(x + addition, 0, 255)``, then ``255 - y`` where ``y >= threshold``;
    ``addition ~ U(lo, hi * 255)`` and ``threshold ~ U(lo, hi * 255)`` per image from ``addition_factor``
    and ``threshold_factor`` (a number ``f`` means ``(0, f)``)."""

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.addition_factor = self._pair(addition_factor, "addition_factor")
        self.threshold_factor = self._pair(threshold_factor, "threshold_factor")

    @staticmethod
    def _pair(factor, name):
        msg = (f"The `{name}` argument should be a number (or a list of two numbers) in the range [0, 1]. "
               f"Received: {name}={factor}")
        values = list(factor) if isinstance(factor, (tuple, list)) else [0, factor]
        if len(values) != 2 or any(not 0 <= v <= 1 for v in values):
            raise ValueError(msg)
        return tuple(sorted(values))

    def _draw(self, n, rng):
        return {"additions": rng.uniform(self.addition_factor[0], self.addition_factor[1] * 255, (n, 1, 1, 1)),
                "thresholds": rng.uniform(self.threshold_factor[0], self.threshold_factor[1] * 255, (n, 1, 1, 1))}

    def _apply(self, a, p):
        y = np.clip(_rescale(a, self.value_range, (0, 255)) + p["additions"], 0, 255)
        y = np.where(y < p["thresholds"], y, 255 - y)
        return _rescale(y, (0, 255), self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(addition_factor=list(self.addition_factor), threshold_factor=list(self.threshold_factor))
        return config


class RandomPosterization(_ColorLayer):
    """Keep the top ``bits`` bits of each 8-bit colour value, ``bits`` drawn from ``[factor_lo, factor_hi)``
    (``factor`` in [1, 8]; one number ``f`` draws from ``[1, f)``, equal bounds fix it)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (1, 8))

    def _draw(self, n, rng):
        lo, hi = int(self.factor[0]), int(self.factor[1])
        bits = rng.integers(lo, hi, n) if lo != hi else np.full(n, lo)
        return {"shift_factor": (8 - bits).astype(np.uint8)}

    def _apply(self, a, p):
        shift = p["shift_factor"].astype(np.uint8).reshape(-1, 1, 1, 1)
        u8 = _rescale(a, self.value_range, (0, 255)).astype(np.uint8)
        return _rescale(((u8 >> shift) << shift).astype(a.dtype), (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomColorDegeneration(_ColorLayer):
    """Blend each image toward its grayscale: ``x + f (gray - x)``, ``f ~ U(factor)`` per image, clipped to
    ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (-1, 1))

    def _draw(self, n, rng):
        return {"factor": rng.uniform(self.factor[0], self.factor[1], (n, 1, 1, 1))}

    def _apply(self, a, p):
        f = p["factor"].reshape(-1, 1, 1, 1).astype(a.dtype)
        return np.clip(a + f * (_gray(a) - a), self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


def _hsv(a):
    return _image.rgb_to_hsv(make(np.ascontiguousarray(a)), data_format="channels_last")._data


def _rgb(a):
    return _image.hsv_to_rgb(make(np.ascontiguousarray(a)), data_format="channels_last")._data


class RandomSaturation(_ColorLayer):
    """Scale each image's HSV saturation by ``f / (1 - f + epsilon)``, ``f ~ U(factor)``, clipped to
    ``value_range`` (0.5 leaves images as they are, 0 makes them gray, 1 saturates fully)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (-1, 1))

    def _draw(self, n, rng):
        f = rng.uniform(self.factor[0], self.factor[1], n)
        return {"factor": f / (1 - f + backend.epsilon())}

    def _apply(self, a, p):
        hsv = _hsv(a)
        s = np.clip(hsv[..., 1] * p["factor"].astype(a.dtype).reshape(-1, 1, 1), *self.value_range)
        return _rgb(np.stack([hsv[..., 0], s, hsv[..., 2]], axis=-1))

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomHue(_ColorLayer):
    """Rotate each image's hue by ``+-f / 2`` of a full turn (sign at random, ``f ~ U(factor)``) on the [0, 1]
    scale, wrapping around."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (0, 1))   # Keras's _FACTOR_BOUNDS for this layer

    def _draw(self, n, rng):
        invert = np.where(rng.uniform(0, 1, n) > 0.5, -1.0, 1.0)
        return {"factor": invert * rng.uniform(self.factor[0], self.factor[1], n) * 0.5}

    def _apply(self, a, p):
        hsv = _hsv(_rescale(a, self.value_range, (0, 1)).astype(a.dtype))
        h = hsv[..., 0] + p["factor"].astype(a.dtype).reshape(-1, 1, 1)
        h = np.where(h > 1.0, h - 1.0, h)
        h = np.where(h < 0.0, h + 1.0, h)
        out = np.clip(_rgb(np.stack([h, hsv[..., 1], hsv[..., 2]], axis=-1)), 0, 1)
        return _rescale(out, (0, 1), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomSharpness(_ColorLayer):
    """Blend each image with its 3x3 smoothing (centre 5/13, others 1/13, zero padding):
    ``x + (1 - 2f) (smooth - x)``, ``f ~ U(factor)``, clipped to ``value_range`` (0.5 leaves it unchanged,
    above sharpens, below blurs)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (0, 1))   # Keras's _FACTOR_BOUNDS for this layer

    def _draw(self, n, rng):
        return {"factor": rng.uniform(self.factor[0], self.factor[1], n)}

    def _apply(self, a, p):
        H, W = a.shape[1], a.shape[2]
        padded = np.pad(a, ((0, 0), (1, 1), (1, 1), (0, 0)))
        smooth = np.zeros_like(a)
        for dy in range(3):
            for dx in range(3):
                w = 5.0 / 13.0 if dy == dx == 1 else 1.0 / 13.0
                smooth += np.asarray(w, a.dtype) * padded[:, dy:dy + H, dx:dx + W]
        f = (p["factor"] * 2).astype(a.dtype).reshape(-1, 1, 1, 1)
        return np.clip(a + (1.0 - f) * (smooth - a), self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class Equalization(_ColorLayer):
    """Histogram equalization of each channel over the batch: the ``bins``-bin histogram of the values
    (on the [0, 255] scale) gives the lookup ``round(255 (cdf - cdf_min) / (cdf[-1] - cdf_min))``; a channel
    whose values fill at most one bin is left as it is. Deterministic (applied when training)."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(value_range, None, data_format, **kwargs)
        self.bins = bins

    _needs_transformation = False

    def get_random_transformation(self, images, training=True, seed=None):
        return None

    def _draw(self, n, rng):
        return {}

    def _equalize(self, channel):
        c = _rescale(channel, self.value_range, (0, 255))
        idx = np.clip((c.astype(np.float32) * (self.bins - 1) / 255.0).astype(np.int32), 0, self.bins - 1)
        hist = np.bincount(idx.ravel(), minlength=self.bins)
        if np.count_nonzero(hist) <= 1:
            return channel
        cdf = np.cumsum(hist)
        cdf_min = cdf[np.nonzero(cdf)[0][0]]
        denom = cdf[-1] - cdf_min
        lookup = np.clip(np.round((cdf - cdf_min) * 255 / (denom if denom else 1)), 0, 255)
        out = lookup[np.clip((c / 255.0) * (self.bins - 1), 0, self.bins - 1).astype(np.int32)]
        return _rescale(out, (0, 255), self.value_range)

    def _apply(self, a, p):
        return np.stack([self._equalize(a[..., i]) for i in range(a.shape[-1])], axis=-1)

    def get_config(self):
        config = super().get_config()
        config.pop("seed")
        config.update(bins=self.bins)
        return config


class RandomGaussianBlur(_ColorLayer):
    """Blur images with a Gaussian kernel (``kernel_size``, one ``sigma`` pair ``(sigma_y, sigma_x)`` drawn
    from ``U(sigma)`` per batch); each image is blurred with a probability drawn from ``U(factor)``."""

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (0, 1))
        sizes = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
        if len(sizes) != 2 or any(int(k) % 2 == 0 for k in sizes):
            raise ValueError(f"kernel_size must be an odd number. Received: kernel_size={kernel_size}")
        self.kernel_size = tuple(int(k) for k in sizes)
        self.sigma = _factor(sigma, (0, 1), "sigma")

    def _draw(self, n, rng):
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = rng.uniform(0, 1, n) < probability
        return {"should_apply_blur": apply,
                "blur_factor": rng.uniform(self.sigma[0], self.sigma[1], 2).astype(self.dtype) + 1e-6}

    def _apply(self, a, p):
        blurred = _image.gaussian_blur(make(np.ascontiguousarray(a)), kernel_size=self.kernel_size,
                                       sigma=tuple(float(s) for s in p["blur_factor"]),
                                       data_format="channels_last")._data
        out = np.where(p["should_apply_blur"].reshape(-1, 1, 1, 1), blurred, a)
        return np.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "kernel_size": list(self.kernel_size),
                "sigma": list(self.sigma)}
