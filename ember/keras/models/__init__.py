"""``keras.models``: ``Model``, ``Sequential``, ``load_model``, ``save_model``, ``model_from_json``,
``clone_model``."""
from .model import Model
from .functional import Functional
from .sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save('model.keras')`` (JSON config + safetensors weights).

    Only classes that ember.keras knows (its layers and models, ``custom_objects`` and classes
    registered with ``@keras.saving.register_keras_serializable()``) can appear in the config;
    anything else is refused with a ValueError. No code from the file is executed.
    """
    from ..saving.saving_api import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    from ..saving.saving_api import save_model as _save
    return _save(model, filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model's architecture (fresh weights) from ``model.to_json()``."""
    import json

    from ..saving import serialization_lib
    config = json.loads(json_string)
    return serialization_lib.deserialize_keras_object(config, custom_objects)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model with the same architecture and newly initialized weights, as Keras 3's ``clone_model``.

    A Sequential or Functional model is rebuilt layer by layer: ``clone_function(layer)`` gives each layer's
    replacement (default ``layer.__class__.from_config(layer.get_config())``; once per layer, so shared layers
    stay shared), ``call_function(layer, *args, **kwargs)`` makes each call of a Functional model's graph, on
    new inputs (or ``input_tensors``), and ``recursive=True`` clones inner Sequential / Functional models the
    same way. A compiled Sequential or Functional model's clone is compiled from its compile config. Any other
    model is rebuilt from its config (``clone_function`` / ``input_tensors`` / ``call_function`` refused)."""
    from ..layers.layer import Layer
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError("`call_function` argument is not supported with Sequential models.  In a Sequential "
                             "model, layers aren't called at model-construction time (they're merely listed). Use "
                             "`call_function` with Functional models only. Received model of type "
                             f"'{type(model).__name__}', with call_function={call_function}")
        fn = _wrap_clone_function(clone_function, None, recursive, cache)
        return _clone_sequential(model, fn, input_tensors)
    if isinstance(model, Functional) and (type(model).get_config is Functional.get_config or clone_function
                                          or input_tensors is not None):
        fn = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _clone_functional(model, fn, input_tensors, call_function, Layer)
    if clone_function or input_tensors is not None:
        raise ValueError("Arguments `clone_function` and `input_tensors` are only supported for Sequential models "
                         f"or Functional models. Received model of type '{type(model).__name__}', with "
                         f"clone_function={clone_function} and input_tensors={input_tensors}")
    if call_function is not None:
        raise ValueError("Argument `call_function` is only supported for Functional models. Received model of type "
                         f"'{type(model).__name__}', with call_function={call_function}")
    from ..saving import serialization_lib
    return serialization_lib.deserialize_keras_object(serialization_lib.serialize_keras_object(model),
                                                      custom_objects={type(model).__name__: type(model)})


def _wrap_clone_function(clone_function, call_function, recursive, cache):
    """``clone_function`` run once per layer (a shared layer's clone is shared), inner models cloned whole when
    ``recursive``."""
    if clone_function is None:
        def clone_function(layer):
            return layer.__class__.from_config(layer.get_config())
    cache = {} if cache is None else cache

    def wrapped(layer):
        if id(layer) not in cache:
            if recursive and isinstance(layer, (Sequential, Functional)):
                cache[id(layer)] = clone_model(layer, clone_function=clone_function, recursive=True, cache=cache,
                                               **({} if isinstance(layer, Sequential)
                                                  else {"call_function": call_function}))
            else:
                cache[id(layer)] = clone_function(layer)
        return cache[id(layer)]
    return wrapped


def _compiled_like(clone, model):
    if getattr(model, "compiled", False):
        clone.compile_from_config(model.get_compile_config())
    return clone


def _clone_sequential(model, clone_function, input_tensors):
    from ..graph import KerasTensor
    from ..layers.input_layer import Input
    layers = [clone_function(layer) for layer in model.layers]
    first = model._input_layer
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(f"Argument `input_tensors` must be a KerasTensor. Received invalid value: "
                             f"input_tensors={input_tensors}")
        layers = [input_tensors] + layers
    elif first is not None:
        layers = [Input(batch_shape=first.batch_shape, dtype=first.dtype, name=first.name)] + layers
    return _compiled_like(Sequential(layers, name=model.name, trainable=model.trainable), model)


def _clone_functional(model, clone_function, input_tensors, call_function, Layer):
    from ..graph import KerasTensor, flatten, map_structure
    from ..layers.input_layer import Input, InputLayer
    if input_tensors is not None:
        given = flatten(input_tensors) if isinstance(input_tensors, (list, tuple, dict)) else [input_tensors]
        if not all(isinstance(t, KerasTensor) for t in given):
            raise ValueError(f"All entries in `input_tensors` must be KerasTensors. Received invalid values: "
                             f"inputs_tensors={input_tensors}")
        if len(given) != len(model.inputs):
            raise ValueError(f"`input_tensors` must have the same structure as model.input\nReference structure: "
                             f"{model.input}\nReceived structure: {input_tensors}")
        new_inputs = input_tensors
    else:
        new_inputs = map_structure(lambda t: Input(batch_shape=t.shape, dtype=t.dtype,
                                                   name=t._keras_history.operation.name), model._inputs_struct)
        given = flatten(new_inputs)
    values = {id(old): new for old, new in zip(model.inputs, given)}

    def get(t):
        return values[id(t)] if isinstance(t, KerasTensor) else t
    for node in model._nodes:
        op = node.operation
        if isinstance(op, InputLayer):
            continue
        if isinstance(op, Layer) and not getattr(op, "_is_operation", False):
            op = clone_function(op)
        args = map_structure(get, node.arguments_args)
        kwargs = map_structure(get, node.arguments_kwargs)
        out = call_function(op, *args, **kwargs) if call_function is not None else op(*args, **kwargs)
        for kt, v in zip(node.outputs, flatten(out) if isinstance(out, (list, tuple, dict)) else [out]):
            values[id(kt)] = v
    outputs = map_structure(get, model._outputs_struct)
    import inspect
    spec = inspect.getfullargspec(type(model).__init__)
    cls = type(model) if spec.args[1:4] == ["inputs", "outputs", "name"] or (spec.varargs and spec.varkw) \
        else Functional
    return _compiled_like(cls(new_inputs, outputs, name=model.name), model)


__all__ = ["Model", "Functional", "Sequential", "load_model", "save_model", "model_from_json", "clone_model"]
