"""More noise layers, active only when training: ``AlphaDropout``, ``GaussianDropout``, ``SpatialDropout3D``.

* ``AlphaDropout(rate)``: dropped values become SELU's negative saturation ``-alpha * scale``, then
  ``a * x + b`` with ``a = ((1 - rate)(1 + rate alpha'^2))^(-1/2)``, ``b = -a alpha' rate``, which keeps
  the mean and variance of SELU activations (Klambauer et al., 2017);
* ``GaussianDropout(rate)``: multiplies by noise from N(1, rate / (1 - rate));
* ``SpatialDropout3D(rate)``: drops whole channels of ``(N, D, H, W, C)`` volumes.

>>> import ember
>>> from ember import keras
>>> keras.layers.GaussianDropout(0.3)(ember.ones(1, 2)).tolist()    # inference: unchanged
[[1.0, 1.0]]
"""
import math

from ...autograd import ops
from ...random import rand, randn
from .regularization import Dropout, SpatialDropout1D

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


class AlphaDropout(Dropout):
    """Dropout that keeps SELU's self-normalizing mean and variance (use with ``activation='selu'``)."""

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = (rand(*self._noise_shape(inputs), dtype=inputs.dtype) >= self.rate).to(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = ops.add(ops.mul(inputs, kept), (1 - kept) * alpha_p)
        return ops.add(ops.mul(x, a), b)


class GaussianDropout(Dropout):
    """Multiplies the inputs by N(1, rate / (1 - rate)) noise while training."""

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        std = math.sqrt(self.rate / (1.0 - self.rate))
        return ops.mul(inputs, randn(*inputs.shape, dtype=inputs.dtype) * std + 1.0)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        return config


class SpatialDropout3D(SpatialDropout1D):
    """Drops whole feature volumes of a ``(N, D, H, W, C)`` input (``(N, C, D, H, W)`` channels-first)."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = data_format or "channels_last"

    def _noise_shape(self, inputs):
        if self.data_format == "channels_first":
            return (inputs.shape[0], inputs.shape[1], 1, 1, 1)
        return (inputs.shape[0], 1, 1, 1, inputs.shape[4])

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
