"""Numeric limits and casting rules of ember's dtypes: ``finfo``, ``iinfo``, ``can_cast``,
``result_type`` (PyTorch's names and fields).

>>> import ember
>>> ember.finfo(ember.float32).eps
1.1920928955078125e-07
>>> ember.iinfo(ember.int8).max
127
"""
import numpy as np

from . import dtypes as _dt


class finfo:
    """Limits of a floating dtype: ``bits, eps, max, min, tiny, smallest_normal, resolution, dtype``."""

    def __init__(self, type=None):
        d = _dt.get_default_dtype() if type is None else _dt.to_dtype(type)
        d = d.to_real()  # a complex dtype has the limits of its parts, as in PyTorch
        if not d.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{d.name}'")
        eight = d.name.startswith("float8")
        if d.numpy.kind == "V" or eight:  # NumPy's finfo knows only its own types; ml_dtypes has one for its own
            import ml_dtypes
            f = ml_dtypes.finfo(d.numpy)
        else:
            f = np.finfo(d.numpy)
        self.bits = f.bits
        self.eps = 0.125 if d.name == "float8_e5m2fnuz" else float(f.eps)   # PyTorch's value (ml_dtypes: 0.25)
        self.max = float(f.max)
        self.min = float(f.min)
        self.tiny = self.smallest_normal = float(f.smallest_normal)
        self.resolution = 1.0 if eight else 10.0 ** -int(f.precision)   # PyTorch's float8 resolution is 1
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer (or bool) dtype: ``bits, max, min, dtype``."""

    def __init__(self, type):
        d = _dt.to_dtype(type)
        if d.is_floating_point:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            f"'{d.name}'")
        if d is _dt.bool_:
            self.bits, self.min, self.max = 8, 0, 1
        else:
            i = np.iinfo(d.numpy)
            self.bits, self.min, self.max = i.bits, int(i.min), int(i.max)
        self.dtype = d.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow ``from_`` -> ``to``: never float to integer, nor non-bool to bool."""
    a, b = _dt.to_dtype(from_), _dt.to_dtype(to)
    return a.category <= b.category


def promote_types(type1, type2):
    """The smallest dtype that both dtypes cast to, by PyTorch's rules (``float32`` with ``int64`` is float32)."""
    return _dt.promote_types(_dt.to_dtype(type1), _dt.to_dtype(type2))


def _is_scalar(x):
    return isinstance(x, (bool, int, float, complex, np.generic))


def result_type(tensor, other):
    """The dtype of an arithmetic op on ``tensor`` and ``other`` (tensors or Python scalars)."""
    if _is_scalar(tensor) and _is_scalar(other):
        a, b = _dt.scalar_dtype(_py(tensor)), _dt.scalar_dtype(_py(other))
        return a if a.category >= b.category else b
    if _is_scalar(tensor):
        tensor, other = other, tensor
    if _is_scalar(other):
        return _dt.promote_scalar(tensor.dtype, _py(other))
    return _dt.promote(tensor, other)


def _py(x):
    return x.item() if isinstance(x, np.generic) else x
