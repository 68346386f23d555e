"""Image preprocessing layers (channels-last ``(batch, height, width, channels)`` or one image):
``Resizing``, ``CenterCrop``, ``AutoContrast`` and the augmentations ``RandomCrop``, ``RandomZoom``,
``RandomTranslation``, ``RandomContrast``, ``RandomBrightness``.

The random layers transform only while training (``fit``, or ``training=True``) and draw from ember's
global generator (``seed`` is accepted for Keras compatibility); at inference they pass images through.

>>> import numpy as np
>>> from ember import keras
>>> keras.layers.CenterCrop(2, 2)(np.arange(16.0).reshape(1, 4, 4, 1))[0, ..., 0].tolist()
[[5.0, 6.0], [9.0, 10.0]]
"""
import numpy as np

from ...autograd.tensor import Tensor, make
from ...random import _get_rng
from .. import backend
from ..ops import image as _image
from .layer import Layer
from .preprocessing_boxes import (BoundingBoxMixin, center_crop_boxes, random_crop_boxes, resize_boxes,
                                  translate_boxes, zoom_boxes)
from .preprocessing_color import _ColorLayer, _factor

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _height_width(layer, shape):
    return (shape[-2], shape[-1]) if layer.data_format == "channels_first" else (shape[-3], shape[-2])


def _check_fill(fill_mode, interpolation):
    if fill_mode not in _FILL_MODES:
        raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}.")
    if interpolation not in ("nearest", "bilinear"):
        raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                  "('nearest', 'bilinear').")


def _affine(a, matrix, layer):
    """Channels-last batch ``a`` through ``keras.ops.image.affine_transform`` with the layer's sampling."""
    return _image.affine_transform(make(np.ascontiguousarray(a)), make(np.asarray(matrix, a.dtype)),
                                   interpolation=layer.interpolation, fill_mode=layer.fill_mode,
                                   fill_value=layer.fill_value, data_format="channels_last")._data


def _arr(x, dtype):
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    return a.astype(dtype) if a.dtype.kind != "f" else a


def _batched(a):
    return (a[None], True) if a.ndim == 3 else (a, False)


def _factor_pair(factor, name):
    if isinstance(factor, (tuple, list)):
        lo, hi = float(factor[0]), float(factor[1])
    else:
        lo, hi = -float(factor), float(factor)
    if lo > hi:
        raise ValueError(f"`{name}` lower bound {lo} is larger than its upper bound {hi}")
    return lo, hi


class _ImageLayer(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)

    def _nhwc(self, a):
        return np.moveaxis(a, -3, -1) if self.data_format == "channels_first" else a

    def _back(self, a):
        return np.moveaxis(a, -1, -3) if self.data_format == "channels_first" else a

    def compute_output_shape(self, input_shape):
        return input_shape


