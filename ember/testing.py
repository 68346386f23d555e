"""``ember.testing``: PyTorch's ``assert_close`` and ``make_tensor``.

``assert_close(actual, expected)`` passes when every element satisfies
``|actual - expected| <= atol + rtol * |expected|`` (NaNs equal only with ``equal_nan=True``,
infinities equal when they have the same sign), after checking that shapes agree and, by default,
dtypes. Without ``rtol``/``atol`` the tolerances are PyTorch's defaults for the dtype:

==============================  ==========  ==========
dtype                           rtol        atol
==============================  ==========  ==========
float16                         1e-3        1e-5
bfloat16                        1.6e-2      1e-5
float32                         1.3e-6      1e-5
float64                         1e-7        1e-7
complex64 / complex128          as float32 / float64
integers and bool               0           0
==============================  ==========  ==========

With ``check_dtype=False`` and two dtypes, the larger tolerance of the two applies. Tensors,
NumPy arrays, Python numbers and (nested) sequences and mappings of them are compared; a failure
raises ``AssertionError`` with PyTorch's report (mismatched elements, greatest absolute and
relative difference and where).

>>> import ember
>>> from ember.testing import assert_close, make_tensor
>>> assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
>>> t = make_tensor(2, 3, dtype=ember.float32, device="cpu", low=0, high=1)
>>> t.shape, bool(((t >= 0) & (t < 1)).all())
(ember.Size([2, 3]), True)
"""
import collections.abc
import math

import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import dtypes as _dt

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}


def _tolerances(*dtype_names):
    pairs = [_TOLERANCES.get(d, (0.0, 0.0)) for d in dtype_names]
    return max(r for r, _ in pairs), max(a for _, a in pairs)


def _dtype_name(value):
    if isinstance(value, Tensor):
        return value.dtype.name
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    return _dt.to_dtype(np.asarray(value).dtype).name


def _array(value):
    return np.asarray(value._data if isinstance(value, Tensor) else value)


def _is_number(v):
    return isinstance(v, (bool, int, float, complex)) and not isinstance(v, Tensor)


def _fail(msg, custom, where):
    suffix = f"\n\nThe failure occurred for item {where}" if where else ""
    raise AssertionError(custom if isinstance(custom, str) else msg + suffix)


def _attribute(name, a, e):
    return f"The values for attribute '{name}' do not match: {a} != {e}."


def _compare_leaf(actual, expected, rtol, atol, equal_nan, check_dtype, msg, where):
    if isinstance(actual, Tensor) != isinstance(expected, Tensor):
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")
    if check_dtype and _is_number(actual) and _is_number(expected) and type(actual) is not type(expected):
        _fail(f"The (d)types do not match: {type(actual)} != {type(expected)}.", msg, where)
    a_name, e_name = _dtype_name(actual), _dtype_name(expected)
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        shape = (lambda s: f"ember.Size({list(s)})") if isinstance(actual, Tensor) else tuple
        _fail(_attribute("shape", shape(a.shape), shape(e.shape)), msg, where)
    if check_dtype and a_name != e_name:
        _fail(_attribute("dtype", f"ember.{a_name}", f"ember.{e_name}"), msg, where)
    if rtol is None:
        rtol, atol = _tolerances(a_name, e_name)
    # As PyTorch: compare in the promoted dtype, integers and bools as int64.
    common = np.result_type(a, e)
    if not np.issubdtype(common, np.inexact):
        common = np.int64
    a, e = a.astype(common), e.astype(common)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) | (a == e)  # equal infinities
    if close.all():
        return
    if a.ndim == 0:
        x, y = a.item(), e.item()
        diff = abs(x - y)
        _fail(_report("Scalars", f"Expected {y} but got {x}.", diff, None, atol,
                      float("inf") if y == 0 else diff / abs(y), None, rtol), msg, where)
    mismatched = int((~close).sum())
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[close] = 0
        # Integer differences divide as PyTorch's true division does, into the default float32.
        denominator = np.abs(e) if np.issubdtype(common, np.inexact) else np.abs(e).astype(np.float32)
        rel_diff = abs_diff / denominator
        rel_diff[close] = 0
    # argmax, like torch.max, takes the first NaN as the greatest.
    worst_abs = np.unravel_index(int(np.argmax(abs_diff)), a.shape)
    worst_rel = np.unravel_index(int(np.argmax(rel_diff)), a.shape)
    extra = f"Mismatched elements: {mismatched} / {a.size} ({mismatched / a.size:.1%})"
    _fail(_report("Tensor-likes", extra, abs_diff[worst_abs].item(), tuple(int(i) for i in worst_abs), atol,
                  rel_diff[worst_rel].item(), tuple(int(i) for i in worst_rel), rtol), msg, where)


