"""``Quantize`` and ``DeQuantize``: the modules ``convert`` puts where ``QuantStub`` and ``DeQuantStub`` were.

``Quantize(scale, zero_point, dtype)(x) = quantize_per_tensor(x, scale, zero_point, dtype)``;
``DeQuantize()(x_q) = x_q.dequantize()``.

>>> import ember
>>> from ember.ao.nn.quantized import Quantize, DeQuantize
>>> DeQuantize()(Quantize(0.5, 2, ember.quint8)(ember.tensor([0.2, 1.0])))
tensor([0., 1.])
"""
import numpy as np

from .... import nn
from ....autograd import quantized as _q
from ....autograd.tensor import make


class Quantize(nn.Module):
    """Quantize a float tensor with fixed ``scale`` and ``zero_point`` (buffers, as PyTorch's)."""

    def __init__(self, scale, zero_point, dtype, factory_kwargs=None):
        super().__init__()
        self.register_buffer("scale", make(np.array([float(scale)], np.float32)))
        self.register_buffer("zero_point", make(np.array([int(zero_point)], np.int64)))
        self.dtype = dtype

    def forward(self, X):
        return _q.quantize_per_tensor(X, float(self.scale._data[0]), int(self.zero_point._data[0]), self.dtype)

    def extra_repr(self):
        return f"scale={self.scale}, zero_point={self.zero_point}, dtype={self.dtype}"

    @staticmethod
    def from_float(mod, use_precomputed_fake_quant=False):
        activation = mod.activation_post_process
        scale, zero_point = activation.calculate_qparams()
        return Quantize(float(scale._data.reshape(-1)[0]), int(zero_point._data.reshape(-1)[0]), activation.dtype)


class DeQuantize(nn.Module):
    """Dequantize: quantized tensor in, float32 tensor out."""

    def forward(self, Xq):
        return _q.dequantize(Xq)

    @staticmethod
    def from_float(mod, use_precomputed_fake_quant=False):
        return DeQuantize()
