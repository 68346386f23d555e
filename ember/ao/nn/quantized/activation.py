"""Quantized ``ReLU6`` and ``Dropout`` (``torch.ao.nn.quantized``): element-wise, keeping the input's qparams.

``ReLU6``: ``q -> clamp(q, zero_point, quantize(6.0))``; ``Dropout`` (eval): the identity.

>>> import ember
>>> from ember.ao.nn.quantized import ReLU6
>>> ReLU6()(ember.quantize_per_tensor(ember.tensor([-1.0, 3.0, 9.0]), 0.5, 4, ember.quint8)).dequantize()
tensor([0., 3., 6.])
"""
from .... import nn
from ....autograd import quantized as _q
from . import _kernels as K


clamp_values = _q.clamp_quantized


class ReLU6(nn.ReLU6):
    """``min(max(x, 0), 6)`` on a quantized tensor; output qparams are the input's."""

    def _get_name(self):
        return "QuantizedReLU6"

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""

    def forward(self, input):
        x = K.as_quantized(input, "QuantizedReLU6")
        return clamp_values(x, 0.0, 6.0)

    @staticmethod
    def from_float(mod, use_precomputed_fake_quant=False):
        return ReLU6(mod.inplace)


class Dropout(nn.Dropout):
    """Dropout of a quantized model: the identity (quantized models run in eval mode)."""

    def _get_name(self):
        return "QuantizedDropout"

    def forward(self, input):
        return input

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        return cls(mod.p, mod.inplace)
