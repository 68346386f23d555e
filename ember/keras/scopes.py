"""Keras's context managers: ``name_scope``, ``device``, ``StatelessScope`` and ``SymbolicScope``.

* ``name_scope(name)``: nests names (``current_path()`` is ``'outer/inner'``), as Keras does for paths;
* ``device('cpu')``: ember runs on the CPU, so ``'cpu'`` / ``'cpu:0'`` are accepted and anything else
  raises a clear error;
* ``StatelessScope(state_mapping=[(variable, value), ...])``: inside it the variables read as the given
  values and ``assign`` records new values in the scope (``get_current_value``) instead of changing them;
  on exit every variable has its old value again;
* ``SymbolicScope()``: marks code that traces symbolically (``in_symbolic_scope()``).

>>> from ember import keras
>>> v = keras.Variable(1.0)
>>> with keras.StatelessScope(state_mapping=[(v, 5.0)]) as scope:
...     _ = v.assign(v + 1.0)
>>> float(v.numpy()), float(scope.get_current_value(v).numpy())
(1.0, 6.0)
"""
import threading

import numpy as np

from ..autograd.tensor import make

_state = threading.local()


def _stack(name):
    if not hasattr(_state, name):
        setattr(_state, name, [])
    return getattr(_state, name)


class name_scope:
    """``with keras.name_scope('block1'):`` nests ``name`` in the current path (Keras's rules).

    A layer opens ``name_scope(layer.name, caller=layer)`` while it builds and calls, so the variables it
    creates get paths such as ``'sequential/dense/kernel'``. ``override_parent`` makes the scope absolute
    (the path starts again from it); a ``caller`` whose ``_parent_path`` is known (a layer remembers where it
    was first used) gets that as its parent, so a layer keeps one path wherever it is called again. With
    ``deduplicate``, re-entering the same caller's scope, directly inside it, adds nothing.
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character `/`. Received: "
                             f"name={name}")
        self.name, self.caller, self.deduplicate = name, caller, deduplicate
        if override_parent is None and deduplicate and getattr(caller, "_parent_path", None) is not None:
            override_parent = caller._parent_path
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self):
        stack = _stack("names")
        if self.deduplicate and stack and self.caller is not None and stack[-1].caller is self.caller \
                and stack[-1].name == self.name:
            return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc):
        if self._pushed:
            _stack("names").pop()
            self._pushed = False


def current_path():
    """The names of the open ``name_scope`` s joined by ``/`` (an ``override_parent`` restarts the path)."""
    parts = []
    for scope in _stack("names"):
        if scope.override_parent is not None:
            parts = [p for p in scope.override_parent.split("/") if p]
        parts.append(scope.name)
    return "/".join(parts)


def scoped_name(name):
    """``name`` under the current path: ``'outer/name'`` inside ``name_scope('outer')``, else ``name``."""
    parent = current_path()
    return f"{parent}/{name}" if parent else name


class device:
    """``with keras.device('cpu:0'):``; ember computes on the CPU only."""

    def __init__(self, device_name):
        name = str(device_name).lower()
        if name.split(":")[0] not in ("cpu", "/cpu", "/device"):
            raise ValueError(f"keras.device({device_name!r}): ember runs on the CPU only; use 'cpu'")
        self.device_name = device_name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class StatelessScope:
    """Variables read as ``state_mapping``'s values inside the scope; assignments are kept in the scope."""

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        self.collect_losses, self.initialize_variables = collect_losses, initialize_variables
        self.losses = []
        self._mapping = []
        for variable, value in state_mapping or []:
            a = value._data if hasattr(value, "_data") else np.asarray(value)
            if tuple(a.shape) != tuple(variable.shape):
                raise ValueError(f"Invalid variable value in StatelessScope: all values in argument "
                                 f"`mapping` must be tensors with a shape that matches the corresponding "
                                 f"variable shape. For variable {variable.path}, received invalid value "
                                 f"{value} with shape {a.shape}.")
            self._mapping.append((variable, a))
        self._saved = {}

    def _take(self, variable):
        """Give ``variable`` a scratch copy of its value for the scope (once)."""
        if id(variable) not in self._saved:
            self._saved[id(variable)] = (variable, variable._data)
            variable._data = np.array(variable._data, copy=True)

    def __enter__(self):
        for variable, a in self._mapping:
            self._take(variable)
            variable._data[...] = a
            variable._bump()
        _stack("stateless").append(self)
        return self

    def add_update(self, variable):
        self._take(variable)

    def get_current_value(self, variable):
        """The variable's value inside the scope (None if the scope never saw it)."""
        entry = self._saved.get(id(variable))
        if entry is None:
            return None
        return make(self._values[id(variable)] if hasattr(self, "_values") else variable._data)

    def add_loss(self, loss):
        self.losses.append(loss)

    def __exit__(self, *exc):
        _stack("stateless").pop()
        self._values = {}
        for key, (variable, original) in self._saved.items():
            self._values[key] = variable._data
            variable._data = original
            variable._bump()
        return False


def in_stateless_scope():
    return bool(_stack("stateless"))


def get_stateless_scope():
    stack = _stack("stateless")
    return stack[-1] if stack else None


class SymbolicScope:
    """Marks symbolic tracing (``in_symbolic_scope()`` is True inside)."""

    def __enter__(self):
        _stack("symbolic").append(self)
        return self

    def __exit__(self, *exc):
        _stack("symbolic").pop()
        return False


def in_symbolic_scope():
    return bool(_stack("symbolic"))
