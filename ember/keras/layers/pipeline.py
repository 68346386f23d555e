"""``keras.layers.Pipeline``: layers applied one after the other, as one layer (for augmentation stacks
used in a data pipeline or a model). ``training`` and masks are passed on to the layers that take them.

>>> import numpy as np
>>> from ember import keras
>>> pipe = keras.layers.Pipeline([keras.layers.Rescaling(2.0), keras.layers.Rescaling(0.5, offset=1.0)])
>>> pipe(np.ones((1, 2), "float32")).numpy().tolist()
[[2.0, 2.0]]
"""
import inspect

from ..saving import serialization_lib
from .layer import Layer


def _takes(layer, name):
    try:
        return name in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False


class Pipeline(Layer):
    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.__dict__["_pipeline_layers"] = list(layers)
        for i, layer in enumerate(self._pipeline_layers):
            self.add_module(f"layer_{i}", layer)

    @property
    def layers(self):
        return list(self._pipeline_layers)

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._pipeline_layers:
            kwargs = {}
            if mask is not None and _takes(layer, "mask"):
                kwargs["mask"] = mask
            if training is not None and _takes(layer, "training"):
                kwargs["training"] = training
            x = layer(x, **kwargs)
            mask = getattr(x, "_keras_mask", None)
        return x

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {"layers": [serialization_lib.serialize_keras_object(layer) for layer in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                             f"layers. Received config with layers={layers}.")
        config = dict(config)
        config["layers"] = [serialization_lib.deserialize_keras_object(x, custom_objects) for x in layers]
        return cls(**config)
