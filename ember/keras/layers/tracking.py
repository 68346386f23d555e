"""Layers kept in a list or dict attribute are sub-layers, as in Keras (``self.experts = [Dense(4), ...]``).

Keras tracks the layers a layer holds in lists (also those appended later) and dicts: their weights are
the layer's, in the order the layers were added, ``fit`` trains them, and ``layers`` lists them. Here
``layer.blocks = [a, b]`` stays a list (a :class:`TrackedList`) and registers ``a`` and ``b`` as child
modules ``blocks.0`` and ``blocks.1`` (the keys torch's ``ModuleList`` gives ``state_dict``); appending,
inserting or removing re-registers them in place, so that weights keep their order. A dict's layers are
registered once, when the dict is assigned (``heads.<key>``).

>>> from ember import keras
>>> class Block(keras.layers.Layer):
...     def __init__(self):
...         super().__init__()
...         self.denses = []
...         for units in (3, 2):
...             self.denses.append(keras.layers.Dense(units))
...     def call(self, x):
...         for dense in self.denses:
...             x = dense(x)
...         return x
>>> block = Block()
>>> _ = block(keras.ops.ones((1, 4)))
>>> [tuple(w.shape) for w in block.weights]
[(4, 3), (3,), (3, 2), (2,)]
"""
from ... import nn
from .. import autocast as _autocast


def _read(value):
    from ..variables import Variable
    return _autocast.maybe_autocast(value) if isinstance(value, Variable) else value


class TrackedList(list):
    """A list whose modules are registered in its owner layer (re-synced on every change). Inside a
    mixed-precision call, the float variables it holds are read in the compute dtype, as an attribute's are
    (``self.kernels = [self.add_weight(...), ...]``)."""

    def __init__(self, items, owner, name):
        super().__init__(items)
        self._owner, self._name = owner, name

    def __getitem__(self, index):
        item = list.__getitem__(self, index)
        if _autocast.get_autocast_scope() is None:
            return item
        if isinstance(index, slice):
            return [_read(v) for v in item]
        return _read(item)

    def __iter__(self):
        if _autocast.get_autocast_scope() is None:
            return list.__iter__(self)
        return (_read(v) for v in list.__iter__(self))

    def _changed(self):
        owner = self.__dict__.get("_owner")
        if owner is not None and "_modules" in owner.__dict__:   # (a copy being rebuilt has no owner yet)
            sync(owner, self._name, self)


def _mutator(method):
    def wrapper(self, *args, **kwargs):
        out = getattr(list, method)(self, *args, **kwargs)
        self._changed()
        return out
    wrapper.__name__ = method
    return wrapper


for _method in ("append", "extend", "insert", "remove", "pop", "clear", "__setitem__", "__delitem__",
                "__iadd__", "sort", "reverse"):
    setattr(TrackedList, _method, _mutator(_method))


def _modules_in(container):
    if isinstance(container, dict):
        return [(str(k), v) for k, v in container.items() if isinstance(v, nn.Module)]
    return [(str(i), v) for i, v in enumerate(container) if isinstance(v, nn.Module)]


def sync(owner, name, container):
    """Register ``container``'s modules in ``owner._modules`` as ``<name>.<key>``, where the old ones were
    (or at the end), keeping every other child where it is."""
    modules = owner.__dict__["_modules"]
    prefix = f"{name}."
    items = list(modules.items())
    at = next((i for i, (k, _) in enumerate(items) if k.startswith(prefix)), len(items))
    kept = [(k, v) for k, v in items if not k.startswith(prefix)]
    before = sum(1 for k, _ in items[:at] if not k.startswith(prefix))
    new = [(prefix + key, module) for key, module in _modules_in(container)]
    modules.clear()
    modules.update(kept[:before] + new + kept[before:])


def track(owner, name, value):
    """The value to store for ``owner.<name> = value``: a list becomes a TrackedList; the modules in a list or
    dict are registered. Anything else is returned as it is."""
    modules = owner.__dict__.get("_modules")
    if modules is None:
        return value
    if any(k.startswith(f"{name}.") for k in modules):
        sync(owner, name, ())          # a new value replaces the modules of the old one
    if type(value) is list:
        value = TrackedList(value, owner, name)
        sync(owner, name, value)
    elif type(value) is dict and any(isinstance(v, nn.Module) for v in value.values()):
        sync(owner, name, value)
    return value


def list_name(key):
    """``'blocks'`` for a key ``'blocks.0'`` registered from a list or dict, else None."""
    return key.split(".", 1)[0] if "." in key else None
