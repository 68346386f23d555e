"""Layers kept for old PyTorch code: ``CrossMapLRN2d`` (Lua Torch's cross-channel LRN) and ``Container``.

>>> import ember
>>> from ember import nn
>>> nn.CrossMapLRN2d(3)(ember.ones(1, 4, 2, 2)).shape
ember.Size([1, 4, 2, 2])
"""
import warnings

import numpy as np

from ...autograd.node import needs_grad, record
from ...autograd.tensor import make
from ..module import Module

__all__ = ["CrossMapLRN2d", "Container"]


def _window_matrix(channels, size):
    """Which squared channels each channel's scale sums, exactly as PyTorch's running-sum loop builds it.

    The loop adds the channel entering the window and subtracts the one leaving it, but (a quirk kept
    from Lua Torch) never subtracts channel 0, so later channels keep it in their sum.
    """
    pre_pad = int((size - 1) / 2 + 1)
    m = np.zeros((channels, channels))
    m[0, :min(pre_pad, channels)] = 1
    for c in range(1, channels):
        m[c] = m[c - 1]
        if c < channels - pre_pad + 1:
            m[c, c + pre_pad - 1] += 1
        if c > pre_pad:
            m[c, c - pre_pad] -= 1
    return m


class CrossMapLRN2d(Module):
    r"""Local response normalization across channels of ``(N, C, H, W)``, as ``torch.nn.CrossMapLRN2d``:

    .. math:: y_c = x_c\,\Big(k + \frac{\alpha}{n}\sum_{c' \in W(c)} x_{c'}^2\Big)^{-\beta}

    with PyTorch's window :math:`W(c)` (see :func:`_window_matrix`) and PyTorch's gradient (which uses
    the symmetric window of ``size`` channels); first order only.

    Args:
        size (int): channels in the window :math:`n`; alpha (1e-4), beta (0.75), k (1).
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        x = input._data
        if x.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {x.ndim}D instead.")
        size, alpha, beta, k = self.size, self.alpha, self.beta, self.k
        C = x.shape[1]
        m = _window_matrix(C, size).astype(x.dtype)
        scale = np.einsum("dc,nchw->ndhw", m, x * x) * (alpha / size) + k
        y = (scale ** -beta) * x
        out = make(y)
        if needs_grad(input):
            def backward(g):
                ga = g._data
                ratio = ga * y / scale
                inverse_pre_pad = int(size - (size - 1) / 2)
                # accum for channel c sums ratio over channels c - inverse_pre_pad + 1 ... c + size - inverse_pre_pad
                padded = np.zeros((x.shape[0], C + size - 1) + x.shape[2:], x.dtype)
                padded[:, inverse_pre_pad:inverse_pre_pad + C] = ratio
                csum = np.concatenate([np.zeros((x.shape[0], 1) + x.shape[2:], x.dtype), np.cumsum(padded, 1)], 1)
                accum = csum[:, size:size + C] - csum[:, :C]
                return (make(scale ** -beta * ga - (2 * alpha * beta / size) * x * accum),)
            record(out, "CrossMapLRN2dBackward", backward, (input,))
        return out

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class Container(Module):
    """The deprecated base of PyTorch's containers: a :class:`Module` whose keyword arguments become submodules."""

    def __init__(self, **kwargs):
        super().__init__()
        warnings.warn("nn.Container is deprecated. All of it's functionality is now implemented in nn.Module. "
                      "Subclass that instead.", stacklevel=2)
        for key, value in kwargs.items():
            self.add_module(key, value)
