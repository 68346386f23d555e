"""Pooling on channels-last data: ``MaxPooling1D/2D``, ``AveragePooling1D/2D``, ``GlobalAveragePooling1D/2D``,
``GlobalMaxPooling1D/2D``.

>>> import ember
>>> from ember import keras
>>> keras.layers.MaxPooling2D((2, 2))(ember.ones(1, 26, 26, 32)).shape
ember.Size([1, 13, 13, 32])
"""
import numpy as np

from ...autograd import ops
from ...autograd.tensor import make
from .. import backend
from .. import ops as kops
from .convolutional import _tuple
from .layer import Layer


class _Pooling(Layer):
    rank = 2
    op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _tuple(pool_size, self.rank, "pool_size")
        self.strides = _tuple(strides, self.rank, "strides") if strides is not None else self.pool_size
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"The `padding` argument must be 'valid' or 'same'. Received: padding={padding}")
        self.data_format = backend.standardize_data_format(data_format)

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of rank {self.rank + 2}, got "
                             f"shape {tuple(inputs.shape)}")
        x = inputs.movedim(1, -1) if self.data_format == "channels_first" else inputs
        if self.rank == 1:
            y = type(self).op(x.unsqueeze(1), (1,) + self.pool_size, (1,) + self.strides, self.padding).squeeze(1)
        else:
            y = type(self).op(x, self.pool_size, self.strides, self.padding)
        return y.movedim(-1, 1) if self.data_format == "channels_first" else y

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        out = [kops.conv_output_length(s, k, self.padding, st) for s, k, st in
               zip(spatial, self.pool_size, self.strides)]
        if first:
            return (input_shape[0], input_shape[1]) + tuple(out)
        return (input_shape[0],) + tuple(out) + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides), padding=self.padding,
                      data_format=self.data_format)
        return config


class MaxPooling2D(_Pooling):
    """Maximum over ``pool_size`` windows (default 2x2), moved by ``strides`` (default: the pool size)."""

    rank = 2
    op = staticmethod(kops.max_pool2d)


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows; with 'same' padding, padded pixels are not counted."""

    rank = 2
    op = staticmethod(kops.avg_pool2d)


class MaxPooling1D(_Pooling):
    rank = 1
    op = staticmethod(kops.max_pool2d)


class AveragePooling1D(_Pooling):
    rank = 1
    op = staticmethod(kops.avg_pool2d)


class _GlobalPooling(Layer):
    rank = 2
    reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)

    def _axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return tuple(range(start, start + self.rank))

    def call(self, inputs, mask=None):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of rank {self.rank + 2}, got "
                             f"shape {tuple(inputs.shape)}")
        if mask is not None and self.rank == 1 and self.reduce == "mean":
            # Keras averages only the unmasked steps.
            m = np.asarray(mask._data if hasattr(mask, "_data") else mask, inputs._data.dtype)
            m = make(m[:, :, None] if self.data_format == "channels_last" else m[:, None, :])
            axis = self._axes()[0]
            return ops.div(ops.mul(inputs, m).sum(axis, keepdim=self.keepdims), m.sum(axis, keepdim=self.keepdims))
        if self.reduce == "mean":
            return inputs.mean(self._axes(), keepdim=self.keepdims)
        return inputs.amax(self._axes(), keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: ``(N, H, W, C)`` -> ``(N, C)``."""

    rank, reduce = 2, "mean"


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width: ``(N, H, W, C)`` -> ``(N, C)``."""

    rank, reduce = 2, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    rank, reduce = 1, "mean"
    supports_masking = True  # as Keras: it averages the kept steps only, and its output has no mask

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling):
    rank, reduce = 1, "max"
