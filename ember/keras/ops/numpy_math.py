"""``keras.ops`` elementwise math: arithmetic, comparisons, logic, bitwise, rounding, exponentials,
trigonometry and the special functions, with Keras's dtype rules (PyTorch backend).

Integer inputs to transcendental ops give ``floatx``; ``ceil``/``floor`` of ints give floats; binary
ops promote as PyTorch does after Python scalars become 0-d ``int32``/``float32`` tensors, except
where Keras promotes by its own lattice (``maximum``, ``floor_divide``, ``arctan2`` ...).

>>> from ember.keras import ops
>>> ops.floor_divide(7, 2).item(), ops.logaddexp(0.0, 0.0).item() == ops.log(2.0).item()
(3, True)
"""
import math

import numpy as np

from ... import creation as _C
from ...autograd import ops as _E
from ...autograd.node import needs_grad, record
from ...autograd.tensor import make
from .core import cast, convert_to_tensor as _T
from .dtypes import floatx, result_type, standardize_dtype


def _name(x):
    return standardize_dtype(x.dtype)


def _to_float(x):
    """Ints and bools as ``floatx`` (the rule of ``exp``, ``fabs`` ...)."""
    x = _T(x)
    n = _name(x)
    return cast(x, floatx()) if "int" in n or n == "bool" else x


def add(x1, x2):
    return _E.add(_T(x1), _T(x2))


def subtract(x1, x2):
    x1, x2 = _T(x1), _T(x2)
    if _name(x1) == "bool":
        x1 = cast(x1, x2.dtype)
    if _name(x2) == "bool":
        x2 = cast(x2, x1.dtype)
    return _E.sub(x1, x2)


def multiply(x1, x2):
    return _E.mul(_T(x1), _T(x2))


def _weak(x):
    return x if isinstance(x, (int, float)) and not isinstance(x, bool) else _T(x)


def divide(x1, x2):
    """True division (ints divide to floats)."""
    x1, x2 = _weak(x1), _weak(x2)
    if not hasattr(x1, "dtype") and not hasattr(x2, "dtype"):
        x1 = _T(x1)
    return _E.div(x1, x2)


true_divide = divide


def divide_no_nan(x1, x2):
    """``x1 / x2`` with 0 where ``x2 == 0``."""
    d = result_type(getattr(x1, "dtype", type(x1)), getattr(x2, "dtype", type(x2)), float)
    x1, x2 = _T(x1, d), _T(x2, d)
    zero = _E.eq(x2, 0)
    return _E.where(zero, make(np.zeros((), x2._data.dtype)), _E.div(x1, _E.where(zero, _C.ones_like(x2), x2)))


def power(x1, x2):
    return _E.pow(_T(x1), _T(x2))


def negative(x):
    return _E.neg(_T(x))


def _typed_pair(x1, x2):
    d = result_type(getattr(x1, "dtype", type(x1)), getattr(x2, "dtype", type(x2)))
    return _T(x1, d), _T(x2, d)


def maximum(x1, x2):
    return _E.maximum(*_typed_pair(x1, x2))


def minimum(x1, x2):
    return _E.minimum(*_typed_pair(x1, x2))


def fmax(x1, x2):
    return _E.fmax(*_typed_pair(x1, x2))


def fmin(x1, x2):
    return _E.fmin(*_typed_pair(x1, x2))


def floor_divide(x1, x2):
    d = result_type(getattr(x1, "dtype", type(x1)), getattr(x2, "dtype", type(x2)))
    x1, x2 = _weak(x1), _weak(x2)
    if not hasattr(x1, "dtype"):
        x1 = _T(x1, d)
    return cast(_E.floor_divide(x1, x2), d)


def _bool_to_int(x1, x2):
    x1, x2 = _T(x1), _T(x2)
    if result_type(x1.dtype, x2.dtype) == "bool":
        x1, x2 = cast(x1, "int32"), cast(x2, "int32")
    return x1, x2


def mod(x1, x2):
    """Remainder with the sign of the divisor (``numpy.mod``)."""
    return _E.remainder(*_bool_to_int(x1, x2))


def fmod(x1, x2):
    """Remainder with the sign of the dividend (C's ``fmod``)."""
    return _E.fmod(*_bool_to_int(x1, x2))


def _float_pair(x1, x2):
    x1, x2 = _T(x1), _T(x2)
    d = result_type(x1.dtype, x2.dtype, float)
    return cast(x1, d), cast(x2, d)


