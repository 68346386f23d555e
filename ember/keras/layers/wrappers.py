"""Layers that wrap another layer: ``Bidirectional`` and ``TimeDistributed``.

>>> import ember
>>> from ember import keras
>>> keras.layers.Bidirectional(keras.layers.LSTM(4))(ember.ones(2, 5, 3)).shape
ember.Size([2, 8])
>>> keras.layers.TimeDistributed(keras.layers.Dense(6))(ember.ones(2, 5, 3)).shape
ember.Size([2, 5, 6])
"""
import inspect

import numpy as np

from ...autograd import ops
from ..saving import serialization_lib
from .layer import Layer


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards and merges the two outputs.

    Args:
        layer: an ``RNN``/``LSTM``/``GRU``/``SimpleRNN`` instance (the forward direction).
        merge_mode (str): 'concat' (default), 'sum', 'mul', 'ave', or None (a list of both outputs).
        backward_layer: the backward layer; by default a copy of ``layer`` with ``go_backwards`` flipped.

    The backward layer's sequence output is reversed back, so step t of both directions lines up.
    Weights: the forward layer's, then the backward layer's.
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        if merge_mode not in ("concat", "sum", "mul", "ave", None):
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                             "{'sum', 'mul', 'ave', 'concat', None}")
        config = layer.get_config()
        config["name"] = "forward_" + layer.name
        self.forward_layer = type(layer).from_config(config)
        if backward_layer is None:
            config = layer.get_config()
            config["name"] = "backward_" + layer.name
            config["go_backwards"] = not config.get("go_backwards", False)
            backward_layer = type(layer).from_config(config)
        self.backward_layer = backward_layer
        # As in Keras: a masked step of a returned sequence is 0 in both directions (not the carried-over
        # output), so the merged features of padding do not depend on the neighbouring real tokens.
        for direction in (self.forward_layer, self.backward_layer):
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = getattr(layer, "return_sequences", False)
        self.return_state = getattr(layer, "return_state", False)
        self._layer_config = serialization_lib.serialize_keras_object(layer)

    def build(self, input_shape):
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)

    def call(self, inputs, mask=None, initial_state=None, training=None):
        kw = {"training": training}
        if mask is not None:
            kw["mask"] = mask
        fw_state = bw_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fw_state, bw_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(inputs, initial_state=fw_state, **kw)
        yb = self.backward_layer(inputs, initial_state=bw_state, **kw)
        states = []
        if self.return_state:
            y, states = y[0], y[1:]
            yb, bstates = yb[0], yb[1:]
            states = list(states) + list(bstates)
        if self.return_sequences:
            yb = yb.flip(1)
        if self.merge_mode == "concat":
            out = ops.cat([y, yb], -1)
        elif self.merge_mode == "sum":
            out = ops.add(y, yb)
        elif self.merge_mode == "mul":
            out = ops.mul(y, yb)
        elif self.merge_mode == "ave":
            out = ops.mul(ops.add(y, yb), 0.5)
        else:
            out = [y, yb]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def compute_mask(self, inputs, mask=None):
        # A returned sequence keeps the input's time-step mask (Keras); a final output or a list has none.
        if mask is None or not self.return_sequences or self.merge_mode is None:
            return None
        m = mask[0] if isinstance(mask, (list, tuple)) else mask
        return np.asarray(m._data if hasattr(m, "_data") else m, bool)

    def compute_output_shape(self, input_shape):
        f = self.forward_layer.compute_output_shape(input_shape)
        out = f[0] if self.return_state else f
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (out[-1] * 2,)
        elif self.merge_mode is None:
            out = [out, out]
        if self.return_state:
            states = list(f[1:])
            return (out if isinstance(out, list) else [out]) + states + states
        return out

    def get_config(self):
        config = super().get_config()
        config.update(layer=self._layer_config, merge_mode=self.merge_mode,
                      backward_layer=serialization_lib.serialize_keras_object(self.backward_layer))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = serialization_lib.deserialize_keras_object(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = serialization_lib.deserialize_keras_object(config["backward_layer"])
        return cls(**config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step of a ``(batch, timesteps, ...)`` input (the steps are folded into
    the batch)."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        self.layer = layer

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                             f"received: {input_shape}")
        self.layer._maybe_build((None,) + tuple(input_shape[2:]))

    supports_masking = True

    def call(self, inputs, training=None, mask=None):
        N, T = inputs.shape[0], inputs.shape[1]
        kwargs = {"training": training}
        if mask is not None:
            m = np.asarray(mask._data if hasattr(mask, "_data") else mask, bool)
            if m.ndim < 2 or m.shape[:2] != (N, T):
                raise ValueError(f"TimeDistributed: the mask must be at least 2-D with leading dimensions "
                                 f"(batch, timesteps) = ({N}, {T}) like the input; got mask shape {m.shape}")
            if "mask" in inspect.signature(self.layer.call).parameters:
                # Each time step's slice of the mask goes to the wrapped layer, folded like the input.
                kwargs["mask"] = m.reshape((N * T,) + m.shape[2:])
        y = self.layer(inputs.reshape((N * T,) + tuple(inputs.shape[2:])), **kwargs)
        return y.reshape((N, T) + tuple(y.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialization_lib.serialize_keras_object(self.layer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = serialization_lib.deserialize_keras_object(config["layer"])
        return cls(**config)
