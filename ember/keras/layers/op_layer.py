"""The graph node of a ``keras.ops`` function called on symbolic tensors (see ``ember/keras/ops/symbolic.py``).

Keras records ``ops.expand_dims(x, -1)`` on a ``KerasTensor`` as an ``Operation`` of the functional graph (here an
``ExpandDims``): it runs in the model but is not one of ``Model.layers`` and has no weights; it takes an automatic
name from its class as layers do (``expand_dims``, then ``expand_dims_1``; a later ``layers.Concatenate()`` after
an ``ops.concatenate`` is ``concatenate_1``), and the summary lists it. :class:`OpLayer` is that node, one class
per Keras operation (``type(node).__name__`` is ``'ExpandDims'``): the op's arguments Keras's class takes in its
constructor are its config (``{'name': 'expand_dims', 'axis': -1}``), the others the arguments of its call, so
that a functional model using ops saves and loads in Keras's format, both ways (``_keras_operations.py``). Its
output shape comes from running the op on placeholders.

>>> from ember import keras
>>> x = keras.Input((3,))
>>> model = keras.Model(x, keras.ops.expand_dims(keras.layers.Dense(2)(x), -1))
>>> [type(layer).__name__ for layer in model.layers], model.output.shape
(['InputLayer', 'Dense'], (None, 2, 1))
"""
import functools
import inspect

import numpy as np

from .. import backend
from ..ops._keras_operations import ALIASES, OPERATIONS
from .layer import Layer

_KERAS_CLASSES = {(module, entry[1]): name for name, entry in OPERATIONS.items()
                  for module in (f"keras.src.ops.{entry[0]}",)}


