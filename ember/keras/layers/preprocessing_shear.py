"""Geometric augmentations through ``keras.ops.image``: ``RandomShear`` and ``RandomPerspective``.

``RandomShear``: shear each image by ``(sx, sy)`` drawn from ``x_factor`` / ``y_factor`` (a number ``f``
means ``U(-f, f)``; both signs flipped together at random), through ``keras.ops.image.affine_transform``
with the projective transform ``[1, sx, 0, sy, 1, 0, 0, 0]`` (output pixel ``(x, y)`` samples the input at
``(x + sx y, sy x + y)``), ``interpolation`` and ``fill_mode`` / ``fill_value`` for the uncovered area."""
import numpy as np

from ...autograd.tensor import make
from ..ops import image as _image
from .preprocessing_boxes import BoundingBoxMixin, shear_boxes
from .preprocessing_color import _ColorLayer

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _shear_factor(factor, name):
    msg = (f"The `factor` argument should be a number (or a list of two numbers) in the range [0, 1.0]. "
           f"Received: {name}={factor}")
    values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    if len(values) not in (1, 2) or not isinstance(factor, (int, float, tuple, list)) or \
            any(not 0 <= abs(v) <= 1 for v in values) or (isinstance(factor, (tuple, list)) and len(values) != 2):
        raise ValueError(msg)
    if isinstance(factor, (tuple, list)):
        return tuple(sorted(values))
    return (-abs(factor), abs(factor))


class RandomShear(BoundingBoxMixin, _ColorLayer):
    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, bounding_box_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.bounding_box_format = bounding_box_format
        self.x_factor = _shear_factor(x_factor, "x_factor")
        self.y_factor = _shear_factor(y_factor, "y_factor")
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}.")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                      "('nearest', 'bilinear').")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value

    def get_random_transformation(self, images, training=True, seed=None):
        draw = super().get_random_transformation(images, training, seed)
        return {**draw, "input_shape": tuple(np.shape(images))}

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return shear_boxes(self, bounding_boxes, transformation, training)

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        return super().call(inputs, training=training)

    def _draw(self, n, rng):
        invert = np.where(rng.uniform(0, 1, (n, 1)) > 0.5, -1.0, 1.0)
        sy = rng.uniform(self.y_factor[0], self.y_factor[1], (n, 1))
        sx = rng.uniform(self.x_factor[0], self.x_factor[1], (n, 1))
        return {"shear_factor": (np.concatenate([sx, sy], axis=1) * invert).astype(np.float32)}

    def _apply(self, a, p):
        s = p["shear_factor"].astype(a.dtype)
        n = s.shape[0]
        one, zero = np.ones(n, a.dtype), np.zeros(n, a.dtype)
        transform = np.stack([one, s[:, 0], zero, s[:, 1], one, zero, zero, zero], axis=1)
        return _image.affine_transform(make(np.ascontiguousarray(a)), make(transform),
                                       interpolation=self.interpolation, fill_mode=self.fill_mode,
                                       fill_value=self.fill_value, data_format="channels_last")._data

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")
        config.update(x_factor=list(self.x_factor), y_factor=list(self.y_factor), interpolation=self.interpolation,
                      fill_mode=self.fill_mode, fill_value=self.fill_value)
        return config


class RandomPerspective(_ColorLayer):
    """With a probability drawn from ``U(factor)`` per image, warp it so that its four corners move by up to
    ``scale / 2`` of their coordinates (``end = start + start * U(-scale / 2, scale / 2)``), through
    ``keras.ops.image.perspective_transform``; ``fill_value`` fills the uncovered area."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        from .preprocessing_color import _factor
        self.factor = _factor(factor, (0, 1))
        if scale < 0.0 or scale > 1.0:
            raise ValueError(f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                      "('nearest', 'bilinear').")
        self.scale, self.interpolation, self.fill_value = scale, interpolation, fill_value

    def get_random_transformation(self, images, training=True, seed=None):
        a, _ = self._batch(images)
        n = a.shape[0]
        h, w = (a.shape[1], a.shape[2]) if self.data_format == "channels_last" else (a.shape[2], a.shape[3])
        rng = self._generator(seed)
        probability = rng.uniform(self.factor[0], self.factor[1], n)
        apply = rng.uniform(0, 1, n) < probability
        shift = rng.uniform(-0.5 * self.scale, 0.5 * self.scale, (n, 4, 2)).astype(self.dtype)
        start = np.repeat(np.array([[[0.0, 0.0], [w - 1, 0.0], [0.0, h - 1], [w - 1, h - 1]]], self.dtype), n, 0)
        return {"apply_perspective": apply, "start_points": start, "end_points": start + start * shift}

    def _apply(self, a, p):
        out = _image.perspective_transform(make(np.ascontiguousarray(a)), make(p["start_points"].astype(a.dtype)),
                                           make(p["end_points"].astype(a.dtype)), interpolation=self.interpolation,
                                           fill_value=self.fill_value, data_format="channels_last")._data
        return np.where(p["apply_perspective"].reshape(-1, 1, 1, 1), out, a)

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")
        config.update(factor=list(self.factor), scale=self.scale, interpolation=self.interpolation,
                      fill_value=self.fill_value)
        return config
