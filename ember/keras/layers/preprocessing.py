"""Preprocessing layers: ``Rescaling``, ``Normalization`` (with ``adapt``), ``RandomFlip``, ``RandomRotation``.

The random layers augment in ``fit`` and on a direct call (their ``call`` defaults to
``training=True``, as in Keras) and pass inputs through in ``predict``/``evaluate`` or with
``training=False``; their randomness comes from ember's global generator.

>>> import ember
>>> from ember import keras
>>> keras.layers.Rescaling(1 / 255)(ember.tensor([[255.0, 0.0]])).tolist()
[[1.0, 0.0]]
"""
import math

import numpy as np

from ...autograd import ops
from ...autograd.tensor import Tensor, make
from ...random import _get_rng
from .. import backend
from ..ops import image as _image
from ..autocast import ember_dtype, is_float_array
from .layer import Layer
from .preprocessing_boxes import BoundingBoxMixin, flip_boxes, rotate_boxes
from .preprocessing_color import _ColorLayer, _factor


class Rescaling(Layer):
    """``inputs * scale + offset`` (e.g. ``Rescaling(1./255)`` maps pixels to [0, 1])."""

    supports_masking = True  # as Keras: the input's mask passes through

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        if not is_float_array(inputs._data):   # uint8 images: cast to the compute dtype, as Keras
            inputs = inputs.to(ember_dtype(self.compute_dtype))
        return ops.add(ops.mul(inputs, self.scale), self.offset)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale, offset=self.offset)
        return config


class Normalization(Layer):
    """Standardizes features: ``(x - mean) / max(sqrt(variance), epsilon)``; ``invert=True`` undoes it.

    ``mean`` and ``variance`` are given, or learned from data with ``adapt(data)`` (over all axes
    but ``axis``, default the last). Weights when adapted: ``mean``, ``variance`` (the kept axes'
    shape) and ``count``, all non-trainable, as in Keras.
    """

    supports_masking = True  # as Keras: the input's mask passes through

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis) if axis is not None else ()
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)

    def _keep(self, ndim):
        return sorted(a % ndim for a in self.axis)

    def build(self, input_shape):
        keep = self._keep(len(input_shape))
        shape = tuple(input_shape[a] for a in keep)
        self._broadcast = [input_shape[d] if d in keep else 1 for d in range(len(input_shape))]
        if self.input_mean is None:
            # Keras's names: the weights 'mean', 'variance', 'count' are adapt_mean ...; `mean` is the broadcast
            self._add_weight("mean", shape, "zeros", trainable=False, attr="adapt_mean")
            self._add_weight("variance", shape, "ones", trainable=False, attr="adapt_variance")
            self._add_weight("count", (), "zeros", dtype="int32", trainable=False, attr="adapt_count")

    @property
    def mean(self):
        """The mean broadcast against the inputs (``(1, features)`` for the last axis), as Keras's ``layer.mean``."""
        return self._broadcast_stat(self.input_mean, "adapt_mean")

    @property
    def variance(self):
        return self._broadcast_stat(self.input_variance, "adapt_variance")

    def _broadcast_stat(self, given, attr):
        if not self.built:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr[6:]}' before it is built")
        if given is not None:
            return make(np.broadcast_to(np.asarray(given, np.dtype(self._dtype)), self._broadcast).copy())
        return getattr(self, attr).reshape(self._broadcast)

    def adapt(self, data, batch_size=None, steps=None):
        """Compute ``mean`` and ``variance`` from ``data`` (an array or an iterable of batches)."""
        if hasattr(data, "__array__") or isinstance(data, (list, tuple)) and not hasattr(data, "__next__"):
            arr = np.asarray(backend.convert_to_numpy(data), np.float64)
        else:
            arr = np.concatenate([np.asarray(backend.convert_to_numpy(b[0] if isinstance(b, tuple) else b),
                                             np.float64) for b in data])
        if not self.built:
            self._maybe_build((None,) + arr.shape[1:])
        keep = self._keep(arr.ndim)
        red = tuple(d for d in range(arr.ndim) if d not in keep)
        self.adapt_mean._data[...] = arr.mean(axis=red)
        self.adapt_variance._data[...] = arr.var(axis=red)
        self.adapt_count._data[...] = arr.size // max(1, int(np.prod([arr.shape[d] for d in keep])))

    def call(self, inputs):
        if not is_float_array(inputs._data):
            inputs = inputs.to(ember_dtype(self.compute_dtype))
        if self.input_mean is not None:
            mean = make(np.broadcast_to(np.asarray(self.input_mean, inputs._data.dtype),
                                        self._broadcast).copy())
            var = make(np.broadcast_to(np.asarray(self.input_variance, inputs._data.dtype),
                                       self._broadcast).copy())
        else:
            mean, var = self.adapt_mean.reshape(self._broadcast), self.adapt_variance.reshape(self._broadcast)
        std = ops.clamp(ops.sqrt(var), min=backend.epsilon())
        if self.invert:
            return ops.add(mean, ops.mul(inputs, std))
        return ops.div(ops.sub(inputs, mean), std)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=list(self.axis), invert=self.invert,
                      mean=_listify(self.input_mean), variance=_listify(self.input_variance))
        return config


