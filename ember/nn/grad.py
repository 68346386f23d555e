"""Gradients of the convolutions with respect to their input or weight (``torch.nn.grad``).

``convNd_input(input_size, weight, grad_output, ...)`` is the input gradient of ``convNd`` with that
weight, for an input of ``input_size`` (a transposed convolution); ``convNd_weight(input, weight_size,
grad_output, ...)`` is the weight gradient. Both come from the convolution's own backward (it is
linear in each argument), so they agree with ``loss.backward()`` through the layer.

>>> import ember
>>> from ember.nn import grad
>>> w = ember.ones(1, 1, 3)
>>> grad.conv1d_input((1, 1, 5), w, ember.ones(1, 1, 3)).flatten().tolist()
[1.0, 2.0, 3.0, 2.0, 1.0]
"""
import numpy as np

from ..autograd import grad_mode
from ..autograd.engine import grad as _grad
from ..autograd.tensor import make
from ..functional.conv import conv1d, conv2d
from ..functional.conv_3d import conv3d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]


def _input_grad(conv, input_size, weight, grad_output, stride, padding, dilation, groups):
    x = make(np.zeros(tuple(input_size), weight._data.dtype))
    x.requires_grad_(True)
    with grad_mode.enable_grad():
        out = conv(x, weight.detach(), None, stride, padding, dilation, groups)
        (gx,) = _grad(out, [x], grad_output)
    return gx


def _weight_grad(conv, input, weight_size, grad_output, stride, padding, dilation, groups):
    w = make(np.zeros(tuple(weight_size), input._data.dtype))
    w.requires_grad_(True)
    with grad_mode.enable_grad():
        out = conv(input.detach(), w, None, stride, padding, dilation, groups)
        (gw,) = _grad(out, [w], grad_output)
    return gw


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``conv1d`` w.r.t. an input of ``input_size``."""
    return _input_grad(conv1d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``conv1d`` w.r.t. a weight of ``weight_size``."""
    return _weight_grad(conv1d, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``conv2d`` w.r.t. an input of ``input_size``."""
    return _input_grad(conv2d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``conv2d`` w.r.t. a weight of ``weight_size``."""
    return _weight_grad(conv2d, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``conv3d`` w.r.t. an input of ``input_size``."""
    return _input_grad(conv3d, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``conv3d`` w.r.t. a weight of ``weight_size``."""
    return _weight_grad(conv3d, input, weight_size, grad_output, stride, padding, dilation, groups)
