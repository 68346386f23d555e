r"""``GroupNormalization``, ``UnitNormalization`` and ``SpectralNormalization``.

* ``GroupNormalization(groups)``: the channels (``axis``, default -1) split into ``groups``; each
  sample's group is normalized over its channels and all the other non-batch axes,
  :math:`\gamma (x - \mu_g) / \sqrt{\sigma_g^2 + \epsilon} + \beta` (``gamma``, ``beta`` per channel);
* ``UnitNormalization(axis=-1)``: :math:`x / \sqrt{\max(\sum x^2, 10^{-12})}` (L2-normalizes ``axis``);
* ``SpectralNormalization(layer, power_iterations=1)``: while training, divides the wrapped layer's
  ``kernel`` by its largest singular value estimated by power iteration (the vector ``vector_u``
  ``(1, units)`` is kept between calls), then runs the layer.

>>> import ember
>>> from ember import keras
>>> keras.layers.UnitNormalization()(ember.tensor([[3.0, 4.0]])).tolist()
[[0.6000000238418579, 0.800000011920929]]
"""
import numpy as np

from ...autograd import ops
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .core_more import Wrapper
from .layer import Layer
from .normalization import to_compute_dtype, upcast


class GroupNormalization(Layer):
    """Group normalization (Wu & He, 2018).

    Args:
        groups (int): number of groups (default 32); must divide the channels. ``groups=-1``: one per channel.
        axis (int): the channel axis (default -1).
        epsilon (float): default 1e-3. center, scale (bool): learn ``beta`` / ``gamma`` ``(channels,)``.
    """

    supports_masking = True
    _autocast = False   # as Keras: the groups are normalized in float32 whatever the policy computes in

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.groups, self.axis, self.epsilon = int(groups), int(axis), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = _init.get(beta_initializer)
        self.gamma_initializer = _init.get(gamma_initializer)
        self.beta_regularizer = _reg.get(beta_regularizer)
        self.gamma_regularizer = _reg.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = _con.get(beta_constraint), _con.get(gamma_constraint)

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"GroupNormalization layer {self.name}: axis {self.axis} of input tensor should have a "
                             f"defined dimension but the layer received an input with shape {input_shape}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(f"GroupNormalization layer {self.name}: the number of groups ({self.groups}) must divide "
                             f"the number of channels ({dim}) and not exceed it; input shape {input_shape}")
        if self.scale:
            self._add_weight("gamma", (dim,), self.gamma_initializer, regularizer=self.gamma_regularizer,
                             autocast=False)
        if self.center:
            self._add_weight("beta", (dim,), self.beta_initializer, regularizer=self.beta_regularizer,
                             autocast=False)

    def call(self, inputs):
        return to_compute_dtype(self, self._normalize(upcast(inputs)))

    def _normalize(self, inputs):
        x = inputs.movedim(self.axis, -1)
        shape = tuple(x.shape)
        C = shape[-1]
        g = x.reshape(shape[:-1] + (self.groups, C // self.groups))
        axes = tuple(range(1, g.ndim - 2)) + (g.ndim - 1,)
        mean = g.mean(axes, keepdim=True)
        centered = ops.sub(g, mean)
        var = ops.mul(centered, centered).mean(axes, keepdim=True)
        y = ops.mul(centered, ops.rsqrt(ops.add(var, self.epsilon))).reshape(shape)
        if self.scale:
            y = ops.mul(y, self.gamma)
        if self.center:
            y = ops.add(y, self.beta)
        return y.movedim(-1, self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(groups=self.groups, axis=self.axis, epsilon=self.epsilon, center=self.center,
                      scale=self.scale, beta_initializer=_init.serialize(self.beta_initializer),
                      gamma_initializer=_init.serialize(self.gamma_initializer),
                      beta_regularizer=_reg.serialize(self.beta_regularizer),
                      gamma_regularizer=_reg.serialize(self.gamma_regularizer),
                      beta_constraint=_con.serialize(self.beta_constraint),
                      gamma_constraint=_con.serialize(self.gamma_constraint))
        return config


class UnitNormalization(Layer):
    """Scales each vector along ``axis`` (an int or a list) to unit L2 norm."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else list(axis)

    def call(self, inputs):
        axes = self.axis if isinstance(self.axis, int) else tuple(self.axis)
        square_sum = ops.mul(inputs, inputs).sum(axes, keepdim=True)
        return ops.mul(inputs, ops.rsqrt(ops.clamp(square_sum, min=1e-12)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _l2_normalize(a):
    return a / np.sqrt(max(float((a * a).sum()), 1e-12))


class SpectralNormalization(Wrapper):
    """Spectral normalization (Miyato et al., 2018) of ``layer.kernel``.

    Args:
        layer: a built or unbuilt layer with a ``kernel`` (``Dense``, ``Conv2D`` ...).
        power_iterations (int): power-iteration steps per training call (default 1).

    Weights: the layer's, then ``vector_u`` ``(1, kernel.shape[-1])`` (non-trainable, truncated normal
    std 0.02). In training, ``vector_u`` and the kernel are updated in place (kernel := kernel / sigma);
    at inference the layer runs unchanged.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        self.layer._maybe_build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'")
        self._add_weight("vector_u", (1, kernel.shape[-1]), _init.TruncatedNormal(stddev=0.02), trainable=False)

    def normalized_weights(self):
        """``(vector_u, kernel / sigma)`` as arrays after ``power_iterations`` steps."""
        kernel = self.layer.kernel._data
        w = kernel.reshape(-1, kernel.shape[-1])
        u = self.vector_u._data
        for _ in range(self.power_iterations):
            v = _l2_normalize(u @ w.T)
            u = _l2_normalize(v @ w)
        sigma = (v @ w) @ u.T
        return u.astype(self.vector_u._data.dtype), (kernel / sigma).astype(kernel.dtype)

    def call(self, inputs, training=None):
        if training and np.any(self.layer.kernel._data != 0):
            u, kernel = self.normalized_weights()
            self.vector_u.assign(u)
            self.layer.kernel.assign(kernel)
        return self.layer(inputs)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config


class RMSNormalization(Layer):
    r"""Root-mean-square normalization (Zhang & Sennrich, 2019):
    :math:`x / \sqrt{\mathrm{mean}(x^2) + \epsilon} \cdot \mathrm{scale}` over ``axis`` (default -1).

    Weights: ``scale`` of the normalized axes' shape (ones). ``epsilon`` defaults to 1e-6.
    """

    supports_masking = False  # as Keras 3.15: a mask stops here

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, float(epsilon)

    def _axes(self, ndim):
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        return sorted(a % ndim for a in axes)

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        self._add_weight("scale", tuple(input_shape[a] for a in axes), "ones")

    def call(self, inputs):
        axes = self._axes(inputs.ndim)
        bshape = tuple(inputs.shape[i] if i in axes else 1 for i in range(inputs.ndim))
        # Keras's ops.rms_normalization: float32 inside for a float16 input, which it returns
        x = upcast(inputs)
        ms = ops.mul(x, x).mean(tuple(axes), keepdim=True)
        y = ops.mul(ops.mul(x, ops.rsqrt(ops.add(ms, self.epsilon))), upcast(self.scale).reshape(bshape))
        return y.to(inputs.dtype) if x is not inputs else y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon)
        return config
