"""Whole modules in ember's checkpoints, stored as data, rebuilt without running code from the file.

``ember.save(model)`` stores an ``nn.Module`` (any subclass, with its children) as a tree of
plain data: a node names the class by module and qualified name and holds the object's
``__dict__`` (numbers, strings, tuples, lists, dicts, sets, None, dtypes, tensors, child
modules, and references to module-level classes and functions such as an activation), encoded
as every other value in the file. Nothing is pickled.

Loading looks each named class or function up, and only there can a file reach code; so it is
strict about which names it will look up:

* names allow-listed with :func:`add_safe_globals` or inside :func:`safe_globals` are found by
  comparing names with the allow-list, without importing anything;
* with ``weights_only=False``, ember's own module classes (subclasses of ``ember.nn.Module``
  defined in ``ember``) and ember's own functions are looked up too, and so are ``nn.Module``
  subclasses of modules the program has already imported (``__main__.Net`` of the running
  script: PyTorch's "save the entire model" idiom). Such a lookup reads ``sys.modules``; it never
  imports a module the file names, so no code the program has not already run is reached. Plain-data
  classes of such modules (dataclasses, namedtuples, ``argparse.Namespace``: the config or parsed
  arguments a training checkpoint keeps) are looked up the same way;
* anything else (a module not yet imported, any other class that is not an ``nn.Module``, a function
  such as ``os.system``) is refused with an error naming it and the call that allows it. With
  ``weights_only=True`` (PyTorch's default) every class must be allow-listed, ember's own too,
  as in PyTorch.

A rebuilt object is made with ``cls.__new__(cls)`` and given its state with ``__setstate__``
(ember's ``Module`` defines one) or by updating ``__dict__``; no ``__init__`` runs.

>>> import io, ember
>>> from ember import nn
>>> buffer = io.BytesIO()
>>> ember.save(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), buffer)
>>> _ = buffer.seek(0)
>>> ember.load(buffer, weights_only=False)
Sequential(
  (0): Linear(in_features=2, out_features=3, bias=True)
  (1): ReLU()
)
"""
import contextlib
import importlib
import pickle
import sys
import types

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals", "RefusedGlobal"]

_allowed = []


class RefusedGlobal(pickle.UnpicklingError):
    """A checkpoint names a class or function that ``ember.load`` will not look up."""


def _full_name(entry):
    if isinstance(entry, tuple):
        if len(entry) != 2 or not isinstance(entry[1], str):
            raise TypeError(f"add_safe_globals: expected a class or function, or a (class or function, "
                            f"'module.name') pair, got {entry!r}")
        return entry[1]
    return f"{entry.__module__}.{entry.__qualname__}"


def add_safe_globals(safe_globals):
    """Allow ``ember.load`` to rebuild these classes (and refer to these functions).

    Args:
        safe_globals (list): classes or functions, or ``(obj, "module.qualname")`` pairs to allow
            ``obj`` under the name a file uses for it.
    """
    for entry in safe_globals:
        _full_name(entry)
        if entry not in _allowed:
            _allowed.append(entry)


def get_safe_globals():
    """The allow-list, as given to :func:`add_safe_globals`."""
    return list(_allowed)


