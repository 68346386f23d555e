"""Activation layers with parameters: ``ReLU``, ``LeakyReLU``, ``Softmax``, ``ELU``, ``PReLU``.

>>> import ember
>>> from ember import keras
>>> keras.layers.LeakyReLU()(ember.tensor([[-1.0, 1.0]])).tolist()
[[-0.30000001192092896, 1.0]]
"""
import numpy as np

from ...autograd import ops
from ...autograd.tensor import make
from .. import activations as _act
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .layer import Layer


class _Elementwise(Layer):
    supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """``min(max_value, x)`` for ``x >= threshold``, ``negative_slope * (x - threshold)`` otherwise."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: {max_value}")
        self.max_value, self.negative_slope, self.threshold = max_value, float(negative_slope), float(threshold)

    def call(self, inputs):
        return _act.relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


class LeakyReLU(_Elementwise):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise (default slope 0.3, as Keras)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return _act.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(_Elementwise):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return _act.elu(inputs, self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(_Elementwise):
    """``exp(x) / sum(exp(x))`` along ``axis`` (default -1)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is None:
            return _act.softmax(inputs, self.axis)
        keep = np.asarray(mask._data if hasattr(mask, "_data") else mask)
        keep = keep if keep.dtype == bool else keep > 0.5
        if keep.ndim > inputs.ndim:
            raise ValueError(f"Softmax layer {self.name}: the `mask` must be broadcastable to `inputs` and must not "
                             f"have more dimensions. Received: inputs.shape={tuple(inputs.shape)}, "
                             f"mask.shape={keep.shape}")
        keep_t = make(np.broadcast_to(keep, inputs.shape))
        large = -65504.0 if inputs._data.dtype == np.float16 else -1e9
        out = _act.softmax(ops.where(keep_t, inputs, large), self.axis)
        return ops.where(keep_t, out, 0.0)  # a fully masked row gives zeros, not a uniform distribution

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class PReLU(_Elementwise):
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise, with a learned ``alpha`` of the input's shape (minus batch)."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = _init.get(alpha_initializer)
        self.alpha_regularizer, self.alpha_constraint = _reg.get(alpha_regularizer), _con.get(alpha_constraint)
        self.shared_axes = list(shared_axes) if shared_axes is not None else None

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for ax in self.shared_axes or []:
            shape[ax - 1] = 1
        self._add_weight("alpha", tuple(shape), self.alpha_initializer, regularizer=self.alpha_regularizer)

    def call(self, inputs):
        return ops.where(inputs >= 0, inputs, ops.mul(inputs, self.alpha))

    def get_config(self):
        config = super().get_config()
        config.update(alpha_initializer=_init.serialize(self.alpha_initializer),
                      alpha_regularizer=_reg.serialize(self.alpha_regularizer),
                      alpha_constraint=_con.serialize(self.alpha_constraint), shared_axes=self.shared_axes)
        return config
