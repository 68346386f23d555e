"""``QuantStub`` / ``DeQuantStub``: placeholders that mark where a float model's quantized region begins
and ends. Before ``convert`` they pass values through (``QuantStub`` gets an observer from
``prepare``); ``convert`` replaces them with ``Quantize`` and ``DeQuantize``.

>>> import ember
>>> from ember.ao.quantization import QuantStub
>>> QuantStub()(ember.tensor([1.0]))
tensor([1.])
"""
from ... import nn


class QuantStub(nn.Module):
    """Identity until ``convert``, then ``Quantize`` with the qparams its observer chose."""

    def __init__(self, qconfig=None):
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x):
        return x


class DeQuantStub(nn.Module):
    """Identity until ``convert``, then ``DeQuantize``."""

    def __init__(self, qconfig=None):
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x):
        return x


class QuantWrapper(nn.Module):
    """``dequant(module(quant(x)))``: wraps a whole float module for eager-mode quantization."""

    def __init__(self, module):
        super().__init__()
        qconfig = getattr(module, "qconfig", None)
        self.add_module("quant", QuantStub(qconfig))
        self.add_module("dequant", DeQuantStub(qconfig))
        self.add_module("module", module)
        self.train(module.training)

    def forward(self, X):
        return self.dequant(self.module(self.quant(X)))
