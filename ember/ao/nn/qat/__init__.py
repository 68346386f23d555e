"""Quantization-aware-training modules (``torch.ao.nn.qat``): float layers whose weight passes through
``weight_fake_quant`` (from the qconfig) on every forward, so training sees the int8 rounding.

``qat.Linear(x) = linear(x, weight_fake_quant(weight), bias)``; ``from_float`` shares the float
module's Parameters.

>>> from ember import nn
>>> from ember.ao.nn.qat import Linear
>>> from ember.ao.quantization import get_default_qat_qconfig
>>> m = nn.Linear(2, 3); m.qconfig = get_default_qat_qconfig("x86")
>>> Linear.from_float(m).weight is m.weight
True
"""
from .... import nn
from ....nn import functional as F


class Linear(nn.Linear):
    """A Linear whose weight is fake-quantized in forward."""

    _FLOAT_MODULE = nn.Linear

    def __init__(self, in_features, out_features, bias=True, qconfig=None, device=None, dtype=None):
        super().__init__(in_features, out_features, bias)
        if qconfig is None:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.weight_fake_quant = qconfig.weight()

    def forward(self, input):
        return F.linear(input, self.weight_fake_quant(self.weight), self.bias)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        from .. import intrinsic as nni
        if getattr(mod, "qconfig", None) is None:
            raise AssertionError("Input float module must have a valid qconfig")
        qconfig = mod.qconfig
        if isinstance(mod, nni._FusedModule):
            mod = mod[0]
        q = cls(mod.in_features, mod.out_features, bias=mod.bias is not None, qconfig=qconfig)
        q.weight = mod.weight
        q.bias = mod.bias
        return q

    def to_float(self):
        m = nn.Linear(self.in_features, self.out_features, self.bias is not None)
        m.weight = nn.Parameter(self.weight.detach())
        if self.bias is not None:
            m.bias = nn.Parameter(self.bias.detach())
        return m


class Conv2d(nn.Conv2d):
    """A Conv2d whose weight is fake-quantized in forward."""

    _FLOAT_MODULE = nn.Conv2d

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", qconfig=None, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         groups=groups, bias=bias, padding_mode=padding_mode)
        if qconfig is None:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.weight_fake_quant = qconfig.weight()

    def _conv(self, input, weight, bias):
        return F.conv2d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv(input, self.weight_fake_quant(self.weight), self.bias)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        from .. import intrinsic as nni
        if getattr(mod, "qconfig", None) is None:
            raise AssertionError("Input float module must have a valid qconfig")
        qconfig = mod.qconfig
        if isinstance(mod, nni._FusedModule):
            mod = mod[0]
        q = cls(mod.in_channels, mod.out_channels, mod.kernel_size, stride=mod.stride, padding=mod.padding,
                dilation=mod.dilation, groups=mod.groups, bias=mod.bias is not None, padding_mode=mod.padding_mode,
                qconfig=qconfig)
        q.weight = mod.weight
        q.bias = mod.bias
        return q
