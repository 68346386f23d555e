"""``Dropout``, ``SpatialDropout1D``/``2D``, ``GaussianNoise``: active only when training.

During training each kept value is scaled by ``1 / (1 - rate)`` (inverted dropout), so
inference is the identity. Masks come from ember's global generator.

>>> import ember
>>> from ember import keras
>>> keras.layers.Dropout(0.5)(ember.ones(2, 3)).tolist()    # inference: unchanged
[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
"""
from ...random import rand, randn
from ...autograd import ops
from .layer import Layer


class Dropout(Layer):
    """Sets a fraction ``rate`` of the inputs to 0 during training.

    Args:
        rate (float): fraction dropped, in [0, 1).
        noise_shape (tuple): the mask's shape (1 broadcasts, None takes the input's size).
        seed (int): accepted for compatibility; masks use ember's global generator.
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate}")
        self.rate = float(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return tuple(inputs.shape)
        return tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        keep = rand(*self._noise_shape(inputs), dtype=inputs.dtype) >= self.rate
        mask = keep.to(inputs.dtype) * (1.0 / (1.0 - self.rate))
        return ops.mul(inputs, mask)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=list(self.noise_shape) if self.noise_shape else None, seed=self.seed)
        return config


class SpatialDropout1D(Dropout):
    """Drops whole channels of a ``(N, steps, channels)`` input."""

    def _noise_shape(self, inputs):
        return (inputs.shape[0], 1, inputs.shape[2])

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        return config


class SpatialDropout2D(SpatialDropout1D):
    """Drops whole feature maps of a ``(N, H, W, C)`` input."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = data_format or "channels_last"

    def _noise_shape(self, inputs):
        if self.data_format == "channels_first":
            return (inputs.shape[0], inputs.shape[1], 1, 1)
        return (inputs.shape[0], 1, 1, inputs.shape[3])

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class GaussianNoise(Layer):
    """Adds N(0, stddev^2) noise during training."""

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev, self.seed = float(stddev), seed

    def call(self, inputs, training=None):
        if not training:
            return inputs
        return ops.add(inputs, randn(*inputs.shape, dtype=inputs.dtype) * self.stddev)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config
