"""Ember's dtypes and PyTorch's type-promotion rules, over NumPy dtypes.

Each ``ember.dtype`` wraps one NumPy dtype. Promotion follows PyTorch, not NumPy:
categories are ordered bool < integer < floating < complex; a Python scalar or a 0-d tensor
only changes the result's dtype when its category is higher than every
dimensioned operand's, and an integer tensor meeting a Python float becomes the
default float dtype (float32), where NumPy would give float64.

>>> import ember
>>> (ember.ones(2, dtype=ember.int32) + 1.5).dtype
ember.float32
"""
import numpy as np

# The module name dtypes print with: "ember", or "torch" while ember runs a program written for PyTorch
# (ember.compat.present_as_torch), whose logs and ``str(x.dtype) == "torch.float32"`` checks expect it.
PREFIX = ["ember"]


class dtype:
    """A tensor element type, e.g. ``ember.float32``; ``.numpy`` is the NumPy dtype."""

    __slots__ = ("name", "numpy", "itemsize", "is_floating_point", "is_complex", "is_signed", "category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.numpy = np.dtype(np_dtype)
        self.itemsize = self.numpy.itemsize
        self.category = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = name != "bool" and not name.startswith("uint")

    def __repr__(self):
        return PREFIX[0] + "." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        """The real dtype of a complex one's parts (complex64 -> float32); other dtypes map to themselves."""
        return _REAL_OF.get(self, self)

    def to_complex(self):
        """The complex dtype with parts of this floating dtype (float32 -> complex64)."""
        if self.category == 3:
            return self
        if self.category != 2:
            raise RuntimeError(f"to_complex is only supported for floating point dtypes, got {self}")
        return complex128 if self is float64 else complex64


def _by_name(name):
    return _NAMES[name]


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
# PyTorch's "limited support" unsigned types: they hold data and convert, but promote with nothing.
uint16 = dtype("uint16", np.uint16, 1)
uint32 = dtype("uint32", np.uint32, 1)
uint64 = dtype("uint64", np.uint64, 1)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)
_REAL_OF = {complex64: float32, complex128: float64}

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, uint16, uint32, uint64,
       complex64, complex128)
_LIMITED_UINT = (uint16, uint32, uint64)
_NAMES = {d.name: d for d in ALL}
_ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64,
            "int": int32, "short": int16, "bool": bool_,
            "cfloat": complex64, "cdouble": complex128}
_FROM_NP = {d.numpy: d for d in ALL}

_default_float = float32


def get_default_dtype():
    return _default_float


def set_default_dtype(d):
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: expected a floating point dtype, got {d}")
    _default_float = d


def from_numpy(np_dtype):
    """Map a NumPy dtype to the ember dtype; raise a clear error for unsupported ones."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    nd = np.dtype(np_dtype)
    if nd in _FROM_NP:
        return _FROM_NP[nd]
    if nd.name == "bfloat16":  # ml_dtypes' type, registered on first sight
        from .bfloat16 import bfloat16
        return bfloat16()
    if nd.name.startswith("float8_"):   # ml_dtypes' (float8_e5m2 has NumPy kind "f", the others "V")
        from .float8 import NAMES, float8
        if nd.name in NAMES:
            return float8(nd.name)
    raise TypeError(f"ember does not support NumPy dtype {nd}; supported: "
                    + ", ".join(d.name for d in ALL))


def to_dtype(d):
    """Accept an ember dtype, a NumPy dtype/type, a Python type or a name; return an ember dtype."""
    if isinstance(d, dtype):
        return d
    # PyTorch maps the Python types to fixed dtypes (float is double whatever the default
    # float dtype is); a Python *scalar* still takes the default (see scalar_dtype).
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex128
    if isinstance(d, str):
        key = d.split(".")[-1]
        if key in _NAMES:
            return _NAMES[key]
        if key in _ALIASES:
            return _ALIASES[key]
        if key == "bfloat16":
            from .bfloat16 import bfloat16
            return bfloat16()
        if key.startswith("float8_"):
            from .float8 import NAMES, float8
            if key in NAMES:
                return float8(key)
        raise TypeError(f"unknown dtype name {d!r}")
    if type(d).__module__.startswith("torch"):  # a torch.dtype, e.g. from ported code
        return to_dtype(str(d))
    return from_numpy(d)


def scalar_dtype(x):
    """The dtype PyTorch gives a Python scalar: bool, int64 or the default float (complex: its complex). A NumPy
    scalar counts by its kind, as torch reads it (``full((2,), np.int64(3))`` is int64, ``np.float32`` the
    default float)."""
    if isinstance(x, bool):   # np.bool_ is no bool to torch: it takes the default float
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (complex, np.complexfloating)):
        return _default_float.to_complex()
    return _default_float


def promote(a, b):
    """PyTorch's result dtype for two tensors ``a`` and ``b`` (0-d tensors weigh less)."""
    da, db = a.dtype, b.dtype
    if da is db:
        return da
    a0, b0 = a.ndim == 0, b.ndim == 0
    if a0 != b0:
        zero, dim = (da, db) if a0 else (db, da)
        if zero.category > dim.category:
            # A complex 0-d tensor keeps a floating tensor's precision (complex128 0-d + float32 -> complex64).
            return dim.to_complex() if zero.category == 3 and dim.category == 2 else zero
        return dim
    return promote_types(da, db)


def promote_types(da, db):
    """The result dtype of two dimensioned tensors of dtypes ``da`` and ``db`` (PyTorch's rule)."""
    if da is db:
        return da
    if da.category != db.category:
        if 3 in (da.category, db.category) and 2 in (da.category, db.category):
            # complex64 with float64 -> complex128: the parts take the promoted floating dtype.
            return promote_types(da.to_real(), db.to_real()).to_complex()
        if da.category < 2 and db.category < 2 and (da in _LIMITED_UINT or db in _LIMITED_UINT):
            raise _no_uint_promotion(da, db)
        return da if da.category > db.category else db
    if da in _LIMITED_UINT or db in _LIMITED_UINT:
        raise _no_uint_promotion(da, db)
    if da.category == 2 and da.itemsize == db.itemsize == 2:
        return float32  # float16 with bfloat16, which share no narrower type (NumPy knows no common one)
    return _FROM_NP[np.promote_types(da.numpy, db.numpy)]


def _no_uint_promotion(da, db):
    return RuntimeError(f"Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                        f"{da.name} and {db.name}")


def promote_scalar(t, x):
    """Result dtype of tensor dtype ``t`` combined with Python scalar ``x``."""
    if isinstance(x, bool):
        cat = 0
    elif isinstance(x, (int, np.integer)):
        cat = 1
    elif isinstance(x, (complex, np.complexfloating)):
        cat = 3
    else:
        cat = 2
    if cat > t.category:
        if cat == 3:
            return t.to_complex() if t.category == 2 else _default_float.to_complex()
        return _default_float if cat == 2 else int64
    return t
