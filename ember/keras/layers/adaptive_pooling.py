"""Adaptive pooling layers (Keras 3.15): pool to a fixed ``output_size`` whatever the input size.

Output cell ``i`` of a dimension of length ``n`` pooled to ``m`` covers the inputs
``floor(i n / m) .. ceil((i + 1) n / m) - 1`` (PyTorch's bounds), averaged or maxed; ``keras.ops``'s
``adaptive_average_pool`` / ``adaptive_max_pool`` do the work. ``output_size`` is an int (the same for
every spatial dimension) or a tuple; inputs are channels-last unless ``data_format='channels_first'``.

>>> import numpy as np
>>> from ember import keras
>>> keras.layers.AdaptiveAveragePooling1D(2)(np.arange(6, dtype="float32").reshape(1, 6, 1)).numpy().ravel().tolist()
[1.0, 4.0]
"""
from .. import backend
from .. import ops as kops
from .layer import Layer


class _AdaptivePooling(Layer):
    rank = 2
    mode = "avg"

    def __init__(self, output_size, data_format=None, **kwargs):
        if isinstance(output_size, int):
            output_size = (output_size,) * self.rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == self.rank:
            output_size = tuple(int(s) for s in output_size)
        else:
            raise TypeError(f"{type(self).__name__}: `output_size` must be an integer or a tuple of {self.rank} "
                            f"integers. Received: {output_size} of type {type(output_size)}")
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = backend.standardize_data_format(data_format)

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name} expects inputs of rank {self.rank + 2}, got "
                             f"shape {tuple(inputs.shape)}")
        pool = kops.adaptive_average_pool if self.mode == "avg" else kops.adaptive_max_pool
        return pool(inputs, output_size=self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        config = super().get_config()
        config.update(output_size=self.output_size, data_format=self.data_format)
        return config


def _layer(name, rank, mode):
    kind = "average" if mode == "avg" else "maximum"
    doc = (f"Adaptive {kind} pooling of {rank}-D data to ``output_size`` (an int or a tuple of {rank}); "
           f"input ``(batch, *spatial, channels)``, output ``(batch, *output_size, channels)``.")
    return type(name, (_AdaptivePooling,), {"rank": rank, "mode": mode, "__doc__": doc, "__module__": __name__})


AdaptiveAveragePooling1D = _layer("AdaptiveAveragePooling1D", 1, "avg")
AdaptiveAveragePooling2D = _layer("AdaptiveAveragePooling2D", 2, "avg")
AdaptiveAveragePooling3D = _layer("AdaptiveAveragePooling3D", 3, "avg")
AdaptiveMaxPooling1D = _layer("AdaptiveMaxPooling1D", 1, "max")
AdaptiveMaxPooling2D = _layer("AdaptiveMaxPooling2D", 2, "max")
AdaptiveMaxPooling3D = _layer("AdaptiveMaxPooling3D", 3, "max")
