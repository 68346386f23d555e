"""``RandomShear``: shear each image by ``(sx, sy)`` drawn from ``x_factor`` / ``y_factor`` (a number ``f``
means ``U(-f, f)``; both signs flipped together at random), through ``keras.ops.image.affine_transform``
with the projective transform ``[1, sx, 0, sy, 1, 0, 0, 0]`` (output pixel ``(x, y)`` samples the input at
``(x + sx y, sy x + y)``), ``interpolation`` and ``fill_mode`` / ``fill_value`` for the uncovered area."""
import numpy as np

from ...autograd.tensor import make
from ..ops import image as _image
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


class RandomShear(_ColorLayer):
    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = _shear_factor(x_factor, "x_factor")
        self.y_factor = _shear_factor(y_factor, "y_factor")
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}.")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                      "('nearest', 'bilinear').")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value

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
