"""``keras.Sequential``: a plain stack of layers, each feeding the next.

>>> import ember
>>> from ember import keras
>>> keras.backend.clear_session()
>>> model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)), keras.layers.Dense(1)])
>>> [layer.name for layer in model.layers]
['dense', 'dense_1']
>>> model.count_params()
49
"""
import copy

from ... import nn
from .. import backend, dtype_policies
from ..graph import KerasTensor
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer, _jsonable_shape, _to_shape
from ..layers.module_wrapper import TorchModuleWrapper
from ..saving import serialization_lib
from .model import Model


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers (list): the layers, in order (more can be added with ``add``). A plain ``ember.nn.Module``
            is wrapped in a ``TorchModuleWrapper``.
        name (str): default ``sequential`` (numbered).

    The input shape comes from a first ``keras.Input(shape=...)``/``InputLayer``, from the first
    layer's ``input_shape=``, or from the first batch the model sees.
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self.__dict__["_layer_list"] = []
        self.__dict__["_input_layer"] = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        """Append ``layer`` (a Keras layer, a ``keras.Input``, or an ``nn.Module``)."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history.operation
        if isinstance(layer, InputLayer):
            if self._layer_list or self._input_layer is not None:
                raise ValueError("An InputLayer / keras.Input can only be the first element of a Sequential model")
            self._input_layer = layer
            if rebuild:
                self._maybe_rebuild()
            return
        if isinstance(layer, nn.Module) and not isinstance(layer, Layer):
            layer = TorchModuleWrapper(layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` (or ember.nn.Module) can be added to a Sequential "
                             f"model. Received: {layer!r} (of type {type(layer).__name__})")
        if any(existing.name == layer.name for existing in self._layer_list):
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name '{layer.name}' "
                             "is already the name of a layer in this model. Update the `name` argument to pass a "
                             "unique name.")
        if not self._layer_list and self._input_layer is None:
            batch_shape = layer._batch_input_shape
            if batch_shape is None and isinstance(layer, Model):
                # as Keras: a first layer that is a model with a known input (a Sequential starting with an
                # Input, a functional model) builds this one
                try:
                    batch_shape = layer.input_shape if layer.built else None
                except (AttributeError, ValueError):
                    batch_shape = None
                if not (isinstance(batch_shape, tuple) and all(d is None or isinstance(d, int) for d in batch_shape)):
                    batch_shape = None
            if batch_shape is not None:
                self._input_layer = InputLayer(batch_shape=batch_shape, dtype=None)
        self._layer_list.append(layer)
        self.add_module(layer.name, layer)
        self.built = False
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        layer = self._layer_list.pop()
        del self._modules[layer.name]
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self):
        if self._input_layer is not None and self._layer_list:
            self.build(self._input_layer.batch_shape)

    @property
    def layers(self):
        return list(self._layer_list)

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("You must provide an `input_shape` argument (or start the model with keras.Input) "
                                 "to build a Sequential model")
            input_shape = self._input_layer.batch_shape
        # Keras's build puts an InputLayer in front (once) and makes a Functional of the stack (each time):
        # both take an automatic name, which numbers the later ones ('functional_1', 'input_layer_1').
        if self._input_layer is None and not self.__dict__.get("_input_named"):
            backend.unique_name("input_layer")
            self.__dict__["_input_named"] = True
        backend.unique_name("functional")
        shape = (None,) + tuple(input_shape[1:])
        for layer in self._layer_list:
            layer._maybe_build(shape)
            try:
                shape = layer.compute_output_shape(shape)
            except ValueError:
                raise
            except Exception as e:  # noqa: BLE001 - shape inference is best effort for wrapped modules
                if isinstance(layer, TorchModuleWrapper):
                    shape = None
                    break
                raise ValueError(f"Sequential model {self.name}: cannot infer the output shape of layer {layer.name} "
                                 f"for input shape {shape}: {e}") from e
            layer._output_shape = tuple(shape) if isinstance(shape, tuple) else shape
        self._build_input_shape = (None,) + tuple(input_shape[1:])
        self.built = True
        self._trace()

    def _trace(self):
        """With a known input, call the layers on it symbolically, as Keras does, so that each layer has
        ``input``/``output`` KerasTensors (``keras.Model(model.inputs, model.layers[2].output)``)."""
        self.__dict__["_traced_output"] = None
        if self._input_layer is None:
            return
        x = self._input_layer.output_tensor
        try:
            for layer in self._layer_list:
                x = layer(x)
        except Exception:  # noqa: BLE001 - a wrapped module may not run on placeholders; tracing is optional
            return
        self.__dict__["_traced_output"] = x

    def _build_for_call(self, args, kwargs):
        if not self.built:
            self._maybe_build(tuple(args[0].shape))

    def call(self, inputs, training=None, mask=None):
        # Keras casts a Sequential model's input to its InputLayer's dtype (the first layer's without one).
        if self._input_layer is not None:
            x = backend.cast_input(inputs, self._input_layer.input_dtype)
        elif self._layer_list and not isinstance(self._layer_list[0], TorchModuleWrapper):
            x = backend.cast_input(inputs, self._layer_list[0]._dtype)
        else:
            x = inputs
        for layer in self._layer_list:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._layer_list:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        if self._build_input_shape is not None:
            return tuple(self._build_input_shape)
        raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")

    @property
    def output_shape(self):
        if not self.built or not self._layer_list:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")
        return self._layer_list[-1]._output_shape

    @property
    def inputs(self):
        return [self._input_layer.output_tensor] if self._input_layer is not None else None

    @property
    def outputs(self):
        out = self.__dict__.get("_traced_output")
        return [out] if out is not None else None

    @property
    def output(self):
        outs = self.outputs
        if outs is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output: give it an Input first")
        return outs[0]

    @property
    def input(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input: give it an Input first")
        return self._input_layer.output_tensor

    @property
    def output_names(self):
        return [self._layer_list[-1].name] if self._layer_list else ["output"]

    def get_config(self):
        layers = []
        if self._input_layer is not None:
            layers.append(serialization_lib.serialize_keras_object(self._input_layer))
        layers += [serialization_lib.serialize_keras_object(layer) for layer in self._layer_list]
        # Keras writes the model's policy (its from_config does not read it back: a loaded model takes the
        # global policy)
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy), "layers": layers}
        if self._build_input_shape is not None:
            config["build_input_shape"] = _jsonable_shape(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config.get("layers", []):
            model.add(serialization_lib.deserialize_keras_object(layer_config, custom_objects), rebuild=False)
        if model._input_layer is not None:
            model._maybe_rebuild()
        elif config.get("build_input_shape") is not None:
            model.build(_to_shape(config["build_input_shape"]))
        return model

    def get_build_config(self):
        return None

