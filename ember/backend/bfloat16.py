"""``ember.bfloat16``: the brain floating-point type, through the optional ``ml_dtypes`` package.

NumPy has no bfloat16; ``ml_dtypes`` adds one that NumPy's ufuncs and ``matmul`` accept. The
dtype is registered with ember's dtype table the first time it is asked for (``ember.bfloat16``,
``dtype="bfloat16"``, ``torch.bfloat16`` in ported code, or an array of that type), so
``import ember`` neither needs nor imports ``ml_dtypes``.

>>> import ember
>>> ember.ones(2, dtype=ember.bfloat16).dtype
ember.bfloat16
"""
from . import dtypes as _dt

EXTRA = "pip install 'ember[bfloat16]' (or pip install ml_dtypes)"


def bfloat16():
    """The ``ember.bfloat16`` dtype, registered on first use; ImportError naming the extra without ml_dtypes."""
    d = _dt._NAMES.get("bfloat16")
    if d is not None:
        return d
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(f"ember.bfloat16 needs the ml_dtypes package: {EXTRA}") from None
    d = _dt.dtype("bfloat16", ml_dtypes.bfloat16, 2)
    _dt._NAMES["bfloat16"] = d
    _dt._FROM_NP[d.numpy] = d
    _dt.ALL = _dt.ALL + (d,)
    return d
