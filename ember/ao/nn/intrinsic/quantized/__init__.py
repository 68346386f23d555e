"""Quantized fused modules (``torch.ao.nn.intrinsic.quantized``): conv or linear with the ReLU in the
requantization (outputs clamp at the zero point).

>>> import ember
>>> from ember.ao.nn.intrinsic.quantized import LinearReLU
>>> LinearReLU(2, 1)._get_name()
'QuantizedLinearReLU'
"""
from ... import intrinsic as nni
from ...quantized.conv import Conv1d as _QConv1d, Conv2d as _QConv2d
from ...quantized.linear import Linear as _QLinear


class ConvReLU2d(_QConv2d):
    """``relu(conv(x))`` over quantized tensors."""

    _FLOAT_MODULE = (nni.ConvReLU2d,)
    _relu = True

    def _get_name(self):
        return "QuantizedConvReLU2d"


class ConvReLU1d(_QConv1d):
    """``relu(conv1d(x))`` over quantized tensors."""

    _FLOAT_MODULE = (nni.ConvReLU1d,)
    _relu = True

    def _get_name(self):
        return "QuantizedConvReLU1d"


class LinearReLU(_QLinear):
    """``relu(linear(x))`` over quantized tensors."""

    _FLOAT_MODULE = (nni.LinearReLU,)
    _relu = True

    def _get_name(self):
        return "QuantizedLinearReLU"
