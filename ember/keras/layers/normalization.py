"""``BatchNormalization`` and ``LayerNormalization`` with Keras's defaults.

Under a float16 / bfloat16 policy (``'mixed_float16'``) both compute their statistics in float32, as
Keras does (float16 squares overflow), from float32 weights read without autocasting, and return the
layer's compute dtype.

>>> import ember
>>> from ember import keras
>>> bn = keras.layers.BatchNormalization()
>>> bn(ember.ones(4, 3)).shape, [w.shape for w in bn.get_weights()]
(ember.Size([4, 3]), [(3,), (3,), (3,), (3,)])
"""
from ...autograd import grad_mode, ops
from ...backend import dtypes as _dtypes
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .layer import Layer


def _axes(axis, ndim):
    axis = [axis] if isinstance(axis, int) else list(axis)
    return sorted(a % ndim for a in axis)


def upcast(x):
    """``x`` in float32 when it is float16 or bfloat16 (Keras's ``result_type(x.dtype, 'float32')``)."""
    if x._data.dtype.name in ("float16", "bfloat16"):
        return x.to(_dtypes.float32)
    return x


def to_compute_dtype(layer, y):
    """``y`` cast to ``layer.compute_dtype`` (Keras's ``ops.cast(outputs, self.compute_dtype)``)."""
    dtype = layer.compute_dtype
    if y._data.dtype.name != dtype:
        from ..autocast import ember_dtype
        return y.to(ember_dtype(dtype))
    return y


class BatchNormalization(Layer):
    r"""Normalizes each feature (the ``axis``, default the channels) with batch statistics while training and
    with moving averages at inference.

    .. math:: y = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    Training uses the batch mean and (biased) variance and updates
    ``moving = moving * momentum + batch * (1 - momentum)``. A frozen layer
    (``trainable = False``) always runs in inference mode, as in Keras.

    Args:
        axis (int): the feature axis (default -1).
        momentum (float): default 0.99.
        epsilon (float): default 1e-3.
        center, scale (bool): learn ``beta`` and ``gamma`` (default True).

    Weights: ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance`` (non-trainable).
    """

    supports_masking = True  # as Keras: the input's mask passes through

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, renorm=False, renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True) is not supported by ember.keras")
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = _init.get(beta_initializer)
        self.gamma_initializer = _init.get(gamma_initializer)
        self.moving_mean_initializer = _init.get(moving_mean_initializer)
        self.moving_variance_initializer = _init.get(moving_variance_initializer)
        self.beta_regularizer = _reg.get(beta_regularizer)
        self.gamma_regularizer = _reg.get(gamma_regularizer)
        # applied by _add_weight to 'beta' / 'gamma' after each optimizer step, as Keras
        self.beta_constraint, self.gamma_constraint = _con.get(beta_constraint), _con.get(gamma_constraint)
        self.synchronized, self.renorm_clipping, self.renorm_momentum = synchronized, renorm_clipping, renorm_momentum

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"BatchNormalization layer {self.name}: axis {self.axis} of the input shape "
                             f"{input_shape} must be known")
        # Keras reads them uncast (autocast=False) and casts them to the float32 of its computation
        if self.scale:
            self._add_weight("gamma", (dim,), self.gamma_initializer, regularizer=self.gamma_regularizer,
                             autocast=False)
        if self.center:
            self._add_weight("beta", (dim,), self.beta_initializer, regularizer=self.beta_regularizer,
                             autocast=False)
        self._add_weight("moving_mean", (dim,), self.moving_mean_initializer, trainable=False, autocast=False)
        self._add_weight("moving_variance", (dim,), self.moving_variance_initializer, trainable=False,
                         autocast=False)

    def call(self, inputs, training=None):
        return to_compute_dtype(self, self._normalize(upcast(inputs), training))

    def _normalize(self, inputs, training):
        nd = inputs.ndim
        axis = self.axis % nd
        red = tuple(i for i in range(nd) if i != axis)
        bshape = tuple(inputs.shape[i] if i == axis else 1 for i in range(nd))
        if training and self.trainable:
            mean = inputs.mean(red, keepdim=True)
            centered = ops.sub(inputs, mean)
            var = ops.mul(centered, centered).mean(red, keepdim=True)
            with grad_mode.no_grad():
                m = self.momentum
                mm, mv = self.moving_mean._data, self.moving_variance._data
                mm *= m
                mm += (1 - m) * mean._data.reshape(-1)
                mv *= m
                mv += (1 - m) * var._data.reshape(-1)
                self.moving_mean._bump()
                self.moving_variance._bump()
            y = ops.mul(centered, ops.rsqrt(ops.add(var, self.epsilon)))
        else:
            mean = self.moving_mean.reshape(bshape)
            var = self.moving_variance.reshape(bshape)
            y = ops.mul(ops.sub(inputs, mean), ops.rsqrt(ops.add(var, self.epsilon)))
        if self.scale:
            y = ops.mul(y, self.gamma.reshape(bshape))
        if self.center:
            y = ops.add(y, self.beta.reshape(bshape))
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, momentum=self.momentum, epsilon=self.epsilon, center=self.center,
                      scale=self.scale)
        for n in ("beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer"):
            config[n] = _init.serialize(getattr(self, n))
        for n in ("beta_regularizer", "gamma_regularizer"):
            config[n] = _reg.serialize(getattr(self, n))
        config.update(beta_constraint=_con.serialize(self.beta_constraint),
                      gamma_constraint=_con.serialize(self.gamma_constraint), synchronized=self.synchronized,
                      renorm=False, renorm_clipping=self.renorm_clipping, renorm_momentum=self.renorm_momentum)
        return config