def _listify(v):
    return np.asarray(v).tolist() if v is not None else None


class RandomFlip(BoundingBoxMixin, Layer):
    """Flips each image at random while training: ``mode`` 'horizontal', 'vertical' or 'horizontal_and_vertical'
    (one draw per image, as Keras: with both, an image is flipped both ways or not at all).

    Keras's two steps: ``get_random_transformation`` gives ``{"flips": (batch, 1, 1, 1) bool (uniform <= 0.5),
    "input_shape"}`` and ``transform_images`` applies it; with ``bounding_box_format`` a dict
    ``{"images", "bounding_boxes", ...}`` has its boxes flipped by the same draw."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, bounding_box_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode}")
        self.mode, self.seed, self.bounding_box_format = mode, seed, bounding_box_format
        self.data_format = backend.standardize_data_format(data_format)
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        shape = tuple(np.shape(images._data if isinstance(images, Tensor) else images))
        rng = seed if isinstance(seed, np.random.Generator) else self._rng if self._rng is not None else _get_rng()
        flips = rng.random((1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)) <= 0.5
        return {"flips": flips, "input_shape": shape}

    def transform_images(self, images, transformation, training=True):
        # Keras casts to the layer's dtype, flipped or not (uint8 pixels come out float32).
        a = (images._data if isinstance(images, Tensor) else np.asarray(images)).astype(self.dtype, copy=False)
        if not training or transformation is None:
            return make(a)
        flips = np.asarray(transformation["flips"]._data if isinstance(transformation["flips"], Tensor)
                           else transformation["flips"], bool)
        single = a.ndim == 3
        out = a[None] if single else a
        w_axis, h_axis = (-1, -2) if self.data_format == "channels_first" else (-2, -3)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            out = np.where(flips, np.flip(out, w_axis), out)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            out = np.where(flips, np.flip(out, h_axis), out)
        return make(np.ascontiguousarray(out[0] if single else out))

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return flip_boxes(self, bounding_boxes, transformation, training)

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        return self.transform_images(inputs, self.get_random_transformation(inputs, training=training),
                                     training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, seed=self.seed, data_format=self.data_format)
        return config


class RandomRotation(BoundingBoxMixin, _ColorLayer):
    """Rotates each image by a random angle while training.

    Args:
        factor (float or (lower, upper)): the angle range as a fraction of a full turn:
            ``0.1`` draws from [-36°, 36°]; positive angles turn counter-clockwise.
        fill_mode (str): 'reflect' (default), 'wrap', 'constant' or 'nearest'.
        interpolation (str): 'bilinear' (default) or 'nearest'.
        fill_value (float): the value of 'constant' fill.

    Keras's two steps: ``get_random_transformation`` draws ``angle`` (degrees) per image and its
    ``rotation_matrix``, the projective transform ``[cos, -sin, a2, sin, cos, b2, 0, 0]`` about the centre
    ``((W - 1) / 2, (H - 1) / 2)``; ``transform_images`` applies it with ``keras.ops.image.affine_transform``.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.bounding_box_format = bounding_box_format
        self.factor = _factor(factor, (-1, 1))
        from .preprocessing_image import _check_fill
        _check_fill(fill_mode, interpolation)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    @staticmethod
    def rotation_matrix(angle, height, width):
        """The ``(batch, 8)`` transform rotating by ``angle`` degrees about the image centre."""
        theta = np.asarray(angle, np.float64) * (math.pi / 180.0)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        cos, sin = np.cos(theta), np.sin(theta)
        zero = np.zeros_like(theta)
        return np.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, zero, zero],
                        axis=1).astype(np.float32)

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        a, single = self._batch(images)
        n, (h, w) = a.shape[0], self._hw(a)
        angle = self._generator(seed).uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, n).astype(np.float32)
        matrix = self.rotation_matrix(angle, h, w)
        return {"angle": angle, "rotation_matrix": matrix[0] if single else matrix, "image_height": h,
                "image_width": w, "batch_size": n}

    def _apply(self, a, p):
        from .preprocessing_image import _affine
        return _affine(a, p["rotation_matrix"].reshape(-1, 8), self)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return rotate_boxes(self, bounding_boxes, transformation, training)

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        return super().call(inputs, training=training)

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")
        config.update(factor=list(self.factor), fill_mode=self.fill_mode, interpolation=self.interpolation,
                      fill_value=self.fill_value)
        return config
