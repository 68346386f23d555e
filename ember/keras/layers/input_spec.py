"""``keras.layers.InputSpec``: what a layer accepts (dtype, shape, rank), and ``serialize``/``deserialize``.

>>> from ember.keras import layers
>>> layers.InputSpec(ndim=3, axes={-1: 8}).axes
{-1: 8}
"""
from ..saving import serialization_lib


class InputSpec:
    """A description of the inputs a layer expects (Keras's ``InputSpec``).

    Args:
        dtype, shape, ndim, max_ndim, min_ndim: expected dtype, full shape (None for any size), rank bounds.
        axes (dict): ``{axis: size}`` for axes of a known size. allow_last_axis_squeeze, name: as Keras.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze, self.name, self.optional = allow_last_axis_squeeze, name, optional

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        spec = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim),
                                         ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                                         ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(spec)})"


def serialize(layer):
    """``keras.layers.serialize``: a layer's ``{"class_name", "config", ...}`` dict."""
    return serialization_lib.serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """``keras.layers.deserialize``: the layer described by ``serialize``'s output."""
    return serialization_lib.deserialize_keras_object(config, custom_objects)
