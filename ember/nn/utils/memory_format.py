"""``convert_conv2d_weight_memory_format`` / ``convert_conv3d_weight_memory_format``: lay out the
weights of every (transposed) convolution of a model in ``memory_format`` (``channels_last`` ...).

>>> import ember
>>> from ember import nn
>>> net = convert_conv2d_weight_memory_format(nn.Sequential(nn.Conv2d(3, 4, 3)), ember.channels_last)
>>> net[0].weight.is_contiguous(memory_format=ember.channels_last)
True
"""
from ember.autograd import no_grad

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, names):
    for m in module.modules():
        if type(m).__name__ in names:
            with no_grad():
                m.weight.data = m.weight.detach().contiguous(memory_format=memory_format)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """``module`` with its Conv2d / ConvTranspose2d weights in ``memory_format``."""
    return _convert(module, memory_format, ("Conv2d", "ConvTranspose2d", "LazyConv2d", "LazyConvTranspose2d"))


def convert_conv3d_weight_memory_format(module, memory_format):
    """``module`` with its Conv3d / ConvTranspose3d weights in ``memory_format``."""
    return _convert(module, memory_format, ("Conv3d", "ConvTranspose3d", "LazyConv3d", "LazyConvTranspose3d"))
