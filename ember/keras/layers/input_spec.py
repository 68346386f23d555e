"""``keras.layers.InputSpec``: what a layer accepts (dtype, shape, rank), and ``serialize``/``deserialize``.

>>> from ember.keras import layers
>>> layers.InputSpec(ndim=3, axes={-1: 8}).axes
{-1: 8}
"""
import numpy as np

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


def _dtype_name(x):
    data = getattr(x, "_data", None)
    if data is not None:
        return np.dtype(data.dtype).name
    dtype = getattr(x, "dtype", None)
    return dtype if isinstance(dtype, str) else np.dtype(dtype).name


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise Keras's ValueError if ``inputs`` (a tensor or a list/dict of them) break ``input_spec`` (an
    InputSpec or a list of them): their number, rank (ndim, min_ndim, max_ndim), dtype, ``axes`` sizes, shape."""
    if not input_spec:
        return
    specs = list(input_spec) if isinstance(input_spec, (list, tuple)) else [input_spec]
    if isinstance(inputs, dict):
        names = [s.name for s in specs]
        if all(names):
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f'Missing data for input "{missing[0]}". You passed a data dictionary with keys '
                                 f"{list(inputs.keys())}. Expected the following keys: {names}")
            inputs = [inputs[n] for n in names]
        else:
            inputs = list(inputs.values())
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(inputs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(inputs)} input '
                         f"tensors. Inputs received: {inputs}")
    for i, (x, spec) in enumerate(zip(inputs, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for "
                             f"layer '{layer_name}'.")
        shape = tuple(None if d is None else int(d) for d in x.shape)
        ndim = len(shape)
        where = f"Input {i} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: "
                             f"{shape}")
        if spec.dtype is not None and _dtype_name(x) != spec.dtype:
            raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={_dtype_name(x)}")
        for axis, value in (spec.axes or {}).items():
            if value is not None and shape[axis] not in (value, None):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {value}, but received "
                                 f"input with shape {shape}")
        if spec.shape is not None:
            spec_shape, got = spec.shape, shape
            if spec.allow_last_axis_squeeze:
                got = got[:-1] if got and got[-1] == 1 else got
                spec_shape = spec_shape[:-1] if spec_shape and spec_shape[-1] == 1 else spec_shape
            if any(a is not None and b is not None and a != b for a, b in zip(spec_shape, got)):
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")
