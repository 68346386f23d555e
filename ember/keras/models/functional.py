"""Functional models: ``keras.Model(inputs, outputs)`` over a graph of layer calls.

>>> from ember import keras
>>> a = keras.Input(shape=(4,)); b = keras.Input(shape=(3,))
>>> x = keras.layers.Concatenate()([keras.layers.Dense(5)(a), b])
>>> model = keras.Model([a, b], keras.layers.Dense(1)(x))
>>> [layer.__class__.__name__ for layer in model.layers]
['InputLayer', 'Dense', 'InputLayer', 'Concatenate', 'Dense']
"""
import copy

import numpy as np

from ..graph import KerasTensor, flatten, keras_layer_order, keras_node_order, map_structure, topological_nodes
from ..layers.input_layer import InputLayer
from ..saving import serialization_lib
from ..scopes import scoped_name
from .model import Model


class Functional(Model):
    """A model defined by its input and output :class:`KerasTensor` s (nested lists or dicts allowed)."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Model.__init__(self, name=name or _functional_name(), trainable=trainable, **kwargs)
        if isinstance(inputs, dict):
            # In the order flatten() gives self.inputs (sorted keys, as Keras's tree): data keys map by name.
            self._input_names = [k for k in sorted(inputs)]
        else:
            self._input_names = None
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.__dict__["inputs"] = [t for t in flatten(inputs)]
        self.__dict__["outputs"] = [t for t in flatten(outputs)]
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"All `inputs` and `outputs` of a functional model must be KerasTensors (from "
                                 f"keras.Input and layer calls), got {t!r}")
        # run in Keras's order (deepest first), which decides the order of calls (call_function, random draws)
        rank = {id(n): i for i, n in enumerate(keras_node_order(self.inputs, self.outputs))}
        self._nodes = sorted(topological_nodes(self.outputs, self.inputs), key=lambda n: rank.get(id(n), len(rank)))
        input_ids = {id(t) for t in self.inputs}
        for node in self._nodes:
            if isinstance(node.operation, InputLayer) and id(node.outputs[0]) not in input_ids:
                raise ValueError(f"Graph disconnected: cannot find the value of the input {node.outputs[0]} "
                                 f"(layer '{node.operation.name}'); pass it in the model's `inputs`")
        ordered = keras_layer_order(self.inputs, self.outputs)
        names = [layer.name for layer in ordered]
        for n in set(names):
            if names.count(n) > 1:
                raise ValueError(f'The name "{n}" is used {names.count(n)} times in the model. All operation names '
                                 "should be unique.")
        self.__dict__["_layer_order"] = ordered
        for layer in ordered:
            # A module key cannot hold "." (Keras names applications like "mobilenetv2_0.35_32"), and a layer
            # named like a model attribute (an Input called "inputs") is registered under another key.
            key = layer.name.replace(".", "_")
            while key in self.__dict__ or hasattr(type(self), key) or key in self._modules:
                key += "_"
            self.add_module(key, layer)
        self.output_names = [t._keras_history.operation.name for t in self.outputs]
        self.input_names = [t._keras_history.operation.name for t in self.inputs]
        self._build_input_shape = [t.shape for t in self.inputs] if len(self.inputs) > 1 else self.inputs[0].shape
        self.__dict__["_path"] = scoped_name(self.name)   # built where it is made, as in Keras
        self.built = True

    @property
    def layers(self):
        # Arithmetic on symbolic tensors (x + 3.0) is an operation in Keras, not a layer.
        return [layer for layer in self._layer_order if not getattr(layer, "_is_operation", False)]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input(self):
        return self.inputs[0] if len(self.inputs) == 1 else self._inputs_struct

    @property
    def output(self):
        return self.outputs[0] if len(self.outputs) == 1 else self._outputs_struct

    def _build_for_call(self, args, kwargs):
        pass

    def _flatten_inputs(self, inputs):
        if isinstance(inputs, dict):
            names = self._input_names or self.input_names
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"Missing data for input(s) {missing} of model {self.name}; got keys {list(inputs)}")
            return [inputs[n] for n in names]
        flat = flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model {self.name} expects {len(self.inputs)} input(s), but it received {len(flat)} "
                             "input tensors")
        return flat

    def call(self, inputs, training=None, mask=None):
        from .. import backend
        values = {}
        for kt, v in zip(self.inputs, self._flatten_inputs(inputs)):
            if v is None and getattr(kt._keras_history.operation, "optional", False):
                values[id(kt)] = None    # an optional input left out (Keras's Input(optional=True))
                continue
            if not hasattr(v, "_data"):
                v = backend.convert_to_tensor(v)
            v = backend.cast_input(v, kt.dtype)
            _check_shape(self, kt, v)
            values[id(kt)] = v

        def get(t):
            return values[id(t)] if isinstance(t, KerasTensor) else t
        # As in Keras, a training value from this call or an enclosing one (fit, predict) replaces one recorded
        # on a node: base_model(x, training=False) in the graph still trains a trainable base_model in fit.
        context = next((v for v in reversed(backend.learning_phase_stack()) if v is not None), None)
        for node in self._nodes:
            if isinstance(node.operation, InputLayer):
                continue
            args = map_structure(get, node.arguments_args)
            kwargs = map_structure(get, node.arguments_kwargs)
            if context is not None and "training" in kwargs:
                kwargs["training"] = context
            out = node.operation(*args, **kwargs)
            for kt, v in zip(node.outputs, flatten(out) if isinstance(out, (list, tuple, dict)) else [out]):
                values[id(kt)] = v
        outputs = map_structure(get, self._outputs_struct)
        # Keras unpacks a list of one output: Model(inputs, [x]) gives a tensor, predict an array
        return outputs[0] if isinstance(outputs, (list, tuple)) and len(outputs) == 1 else outputs

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def get_config(self):
        node_index = {}
        for node in self._nodes:
            node_index.setdefault(node.operation, []).append(node)

        def ref(t):
            h = t._keras_history
            layer_nodes = node_index.get(h.operation, [])
            node = h.operation._inbound_nodes[h.node_index]
            idx = layer_nodes.index(node) if node in layer_nodes else 0
            return [h.operation.name, idx, h.tensor_index]

        def encode(x):
            if isinstance(x, KerasTensor):
                return {"class_name": "__keras_tensor__",
                        "config": {"shape": list(x.shape), "dtype": x.dtype, "keras_history": ref(x)}}
            if isinstance(x, (list, tuple)):
                return [encode(v) for v in x]
            if isinstance(x, dict):
                return {k: encode(v) for k, v in x.items()}
            if x is None or isinstance(x, (bool, int, float, str)):
                return x
            # as Keras writes them (a GetItem's key)
            if isinstance(x, slice):
                return {"class_name": "__slice__", "config": {"start": encode(x.start), "stop": encode(x.stop),
                                                               "step": encode(x.step)}}
            if x is Ellipsis:
                return {"class_name": "__ellipsis__", "config": {}}
            if isinstance(x, np.generic):
                return x.item()
            if isinstance(x, np.ndarray):
                return {"class_name": "__numpy__", "config": {"value": x.tolist(), "dtype": str(x.dtype)}}
            raise ValueError(f"Functional model {self.name}: a layer call argument of type {type(x).__name__} "
                             "cannot be saved in a config")
        layers = []
        for layer in self._layer_order:
            entry = serialization_lib.serialize_keras_object(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = [] if isinstance(layer, InputLayer) else [
                {"args": encode(list(n.arguments_args)), "kwargs": encode(dict(n.arguments_kwargs))}
                for n in node_index.get(layer, [])]
            layers.append(entry)

        def struct(s):
            return map_structure(ref, s)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": struct(self._inputs_struct), "output_layers": struct(self._outputs_struct)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        created = {}
        tensors = {}
        pending = []
        for entry in config["layers"]:
            layer = serialization_lib.deserialize_keras_object(
                {k: v for k, v in entry.items() if k not in ("inbound_nodes", "build_config")}, custom_objects)
            created[entry["name"]] = layer
            if isinstance(layer, InputLayer):
                tensors[(layer.name, 0)] = [layer.output_tensor]
            for data in entry.get("inbound_nodes", []):
                pending.append((layer, data))
        counts = {}

        def decode(x):
            if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
                name, node_idx, tensor_idx = x["config"]["keras_history"]
                return tensors[(name, node_idx)][tensor_idx]
            if isinstance(x, dict) and x.get("class_name") == "__slice__":
                c = x.get("config", {})
                return slice(decode(c.get("start")), decode(c.get("stop")), decode(c.get("step")))
            if isinstance(x, dict) and x.get("class_name") == "__ellipsis__":
                return Ellipsis
            if isinstance(x, dict) and x.get("class_name") == "__numpy__":
                c = x.get("config", {})
                return np.asarray(c.get("value"), dtype=np.dtype(c.get("dtype") or "float32"))
            if isinstance(x, list):
                return [decode(v) for v in x]
            if isinstance(x, dict):
                return {k: decode(v) for k, v in x.items()}
            return x

        def ready(x):
            if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
                name, node_idx, _ = x["config"]["keras_history"]
                return (name, node_idx) in tensors
            if isinstance(x, list):
                return all(ready(v) for v in x)
            if isinstance(x, dict):
                return all(ready(v) for v in x.values())
            return True
        while pending:
            progressed = False
            for item in list(pending):
                layer, data = item
                if not (ready(data["args"]) and ready(data["kwargs"])):
                    continue
                out = layer(*decode(data["args"]), **decode(data["kwargs"]))
                k = counts.get(layer.name, 0)
                counts[layer.name] = k + 1
                tensors[(layer.name, k)] = flatten(out) if isinstance(out, (list, tuple)) else [out]
                pending.remove(item)
                progressed = True
            if not progressed:
                raise ValueError("Invalid functional model config: some layer inputs are never produced "
                                 f"({[layer.name for layer, _ in pending]})")

        def resolve(s):
            if isinstance(s, list) and len(s) == 3 and isinstance(s[0], str) and isinstance(s[1], int):
                return tensors[(s[0], s[1])][s[2]]
            if isinstance(s, list):
                return [resolve(v) for v in s]
            if isinstance(s, dict):
                return {k: resolve(v) for k, v in s.items()}
            raise ValueError(f"Invalid functional model config: bad input/output reference {s!r}")
        inputs = resolve(config["input_layers"])
        outputs = resolve(config["output_layers"])
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))

    def get_build_config(self):
        return None


def _check_shape(model, kt, v):
    shape = tuple(v.shape)
    if len(shape) != len(kt.shape) or any(d is not None and d != s for d, s in zip(kt.shape[1:], shape[1:])):
        raise ValueError(f'Input of model "{model.name}" is incompatible with the layer: expected shape={kt.shape}, '
                         f"found shape={shape}")


def _functional_name():
    from .. import backend
    return backend.unique_name("functional")

