"""``Flatten``, ``Reshape``, ``Permute``, ``RepeatVector``: shape changes that keep the batch axis.

>>> import ember
>>> from ember import keras
>>> keras.layers.Flatten()(ember.ones(2, 3, 4)).shape
ember.Size([2, 12])
"""
import math

from .layer import Layer
from .. import backend


class Flatten(Layer):
    """Flattens each sample: ``(N, d1, d2, ...)`` -> ``(N, d1 * d2 * ...)``.

    With ``data_format='channels_first'`` a channels-first input is first moved to channels-last
    order, as Keras does, so the flattened order does not depend on the data format.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.movedim(1, -1)  # flatten in channels-last order, as Keras does
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (no batch dimension; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        try:
            return inputs.reshape((inputs.shape[0],) + self.target_shape)
        except (RuntimeError, ValueError):
            raise ValueError(f"Reshape layer {self.name}: cannot reshape samples of shape {tuple(inputs.shape[1:])} "
                             f"({math.prod(inputs.shape[1:])} values) to {self.target_shape}") from None

    def compute_output_shape(self, input_shape):
        target = list(self.target_shape)
        rest = input_shape[1:]
        known = math.prod(d for d in target if d != -1)
        if not any(d is None for d in rest) and (math.prod(rest) % max(known, 1) if -1 in target
                                                 else math.prod(rest) != known):
            # Keras's words
            why = ", however, the input size cannot by divided by the specified dimensions in target_shape" \
                if -1 in target else ""
            raise ValueError(f"The total size of the tensor must be unchanged{why}. Received: input_shape="
                             f"{tuple(rest)}, target_shape={self.target_shape}")
        if -1 in target:
            target[target.index(-1)] = None if any(d is None for d in rest) else math.prod(rest) // known
        return (input_shape[0],) + tuple(target)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Permute(Layer):
    """Permutes the non-batch axes: ``Permute((2, 1))`` swaps axes 1 and 2 (axes counted from 1)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={dims}")

    def call(self, inputs):
        return inputs.permute((0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


class RepeatVector(Layer):
    """Repeats a ``(N, d)`` input ``n`` times: ``(N, n, d)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(inputs.shape[0], self.n, inputs.shape[1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