class OpLayer(Layer):
    """Runs ``op(*call_args, **call_kwargs, **config)``; made by the ops themselves when given symbolic tensors
    (:meth:`from_call`), or from a saved config (one subclass per Keras operation class)."""

    _is_operation = True
    _autocast = False   # an op keeps its inputs' dtypes (ops.cast(x, 'float64') would be undone)
    _keras_entry = None   # (module, class, constructor args, call args, call keyword args) of Keras's operation

    def __init__(self, op, config=None, op_name=None, **kwargs):
        op_name = op_name or getattr(op, "__name__", "op")
        entry = _entry(op_name)
        if "name" not in kwargs:
            # as Keras's Operation: an automatic name from the class, numbered with the layers' names
            kwargs["name"] = backend.unique_name(backend.to_snake_case(entry[1]) if entry else op_name)
        super().__init__(**kwargs)
        self.__dict__["op"] = op
        self.__dict__["_op_name"] = op_name
        self.__dict__["_op_config"] = dict(config or {})

    @classmethod
    def from_call(cls, op, args, kwargs, op_name=None):
        """The node of ``op(*args, **kwargs)`` (the op ``keras.ops.<op_name>``) and the arguments of its call,
        split as Keras's operation class splits them (the constructor's into the config)."""
        op_name = op_name or getattr(op, "__name__", "op")
        entry = _entry(op_name)
        if entry is None:
            return OpLayer(op, op_name=op_name), args, kwargs
        bound = _signature(op).bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        for p in _signature(op).parameters.values():
            if p.kind is p.VAR_KEYWORD:
                values.update(values.pop(p.name, {}))
        _, _, init, positional, keywords = entry
        config = {k: values[k] for k in init if k in values}
        call_args = []
        for name in positional:
            if name.startswith("*"):
                call_args.extend(values.get(name[1:], ()))
            else:
                call_args.append(values.get(name))
        call_kwargs = {k: values[k] for k in keywords if k in values}
        return _node_class(op_name)(op, config, op_name=op_name), tuple(call_args), call_kwargs

    def _build_for_call(self, args, kwargs):
        self.built = True   # no weights; the first argument may be a number (ops.power(2.0, x), 2.0 ** x)

    def call(self, *args, **kwargs):
        entry = _entry(self._op_name)
        if entry is None:
            return self.op(*args, **kwargs)
        values = dict(self._op_config)
        values.update(kwargs)
        rest = ()
        for i, name in enumerate(entry[3]):
            if name.startswith("*"):
                rest = tuple(args[i:])
                break
            if i < len(args):
                values[name] = args[i]
        if entry[1] == "GetItem" and isinstance(values.get("key"), list):
            values["key"] = tuple(values["key"])   # a saved key (JSON has no tuples), as Keras's GetItem reads it
        positional, keywords, seen_var = [], {}, False
        for p in _signature(self.op).parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                positional.extend(rest)
                seen_var = True
            elif p.kind is p.VAR_KEYWORD:
                keywords.update({k: v for k, v in values.items() if k not in _signature(self.op).parameters})
            elif p.name in values:
                if p.kind is p.POSITIONAL_ONLY or (not seen_var and _has_var_positional(self.op)):
                    positional.append(values[p.name])
                else:
                    keywords[p.name] = values[p.name]
        return self.op(*positional, **keywords)

    def get_config(self):
        if _entry(self._op_name) is None:
            raise NotImplementedError(f"ember.keras cannot serialize the operation keras.ops.{self._op_name} "
                                      "applied to symbolic tensors in a functional model (Keras has no operation of "
                                      "that name); wrap it in a keras.layers.Lambda or a Layer subclass to save "
                                      "the model")
        return {"name": self.name, **{k: _jsonable(v) for k, v in self._op_config.items()}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        name = config.pop("name", None)
        for key in ("trainable", "dtype"):    # a layer's keys, unless the operation takes them (Cast's dtype)
            if key not in cls._keras_entry[2]:
                config.pop(key, None)
        op = _op_of(cls._keras_entry_name)
        return cls(op, config, op_name=cls._keras_entry_name, **({"name": name} if name else {}))


def operation_class(module, class_name):
    """The OpLayer class of Keras's operation ``module.class_name`` (``keras.src.ops.numpy``, ``Mean``), or None."""
    name = _KERAS_CLASSES.get((module, class_name))
    return None if name is None else _node_class(name)


def _op_of(name):
    from .. import ops
    for where in (ops, ops.nn, ops.image, ops.linalg, ops.math, ops.core, ops.numpy):
        fn = getattr(where, name, None)
        if fn is not None:
            return inspect.unwrap(fn) if getattr(fn, "_symbolic_aware", False) else fn
    from ..graph import get_item
    if name == "get_item":
        return get_item
    raise ValueError(f"ember.keras has no keras.ops.{name}")


def _entry(op_name):
    return OPERATIONS.get(ALIASES.get(op_name, op_name))


@functools.lru_cache(maxsize=None)
def _node_class(op_name):
    """The OpLayer subclass named after Keras's class of ``keras.ops.<op_name>`` (``ExpandDims``)."""
    entry = _entry(op_name)
    if entry is None:
        return OpLayer
    return type(entry[1], (OpLayer,), {"_keras_entry": entry, "_keras_entry_name": ALIASES.get(op_name, op_name),
                                       "_keras_module": f"keras.src.ops.{entry[0]}",
                                       "__module__": __name__, "__doc__": f"Keras's ``{entry[1]}`` operation."})


@functools.lru_cache(maxsize=None)
def _signature(op):
    return inspect.signature(op)


def _has_var_positional(op):
    return any(p.kind is p.VAR_POSITIONAL for p in _signature(op).parameters.values())


def _jsonable(value):
    """A config value as Keras writes it (tuples as lists, NumPy values as numbers or ``__numpy__``, dtypes by
    name)."""
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value.item()
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    name = getattr(value, "name", None)   # a dtype
    if isinstance(name, str):
        return name
    raise ValueError(f"Cannot save the argument {value!r} of a keras.ops operation in a model config")
