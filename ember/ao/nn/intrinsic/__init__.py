"""Fused float modules (``torch.ao.nn.intrinsic``): what ``fuse_modules`` puts in place of conv-bn-relu
and linear-relu runs, so that ``convert`` can quantize each run as one kernel.

Each is an ``nn.Sequential`` of its parts (``ConvReLU2d(conv, relu)``: ``relu(conv(x))``), printed
as PyTorch prints it.

>>> from ember import nn
>>> from ember.ao.nn.intrinsic import LinearReLU
>>> LinearReLU(nn.Linear(2, 3), nn.ReLU())[0].out_features
3
"""
from .... import nn


class _FusedModule(nn.Sequential):
    """A run of modules fused into one for quantization."""

    _parts = ()

    def __init__(self, *modules):
        for m, kinds in zip(modules, self._parts):
            if not isinstance(m, kinds):
                raise AssertionError(f"Incorrect types for input modules{tuple(type(x) for x in modules)} of "
                                     f"{type(self).__name__}")
        super().__init__(*modules)


class ConvReLU1d(_FusedModule):
    _parts = (nn.Conv1d, nn.ReLU)


class ConvReLU2d(_FusedModule):
    _parts = (nn.Conv2d, nn.ReLU)


class LinearReLU(_FusedModule):
    _parts = (nn.Linear, nn.ReLU)


class ConvBn1d(_FusedModule):
    _parts = (nn.Conv1d, nn.BatchNorm1d)


class ConvBn2d(_FusedModule):
    _parts = (nn.Conv2d, nn.BatchNorm2d)


class ConvBnReLU2d(_FusedModule):
    _parts = (nn.Conv2d, nn.BatchNorm2d, nn.ReLU)


class BNReLU2d(_FusedModule):
    _parts = (nn.BatchNorm2d, nn.ReLU)


class LinearBn1d(_FusedModule):
    _parts = (nn.Linear, nn.BatchNorm1d)
