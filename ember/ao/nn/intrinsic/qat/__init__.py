"""Fused quantization-aware-training modules (``torch.ao.nn.intrinsic.qat``).

``ConvBn2d`` / ``ConvBnReLU2d`` train with the batch norm folded into the fake-quantized weight, as
PyTorch's ``_forward_approximate``: with ``s = bn.weight / sqrt(bn.running_var + eps)``,
``y = bn(conv(x, weight_fake_quant(weight * s)) / s + bias)`` (then ReLU), so that the converted
int8 convolution (weights folded with the running statistics) is what training saw.

>>> from ember import nn
>>> from ember.ao.nn.intrinsic.qat import LinearReLU
>>> from ember.ao.quantization import get_default_qat_qconfig
>>> LinearReLU(2, 3, qconfig=get_default_qat_qconfig("x86")).weight.shape
ember.Size([3, 2])
"""
from ..... import nn
from ..... import creation
from .....nn import functional as F
from ... import qat as nnqat
from ... import intrinsic as nni


class LinearReLU(nnqat.Linear):
    _FLOAT_MODULE = nni.LinearReLU

    def forward(self, input):
        return F.relu(super().forward(input))


class ConvReLU2d(nnqat.Conv2d):
    _FLOAT_MODULE = nni.ConvReLU2d

    def forward(self, input):
        return F.relu(super().forward(input))


class ConvBn2d(nn.Conv2d):
    """Conv2d + BatchNorm2d for QAT; ``freeze_bn`` stops updating the batch norm's statistics."""

    _FLOAT_MODULE = nni.ConvBn2d
    _with_relu = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=None,
                 padding_mode="zeros", eps=1e-05, momentum=0.1, freeze_bn=False, qconfig=None):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         groups=groups, bias=bool(bias), padding_mode=padding_mode)
        if qconfig is None:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.freeze_bn = freeze_bn if self.training else True
        self.bn = nn.BatchNorm2d(out_channels, eps, momentum, True, True)
        self.weight_fake_quant = qconfig.weight()

    def freeze_bn_stats(self):
        self.freeze_bn = True
        self.bn.training = False
        return self

    def update_bn_stats(self):
        self.freeze_bn = False
        self.bn.training = True
        return self

    def train(self, mode=True):
        self.training = mode
        if not self.freeze_bn:
            for m in self.children():
                m.train(mode)
        return self

    def _forward_approximate(self, input):
        running_std = (self.bn.running_var + self.bn.eps).sqrt()
        scale_factor = self.bn.weight / running_std
        scaled_weight = self.weight_fake_quant(self.weight * scale_factor.reshape(-1, 1, 1, 1))
        zero_bias = creation.zeros(self.out_channels, dtype=input.dtype)
        conv = F.conv2d(input, scaled_weight, zero_bias, self.stride, self.padding, self.dilation, self.groups)
        conv_orig = conv / scale_factor.reshape(1, -1, 1, 1)
        if self.bias is not None:
            conv_orig = conv_orig + self.bias.reshape(1, -1, 1, 1)
        return self.bn(conv_orig)

    def forward(self, input):
        out = self._forward_approximate(input)
        return F.relu(out) if self._with_relu else out

    def extra_repr(self):
        return super().extra_repr()

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        if getattr(mod, "qconfig", None) is None:
            raise AssertionError("Input float module must have a valid qconfig")
        conv, bn = mod[0], mod[1]
        q = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                conv.groups, conv.bias is not None, conv.padding_mode, bn.eps, bn.momentum, False, mod.qconfig)
        q.weight = conv.weight
        q.bias = conv.bias
        q.bn.weight, q.bn.bias = bn.weight, bn.bias
        q.bn.running_mean, q.bn.running_var = bn.running_mean, bn.running_var
        q.bn.num_batches_tracked = bn.num_batches_tracked
        return q


class ConvBnReLU2d(ConvBn2d):
    _FLOAT_MODULE = nni.ConvBnReLU2d
    _with_relu = True


def freeze_bn_stats(mod):
    """``model.apply(freeze_bn_stats)``: stop updating the QAT conv-bn modules' batch-norm statistics."""
    if isinstance(mod, ConvBn2d):
        mod.freeze_bn_stats()


def update_bn_stats(mod):
    """``model.apply(update_bn_stats)``: resume updating the QAT conv-bn modules' batch-norm statistics."""
    if isinstance(mod, ConvBn2d):
        mod.update_bn_stats()
