"""Convolutions on channels-last data: ``Conv1D``, ``Conv2D``, ``Conv2DTranspose``, ``DepthwiseConv2D``,
``SeparableConv2D``.

Images are ``(batch, height, width, channels)`` and kernels ``(kh, kw, in, filters)``, as in
Keras (``Conv2DTranspose``: ``(kh, kw, filters, in)``). ``data_format='channels_first'``
moves the channels around the channels-last kernel. ``padding='same'`` pads as
TensorFlow does (output ``ceil(size / stride)``, the odd pixel after).

>>> import ember
>>> from ember import keras
>>> conv = keras.layers.Conv2D(32, (3, 3), activation="relu")
>>> conv(ember.ones(1, 28, 28, 1)).shape
ember.Size([1, 26, 26, 32])
>>> tuple(conv.kernel.shape)
(3, 3, 1, 32)
"""
from ...autograd import ops
from .. import activations as _act
from .. import backend
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .. import ops as kops
from .core import _common
from .layer import Layer


def _tuple(v, n, name):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {v}")
    return v


class BaseConv(Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters) if filters is not None else None
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size")
        self.strides = _tuple(strides, self.rank, "strides")
        self.padding = str(padding).lower()
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        if self.padding not in allowed:
            raise ValueError(f"The `padding` argument must be one of {allowed}. Received: padding={padding}")
        self.data_format = backend.standardize_data_format(data_format)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate")
        self.groups = int(groups)
        self.activation = _act.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.activity_regularizer = _reg.get(activity_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def _channels(self, input_shape):
        c = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        if c is None:
            raise ValueError(f"{type(self).__name__} layer {self.name}: the channel dimension of the inputs must be "
                             f"known, got input shape {input_shape}")
        return c

    def _check(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of rank {self.rank + 2} "
                             f"(batch, {'steps' if self.rank == 1 else 'height, width'}, channels), got shape "
                             f"{tuple(inputs.shape)}")

    def _to_nhwc(self, x):
        """Channels-last and 4-D: 1-D inputs get a height of 1."""
        if self.data_format == "channels_first":
            x = x.movedim(1, -1)
        if self.rank == 1:
            x = x.unsqueeze(1)
        return x

    def _from_nhwc(self, y):
        if self.rank == 1:
            y = y.squeeze(1)
        if self.data_format == "channels_first":
            y = y.movedim(-1, 1)
        return y

    def _finish(self, y):
        y = self.activation(y)
        if self.activity_regularizer is not None:
            self.add_loss(ops.div(self.activity_regularizer(y), y.shape[0]))
        return y

    def _spatial(self, input_shape):
        return input_shape[2:] if self.data_format == "channels_first" else input_shape[1:-1]

    def _assemble(self, input_shape, spatial, channels):
        if self.data_format == "channels_first":
            return (input_shape[0], channels) + tuple(spatial)
        return (input_shape[0],) + tuple(spatial) + (channels,)

    def compute_output_shape(self, input_shape):
        spatial = [kops.conv_output_length(s, k, self.padding, st, d) for s, k, st, d in
                   zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate)]
        return self._assemble(input_shape, spatial, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format, dilation_rate=list(self.dilation_rate),
                      groups=self.groups)
        return _common(config, self, "activation", "use_bias", "kernel_initializer", "bias_initializer",
                       "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                       "bias_constraint")


class Conv2D(BaseConv):
    """2-D convolution over ``(batch, height, width, channels)`` inputs.

    Args:
        filters (int): output channels.
        kernel_size (int or tuple): window ``(kh, kw)``.
        strides (int or tuple): default 1.
        padding (str): ``'valid'`` (no padding, default) or ``'same'`` (output ``ceil(size / stride)``).
        dilation_rate (int or tuple): default 1.
        groups (int): input channels are split into groups convolved separately.
        activation, use_bias, kernel_initializer (``'glorot_uniform'``), bias_initializer (``'zeros'``),
        kernel_regularizer, bias_regularizer: as for ``Dense``.

    Weights: ``kernel`` ``(kh, kw, in / groups, filters)``, ``bias`` ``(filters,)``.
    """
    _keras_saved_weights = ("kernel", "bias")   # what Keras's save_own_variables writes

    rank = 2

    def build(self, input_shape):
        c = self._channels(input_shape)
        if c % self.groups or self.filters % self.groups:
            raise ValueError(f"{type(self).__name__} layer {self.name}: input channels ({c}) and filters "
                             f"({self.filters}) must both be divisible by groups={self.groups}")
        self._add_weight("kernel", self.kernel_size + (c // self.groups, self.filters), self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        if self.use_bias:
            self._add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)

    def _kernel4(self):
        k = self.kernel
        return k.unsqueeze(0) if self.rank == 1 else k

    def convolution_op(self, inputs, kernel):
        """The convolution without bias or activation (Keras's hook: a subclass that overrides it, e.g. to
        standardize the kernel, keeps Conv2D's bias and activation)."""
        from .. import ops as keras_ops
        return keras_ops.conv(inputs, kernel, strides=list(self.strides), padding=self.padding,
                              dilation_rate=self.dilation_rate, data_format=self.data_format)

    def call(self, inputs):
        self._check(inputs)
        if type(self).convolution_op is not Conv2D.convolution_op:
            return self._call_convolution_op(inputs)
        x = self._to_nhwc(inputs)
        strides = (1,) + self.strides if self.rank == 1 else self.strides
        dil = (1,) + self.dilation_rate if self.rank == 1 else self.dilation_rate
        kernel = self._kernel4()
        bias = self.bias if self.use_bias else None
        if self.groups == 1:
            y = kops.conv2d(x, kernel, bias, strides, self.padding, dil)
        else:
            # One grouped einsum (a loop over groups costs a call per group: 768 in ConvNeXt's depthwise 7x7).
            from ._conv_nd import conv
            y = conv(x, kernel, bias, strides, self.padding, dil, self.groups)
        return self._finish(self._from_nhwc(y))


    def _call_convolution_op(self, inputs):
        y = self.convolution_op(inputs, self.kernel)
        if self.use_bias:
            shape = (1,) * (self.rank + 1) + (self.filters,) if self.data_format == "channels_last" \
                else (1, self.filters) + (1,) * self.rank
            y = y + self.bias.reshape(shape)
        return self._finish(y)


class Conv1D(Conv2D):
    """1-D convolution over ``(batch, steps, channels)``; ``padding='causal'`` pads only the past.

    Weights: ``kernel`` ``(k, in / groups, filters)``, ``bias`` ``(filters,)``.
    """

    rank = 1


class Conv2DTranspose(BaseConv):
    """Transposed 2-D convolution (the input gradient of ``Conv2D``), upsampling by ``strides``.

    Weights: ``kernel`` ``(kh, kw, filters, in)`` (Keras's layout), ``bias`` ``(filters,)``.
    Output size: ``size * stride`` with 'same', ``size * stride + max(k - stride, 0)`` with 'valid'.
    """
    _keras_saved_weights = ("kernel", "bias")   # what Keras's save_own_variables writes

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs)
        self.output_padding = None if output_padding is None else _tuple(output_padding, 2, "output_padding")

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._add_weight("kernel", self.kernel_size + (self.filters, c), self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        if self.use_bias:
            self._add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)

    def call(self, inputs):
        self._check(inputs)
        y = kops.conv2d_transpose(self._to_nhwc(inputs), self.kernel, self.bias if self.use_bias else None,
                                  self.strides, self.padding, self.output_padding, self.dilation_rate)
        return self._finish(self._from_nhwc(y))

    def compute_output_shape(self, input_shape):
        op = self.output_padding or (None, None)
        spatial = [kops.deconv_output_length(s, k, self.padding, o, st, d) for s, k, o, st, d in
                   zip(self._spatial(input_shape), self.kernel_size, op, self.strides, self.dilation_rate)]
        return self._assemble(input_shape, spatial, self.filters)

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = list(self.output_padding) if self.output_padding else None
        config.pop("groups")
        return config


class DepthwiseConv2D(BaseConv):
    """Convolves each input channel with its own ``depth_multiplier`` filters.

    Weights: ``kernel`` ``(kh, kw, in, depth_multiplier)`` (named ``kernel`` as in Keras 3),
    ``bias`` ``(in * depth_multiplier,)``; output channels ordered ``c * depth_multiplier + m``.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate, 1, activation, use_bias,
                         depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint=depthwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        self.depth_multiplier = int(depth_multiplier)

    def build(self, input_shape):
        c = self._channels(input_shape)
        self.filters = c * self.depth_multiplier
        self._add_weight("kernel", self.kernel_size + (c, self.depth_multiplier), self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        if self.use_bias:
            self._add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)

    def call(self, inputs):
        self._check(inputs)
        y = kops.depthwise_conv2d(self._to_nhwc(inputs), self.kernel, self.bias if self.use_bias else None,
                                  self.strides, self.padding, self.dilation_rate)
        return self._finish(self._from_nhwc(y))

    def compute_output_shape(self, input_shape):
        spatial = [kops.conv_output_length(s, k, self.padding, st, d) for s, k, st, d in
                   zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate)]
        return self._assemble(input_shape, spatial, self._channels(input_shape) * self.depth_multiplier)

    def get_config(self):
        config = super().get_config()
        for k in ("filters", "groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(k)
        config.update(depth_multiplier=self.depth_multiplier,
                      depthwise_initializer=_init.serialize(self.kernel_initializer),
                      depthwise_regularizer=_reg.serialize(self.kernel_regularizer),
                      depthwise_constraint=_con.serialize(self.kernel_constraint))
        return config


class SeparableConv2D(BaseConv):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution to ``filters`` channels.

    Weights: ``depthwise_kernel`` ``(kh, kw, in, depth_multiplier)``, ``pointwise_kernel``
    ``(1, 1, in * depth_multiplier, filters)``, ``bias`` ``(filters,)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1, activation, use_bias,
                         depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint=depthwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.pointwise_initializer = _init.get(pointwise_initializer)
        self.pointwise_regularizer = _reg.get(pointwise_regularizer)
        self.pointwise_constraint = _con.get(pointwise_constraint)

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._add_weight("depthwise_kernel", self.kernel_size + (c, self.depth_multiplier), self.kernel_initializer,
                         regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self._add_weight("pointwise_kernel", (1, 1, c * self.depth_multiplier, self.filters),
                         self.pointwise_initializer, regularizer=self.pointwise_regularizer,
                         constraint=self.pointwise_constraint)
        if self.use_bias:
            self._add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)

    def call(self, inputs):
        self._check(inputs)
        y = kops.depthwise_conv2d(self._to_nhwc(inputs), self.depthwise_kernel, None, self.strides, self.padding,
                                  self.dilation_rate)
        y = kops.conv2d(y, self.pointwise_kernel, self.bias if self.use_bias else None)
        return self._finish(self._from_nhwc(y))

    def get_config(self):
        config = super().get_config()
        for k in ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(k)
        config.update(depth_multiplier=self.depth_multiplier,
                      depthwise_initializer=_init.serialize(self.kernel_initializer),
                      pointwise_initializer=_init.serialize(self.pointwise_initializer),
                      depthwise_regularizer=_reg.serialize(self.kernel_regularizer),
                      pointwise_regularizer=_reg.serialize(self.pointwise_regularizer),
                      depthwise_constraint=_con.serialize(self.kernel_constraint),
                      pointwise_constraint=_con.serialize(self.pointwise_constraint))
        return config
