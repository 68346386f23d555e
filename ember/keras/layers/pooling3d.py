"""Pooling of volumes ``(batch, depth, height, width, channels)``: ``MaxPooling3D``, ``AveragePooling3D``,
``GlobalMaxPooling3D``, ``GlobalAveragePooling3D``.

A box window is separable: its maximum is the maximum over depth of the maxima over height
and width, and (with 'same' padding, which leaves padded voxels out of the count as Keras
does) its mean is the mean over the valid depths of the means over the valid rows and
columns. So a 3-D pool is a 2-D pool of each depth slice followed by a 1-D pool over depth.

>>> import ember
>>> from ember import keras
>>> keras.layers.MaxPooling3D(2)(ember.ones(1, 4, 4, 4, 3)).shape
ember.Size([1, 2, 2, 2, 3])
"""
from .. import ops as kops
from .pooling import _GlobalPooling, _Pooling


class _Pooling3D(_Pooling):
    rank = 3

    def call(self, inputs):
        if inputs.ndim != 5:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of rank 5 (batch, depth, height, "
                             f"width, channels), got shape {tuple(inputs.shape)}")
        x = inputs.movedim(1, -1) if self.data_format == "channels_first" else inputs
        N, D, H, W, C = x.shape
        op = type(self).op
        y = op(x.reshape(N * D, H, W, C), self.pool_size[1:], self.strides[1:], self.padding)
        Ho, Wo = y.shape[1], y.shape[2]
        y = op(y.reshape(N, D, Ho * Wo, C), (self.pool_size[0], 1), (self.strides[0], 1), self.padding)
        y = y.reshape(N, y.shape[1], Ho, Wo, C)
        return y.movedim(-1, 1) if self.data_format == "channels_first" else y


class MaxPooling3D(_Pooling3D):
    """Maximum over ``pool_size`` boxes (default 2x2x2), moved by ``strides`` (default: the pool size)."""

    op = staticmethod(kops.max_pool2d)


class AveragePooling3D(_Pooling3D):
    """Mean over ``pool_size`` boxes; with 'same' padding, padded voxels are not counted."""

    op = staticmethod(kops.avg_pool2d)


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over depth, height and width: ``(N, D, H, W, C)`` -> ``(N, C)`` (``keepdims=True``: ``(N, 1, 1, 1, C)``)."""

    rank, reduce = 3, "mean"


class GlobalMaxPooling3D(_GlobalPooling):
    """Maximum over depth, height and width: ``(N, D, H, W, C)`` -> ``(N, C)``."""

    rank, reduce = 3, "max"