def _report(what, extra, abs_diff, abs_at, atol, rel_diff, rel_at, rtol):
    equality = rtol == 0 and atol == 0
    lines = [f"{what} are not {'equal' if equality else 'close'}!", "", extra]
    for kind, diff, at, tol in (("absolute", abs_diff, abs_at, atol), ("relative", rel_diff, rel_at, rtol)):
        line = f"{kind.title()} difference: {diff}" if at is None else f"Greatest {kind} difference: {diff} at index {at}"
        lines.append(line if equality else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


def _compare(actual, expected, where, **kw):
    is_seq = (lambda v: isinstance(v, collections.abc.Sequence) and not isinstance(v, (str, bytes))
              and not isinstance(v, Tensor))
    if is_seq(actual) and is_seq(expected):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", kw["msg"], where)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{where}[{i}]", **kw)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                  f"{sorted(map(repr, set(expected) - set(actual)))}\nExtra keys in the actual mapping: "
                  f"{sorted(map(repr, set(actual) - set(expected)))}", kw["msg"], where)
        for k in expected:
            _compare(actual[k], expected[k], f"{where}[{k!r}]", **kw)
        return
    supported = (Tensor, np.ndarray, np.generic, bool, int, float, complex)
    for v in (actual, expected):
        if not isinstance(v, supported):
            raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                            f"{type(expected)}.")
    _compare_leaf(actual, expected, **kw, where=where)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Assert that ``actual`` and ``expected`` are close (see the module docstring).

    Raises:
        ValueError: if only one of ``rtol`` and ``atol`` is given.
        AssertionError: naming the mismatch (shape, dtype, or the values that differ most).
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    _compare(actual, expected, "", rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype, msg=msg)


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """The deprecated form: no dtype check, NaNs equal."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` filled with random values, as PyTorch's ``make_tensor``.

    Floating and complex dtypes draw uniformly from ``[low, high)`` (default ``[-9, 9)``), integers
    from ``[low, high)`` (default ``[-9, 10)``, ``[0, 10)`` for uint8), bool from ``{False, True}``.
    ``exclude_zero`` replaces zeros with the dtype's smallest positive step.
    """
    from ember import random as _random
    from ember.creation import from_numpy
    d = _dt.to_dtype(dtype)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if low is not None and high is not None and low > high:
        raise ValueError(f"make_tensor: low must be less than or equal to high, but got low={low}, high={high}")
    for name, v in (("low", low), ("high", high)):
        if v is not None and isinstance(v, float) and math.isnan(v):
            raise ValueError(f"make_tensor: {name} cannot be NaN, but got {name}={v}")
    rng = _random._get_rng(None)
    np_dtype = np.dtype(d.numpy)
    if np_dtype == np.bool_:
        arr = rng.integers(0, 2, size=shape).astype(np.bool_)
    elif np.issubdtype(np_dtype, np.integer):
        info = np.iinfo(np_dtype)
        lo = max(info.min, int(math.ceil(low)) if low is not None else (0 if info.min == 0 else -9))
        hi = min(info.max, int(math.ceil(high)) if high is not None else 10)
        arr = rng.integers(lo, max(hi, lo + 1), size=shape).astype(np_dtype)
    else:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        arr = rng.uniform(lo, hi, size=shape)
        if np.issubdtype(np_dtype, np.complexfloating):
            arr = arr + 1j * rng.uniform(lo, hi, size=shape)
        arr = arr.astype(np_dtype)
    if exclude_zero:
        step = 1 if not np.issubdtype(np_dtype, np.inexact) else np.finfo(np_dtype).tiny
        arr = np.where(arr == 0, np.asarray(step).astype(np_dtype), arr)
    t = from_numpy(np.ascontiguousarray(arr))
    if requires_grad:
        t.requires_grad_(True)
    return t
