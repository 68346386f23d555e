"""Quantized ``ReLU6`` and ``Dropout`` (``torch.ao.nn.quantized``): element-wise, keeping the input's qparams.

``ReLU6``: ``q -> clamp(q, zero_point, quantize(6.0))``; ``Dropout`` (eval): the identity.

>>> import ember
>>> from ember.ao.nn.quantized import ReLU6
>>> ReLU6()(ember.quantize_per_tensor(ember.tensor([-1.0, 3.0, 9.0]), 0.5, 4, ember.quint8)).dequantize()
tensor([0., 3., 6.])
"""
import numpy as np

from .... import nn
from ....autograd import quantized as _q
from ....backend import qdtypes as _qd
from . import _kernels as K


def clamp_values(x, lo, hi):
    """Clamp a per-tensor quantized tensor between two float bounds, quantized as ATen's quantize_val."""
    scale, zp = x.q_scale(), x.q_zero_point()
    qmin, qmax = _qd.RANGE[x.dtype]
    bounds = [qmin if v is None else int(_q.quantize_array(np.float32(v), scale, zp, qmin, qmax)) for v in (lo, hi)]
    return _q.from_qparams(np.clip(x._data, bounds[0], bounds[1]), x.dtype, scale, zp)


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