class LayerNormalization(Layer):
    r"""Normalizes each sample over ``axis`` (default the last):
    :math:`\gamma (x - \mu)/\sqrt{\sigma^2+\epsilon}+\beta`.

    Args:
        axis (int or list): the normalized axes (default -1).
        epsilon (float): default 1e-3.
        center, scale (bool): learn ``beta`` / ``gamma`` of the normalized axes' shape.
        rms_scaling (bool): Keras 3's ``x * gamma / sqrt(var + epsilon)`` (no centering, no beta; Keras
            deprecates it: it scales by the variance, not the root mean square).
    """

    supports_masking = True  # as Keras: the input's mask passes through
    _autocast = False        # as Keras: the input is normalized in float32 whatever the policy computes in

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale, self.rms_scaling = bool(center), bool(scale), bool(rms_scaling)
        self.beta_initializer = _init.get(beta_initializer)
        self.gamma_initializer = _init.get(gamma_initializer)
        self.beta_regularizer = _reg.get(beta_regularizer)
        self.gamma_regularizer = _reg.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = _con.get(beta_constraint), _con.get(gamma_constraint)

    def build(self, input_shape):
        axes = _axes(self.axis, len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if self.scale or self.rms_scaling:
            self._add_weight("gamma", shape, self.gamma_initializer, regularizer=self.gamma_regularizer,
                             autocast=False)
        if self.center and not self.rms_scaling:
            self._add_weight("beta", shape, self.beta_initializer, regularizer=self.beta_regularizer,
                             autocast=False)

    def call(self, inputs):
        return to_compute_dtype(self, self._normalize(upcast(inputs)))

    def _normalize(self, inputs):
        nd = inputs.ndim
        axes = tuple(_axes(self.axis, nd))
        bshape = tuple(inputs.shape[i] if i in axes else 1 for i in range(nd))
        if self.rms_scaling:
            # Keras 3 divides by the standard deviation here (not the root mean square) and does not center.
            mean = inputs.mean(axes, keepdim=True)
            d = ops.sub(inputs, mean)
            var = ops.mul(d, d).mean(axes, keepdim=True)
            return ops.mul(ops.mul(inputs, ops.rsqrt(ops.add(var, self.epsilon))), self.gamma.reshape(bshape))
        mean = inputs.mean(axes, keepdim=True)
        centered = ops.sub(inputs, mean)
        var = ops.mul(centered, centered).mean(axes, keepdim=True)
        y = ops.mul(centered, ops.rsqrt(ops.add(var, self.epsilon)))
        if self.scale:
            y = ops.mul(y, self.gamma.reshape(bshape))
        if self.center:
            y = ops.add(y, self.beta.reshape(bshape))
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale,
                      rms_scaling=self.rms_scaling, beta_initializer=_init.serialize(self.beta_initializer),
                      gamma_initializer=_init.serialize(self.gamma_initializer),
                      beta_regularizer=_reg.serialize(self.beta_regularizer),
                      gamma_regularizer=_reg.serialize(self.gamma_regularizer),
                      beta_constraint=_con.serialize(self.beta_constraint),
                      gamma_constraint=_con.serialize(self.gamma_constraint))
        return config

