"""Padding layers: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad`` and ``CircularPad``
(1-D and 2-D; ``ConstantPad3d`` too), over :func:`ember.nn.functional.pad`.

``padding`` is an int (the same on every side) or a tuple in ``F.pad`` order:
``(left, right)`` for 1-D, ``(left, right, top, bottom)`` for 2-D.

>>> import ember
>>> from ember import nn
>>> nn.ReflectionPad2d(1)(ember.zeros(1, 3, 4, 4)).shape
ember.Size([1, 3, 6, 6])
"""
from ...functional.padding import pad as _pad
from ..module import Module, input_error


def _sides(padding, nd):
    if isinstance(padding, (list, tuple)):
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * nd:
            raise ValueError(f"padding must be an int or a tuple of {2 * nd} ints, got {padding}")
        return padding
    return (int(padding),) * (2 * nd)


class _PadNd(Module):
    nd = 2
    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _sides(padding, self.nd)

    def forward(self, input):
        x = input._data
        if self.mode != "constant" and x.ndim not in (self.nd + 1, self.nd + 2):
            raise input_error(self, f"expected a {self.nd + 1}D or {self.nd + 2}D input, got input of shape "
                                    f"{tuple(x.shape)}")
        return _pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return _pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``: ``padding`` int or (left, right)."""
    nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``: ``padding`` int or (left, right, top, bottom)."""
    nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``: (left, right, top, bottom, front, back)."""
    nd = 3


class ZeroPad1d(_ConstantPadNd):
    """Pad the last dimension with zeros."""
    nd = 1

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(_ConstantPadNd):
    """Pad the last two dimensions with zeros: ``padding`` int or (left, right, top, bottom)."""
    nd = 2

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirror the last dimension at its edges (without repeating the edge value)."""
    nd, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last two dimensions at their edges; each amount must be smaller than that size."""
    nd, mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dimension."""
    nd, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dimensions."""
    nd, mode = 2, "replicate"


class CircularPad1d(_PadNd):
    """Wrap the last dimension around (periodic padding)."""
    nd, mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Wrap the last two dimensions around (periodic padding)."""
    nd, mode = 2, "circular"
