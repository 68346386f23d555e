"""``ember.float8_e4m3fn``, ``float8_e5m2``, ``float8_e4m3fnuz``, ``float8_e5m2fnuz``: 8-bit floats, through the
optional ``ml_dtypes`` package, registered on first use as :mod:`ember.backend.bfloat16` does (``import ember``
neither needs nor imports ``ml_dtypes``).

As in PyTorch, they are storage types: tensors of them are made by casting (``x.to(torch.float8_e4m3fn)``),
viewed, indexed, concatenated and cast back. Casting rounds to nearest even as PyTorch's CPU kernels do, bit
for bit: ``float8_e4m3fn`` (no infinity) saturates every value beyond its largest, infinities included, to
+-448; ``float8_e5m2`` overflows to infinity; the ``fnuz`` types (one NaN, no negative zero) turn an overflow
into their NaN; NaN is 0x7F (0xFF when negative) where the format has more than one.

>>> import ember
>>> x = ember.tensor([1.0, 500.0, float("inf")]).to(ember.float8_e4m3fn)
>>> x.float().tolist(), x.view(ember.uint8).tolist()
([1.0, 448.0, 448.0], [56, 126, 126])
"""
import numpy as np

from . import dtypes as _dt

NAMES = ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz")
EXTRA = "pip install ml_dtypes"


def float8(name):
    """The ember dtype ``name`` (one of :data:`NAMES`), registered on first use."""
    d = _dt._NAMES.get(name)
    if d is not None:
        return d
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(f"ember.{name} needs the ml_dtypes package: {EXTRA}") from None
    d = _dt.dtype(name, getattr(ml_dtypes, name), 2)
    _dt._NAMES[name] = d
    _dt._FROM_NP[d.numpy] = d
    _dt.ALL = _dt.ALL + (d,)
    return d


def is_float8(np_dtype):
    return np_dtype.name.startswith("float8")   # by name: ml_dtypes gives float8_e5m2 NumPy kind "f", the others "V"


def cast(a, target):
    """NumPy array ``a`` as the float8 NumPy dtype ``target``, rounded as PyTorch rounds."""
    src = a
    if src.dtype.kind in "biuV" or is_float8(src.dtype):   # through float32, exact for these
        src = src.astype(np.float32)
    if target.name == "float8_e4m3fn":
        src = np.clip(src, -448.0, 448.0)       # PyTorch saturates (NaN stays NaN)
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.asarray(src.astype(target))
    if target.name in ("float8_e4m3fn", "float8_e5m2"):
        nan = np.isnan(src)
        if nan.any():
            bits = r.view(np.uint8)
            bits[nan] = np.where(np.signbit(src[nan]), 0xFF, 0x7F)
    return r