class Resizing(BoundingBoxMixin, _ImageLayer):
    """Resize images to ``(height, width)`` with ``interpolation`` (half-pixel centres), optionally cropping
    (``crop_to_aspect_ratio``) or padding (``pad_to_aspect_ratio``, with ``fill_value``) to the target
    aspect ratio first."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bounding_box_format = bounding_box_format
        self.height, self.width, self.interpolation = height, width, interpolation
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, antialias

    def get_random_transformation(self, images, training=True, seed=None):
        """The input's ``(height, width)``: what the boxes are rescaled from."""
        return _height_width(self, np.shape(_arr(images, None)))

    def transform_images(self, images, transformation=None, training=True):
        return self.call(images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return resize_boxes(self, bounding_boxes, *transformation)

    def call(self, inputs):
        if isinstance(inputs, dict):
            return self._call_dict(inputs)
        return _image.resize(inputs, (self.height, self.width), interpolation=self.interpolation,
                             antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                             pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                             fill_value=self.fill_value, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        s = list(input_shape)
        h, w = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        s[h], s[w] = self.height, self.width
        return tuple(s)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias, "data_format": self.data_format}


class CenterCrop(BoundingBoxMixin, _ImageLayer):
    """The central ``(height, width)`` window of each image (offsets ``(H - height) // 2``); an image smaller
    than that is cropped to the target aspect ratio and resized up, as Keras does."""

    def __init__(self, height, width, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width, self.bounding_box_format = height, width, bounding_box_format

    def get_random_transformation(self, images, training=True, seed=None):
        return {"input_shape": tuple(np.shape(_arr(images, None)))}

    def transform_images(self, images, transformation=None, training=True):
        return self.call(images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return center_crop_boxes(self, bounding_boxes, transformation["input_shape"])

    def call(self, inputs):
        if isinstance(inputs, dict):
            return self._call_dict(inputs)
        a = self._nhwc(_arr(inputs, self.dtype))
        H, W = a.shape[-3], a.shape[-2]
        if H >= self.height and W >= self.width:
            top, left = (H - self.height) // 2, (W - self.width) // 2
            out = a[..., top:top + self.height, left:left + self.width, :]
            return make(np.ascontiguousarray(self._back(out)))
        out = _image.resize(make(np.ascontiguousarray(a)), (self.height, self.width), crop_to_aspect_ratio=True,
                            data_format="channels_last")._data
        return make(self._back(out))

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class AutoContrast(_ImageLayer):
    """Stretch each image's channels to the full ``value_range``: ``(x - min) * 255 / (max - min)`` per image
    and channel (in the [0, 255] scale), clipped; NaN results keep the input."""

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = tuple(value_range)

    def call(self, inputs):
        a = _arr(inputs, self.dtype)
        lo_r, hi_r = self.value_range
        x = (a - lo_r) * (255.0 / (hi_r - lo_r))
        b, squeeze = _batched(x)
        low = b.min(axis=(1, 2), keepdims=True)
        high = b.max(axis=(1, 2), keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 255.0 / (high - low)
            out = np.clip(b * scale - low * scale, 0.0, 255.0)
        out = out * ((hi_r - lo_r) / 255.0) + lo_r
        out = out[0] if squeeze else out
        out = np.where(np.isnan(out), a, out).astype(a.dtype)
        return make(out)

    def get_random_transformation(self, images, training=True, seed=None):
        """Deterministic: no parameters (``None``, as Keras)."""
        return None

    def transform_images(self, images, transformation=None, training=True):
        """The stretched ``images`` (``transformation`` is ignored, as in Keras)."""
        return self.call(images)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "value_range": list(self.value_range)}


class RandomCrop(BoundingBoxMixin, _ImageLayer):
    """While training, a random ``(height, width)`` window of each batch (one offset for the batch, as
    Keras); at inference images pass through unchanged, as Keras 3 does.

    Keras's two steps: ``get_random_transformation`` gives the window's ``(top, left)``: drawn uniformly when
    training on an image larger than the window, else the centre of the largest window of the target aspect
    ratio; ``transform_images`` slices ``height x width`` from there and, when the image was too small for
    that, resizes the slice to ``(height, width)``."""

    def __init__(self, height, width, seed=None, data_format=None, name=None, bounding_box_format=None, **kwargs):
        super().__init__(data_format=data_format, name=name, **kwargs)
        self.height, self.width, self.seed = height, width, seed
        self.bounding_box_format = bounding_box_format
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def get_random_transformation(self, images, training=True, seed=None):
        H, W = _height_width(self, np.shape(_arr(images, None)))
        if training and H > self.height and W > self.width:
            rng = seed if isinstance(seed, np.random.Generator) else self._rng if self._rng is not None \
                else _get_rng()
            # Keras casts a uniform draw in [0, H - height + 1) to int32: each offset equally likely.
            return int(rng.uniform(0, H - self.height + 1)), int(rng.uniform(0, W - self.width + 1))
        crop_h = max(min(H, int(float(W * self.height) / self.width)), 1)
        crop_w = max(min(W, int(float(H * self.width) / self.height)), 1)
        return int(float(H - crop_h) / 2), int(float(W - crop_w) / 2)

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images if isinstance(images, Tensor) else make(_arr(images, self.dtype))
        a = self._nhwc(_arr(images, self.dtype))
        top, left = (int(v) for v in transformation)
        out = a[..., top:top + self.height, left:left + self.width, :]
        if out.shape[-3:-1] != (self.height, self.width):
            out = _image.resize(make(np.ascontiguousarray(out)), (self.height, self.width),
                                data_format="channels_last")._data.astype(self.dtype)
        return make(np.ascontiguousarray(self._back(out)))

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return random_crop_boxes(self, bounding_boxes, transformation, training)

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        return self.transform_images(inputs, self.get_random_transformation(inputs, training=training),
                                     training=training)

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed,
                "data_format": self.data_format}


class _AffineAugment(BoundingBoxMixin, _ImageLayer):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 bounding_box_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bounding_box_format = bounding_box_format
        self._rng = np.random.default_rng(seed) if seed is not None else None
        if fill_mode not in ("reflect", "wrap", "constant", "nearest"):
            raise ValueError(f"Unknown `fill_mode` {fill_mode}. Expected of one 'reflect', 'wrap', 'constant', "
                             "'nearest'")
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"Unknown `interpolation` {interpolation}. Expected 'bilinear' or 'nearest'")
        self.fill_mode, self.interpolation, self.seed, self.fill_value = fill_mode, interpolation, seed, fill_value

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        if not training:
            return self.transform_images(inputs, None, training=False)
        return self.transform_images(inputs, self.get_random_transformation(inputs), training=True)

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            # Keras casts to the layer's dtype even when it passes the images through.
            return make((images._data if isinstance(images, Tensor) else np.asarray(images)).astype(self.dtype,
                                                                                                    copy=False))
        a, squeeze = _batched(self._nhwc(_arr(images, self.dtype)))
        N, H, W, _ = a.shape
        yy, xx = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64), indexing="ij")
        out = np.empty_like(a)
        for n, (zy, zx, dy, dx) in enumerate(self._params(transformation, N)):
            # The output pixel (y, x) samples the input at a zoom about the centre plus a shift.
            sy = (yy - (H - 1) / 2) * zy + (H - 1) / 2 - dy
            sx = (xx - (W - 1) / 2) * zx + (W - 1) / 2 - dx
            out[n] = _image._sample(a[n], sy, sx, self.fill_mode, self.interpolation, self.fill_value)
        out = self._back(out)
        return make(out[0] if squeeze else out)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value, "data_format": self.data_format}


