"""More convolutions: ``Conv3D``, ``Conv1DTranspose``, ``Conv3DTranspose``, ``DepthwiseConv1D``,
``SeparableConv1D``, channels-last, with Keras's weights:

* ``Conv3D``: ``kernel`` ``(kd, kh, kw, in / groups, filters)``, ``bias`` ``(filters,)``;
* ``Conv1DTranspose``/``Conv3DTranspose``: ``kernel`` ``(*k, filters, in)``;
* ``DepthwiseConv1D``: ``kernel`` ``(k, in, depth_multiplier)``, outputs ordered ``c * depth_multiplier + m``;
* ``SeparableConv1D``: ``depthwise_kernel`` ``(k, in, depth_multiplier)``, ``pointwise_kernel``
  ``(1, in * depth_multiplier, filters)``.

>>> import ember
>>> from ember import keras
>>> keras.layers.Conv3D(4, 3)(ember.ones(1, 5, 5, 5, 2)).shape
ember.Size([1, 3, 3, 3, 4])
"""
from .. import constraints as _con
from .. import initializers as _init
from .. import ops as kops
from .. import regularizers as _reg
from . import _conv_nd
from .convolutional import BaseConv, _tuple


class _ChannelsLast(BaseConv):
    """Runs ``_conv`` on channels-last data whatever ``data_format`` is."""

    def call(self, inputs):
        self._check(inputs)
        x = inputs.movedim(1, -1) if self.data_format == "channels_first" else inputs
        y = self._conv(x)
        if self.data_format == "channels_first":
            y = y.movedim(-1, 1)
        return self._finish(y)


class Conv3D(_ChannelsLast):
    """3-D convolution over ``(batch, depth, height, width, channels)`` volumes (arguments as ``Conv2D``)."""

    rank = 3

    def build(self, input_shape):
        c = self._channels(input_shape)
        if c % self.groups or self.filters % self.groups:
            raise ValueError(f"{type(self).__name__} layer {self.name}: input channels ({c}) and filters "
                             f"({self.filters}) must both be divisible by groups={self.groups}")
        self._add_weight("kernel", self.kernel_size + (c // self.groups, self.filters), self.kernel_initializer,
                         regularizer=self.kernel_regularizer)
        if self.use_bias:
            self._add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)

    def _conv(self, x):
        return _conv_nd.conv(x, self.kernel, self.bias if self.use_bias else None, self.strides, self.padding,
                             self.dilation_rate, self.groups)


class _ConvTranspose(_ChannelsLast):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs)
        self.output_padding = None if output_padding is None else _tuple(output_padding, self.rank,
                                                                         "output_padding")

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._add_weight("kernel", self.kernel_size + (self.filters, c), self.kernel_initializer,
                         regularizer=self.kernel_regularizer)
        if self.use_bias:
            self._add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)

    def _conv(self, x):
        return _conv_nd.conv_transpose(x, self.kernel, self.bias if self.use_bias else None, self.strides,
                                       self.padding, self.output_padding, self.dilation_rate)

    def compute_output_shape(self, input_shape):
        op = self.output_padding or (None,) * self.rank
        spatial = [kops.deconv_output_length(s, k, self.padding, o, st, d) for s, k, o, st, d in
                   zip(self._spatial(input_shape), self.kernel_size, op, self.strides, self.dilation_rate)]
        return self._assemble(input_shape, spatial, self.filters)

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = list(self.output_padding) if self.output_padding else None
        config.pop("groups")
        return config


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution of ``(batch, steps, channels)``; kernel ``(k, filters, in)``."""

    rank = 1


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution of ``(batch, depth, height, width, channels)``; kernel ``(kd, kh, kw, filters,
    in)``. Output size per axis: ``size * stride`` ('same') or ``size * stride + max(k - stride, 0)``."""

    rank = 3


class DepthwiseConv1D(_ChannelsLast):
    """Convolves each channel of ``(batch, steps, channels)`` with its own ``depth_multiplier`` filters."""

    rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
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

    def _conv(self, x):
        k = self.kernel
        # A depthwise kernel (k, C, M) is a grouped kernel (k, 1, C * M) with one group per channel.
        grouped = k.reshape(tuple(k.shape[:-2]) + (1, k.shape[-2] * k.shape[-1]))
        return _conv_nd.conv(x, grouped, self.bias if self.use_bias else None, self.strides, self.padding,
                             self.dilation_rate, groups=k.shape[-2])

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


class SeparableConv1D(_ChannelsLast):
    """A depthwise 1-D convolution followed by a pointwise (size 1) convolution to ``filters`` channels."""

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
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
        self._add_weight("pointwise_kernel", (1, c * self.depth_multiplier, self.filters),
                         self.pointwise_initializer, regularizer=self.pointwise_regularizer,
                         constraint=self.pointwise_constraint)
        if self.use_bias:
            self._add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer)

    def _conv(self, x):
        k = self.depthwise_kernel
        grouped = k.reshape((k.shape[0], 1, k.shape[1] * k.shape[2]))
        y = _conv_nd.conv(x, grouped, None, self.strides, self.padding, self.dilation_rate, groups=k.shape[1])
        return _conv_nd.conv(y, self.pointwise_kernel, self.bias if self.use_bias else None)

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
