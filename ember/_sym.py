"""torch's SymInt-aware helpers (``torch.sym_int``, ``sym_max`` ...) and the ``SymInt`` / ``SymFloat`` /
``SymBool`` classes. ember traces no symbolic shapes, so every size is a plain Python number: the helpers
compute on numbers as torch's do on them, and no value is ever an instance of the Sym classes (code that
asks ``isinstance(n, torch.SymInt)`` takes its concrete-size path).

>>> sym_max(1, 2.5), sym_int(-2.7), sym_ite(True, "a", "b"), sym_sum([1, 2, 3])
(2.5, -2, 'a', 6)
"""
import builtins
import math
import numbers

__all__ = ["SymInt", "SymFloat", "SymBool", "sym_not", "sym_float", "sym_int", "sym_max", "sym_min", "sym_ite",
           "sym_sum", "sym_sqrt", "get_device_module"]


class SymInt:
    """A symbolic integer of a traced shape; ember has none (no value is one)."""


class SymFloat:
    """A symbolic float of a traced shape; ember has none (no value is one)."""


class SymBool:
    """A symbolic bool of a traced shape; ember has none (no value is one)."""


def sym_not(a):
    """``not a``."""
    return not a


def sym_float(a):
    """``float(a)``."""
    return builtins.float(a)


def sym_int(a):
    """``int(a)`` (truncating toward zero)."""
    return builtins.int(a)


def _check_number(a):
    if not isinstance(a, (numbers.Integral, numbers.Real)):
        raise AssertionError(f"expected (<class 'int'>, <class 'float'>), got {type(a)}")


def _extreme(pick, a, b):
    _check_number(a)
    _check_number(b)
    if not isinstance(a, numbers.Integral) or not isinstance(b, numbers.Integral):
        return builtins.float(pick(a, b))   # a float on either side makes the result a float, as torch
    return pick(a, b)


def sym_max(a, b):
    """``max(a, b)``, a float if either is a float (``sym_max(1, 1.0) == 1.0``)."""
    return _extreme(builtins.max, a, b)


def sym_min(a, b):
    """``min(a, b)``, a float if either is a float."""
    return _extreme(builtins.min, a, b)


def sym_ite(b, t, f):
    """``t if b else f``; ``b`` must be a bool and ``t``, ``f`` of one type."""
    if not isinstance(b, builtins.bool):
        raise AssertionError(f"expected SymBool or bool, got {type(b)}")
    if type(t) is not type(f):
        raise AssertionError(f"type mismatch: {type(t)} vs {type(f)}")
    return t if b else f


def sym_sum(*args):
    """The sum of ``args`` (``sym_sum([a, b, c])`` or ``sym_sum(a, b, c)``)."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    return builtins.sum(args)


def sym_sqrt(a):
    """``math.sqrt(a)``."""
    return math.sqrt(a)


def get_device_module(device=None):
    """The module of ``device``'s type (``torch.cpu`` for ``"cpu"``; with no device, the current
    accelerator's, which in ember is the CPU's)."""
    import importlib

    from .autograd.tensor import device as _device
    if device is None:
        name = "cpu"
    elif isinstance(device, str) and ":" not in device and device.isidentifier():
        name = device
    else:
        name = _device(device).type
    try:
        return importlib.import_module(f"ember.{name}")
    except ImportError:
        raise RuntimeError(f"Device '{name}' does not have a corresponding module registered as 'torch.{name}'.") \
            from None
