"""Keras's dtype names and type-promotion rules (``keras.backend.result_type``) over ember's dtypes.

Keras promotes over a JAX-style lattice, not PyTorch's categories: Python ``int`` and ``float`` are
*weak* types that take the other operand's width (``int8`` array + ``1`` stays ``int8``; ``int32``
array + ``1.5`` is ``float32``), ``uint8 + int8`` is ``int16``, and a 64-bit result is narrowed to 32
bits (as the JAX and PyTorch backends do). ember has no unsigned type wider than ``uint8``, so
``uint16``/``uint32`` map to the next signed type.

>>> result_type("int8", int), result_type("int32", float), result_type("uint8", "int8")
('int8', 'float32', 'int16')
"""
import functools

import numpy as np

from ...backend import dtypes as _dt

_LATTICE = {
    "bool": ["int"], "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"], "uint32": ["int64", "uint64"],
    "uint64": ["float"], "int": ["uint8", "int8"], "int8": ["int16"], "int16": ["int32"], "int32": ["int64"],
    "int64": ["float"], "float": ["bfloat16", "float16"], "bfloat16": ["float32"], "float16": ["float32"],
    "float32": ["float64"], "float64": [],
}


def _upper_bounds():
    ub = {}
    for node in _LATTICE:
        seen, todo = {node}, [node]
        while todo:
            for up in _LATTICE[todo.pop()]:
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        ub[node] = seen
    return ub


_UB = _upper_bounds()
_NARROW = {"int64": "int32", "uint64": "uint32", "float64": "float32"}
_PY = {bool: "bool", int: "int32", float: "float32"}
# ember's storage for Keras names it has no dtype of its own for.
_STORAGE = {"uint16": "int32", "uint32": "int64", "uint64": "int64", "bfloat16": "float32"}


def floatx():
    from .. import backend
    return backend.floatx()


def standardize_dtype(dtype):
    """Keras's name for ``dtype`` (None is ``floatx()``; Python ``int`` is ``int32``)."""
    if dtype is None:
        return floatx()
    if dtype in _PY:
        return _PY[dtype]
    if isinstance(dtype, _dt.dtype):
        return dtype.name
    if isinstance(dtype, str):
        if dtype in ("int", "float"):
            return _PY[int] if dtype == "int" else floatx()
        if dtype in _LATTICE or dtype == "bool":
            return dtype
    name = getattr(dtype, "name", None)
    if name is None and hasattr(dtype, "__module__") and str(dtype).startswith("torch."):
        name = str(dtype)[6:]
    try:
        return np.dtype(name if isinstance(name, str) else dtype).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}") from None


def to_ember_dtype(dtype):
    """The ember dtype that stores Keras dtype ``dtype``."""
    name = standardize_dtype(dtype)
    return _dt._NAMES[_STORAGE.get(name, name)]


@functools.lru_cache(512)
def _lub(nodes):
    common = set.intersection(*(_UB[n] for n in nodes))
    least = (common & set(nodes)) or {c for c in common if common <= _UB[c]}
    if len(least) != 1:
        raise ValueError(f"Input dtypes {tuple(nodes)} have no implicit dtype promotion path. Try explicitly "
                         "casting inputs to the desired output type.")
    return least.pop()


def _weak_kind(name):
    return "bool" if name == "bool" else "float" if "float" in name else "int"


def result_type(*dtypes):
    """Keras's result dtype of an op over ``dtypes`` (names, ember/NumPy dtypes, or ``int``/``float``)."""
    if not dtypes:
        return floatx()
    parsed = [(standardize_dtype(d), d is int or d is float) for d in dtypes]
    names = [n for n, _ in parsed]
    weak = [w for _, w in parsed]
    if len(parsed) == 1:
        out, out_weak = parsed[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _lub(frozenset(names)), True
    else:
        out = _lub(frozenset(_weak_kind(n) if w else n for n, w in parsed))
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":
        prec = floatx()[-2:]
        out = "bool" if out == "bool" else (f"int{prec}" if out.startswith("int") else
                                           f"uint{prec}" if out.startswith("u") else f"float{prec}")
    return _NARROW.get(out, out)


def is_float(dtype):
    return "float" in standardize_dtype(dtype)


def is_int_or_bool(dtype):
    name = standardize_dtype(dtype)
    return "int" in name or name == "bool"
