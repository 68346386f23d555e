"""Quantized ``Conv2d`` (``torch.ao.nn.quantized.Conv2d``): int8 weights per output channel, quint8 activations.

``y_q = requantize(sum over the window and input channels of (x_q - x_zp) * w_q, bias)``; zero
padding pads with the input's zero point. State keys as PyTorch's: ``weight`` (the quantized
weight), ``bias`` (float), ``scale``, ``zero_point``.

>>> import ember
>>> from ember.ao.nn.quantized import Conv2d
>>> m = Conv2d(1, 2, 3)
>>> m(ember.quantize_per_tensor(ember.ones(1, 1, 5, 5), 0.1, 0, ember.quint8)).shape
ember.Size([1, 2, 3, 3])
"""
import numpy as np

from .... import nn
from ....autograd import quantized as _q
from ....autograd.tensor import make
from ....backend import qdtypes as _qd
from ....nn.utils.fusion import fuse_conv_bn_weights
from . import _kernels as K
from ._qparams import OutputQParams
from .linear import quantize_weight, float_parts


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class Conv2d(OutputQParams, nn.Module):
    """A 2-d convolution over quantized tensors; ``from_float`` quantizes a prepared float one."""

    _FLOAT_MODULE = (nn.Conv2d,)
    _relu = False
    _version = 3
    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if padding_mode != "zeros":
            raise NotImplementedError(f"ember's quantized Conv2d supports padding_mode='zeros' only, got "
                                      f"{padding_mode!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        self.in_channels, self.out_channels = in_channels, out_channels
        n = self._nd
        self.kernel_size, self.stride = _tuple(kernel_size, n), _tuple(stride, n)
        self.padding, self.dilation = _tuple(padding, n), _tuple(dilation, n)
        self.groups, self.padding_mode = groups, padding_mode
        self.transposed, self.output_padding = False, (0,) * n
        w = _q.quantize_per_channel(make(np.zeros((out_channels, in_channels // groups) + self.kernel_size,
                                                  np.float32)),
                                    make(np.ones(out_channels)), make(np.zeros(out_channels, np.int64)), 0,
                                    _qd.qint8)
        self.set_weight_bias(w, make(np.zeros(out_channels, np.float32)) if bias else None)
        self.scale = 1.0
        self.zero_point = 0

    def _get_name(self):
        return f"QuantizedConv{self._nd}d"

    def set_weight_bias(self, w, b):
        self._weight, self._bias = w, b

    def weight(self):
        return self._weight

    def bias(self):
        return self._bias

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        s += f", scale={self.scale}, zero_point={self.zero_point}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self._bias is None:
            s += ", bias=False"
        return s

    def forward(self, x):
        who = f"{self._get_name()}({self.in_channels}, {self.out_channels})"
        x = K.as_quantized(x, who)
        if x.ndim != self._nd + 2 or x.shape[1] != self.in_channels:
            dims = "H, W" if self._nd == 2 else "L"
            raise ValueError(f"{who} expected input of shape (N, {self.in_channels}, {dims}), got {tuple(x.shape)}")
        wc, w_scales = K.weight_parts(self._weight)
        xc = K.centered(x)
        stride, padding, dilation = self.stride, self.padding, self.dilation
        if self._nd == 1:  # a 1-d convolution is a 2-d one over a height of 1
            xc, wc = xc[:, :, None], wc[:, :, None]
            stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
        acc = K.conv2d_acc(xc, wc, stride, padding, dilation, self.groups)
        if self._nd == 1:
            acc = acc[:, :, 0]
        return K.requantize(acc, x._scale, w_scales, K.float_of(self._bias), self.scale, self.zero_point,
                            _qd.quint8, relu=self._relu, channel_axis=1)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        nn.Module._save_to_state_dict(self, destination, prefix, keep_vars)
        destination[prefix + "weight"] = self._weight
        destination[prefix + "bias"] = self._bias
        destination[prefix + "scale"] = make(np.array(self.scale, np.float32))
        destination[prefix + "zero_point"] = make(np.array(self.zero_point, np.int64))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        for key in ("weight", "bias", "scale", "zero_point"):
            if prefix + key not in state_dict:
                missing_keys.append(prefix + key)
        if prefix + "weight" in state_dict:
            self.set_weight_bias(state_dict.pop(prefix + "weight"), state_dict.pop(prefix + "bias", None))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys, unexpected_keys,
                                      error_msgs)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """Quantize a prepared float ``Conv2d`` (or fused ``ConvReLU2d``, or a QAT conv with its batch norm)."""
        conv, weight_post_process, activation = float_parts(mod)
        weight, bias = conv.weight, conv.bias
        if hasattr(mod, "bn"):  # QAT ConvBn: fold the batch norm's running statistics in first
            bn = mod.bn
            weight, bias = fuse_conv_bn_weights(weight, bias, bn.running_mean, bn.running_var, bn.eps, bn.weight,
                                                bn.bias)
        weight_post_process(weight)
        qweight = quantize_weight(weight.float(), weight_post_process)
        act_scale, act_zp = activation.calculate_qparams()
        q = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                conv.groups, bias is not None, conv.padding_mode)
        q.set_weight_bias(qweight, None if bias is None else bias.detach())
        q.scale = float(act_scale._data.reshape(-1)[0])
        q.zero_point = int(act_zp._data.reshape(-1)[0])
        return q


class Conv1d(Conv2d):
    """A 1-d convolution over quantized tensors ``(N, C, L)`` (``torch.ao.nn.quantized.Conv1d``)."""

    _FLOAT_MODULE = (nn.Conv1d,)
    _nd = 1