def arctan2(x1, x2):
    return _E.atan2(*_float_pair(x1, x2))


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))`` without overflow: ``max + log1p(exp(-|x1 - x2|))``."""
    a, b = _float_pair(x1, x2)
    m = _E.maximum(a, b)
    return _E.add(m, _E.log1p(_E.exp(_E.neg(_E.abs(_E.sub(a, b))))))


def logaddexp2(x1, x2):
    """``log2(2**x1 + 2**x2)``."""
    a, b = _float_pair(x1, x2)
    m = _E.maximum(a, b)
    return _E.add(m, _E.div(_E.log1p(_E.exp2(_E.neg(_E.abs(_E.sub(a, b))))), math.log(2.0)))


def _int_to_float_pair(x1, x2):
    x1, x2 = _T(x1), _T(x2)
    d = result_type(x1.dtype, x2.dtype)
    if d in ("int8", "int16", "int32", "uint8", "uint16", "uint32", "bool"):
        d = floatx()
    elif d == "int64":
        d = "float64"
    return cast(x1, d), cast(x2, d)


def hypot(x1, x2):
    """``sqrt(x1**2 + x2**2)``."""
    a, b = _int_to_float_pair(x1, x2)
    return _E.sqrt(_E.add(_E.mul(a, a), _E.mul(b, b)))


def heaviside(x1, x2):
    """0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0``."""
    return _E.heaviside(*_int_to_float_pair(x1, x2))


def ldexp(x1, x2):
    """``x1 * 2**x2`` for an integer ``x2``."""
    x1, x2 = _T(x1), _T(x2)
    if "int" not in _name(x2):
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={x2.dtype}")
    d = result_type(x1.dtype, x2.dtype, float)
    return cast(_E.mul(cast(x1, d), _E.exp2(cast(x2, d))), d)


def nextafter(x1, x2):
    """The next float after ``x1`` toward ``x2`` (computed in float64, as Keras does)."""
    x1, x2 = _T(x1), _T(x2)
    d = result_type(x1.dtype, x2.dtype, float)
    return cast(make(np.nextafter(x1._data.astype(np.float64), x2._data.astype(np.float64))), d)


def _int_binary(npfn):
    def op(x1, x2):
        x1, x2 = _T(x1), _T(x2)
        d = _E.add(make(np.zeros((), x1._data.dtype)), make(np.zeros((), x2._data.dtype))).dtype
        if x1.ndim and not x2.ndim:
            d = x1.dtype
        elif x2.ndim and not x1.ndim:
            d = x2.dtype
        return make(np.asarray(npfn(x1._data, x2._data)).astype(d.numpy))
    op.__name__ = npfn.__name__
    return op


gcd = _int_binary(np.gcd)
lcm = _int_binary(np.lcm)


def equal(x1, x2):
    return _E.eq(_T(x1), _T(x2))


def not_equal(x1, x2):
    return _E.ne(_T(x1), _T(x2))


def greater(x1, x2):
    return _E.gt(_T(x1), _T(x2))


def greater_equal(x1, x2):
    return _E.ge(_T(x1), _T(x2))


def less(x1, x2):
    return _E.lt(_T(x1), _T(x2))


def less_equal(x1, x2):
    return _E.le(_T(x1), _T(x2))


def logical_and(x1, x2):
    return _E.logical_and(_T(x1), _T(x2))


def logical_or(x1, x2):
    return _E.logical_or(_T(x1), _T(x2))


def logical_xor(x1, x2):
    return _E.logical_xor(_T(x1), _T(x2))


def logical_not(x):
    return _E.logical_not(_T(x))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = _T(x1), _T(x2)
    d = result_type(x1.dtype, x2.dtype)
    x1, x2 = cast(x1, d), cast(x2, d)
    if "float" in d:
        return _E.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return _E.eq(x1, x2)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return _E.all(isclose(x1, x2, rtol, atol, equal_nan))


def isfinite(x):
    return _E.isfinite(_T(x))


def isinf(x):
    return _E.isinf(_T(x))


def isnan(x):
    return _E.isnan(_T(x))


def isneginf(x):
    return _E.isneginf(_T(x))


def isposinf(x):
    return _E.isposinf(_T(x))


def isreal(x):
    """True everywhere: ember has no complex dtype."""
    return make(np.ones(_T(x).shape, np.bool_))


def signbit(x):
    return make(np.signbit(_T(x)._data))


def bitwise_and(x, y):
    return _E.bitwise_and(_T(x), _T(y))


def bitwise_or(x, y):
    return _E.bitwise_or(_T(x), _T(y))


def bitwise_xor(x, y):
    return _E.bitwise_xor(_T(x), _T(y))


def bitwise_invert(x):
    return _E.bitwise_not(_T(x))


bitwise_not = bitwise_invert


def _shift(npfn):
    def op(x, y):
        x = _T(x)
        if isinstance(y, int):
            return make(npfn(x._data, np.asarray(y, x._data.dtype)))
        y = _T(y)
        d = _E.add(x.detach(), y.detach()).dtype if x.ndim or not y.ndim else y.dtype
        return make(npfn(x._data.astype(d.numpy), y._data.astype(d.numpy)))
    return op


bitwise_left_shift = left_shift = _shift(np.left_shift)
bitwise_right_shift = right_shift = _shift(np.right_shift)


def absolute(x):
    x = _T(x)
    return x if _name(x) == "bool" else _E.abs(x)


abs = absolute


def fabs(x):
    return _E.abs(_to_float(x))


def sign(x):
    return _E.sign(_T(x))


def square(x):
    x = _T(x)
    return _E.square(cast(x, "int32") if _name(x) == "bool" else x)


def sqrt(x):
    x = _T(x)
    return _E.sqrt(cast(x, floatx()) if _name(x) == "int64" else x)


def reciprocal(x):
    return _E.reciprocal(_T(x))


def exp(x):
    return _E.exp(_to_float(x))


def exp2(x):
    return _E.exp2(_to_float(x))


def expm1(x):
    return _E.expm1(_to_float(x))


def _plain(fn):
    def op(x):
        return fn(_T(x))
    op.__name__ = fn.__name__
    return op


log, log10, log1p, log2 = (_plain(f) for f in (_E.log, _E.log10, _E.log1p, _E.log2))
sin, cos, tan, sinh, cosh, tanh = (_plain(f) for f in (_E.sin, _E.cos, _E.tan, _E.sinh, _E.cosh, _E.tanh))
arcsin, arccos, arctan = (_plain(f) for f in (_E.asin, _E.acos, _E.atan))
arcsinh, arccosh, arctanh = (_plain(f) for f in (_E.asinh, _E.acosh, _E.atanh))


def _rounding(fn):
    def op(x):
        x = _T(x)
        n = _name(x)
        d = floatx() if n == "int64" else result_type(n, float)
        return cast(fn(cast(x, d)), d)
    op.__name__ = fn.__name__
    return op


ceil, floor = _rounding(_E.ceil), _rounding(_E.floor)


def round(x, decimals=0):
    """Round half to even at ``decimals`` digits; ints stay ints."""
    x = _T(x)
    n = _name(x)
    if "int" in n:
        return cast(_E.round(cast(x, floatx()), decimals=decimals), n)
    return _E.round(x, decimals=decimals)


def trunc(x):
    x = _T(x)
    return x if _name(x) == "bool" else _E.trunc(x)


def cbrt(x):
    """Real cube root ``sign(x) * |x|**(1/3)``."""
    x = _T(x)
    n = _name(x)
    x = cast(x, "int32") if n == "bool" else cast(x, "float64") if n == "int64" else x
    return _E.mul(_E.sign(x), _E.pow(_E.abs(x), 1.0 / 3.0))


def deg2rad(x):
    x = _T(x)
    y = _E.mul(_to_float(x) if _name(x) != "int64" else cast(x, "float64"), math.pi / 180.0)
    return y


def rad2deg(x):
    x = _T(x)
    return _E.mul(_to_float(x) if _name(x) != "int64" else cast(x, "float64"), 180.0 / math.pi)


def sinc(x):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    x = _to_float(x)
    px = _E.mul(x, math.pi)
    zero = _E.eq(x, 0)
    safe = _E.where(zero, _C.ones_like(px), px)
    return _E.where(zero, _C.ones_like(px), _E.div(_E.sin(safe), safe))


def _bessel_series(a, order):
    """Modified Bessel I0 or I1 by its power series in float64 (converges for every x)."""
    a = a.astype(np.float64)
    q = (a / 2) ** 2
    term = np.ones_like(a) if order == 0 else a / 2
    total = term.copy()
    for k in range(1, 200):
        term = term * q / (k * (k + order))
        total = total + term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return total


def i0(x):
    """The modified Bessel function of the first kind, order 0 (gradient ``I1(x)``)."""
    x = _T(x)
    n = _name(x)
    d = "float64" if n in ("int64", "float64") else n if n in ("float16", "bfloat16") else floatx()
    x = cast(x, d)
    t = make(np.i0(x._data).astype(x._data.dtype))
    if needs_grad(x):
        record(t, "I0Backward0", lambda g: (_E.mul(g, make(_bessel_series(x._data, 1).astype(x._data.dtype))),),
               (x,), (x,))
    return t


def conjugate(x):
    """``x`` itself: ember has no complex dtype."""
    return _T(x)


conj = conjugate


def real(x):
    return _T(x)


def imag(x):
    return _C.zeros_like(_T(x))


def angle(x):
    """The argument of a real number: pi for negatives, else 0."""
    x = _to_float(x)
    return _E.where(_E.lt(x, 0), make(np.asarray(math.pi, x._data.dtype)), _C.zeros_like(x))


def clip(x, x_min, x_max):
    x = _T(x)
    if _name(x) == "bool":
        x = cast(x, "int32")
    lo, hi = _T(x_min), _T(x_max)
    return _E.clamp(x, lo, hi)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +inf -> ``posinf`` (default the largest float), -inf -> ``neginf``; differentiable."""
    x = _T(x)
    if not x.is_floating_point():
        return x
    fi = np.finfo(x._data.dtype)
    d = x._data.dtype

    def const(v):
        return make(np.asarray(v, d))
    y = _E.where(_E.isnan(x), const(nan), x)
    y = _E.where(_E.isposinf(x), const(fi.max if posinf is None else posinf), y)
    return _E.where(_E.isneginf(x), const(fi.min if neginf is None else neginf), y)