def clear_safe_globals():
    _allowed.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allow these globals inside the ``with`` block only.

    >>> from ember import nn
    >>> with safe_globals([nn.Linear]):
    ...     nn.Linear in get_safe_globals()
    True
    """
    saved = list(_allowed)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _allowed[:] = saved


def _allow_listed(name):
    for entry in _allowed:
        if _full_name(entry) == name:
            return entry[0] if isinstance(entry, tuple) else entry
    return None


def is_module(obj_or_cls):
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return any(c.__name__ == "Module" and c.__module__ == "ember.nn.module" for c in cls.__mro__)


def is_plain_data(cls):
    """Whether instances of ``cls`` are plain data that a checkpoint may hold as their ``__dict__``: a
    dataclass, ``argparse.Namespace`` or ``types.SimpleNamespace`` (a run's config or its parsed arguments);
    namedtuples are stored by their items."""
    import dataclasses
    if dataclasses.is_dataclass(cls):
        return True
    return any((c.__module__, c.__qualname__) in (("argparse", "Namespace"), ("types", "SimpleNamespace"))
               for c in cls.__mro__)


def _is_namedtuple(cls):
    return issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple)


def reference(obj):
    """``{"module": ..., "name": ...}`` for a module-level class or function, or None if it has no
    importable name (a lambda, a nested function, a bound method)."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or "<" in name:
        return None
    return {"module": module, "name": name}


def _ember_own(module, name, want_class):
    """Look up ``module.name`` if it is ember's own class (an nn.Module) or function, else None."""
    parts = module.split(".")
    # Importing an ember module runs only ember's code, but never its __main__ (the command line).
    if parts[0] != "ember" or any(not p.isidentifier() or p.startswith("__") for p in parts):
        return None
    if any(not p.isidentifier() or p.startswith("__") for p in name.split(".")):
        return None
    try:
        value = importlib.import_module(module)
        for part in name.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError):
        return None
    if getattr(value, "__module__", None) != module or getattr(value, "__qualname__", None) != name:
        return None
    if want_class:
        return value if isinstance(value, type) and is_module(value) else None
    return value if isinstance(value, types.FunctionType) else None


def _already_loaded_module_class(module, name):
    """``module.name`` if ``module`` is already imported and the value is an nn.Module subclass or a
    plain-data class (:func:`is_plain_data`, or a namedtuple) defined there; never imports anything."""
    if any(not p.isidentifier() for p in name.split(".")) or "<locals>" in name:
        return None
    value = sys.modules.get(module)
    try:
        for part in name.split("."):
            value = getattr(value, part)
    except AttributeError:
        return None
    if not (isinstance(value, type) and (is_module(value) or is_plain_data(value) or _is_namedtuple(value))):
        return None
    if getattr(value, "__module__", None) != module or getattr(value, "__qualname__", None) != name:
        return None
    return value


def resolve(ref, weights_only, source, what):
    """The class or function that ``ref`` names, if the policy allows looking it up."""
    if not (isinstance(ref, dict) and isinstance(ref.get("module"), str) and isinstance(ref.get("name"), str)):
        raise ValueError(f"{source}: corrupt ember structure: a {what} reference must have a module and a name, "
                         f"got {ref!r}")
    module, name = ref["module"], ref["name"]
    full = f"{module}.{name}"
    value = _allow_listed(full)
    if value is None and not weights_only:
        value = _ember_own(module, name, want_class=what == "class")
        if value is None and what == "class":
            value = _already_loaded_module_class(module, name)
    if value is not None:
        return value
    short = name.rpartition(".")[2]
    hint = f"allow it with ember.serialization.add_safe_globals([{short}]) (or inside " \
           f"ember.serialization.safe_globals([{short}])) if you trust " \
           f"{'this file' if source == '<file>' else source}"
    if weights_only:
        own = "; ember's own classes also load with weights_only=False" if module.split(".")[0] == "ember" else ""
        raise RefusedGlobal(f"ember.load: refusing to rebuild {what} '{full}' with weights_only=True; {hint}{own}")
    if what == "class" and module not in sys.modules:
        hint = f"its module '{module}' is not imported (ember never imports what a file names): import it first, or " + hint
    raise RefusedGlobal(f"ember.load: refusing to rebuild {what} '{full}'; {hint}")


def set_state(obj, state, source):
    """Give ``obj`` (made with ``cls.__new__``, no ``__init__``) its saved ``state``."""
    if not isinstance(state, dict):
        raise ValueError(f"{source}: corrupt ember structure: the state of a {type(obj).__qualname__} must be "
                         f"a dict")
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None:
        setstate(state)
    else:
        obj.__dict__.update(state)


def names_in(tree):
    """Every class and function named in a decoded-JSON structure, as ``"module.name"`` strings."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("@") in ("object", "global"):
                ref = node.get("class") if node["@"] == "object" else node
                if isinstance(ref, dict):
                    found.append(f"{ref.get('module')}.{ref.get('name')}")
            stack.extend(v for k, v in node.items() if k != "class")
    return sorted(set(found))
