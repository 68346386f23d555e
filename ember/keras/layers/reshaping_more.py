"""Spatial resizing layers: ``UpSampling1D/2D/3D``, ``ZeroPadding1D/2D/3D``, ``Cropping1D/2D/3D``.

All work on channels-last data by default (``data_format='channels_first'`` for the 2-D and
3-D ones moves the channel axis to 1, as in Keras):

* ``UpSampling``: repeats each step/pixel/voxel ``size`` times along each spatial axis;
  ``UpSampling2D(interpolation='bilinear')`` resizes with half-pixel centres (as
  ``keras.ops.image.resize`` and PyTorch's ``align_corners=False``), by an interpolation
  matrix per axis;
* ``ZeroPadding``: zeros ``(before, after)`` on each spatial axis;
* ``Cropping``: removes ``(before, after)`` on each spatial axis.

>>> import ember
>>> from ember import keras
>>> keras.layers.UpSampling2D(2)(ember.ones(1, 3, 4, 2)).shape
ember.Size([1, 6, 8, 2])
>>> keras.layers.Cropping1D((1, 2))(ember.ones(1, 5, 3)).shape
ember.Size([1, 2, 3])
"""
import numpy as np

from ... import functional as F
from ...autograd import ops
from ...autograd.tensor import make
from .. import backend
from .layer import Layer


def _int_tuple(v, n, name):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"`{name}` should have {n} elements. Received: {name}={v}")
    return v


def _pairs(v, n, name):
    """``(before, after)`` for each of ``n`` spatial axes from an int, n ints or n pairs."""
    if isinstance(v, (int, np.integer)):
        return ((int(v), int(v)),) * n
    v = tuple(v)
    if n == 1 and len(v) == 2 and all(isinstance(a, (int, np.integer)) for a in v):
        return ((int(v[0]), int(v[1])),)
    if len(v) != n:
        raise ValueError(f"`{name}` should have {n} elements. Received: {name}={v}")
    out = []
    for a in v:
        if isinstance(a, (int, np.integer)):
            out.append((int(a), int(a)))
        else:
            a = tuple(int(b) for b in a)
            if len(a) != 2:
                raise ValueError(f"`{name}` entries should be ints or pairs of ints. Received: {name}={v}")
            out.append(a)
    return tuple(out)


class _Spatial(Layer):
    """A layer acting on the ``rank`` spatial axes of channels-last (or channels-first) inputs."""

    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = "channels_last" if self.rank == 1 else backend.standardize_data_format(data_format)

    def _axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return list(range(start, start + self.rank))

    def _check(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of rank {self.rank + 2}, got "
                             f"shape {tuple(inputs.shape)}")

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for i, ax in enumerate(self._axes()):
            out[ax] = None if out[ax] is None else self._length(out[ax], i)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class _UpSampling(_Spatial):
    def __init__(self, size=2, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = _int_tuple(size, self.rank, "size")

    def _length(self, n, i):
        return n * self.size[i]

    def call(self, inputs):
        self._check(inputs)
        x = inputs
        for ax, s in zip(self._axes(), self.size):
            if s != 1:
                x = ops.repeat_interleave(x, s, ax)
        return x

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size[0] if self.rank == 1 else list(self.size)
        return config


class UpSampling1D(_UpSampling):
    """Repeats each time step ``size`` times: ``(N, steps, C)`` -> ``(N, steps * size, C)``."""

    rank = 1


def _bilinear_matrix(n_in, n_out, dtype):
    """``(n_out, n_in)`` linear interpolation weights with half-pixel centres."""
    scale = n_in / n_out
    src = np.maximum((np.arange(n_out) + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w1 = src - i0
    m = np.zeros((n_out, n_in), dtype)
    np.add.at(m, (np.arange(n_out), i0), 1.0 - w1)
    np.add.at(m, (np.arange(n_out), i1), w1)
    return m


class UpSampling2D(_UpSampling):
    """Repeats rows ``size[0]`` and columns ``size[1]`` times (``interpolation='nearest'``), or resizes
    bilinearly (``'bilinear'``)."""

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, **kwargs)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: `interpolation` must be 'nearest' or 'bilinear' in ember.keras. "
                             f"Received: interpolation={interpolation}")
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        self._check(inputs)
        x = inputs
        for ax, s in zip(self._axes(), self.size):
            n = x.shape[ax]
            m = make(_bilinear_matrix(n, n * s, x._data.dtype))
            x = ops.movedim(ops.tensordot(m, ops.movedim(x, ax, 0), dims=1), 0, ax)
        return x

    def get_config(self):
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


class UpSampling3D(_UpSampling):
    """Repeats each voxel ``size`` times along depth, height and width."""

    rank = 3


class _ZeroPadding(_Spatial):
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding")

    def _length(self, n, i):
        return n + sum(self.padding[i])

    def call(self, inputs):
        self._check(inputs)
        flat = [0] * (2 * inputs.ndim)
        for ax, (a, b) in zip(self._axes(), self.padding):
            k = inputs.ndim - 1 - ax            # F.pad lists the last axis first
            flat[2 * k], flat[2 * k + 1] = a, b
        return F.pad(inputs, flat)

    def get_config(self):
        config = super().get_config()
        config["padding"] = [list(p) for p in self.padding] if self.rank > 1 else list(self.padding[0])
        config["data_format"] = self.data_format   # ZeroPadding1D too, as Keras
        return config


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros before and after the steps: ``padding`` an int or ``(before, after)``."""

    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros: ``padding`` an int, ``(rows, cols)`` or ``((top, bottom), (left, right))``."""

    rank = 2


class ZeroPadding3D(_ZeroPadding):
    rank = 3


class _Cropping(_Spatial):
    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")

    def _length(self, n, i):
        out = n - sum(self.cropping[i])
        if out <= 0:
            raise ValueError(f"{type(self).__name__} layer {self.name}: cropping {self.cropping[i]} leaves nothing of "
                             f"an axis of size {n}")
        return out

    def call(self, inputs):
        self._check(inputs)
        index = [slice(None)] * inputs.ndim
        for i, (ax, (a, b)) in enumerate(zip(self._axes(), self.cropping)):
            n = inputs.shape[ax]
            self._length(n, i)
            index[ax] = slice(a, n - b)
        return inputs[tuple(index)]

    def get_config(self):
        config = super().get_config()
        config["cropping"] = [list(p) for p in self.cropping] if self.rank > 1 else list(self.cropping[0])
        return config


class Cropping1D(_Cropping):
    """Removes ``(before, after)`` steps (default ``(1, 1)``)."""

    rank = 1


class Cropping2D(_Cropping):
    """Removes rows and columns: ``cropping`` an int, ``(rows, cols)`` or ``((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
