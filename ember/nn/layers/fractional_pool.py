"""``FractionalMaxPool2d`` and ``FractionalMaxPool3d`` over :mod:`ember.functional.fractional_pool`.

>>> import ember
>>> from ember import nn
>>> nn.FractionalMaxPool2d(2, output_ratio=0.5)(ember.zeros(1, 3, 10, 10)).shape
ember.Size([1, 3, 5, 5])
"""
from ...functional import fractional_pool as FP
from ..module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


def _ntuple(v, n):
    return None if v is None else (tuple(v) if isinstance(v, (list, tuple)) else (v,) * n)


class _FractionalMaxPoolNd(Module):
    nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _ntuple(kernel_size, self.nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _ntuple(output_size, self.nd)
        self.output_ratio = _ntuple(output_ratio, self.nd)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        fn = FP.fractional_max_pool2d if self.nd == 2 else FP.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                  _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling of ``(N, C, H, W)`` (Graham, 2014): ``kernel_size`` windows at pseudo-random
    offsets, to ``output_size`` or ``output_ratio`` (in (0, 1)) of the input; ``_random_samples (N, C, 2)``
    fixes the offsets (a buffer; drawn each call when None)."""

    nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling of ``(N, C, D, H, W)``; ``_random_samples`` is ``(N, C, 3)``."""

    nd = 3
