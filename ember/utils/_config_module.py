"""An attribute bag with fixed defaults: what ``torch._dynamo.config`` and ``torch._inductor.config`` are.

A :class:`ConfigModule` is a module whose attributes are settings with PyTorch's defaults.
Reading a name that is not a setting raises ``AttributeError`` (``torch._dynamo.config.X does not
exist``), as in torch. Setting any name is accepted: a program that tunes an option of a backend
ember does not have (``torch._inductor.config.coordinate_descent_tuning = True``) keeps running,
the value kept and read back. Dotted groups (``triton.cudagraphs``) are sub-bags.
``patch(...)`` changes settings for a ``with`` block or a decorated function;
``get_config_copy()`` is a dict of every setting.

>>> cfg = ConfigModule("demo.config", {"verbose": False, "triton.cudagraphs": False})
>>> cfg.triton.cudagraphs = True
>>> with cfg.patch(verbose=True):
...     cfg.verbose
True
>>> cfg.verbose, cfg.get_config_copy()["triton.cudagraphs"]
(False, True)
"""
import contextlib
import copy
import functools
import types

__all__ = ["ConfigModule"]


class _SubConfig:
    """The settings under one dotted prefix (``config.triton``)."""

    def __init__(self, root, prefix):
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name):
        return self._root._get(self._prefix + name)

    def __setattr__(self, name, value):
        self._root._set(self._prefix + name, value)

    def __repr__(self):
        return f"<config group {self._root.__name__}.{self._prefix[:-1]}>"


class ConfigModule(types.ModuleType):
    """A module of settings ``name -> default`` (names may be dotted: ``"triton.cudagraphs"``)."""

    def __init__(self, name, defaults, doc=None):
        super().__init__(name, doc)
        object.__setattr__(self, "_defaults", dict(defaults))
        object.__setattr__(self, "_values", {k: copy.copy(v) for k, v in defaults.items()})
        object.__setattr__(self, "_groups", {k.split(".")[0] for k in defaults if "." in k})

    def _get(self, key):
        values = object.__getattribute__(self, "_values")
        if key in values:
            return values[key]
        if any(k.startswith(key + ".") for k in values):
            return _SubConfig(self, key + ".")
        raise AttributeError(f"{self.__name__}.{key} does not exist")

    def _set(self, key, value):
        self._values[key] = value

    def __getattr__(self, name):  # only for names that are not module attributes
        if name.startswith("__"):
            raise AttributeError(name)
        return self._get(name)

    def __setattr__(self, name, value):
        if name.startswith("__"):
            return super().__setattr__(name, value)
        if name in self._groups:
            raise AttributeError(f"{self.__name__}.{name} is a group of settings; set {name}.<setting>")
        self._set(name, value)

    def __delattr__(self, name):
        # As in torch, a deleted setting no longer exists (reading it raises AttributeError).
        if name in self._values:
            del self._values[name]
            return
        raise AttributeError(f"{self.__name__}.{name} does not exist")

    def __dir__(self):
        return sorted(set(super().__dir__()) | {k.split(".")[0] for k in self._values})

    def get_config_copy(self):
        """Every setting and its value, as a new dict."""
        return copy.deepcopy(self._values)

    def save_config(self):
        """The settings that differ from their defaults (torch pickles them; ember gives the dict)."""
        return {k: v for k, v in self._values.items() if k not in self._defaults or v != self._defaults[k]}

    def load_config(self, config):
        """Apply a dict from :meth:`save_config` or :meth:`get_config_copy`."""
        self._values.update(config)

    def to_dict(self):
        return self.get_config_copy()

    def patch(self, arg1=None, arg2=None, **changes):
        """``patch("name", value)``, ``patch({"name": value})`` or ``patch(name=value)``: a context
        manager that also works as a decorator; the old values come back at its end."""
        if isinstance(arg1, str):
            changes[arg1] = arg2
        elif isinstance(arg1, dict):
            changes.update(arg1)
        elif arg1 is not None:
            raise TypeError(f"{self.__name__}.patch: expected a name and a value, a dict or keyword "
                            f"arguments, got {type(arg1).__name__}")
        for key in changes:
            self._get(key)  # unknown names fail here, as in torch
        return _Patch(self, changes)


class _Patch(contextlib.ContextDecorator):
    def __init__(self, config, changes):
        self.config, self.changes, self.saved = config, changes, []

    def __enter__(self):
        self.saved.append({k: self.config._values[k] for k in self.changes})
        self.config._values.update(self.changes)
        return self

    def __exit__(self, *exc):
        self.config._values.update(self.saved.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def patched(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return patched