class RandomZoom(_AffineAugment):
    """While training, zoom each image by ``1 + U(lower, upper)`` of ``height_factor`` (and ``width_factor``,
    default the same zoom): a positive factor zooms out (the image shrinks, filled by ``fill_mode``), a
    negative one zooms in."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _factor_pair(height_factor, "height_factor")
        if self.height_lower < -1.0 or self.height_upper < -1.0:
            raise ValueError(f"`height_factor` argument must have values larger than -1. Received: "
                             f"height_factor={height_factor}")
        self.width_lower, self.width_upper = (_factor_pair(width_factor, "width_factor") if width_factor is not None
                                              else (None, None))

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's draw: ``{"height_zoom", "width_zoom"}`` of shape ``(batch, 1)`` (``width_zoom`` is
        ``height_zoom`` without a ``width_factor``) and the ``input_shape``."""
        if not training:
            return None
        shape = tuple(np.shape(_arr(images, None)))
        n = shape[0] if len(shape) == 4 else 1
        rng = seed if isinstance(seed, np.random.Generator) else self._rng if self._rng is not None else _get_rng()
        zy = (1.0 + rng.uniform(self.height_lower, self.height_upper, (n, 1))).astype(np.float32)
        zx = zy if self.width_factor is None else \
            (1.0 + rng.uniform(self.width_lower, self.width_upper, (n, 1))).astype(np.float32)
        return {"height_zoom": zy, "width_zoom": zx, "input_shape": shape}

    def _params(self, transformation, n):
        zy = np.asarray(_arr(transformation["height_zoom"], np.float64)).reshape(-1)
        zx = np.asarray(_arr(transformation["width_zoom"], np.float64)).reshape(-1)
        return zip(zy, zx, np.zeros(n), np.zeros(n))

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return zoom_boxes(self, bounding_boxes, transformation, training)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(BoundingBoxMixin, _ColorLayer):
    """While training, shift each image by ``U(lower, upper) * height`` rows and ``* width`` columns
    (factors as fractions; positive moves down/right), through ``keras.ops.image.affine_transform``.

    Keras's two steps: ``get_random_transformation`` gives ``{"translations": (batch, 2) [dx, dy]
    in pixels, "input_shape"}`` and ``transform_images`` samples output pixel ``(x, y)`` at
    ``(x - dx, y - dy)``."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.bounding_box_format = bounding_box_format
        _check_fill(fill_mode, interpolation)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _factor_pair(height_factor, "height_factor")
        self.width_lower, self.width_upper = _factor_pair(width_factor, "width_factor")
        for v in (self.height_lower, self.height_upper, self.width_lower, self.width_upper):
            if abs(v) > 1.0:
                raise ValueError(f"The `factor` argument should be a number (or a list of two numbers) in the "
                                 f"range [-1.0, 1.0]. Received: factor={v}")

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        a, _ = self._batch(images)
        n, (h, w) = a.shape[0], self._hw(a)
        rng = self._generator(seed)
        dy = rng.uniform(self.height_lower, self.height_upper, (n, 1)) * h
        dx = rng.uniform(self.width_lower, self.width_upper, (n, 1)) * w
        return {"translations": np.concatenate([dx, dy], axis=1).astype(np.float32),
                "input_shape": tuple(np.shape(images))}

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return translate_boxes(self, bounding_boxes, transformation, training)

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        return super().call(inputs, training=training)

    def _apply(self, a, p):
        t = p["translations"].astype(np.float64).reshape(-1, 2)
        one, zero = np.ones(len(t)), np.zeros(len(t))
        matrix = np.stack([one, zero, -t[:, 0], zero, one, -t[:, 1], zero, zero], axis=1)
        return _affine(a, matrix, self)

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")
        config.update(height_factor=self.height_factor, width_factor=self.width_factor, fill_mode=self.fill_mode,
                      interpolation=self.interpolation, fill_value=self.fill_value)
        return config


class RandomContrast(_ColorLayer):
    """While training, ``(x - mean) * c + mean`` per image, ``mean`` over height and width per channel,
    ``c ~ U(1 - lower, 1 + upper)``, clipped to ``value_range``. ``factor`` is a pair ``(lower, upper)``
    in [0, 1], or a number ``f`` meaning ``(0, f)`` (Keras 3's rule: ``c ~ U(1, 1 + f)``).
    The transformation is ``{"contrast_factor": (batch, 1, 1, 1)}``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.factor = _factor(factor, (0, 1))

    def _draw(self, n, rng):
        return {"contrast_factor": rng.uniform(1.0 - self.factor[0], 1.0 + self.factor[1], (n, 1, 1, 1))
                .astype(np.float32)}

    def _apply(self, a, p):
        c = p["contrast_factor"].astype(a.dtype).reshape(-1, 1, 1, 1)
        mean = a.mean(axis=1, keepdims=True).mean(axis=2, keepdims=True)
        return np.clip((a - mean) * c + mean, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor))
        return config


class RandomBrightness(_ColorLayer):
    """While training, add ``U(lower, upper) * (value_range[1] - value_range[0])`` to each image (one delta
    per image), clipped to ``value_range``; ``factor`` a number ``f`` in [-1, 1] (meaning ``(-f, f)``) or a
    pair. The transformation is ``{"rgb_delta": (batch, 1, 1, 1)}``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.factor = _factor(factor, (-1, 1))

    def _draw(self, n, rng):
        span = self.value_range[1] - self.value_range[0]
        return {"rgb_delta": (rng.uniform(self.factor[0], self.factor[1], (n, 1, 1, 1)) * span).astype(np.float32)}

    def _apply(self, a, p):
        a = a + p["rgb_delta"].astype(a.dtype).reshape(-1, 1, 1, 1)
        return np.clip(a, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor))
        return config
