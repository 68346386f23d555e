"""Elementwise primitives with their gradient rules side by side.

Each rule takes ``g`` (the gradient of the output) and returns the gradient of each
input, written with ember ops so that it can itself be differentiated. Inputs that
broadcast get their gradient summed back to their shape with :func:`sum_to`.
"""
import builtins
import math

import numpy as np

from ...backend import dtypes as _dt
from .. import grad_mode
from ..node import record as _rec
from ..tensor import Tensor
from ._util import out, prep, to_tensor
from .complex_numbers import no_complex as _no_complex, abs_rule as _complex_abs_rule

_gm = grad_mode.state
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _float_arr(a):
    """Ops such as ``exp`` on an integer tensor compute in the default float dtype, as PyTorch does."""
    if a.dtype.kind not in "fc":
        return a.astype(_dt.get_default_dtype().numpy)
    return a



# -- broadcasting and its reverse ------------------------------------------------------------------

def sum_to(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``."""
    gshape = g._data.shape
    if gshape == tuple(shape):
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    r = g._data
    if axes:
        if r.dtype.char in "eE":  # float16/bfloat16: accumulated in float32, rounded once, as PyTorch's sum
            r = r.sum(axis=axes, keepdims=True, dtype=np.float32).astype(r.dtype)
        else:
            r = r.sum(axis=axes, keepdims=True)
    if lead:
        r = r.reshape(shape)
    t = out(r)
    if _gm.enabled and g._rg:
        _rec(t, "SumToBackward0", lambda gg: (expand_to(gg, gshape),), (g,), ())
    return t


def expand_to(g, shape):
    shape = tuple(shape)
    t = out(np.broadcast_to(g._data, shape))
    if _gm.enabled and g._rg:
        gs = g._data.shape
        _rec(t, "ExpandBackward0", lambda gg: (sum_to(gg, gs),), (g,), ())
    return t


# -- binary arithmetic ------------------------------------------------------------------------------

def add(input, other, *, alpha=1, out_=None):
    a, b = input, other   # torch's names, for keyword calls (torch.add(input=x, other=y))
    x, y, ta, tb = prep(a, b, "add")
    if alpha != 1:
        y = y * alpha
    try:
        t = out(x + y)
    except ValueError:
        raise _bcast("add", x, y) from None
    if _gm.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        sa = ta._data.shape if ta is not None and ta._rg else None
        sb = tb._data.shape if tb is not None and tb._rg else None

        def backward(g):
            return (sum_to(g, sa) if sa is not None else None,
                    (sum_to(g if alpha == 1 else g * alpha, sb)) if sb is not None else None)
        _rec(t, "AddBackward0", backward, (ta, tb), ())
    return t


def sub(input, other, *, alpha=1):
    a, b = input, other   # torch's names, for keyword calls (torch.sub(input=x, other=y))
    x, y, ta, tb = prep(a, b, "sub")
    if _is_bool(x) and _is_bool(y):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if _has_bool(a, b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha != 1:
        y = y * alpha
    try:
        t = out(x - y)
    except ValueError:
        raise _bcast("sub", x, y) from None
    if _gm.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        sa = ta._data.shape if ta is not None and ta._rg else None
        sb = tb._data.shape if tb is not None and tb._rg else None

        def backward(g):
            return (sum_to(g, sa) if sa is not None else None,
                    sum_to(neg(g) if alpha == 1 else g * (-alpha), sb) if sb is not None else None)
        _rec(t, "SubBackward0", backward, (ta, tb), ())
    return t


def _has_bool(*vs):
    """Whether any operand, before promotion, is a bool tensor or a Python bool."""
    return builtins.any(v._data.dtype == np.bool_ if isinstance(v, Tensor) else isinstance(v, (bool, np.bool_))
                        for v in vs)


def _refuse_bool(name, *arrays):
    # PyTorch has no kernel of this op for bool (abs, floor, pow ...): refuse rather than compute in int8.
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype == np.bool_:
            raise NotImplementedError(f"{name}(): not implemented for bool tensors")


def _is_bool(v):
    return v.dtype == np.bool_ if isinstance(v, np.ndarray) else isinstance(v, bool)


def rsub(input, other, alpha=1):
    a, b = input, other   # torch's names, for keyword calls (torch.rsub(input=x, other=y))
    return sub(b, a, alpha=alpha)


def mul(input, other):
    a, b = input, other   # torch's names, for keyword calls (torch.mul(input=x, other=y))
    x, y, ta, tb = prep(a, b, "mul")
    try:
        r = x * y
    except ValueError:
        raise _bcast("mul", x, y) from None
    if r.dtype is not x.dtype and (x.dtype.kind == "V" or x.dtype.char == "e"):
        # bfloat16/float16 times a Python float (float32 from prep): computed in float32, rounded once
        r = r.astype(x.dtype)
    t = out(r)
    if _gm.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        ra = ta is not None and ta._rg
        rb = tb is not None and tb._rg
        other_b = tb if tb is not None else y
        other_a = ta if ta is not None else x

        def backward(g):
            return (sum_to(mul(g, other_b), ta._data.shape) if ra else None,
                    sum_to(mul(g, other_a), tb._data.shape) if rb else None)
        saved = tuple(s for s, need in ((ta, rb), (tb, ra)) if need and s is not None)
        _rec(t, "MulBackward0", backward, (ta, tb), saved)
    return t


def div(input, other, *, rounding_mode=None):
    a, b = input, other   # torch's names, for keyword calls (torch.div(input=x, other=y))
    x, y, ta, tb = prep(a, b, "div")
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(a, b)
        if rounding_mode == "trunc":
            if x.dtype.kind != "f":
                _no_int_zero(x, y, "div")
            r = np.trunc(np.true_divide(x, y)) if x.dtype.kind == "f" else _int_trunc_div(x, y)
            return out(r.astype(x.dtype) if x.dtype.kind != "f" else r)
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"'{rounding_mode}'")
    if x.dtype.kind == "V":  # bfloat16; a float32 0-d divisor from prep stays unrounded, as in PyTorch
        if isinstance(y, np.ndarray) and y.dtype != x.dtype and not (y.ndim == 0 and y.dtype.kind == "f"):
            y = y.astype(x.dtype)
    elif x.dtype.kind not in "fc":
        # A Python number divides as itself: prep wrapped an out-of-range one into the integer dtype.
        if type(a) is int:
            x = np.asarray(a, _float_arr(np.asarray(x)).dtype)
        if type(b) is int:
            y = b
        x = _float_arr(x)
        if isinstance(y, np.ndarray):
            y = _float_arr(y)
    elif isinstance(y, np.ndarray) and y.dtype != x.dtype:
        if not (x.dtype.char == "e" and y.ndim == 0 and y.dtype.kind == "f"):  # float16: as bfloat16's
            y = y.astype(x.dtype)
    try:
        r = x / y
    except ValueError:
        raise _bcast("div", x, y) from None
    if r.dtype is not x.dtype and (x.dtype.kind == "V" or x.dtype.char == "e"):
        r = r.astype(x.dtype)  # bfloat16 by a Python float: computed in float32, rounded once
    t = out(r)
    if _gm.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        ra = ta is not None and ta._rg
        rb = tb is not None and tb._rg
        yb = tb if tb is not None else y

        def backward(g):
            ga = sum_to(div(g, yb), ta._data.shape) if ra else None
            gb = sum_to(neg(mul(g, div(t, tb))), tb._data.shape) if rb else None
            return ga, gb
        _rec(t, "DivBackward0", backward, (ta, tb), (tb,) if tb is not None else ())
    return t


def _no_int_zero(x, y, name):
    """Integer division by zero raises, as in PyTorch (NumPy returns 0 with a warning)."""
    if x.dtype.kind in "iu" and x.size and not np.all(y):
        y_arr = np.asarray(y)
        if y_arr.dtype.kind in "iub":
            raise RuntimeError(f"{name}(): integer division by zero (ZeroDivisionError)")


def _int_trunc_div(x, y):
    q = np.floor_divide(x, y)
    return q + ((np.remainder(x, y) != 0) & ((x < 0) != (np.asarray(y) < 0)))


def floor_divide(input, other):
    a, b = input, other   # torch's names, for keyword calls (torch.floor_divide(input=x, other=y))
    x, y, ta, tb = prep(a, b, "floor_divide")
    _no_complex("floor_divide", x)
    if x.dtype.kind == "f" and isinstance(y, np.ndarray) and y.dtype != x.dtype:
        y = y.astype(x.dtype)
    _refuse_bool("floor_divide", x, y)
    _no_int_zero(x, y, "floor_divide")
    return out(np.floor_divide(x, y))


def remainder(input, other):
    """Python-style modulus: the result has the sign of the divisor (``%``)."""
    a, b = input, other   # torch's names, for keyword calls (torch.remainder(input=x, other=y))
    x, y, ta, tb = prep(a, b, "remainder")
    _no_complex("remainder", x)
    _refuse_bool("remainder", x, y)
    _no_int_zero(x, y, "remainder")
    t = out(np.remainder(x, y))
    if _gm.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        ra = ta is not None and ta._rg
        rb = tb is not None and tb._rg

        def backward(g):
            ga = sum_to(g, ta._data.shape) if ra else None
            gb = sum_to(neg(mul(g, floor(div(ta, tb)))), tb._data.shape) if rb else None
            return ga, gb
        _rec(t, "RemainderBackward0", backward, (ta, tb), ())
    return t


def fmod(input, other):
    """C-style modulus: the result has the sign of the dividend."""
    a, b = input, other   # torch's names, for keyword calls (torch.fmod(input=x, other=y))
    x, y, ta, tb = prep(a, b, "fmod")
    _no_complex("fmod", x)
    _refuse_bool("fmod", x, y)
    _no_int_zero(x, y, "fmod")
    t = out(np.fmod(x, y))
    if _gm.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        ra = ta is not None and ta._rg
        rb = tb is not None and tb._rg

        def backward(g):
            ga = sum_to(g, ta._data.shape) if ra else None
            gb = sum_to(neg(mul(g, trunc(div(ta, tb)))), tb._data.shape) if rb else None
            return ga, gb
        _rec(t, "FmodBackward0", backward, (ta, tb), ())
    return t


def _int_pow_negative(x, y):
    """Integer powers with some negative exponents, as PyTorch computes them elementwise: x ** -n is 1 for
    x == 1, +-1 for x == -1 and 0 (the truncated quotient) otherwise. (A negative Python scalar exponent
    is an error instead, as in PyTorch.)"""
    x, y = np.broadcast_arrays(x, y)
    r = np.array(np.power(x, np.abs(y)))
    neg = y < 0
    r[neg] = np.where(x[neg] == 1, 1, np.where(x[neg] == -1, np.where(y[neg] % 2 == 0, 1, -1), 0))
    return r


def pow(input, exponent):
    """``input ** exponent`` (torch's argument names); d/da = b a^(b-1), d/db = a^b ln(a) (0 where a == 0, as in
    PyTorch)."""
    a, b = input, exponent
    if isinstance(a, Tensor) and a._data.dtype.kind in "iu" and type(b) is int and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    x, y, ta, tb = prep(a, b, "pow")
    if x.dtype.kind in "iu" and (isinstance(y, int) and y < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if isinstance(y, np.ndarray) and x.dtype == np.bool_ and y.dtype == np.bool_:
        raise NotImplementedError("pow(): not implemented for two bool tensors")
    try:
        if isinstance(y, (int, float)) and not isinstance(y, bool) and y == 2:
            r = np.square(x)
        elif isinstance(y, bool) and x.dtype == np.bool_:
            r = x.copy() if y else np.ones_like(x)  # bool ** bool stays bool in PyTorch
        elif x.dtype.kind in "iu" and isinstance(y, np.ndarray) and y.dtype.kind in "iu" and (y < 0).any():
            r = _int_pow_negative(x, y)
        else:
            r = np.power(x, y)
    except ValueError:
        raise _bcast("pow", x, y) from None
    t = out(r)
    if _gm.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        ra = ta is not None and ta._rg
        rb = tb is not None and tb._rg

        def backward(g):
            ga = gb = None
            if ra:
                if tb is None:
                    if y == 0:
                        ga = mul(g, 0.0)
                    else:
                        ga = mul(mul(g, y), pow(ta, y - 1))
                else:
                    ga = sum_to(mul(mul(g, tb), pow(ta, sub(tb, 1))), ta._data.shape)
            if rb:
                base = ta if ta is not None else to_tensor(x)
                lg = log(base)
                lg = where(out((base._data == 0) & (tb._data >= 0)), 0.0, lg)
                gb = sum_to(mul(mul(g, t), lg), tb._data.shape)
            return ga, gb
        saved = tuple(s for s in (ta, tb) if s is not None)
        _rec(t, "PowBackward0" if tb is None else "PowBackward1", backward, (ta, tb), saved)
    return t


def rpow(a, b):
    return pow(b, a)


def maximum(input, other):
    a, b = input, other   # torch's names, for keyword calls (torch.maximum(input=x, other=y))
    return _minmax(a, b, np.maximum, "maximum")


def minimum(input, other):
    a, b = input, other   # torch's names, for keyword calls (torch.minimum(input=x, other=y))
    return _minmax(a, b, np.minimum, "minimum")


def fmax(input, other):
    """Like ``maximum``, but a NaN loses to a number (NumPy's and PyTorch's ``fmax``)."""
    a, b = input, other   # torch's names, for keyword calls (torch.fmax(input=x, other=y))
    return _minmax(a, b, np.fmax, "fmax")


def fmin(input, other):
    """Like ``minimum``, but a NaN loses to a number."""
    a, b = input, other   # torch's names, for keyword calls (torch.fmin(input=x, other=y))
    return _minmax(a, b, np.fmin, "fmin")


def _minmax_weights(name, x, y):
    """How the output gradient is shared between the inputs, as PyTorch's rules share it:
    maximum/minimum split ties evenly and pass it to both where a NaN makes the comparison false;
    fmax/fmin give it to the first input on ties and to the input that is not NaN."""
    if name in ("fmax", "fmin"):
        first = ((x >= y) if name == "fmax" else (x <= y)) | np.isnan(y)
        return first, ~first
    lose_a, lose_b = (x < y, x > y) if name == "maximum" else (x > y, x < y)
    tie = x == y
    return np.where(tie, 0.5, ~lose_a), np.where(tie, 0.5, ~lose_b)


def _minmax(a, b, fn, name):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'other' must be Tensor, not {type(b).__name__}")
    x, y, ta, tb = prep(a, b, name)
    _no_complex(name, x)
    try:
        t = out(fn(x, y))
    except ValueError:
        raise _bcast(name, x, y) from None
    if _gm.enabled and (ta._rg or tb._rg):
        def backward(g):
            wa, wb = _minmax_weights(name, x, y)
            dt = g._data.dtype
            ga = sum_to(mul(g, out(wa.astype(dt))), ta._data.shape) if ta._rg else None
            gb = sum_to(mul(g, out(wb.astype(dt))), tb._data.shape) if tb._rg else None
            return ga, gb
        _rec(t, name.capitalize() + "Backward0", backward, (ta, tb), (ta, tb))
    return t


def atan2(input, other):
    a, b = input, other   # torch's names, for keyword calls (torch.atan2(input=x, other=y))
    x, y, ta, tb = prep(a, b, "atan2")
    _no_complex("atan2", x)
    x, y = _float_arr(x), _float_arr(np.asarray(y))
    t = out(np.arctan2(x, y))
    if _gm.enabled and (ta._rg or (tb is not None and tb._rg)):
        def backward(g):
            den = add(mul(ta, ta), mul(tb, tb))
            ga = sum_to(div(mul(g, tb), den), ta._data.shape) if ta._rg else None
            gb = sum_to(div(mul(neg(g), ta), den), tb._data.shape) if tb._rg else None
            return ga, gb
        _rec(t, "Atan2Backward0", backward, (ta, tb), (ta, tb))
    return t


arctan2 = atan2


def where(condition, input=None, other=None):
    """``where(c, a, b)`` picks ``a`` where ``c`` is true, else ``b``; ``where(c)`` is ``nonzero(c, as_tuple=True)``."""
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    c = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if c.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dt.from_numpy(c.dtype)}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor) and not isinstance(input, np.ndarray):
        # Two Python scalars: the first takes its own scalar dtype and the second promotes as a
        # weak scalar against it, as in ``torch.where(c, 1, 0.5)`` -> float32.
        input = to_tensor(input)
    x, y, ta, tb = prep(input, other, "where")
    try:
        t = out(np.where(c, x, y))
    except ValueError:
        raise RuntimeError(f"where: shapes {c.shape}, {np.shape(x)} and {np.shape(y)} cannot be broadcast "
                           "together") from None
    if _gm.enabled and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        def backward(g):
            z = np.zeros((), g._data.dtype)
            ga = sum_to(where(out(c), g, out(z)), ta._data.shape) if ta is not None and ta._rg else None
            gb = sum_to(where(out(c), out(z), g), tb._data.shape) if tb is not None and tb._rg else None
            return ga, gb
        _rec(t, "WhereBackward0", backward, (ta, tb), ())
    return t


def lerp(input, end, weight):
    """``input + weight * (end - input)``, for floating tensors of one dtype (as in PyTorch)."""
    start = input
    if start._data.dtype.kind not in "fc":
        raise NotImplementedError(f"lerp(): not implemented for {start.dtype} tensors")
    for what, v in (("end", end), ("weight", weight)):
        if isinstance(v, Tensor) and v._data.dtype != start._data.dtype:
            raise RuntimeError(f"lerp(): expected dtype {start.dtype} for `{what}` but got dtype {v.dtype}")
    # PyTorch's two-sided form: exact at weight 0 and 1, and the rounding matches where weight >= 0.5.
    d = sub(end, start)
    if not isinstance(weight, Tensor):
        return add(start, mul(weight, d)) if builtins.abs(weight) < 0.5 else sub(end, mul(d, 1 - weight))
    return where(out(np.abs(weight._data) < 0.5), add(start, mul(weight, d)), sub(end, mul(d, rsub(weight, 1))))


def _bcast(name, x, y):
    return RuntimeError(f"{name}: shapes {tuple(np.shape(x))} and {tuple(np.shape(y))} cannot be broadcast "
                        "together")


# -- unary ops: (name, NumPy function, gradient rule using x (input) and y (output)) ----------------

def _unary(name, npfn, rule, uses, float_only=True, node_name=None, complex_ok=True, refuse=""):
    """An elementwise op; ``refuse`` lists the NumPy dtype kinds PyTorch has no kernel for ("b", "iub")."""
    bname = node_name or "".join(p.capitalize() for p in name.split("_")) + "Backward0"

    def op(input):
        x = input if isinstance(input, Tensor) else to_tensor(input)
        a = x._data
        if a.dtype.kind in refuse:
            raise NotImplementedError(f"{name}(): not implemented for {x.dtype} tensors")
        lowp = None
        if float_only and a.dtype.kind not in "fc":
            if a.dtype.kind == "V":  # bfloat16: computed in float32 and rounded once, as PyTorch's kernels do
                lowp, a = a.dtype, a.astype(np.float32)
            else:
                a = _float_arr(a)
        if not complex_ok and a.dtype.kind == "c":
            _no_complex(name, a)
        t = out(npfn(a) if lowp is None else npfn(a).astype(lowp))
        if rule is not None and _gm.enabled and x._rg:
            saved = (x,) if uses == "x" else (t,) if uses == "y" else ()
            _rec(t, bname, lambda g: (rule(g, x, t),), (x,), saved)
        return t
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``."
    return op


def _sigmoid_np(a):
    if a.dtype.kind == "c":
        return 1 / (1 + np.exp(-a))
    # 1 / (1 + exp(-a)) in place: where exp(-a) overflows the value is 0 (below every float's
    # tiniest), and the relative error stays at a few ulp on both sides (np.where cost twice as much).
    r = np.array(a, dtype=np.float32 if a.dtype.itemsize < 4 else a.dtype, subok=True)  # subok: meta stays meta
    np.negative(r, out=r)
    with np.errstate(over="ignore"):
        np.exp(r, out=r)
    r += 1.0
    np.reciprocal(r, out=r)
    return r.astype(a.dtype, copy=False)


def _erf_np(a):
    from math import erf as _erf
    r = np.frompyfunc(_erf, 1, 1)(a.astype(np.float64))
    return np.asarray(r, dtype=a.dtype)


def _zero_rule(g, x, y):
    return mul(g, 0.0)


def _negative(a):
    if a.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return np.negative(a)


def _sign(a):
    if a.dtype == np.bool_:
        return a.copy()
    s = np.asarray(np.sign(a))
    if a.dtype.kind == "f":
        s[np.isnan(s)] = 0  # PyTorch: sign(NaN) is 0
    return s


neg = _unary("neg", _negative, lambda g, x, y: neg(g), "", float_only=False)
abs = _unary("abs", np.abs, lambda g, x, y: _complex_abs_rule(g, x) if x._data.dtype.kind == "c" else mul(g, sign(x)),
             "x", float_only=False, refuse="b")
exp = _unary("exp", np.exp, lambda g, x, y: mul(g, y), "y")
exp2 = _unary("exp2", np.exp2, lambda g, x, y: mul(g, mul(y, _LN2)), "y")
log = _unary("log", np.log, lambda g, x, y: div(g, x), "x")
log2 = _unary("log2", np.log2, lambda g, x, y: div(g, mul(x, _LN2)), "x")
log10 = _unary("log10", np.log10, lambda g, x, y: div(g, mul(x, _LN10)), "x")
log1p = _unary("log1p", np.log1p, lambda g, x, y: div(g, add(x, 1.0)), "x")
expm1 = _unary("expm1", np.expm1, lambda g, x, y: mul(g, add(y, 1.0)), "y")
sqrt = _unary("sqrt", np.sqrt, lambda g, x, y: div(g, mul(y, 2.0)), "y")
rsqrt = _unary("rsqrt", lambda a: 1 / np.sqrt(a), lambda g, x, y: mul(g, mul(pow(y, 3), -0.5)), "y")
square = _unary("square", lambda a: np.square(a.astype(np.int64) if a.dtype == np.bool_ else a),
                lambda g, x, y: mul(g, mul(x, 2.0)), "x", float_only=False,
                node_name="PowBackward0")
sin = _unary("sin", np.sin, lambda g, x, y: mul(g, cos(x)), "x")
cos = _unary("cos", np.cos, lambda g, x, y: mul(g, neg(sin(x))), "x")
tan = _unary("tan", np.tan, lambda g, x, y: mul(g, add(mul(y, y), 1.0)), "y")


def _one_minus_square(y):
    """``1 - y * y`` rounded once, as a fused multiply-add gives it: torch's tanh backward kernel is compiled
    with FMA contraction, and the plain two roundings differ from it in the last bit for about half of all
    values. float32: y * y is exact in float64. float64: Dekker's exact product and Knuth's exact sum."""
    if y.dtype == np.float32:
        return (1.0 - np.square(y, dtype=np.float64)).astype(np.float32)
    p = y * y
    c = 134217729.0 * y  # Veltkamp's split: y = hi + lo with 26-bit halves, so hi * hi etc. are exact
    hi = c - (c - y)
    lo = y - hi
    product_error = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    s = 1.0 - p
    back = s - 1.0
    sum_error = (1.0 - (s - back)) + (-p - back)
    return s + (sum_error - product_error)


def _tanh_grad(g, x, y):
    ya = y._data
    if _gm.enabled or ya.dtype not in (np.float32, np.float64) or g._data.dtype != ya.dtype:
        if not _gm.enabled and (ya.dtype.kind == "V" or ya.dtype.char == "e") and g._data.dtype == ya.dtype:
            # bfloat16/float16: PyTorch's tanh_backward kernel computes in float32 and rounds once
            y32 = ya.astype(np.float32)
            return out((g._data.astype(np.float32) * (1.0 - y32 * y32)).astype(ya.dtype))
        return mul(g, rsub(mul(y, y), 1.0))  # recorded for a double backward, or a dtype without the kernel
    return out(g._data * _one_minus_square(ya))


def _sigmoid_grad(g, x, y):
    ya = y._data
    if ya.dtype.char not in "fd" and not _gm.enabled and g._data.dtype == ya.dtype:
        if ya.dtype.kind == "V":
            # bfloat16: PyTorch's sigmoid_backward kernel computes in float32 and rounds once
            y32 = ya.astype(np.float32)
            return out((g._data.astype(np.float32) * (y32 * (1.0 - y32))).astype(ya.dtype))
        if ya.dtype.char == "e":
            # float16: PyTorch 2.13's kernel computes (g * (1 - y)) * y in float16, each product rounded
            return out((g._data * (np.float16(1) - ya)) * ya)
    return mul(g, mul(y, rsub(y, 1.0)))


tanh = _unary("tanh", np.tanh, _tanh_grad, "y")
sinh = _unary("sinh", np.sinh, lambda g, x, y: mul(g, cosh(x)), "x")
cosh = _unary("cosh", np.cosh, lambda g, x, y: mul(g, sinh(x)), "x")
asin = _unary("asin", np.arcsin, lambda g, x, y: div(g, sqrt(rsub(mul(x, x), 1.0))), "x")
acos = _unary("acos", np.arccos, lambda g, x, y: neg(div(g, sqrt(rsub(mul(x, x), 1.0)))), "x")
atan = _unary("atan", np.arctan, lambda g, x, y: div(g, add(mul(x, x), 1.0)), "x")
asinh = _unary("asinh", np.arcsinh, lambda g, x, y: div(g, sqrt(add(mul(x, x), 1.0))), "x")
acosh = _unary("acosh", np.arccosh, lambda g, x, y: div(g, sqrt(sub(mul(x, x), 1.0))), "x")
atanh = _unary("atanh", np.arctanh, lambda g, x, y: div(g, rsub(mul(x, x), 1.0)), "x")
sigmoid = _unary("sigmoid", _sigmoid_np, _sigmoid_grad, "y")
erf = _unary("erf", _erf_np, lambda g, x, y: mul(g, mul(exp(neg(mul(x, x))), _TWO_OVER_SQRT_PI)), "x",
             complex_ok=False)
reciprocal = _unary("reciprocal", np.reciprocal, lambda g, x, y: mul(g, neg(mul(y, y))), "y")
sign = _unary("sign", _sign, _zero_rule, "", float_only=False, complex_ok=False)
floor = _unary("floor", np.floor, _zero_rule, "", float_only=False, complex_ok=False, refuse="b")
ceil = _unary("ceil", np.ceil, _zero_rule, "", float_only=False, complex_ok=False, refuse="b")
trunc = _unary("trunc", np.trunc, _zero_rule, "", float_only=False, complex_ok=False, refuse="b")
frac = _unary("frac", lambda a: a - np.trunc(a), lambda g, x, y: g, "", complex_ok=False, refuse="iub")
arcsin, arccos, arctan, negative, absolute, fix = asin, acos, atan, neg, abs, trunc


def erfinv(input):
    """Inverse error function: Winitzki's closed-form guess, then Newton steps on erf (on erfc in the tails)."""
    from ...backend.special_gamma import erf as _erf64, erfc as _erfc64
    x = input
    a = _float_arr(x._data).astype(np.float64)
    with np.errstate(all="ignore"):
        ln = np.log((1.0 - a) * (1.0 + a))
        c = 2 / (math.pi * 0.147) + ln / 2
        y = np.sign(a) * np.sqrt(np.sqrt(c * c - ln / 0.147) - c)
        tail = np.abs(a) > 0.5
        for _ in range(4):
            yy = np.abs(y)
            resid = np.where(tail, (1.0 - np.abs(a)) - _erfc64(yy), _erf64(yy) - np.abs(a))
            y = np.sign(a) * (yy - resid / (_TWO_OVER_SQRT_PI * np.exp(-yy * yy)))
        y = np.where(np.abs(a) == 1, np.sign(a) * np.inf, np.where(np.abs(a) > 1, np.nan, y))
    t = out(y.astype(_float_arr(x._data).dtype))
    if _gm.enabled and x._rg:
        _rec(t, "ErfinvBackward0",
             lambda g: (mul(g, mul(exp(mul(t, t)), math.sqrt(math.pi) / 2)),), (x,), (t,))
    return t


def round(input, decimals=0):
    x = input
    _no_complex("round", x)
    _refuse_bool("round", x._data)
    if decimals:
        t = out(np.round(x._data, decimals))
    else:
        t = out(np.rint(x._data) if x._data.dtype.kind == "f" else x._data.copy())
    if _gm.enabled and x._rg:
        _rec(t, "RoundBackward0", lambda g: (mul(g, 0.0),), (x,), ())
    return t


def relu(input):
    if getattr(input, "is_quantized", False):  # torch.relu(x_q) clamps at the zero point, keeping the qparams
        return input.relu()
    x = input
    a = x._data
    _no_complex("relu", a)
    if a.dtype == np.bool_:
        raise RuntimeError("relu(): Boolean inputs not supported for relu")
    t = out(np.maximum(a, 0))
    if _gm.enabled and x._rg:
        # torch's threshold_backward: 0 where the result is <= 0, else g (a NaN result passes g on)
        _rec(t, "ReluBackward0", lambda g: (mul(g, out(~(t._data <= 0))),), (x,), (t,))
    return t


def _int_scalar_for(v, dtype, name):
    if type(v) is not int:
        return v
    info = np.iinfo(dtype)
    lo = -int(info.max) if info.min == 0 else int(info.min)
    if not lo <= v <= info.max:
        raise RuntimeError(f"{name}(): value {v} cannot be converted to type {dtype.name} without overflow")
    return np.array(v).astype(dtype)[()]


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]``; the gradient passes where ``min <= x <= max``."""
    x = input
    _no_complex("clamp", x)
    if x._data.dtype == np.bool_ and builtins.all(b is None or isinstance(b, (bool, np.bool_)) for b in (min, max)):
        raise NotImplementedError("clamp(): not implemented for bool tensors with bool bounds")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        r = x
        if min is not None:
            r = maximum(r, to_tensor(min, x))
        if max is not None:
            r = minimum(r, to_tensor(max, x))
        return r
    a = x._data
    lo, hi = min, max
    if a.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        if a.dtype.kind == "V":  # bfloat16: the bounds rounded to it, as PyTorch's kernel takes them
            lo, hi = (None if v is None else np.asarray(v, a.dtype)[()] for v in (lo, hi))
        else:
            a = _float_arr(a)
    if a.dtype.kind in "iu":
        # Integer bounds convert to the tensor's dtype as PyTorch converts them: -3 wraps into uint8's 253,
        # 300 is refused.
        lo, hi = (None if v is None else _int_scalar_for(v, a.dtype, "clamp") for v in (lo, hi))
    r = np.clip(a, lo, hi)
    t = out(r if r.dtype == a.dtype else r.astype(a.dtype))  # bfloat16: NumPy's clip answers float32
    if _gm.enabled and x._rg:
        def backward(g):
            m = np.ones(a.shape, np.bool_)
            if min is not None:
                m &= a >= min
            if max is not None:
                m &= a <= max
            return (mul(g, out(m)),)
        _rec(t, "ClampBackward1", backward, (x,), (x,))
    return t


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def heaviside(input, values):
    """Step function: 0 where x < 0, ``values`` where x == 0, 1 where x > 0."""
    x = input._data
    v = values._data if isinstance(values, Tensor) else values
    if isinstance(values, Tensor) and v.dtype != x.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes ({input.dtype} "
                           f"and {values.dtype})")
    # PyTorch's step is (x > 0) where x != 0, which is 0 for NaN (NumPy's heaviside gives NaN).
    r = np.where(x == 0, v, x > 0)
    return out(np.asarray(r).astype(np.result_type(x, v)))


def xlogy(input, other):
    """``x * log(y)`` as PyTorch computes it: 0 where x == 0 unless y is NaN; computed in the
    promoted floating dtype of both operands. Gradients ``log(y)`` for x (0 where x == 0 and y <= 0,
    where log(y) is not finite) and ``x / y`` for y."""
    a, b = input, other   # torch's names, for keyword calls (torch.xlogy(input=x, other=y))
    x, y, ta, tb = prep(a, b, "xlogy")
    d = _dt.promote_types(_dt.from_numpy(np.asarray(x).dtype), _dt.get_default_dtype()) \
        if np.asarray(x).dtype.kind not in "fc" else _dt.from_numpy(np.asarray(x).dtype)
    # PyTorch's rule names: Backward1 for a scalar x, Backward2 for a scalar y.
    name = "XlogyBackward0" if isinstance(b, Tensor) else "XlogyBackward2"
    if not isinstance(a, Tensor):
        name = "XlogyBackward1"
    a = a.to(d) if isinstance(a, Tensor) and a.dtype is not d else a
    b = to_tensor(b).to(d) if not isinstance(b, Tensor) or b.dtype is not d else b
    xa = a._data if isinstance(a, Tensor) else np.asarray(a, d.numpy)
    yb = b._data
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(np.isnan(yb), np.nan, np.where(xa == 0, 0.0, xa * np.log(yb))).astype(d.numpy)
    t = out(r)
    ta = a if isinstance(a, Tensor) else None
    if grad_mode.state.enabled and (ta is not None and ta._rg or b._rg):
        def backward(g):
            ga = gb = None
            if ta is not None and ta._rg:
                ga = sum_to(where(out((xa == 0) & (yb <= 0)), 0.0, mul(g, log(b))), ta._data.shape)
            if b._rg:
                gb = sum_to(div(mul(g, a), b), b._data.shape)
            return ga, gb
        _rec(t, name, backward, (ta, b), ())
    return t


# -- comparison and logic (no gradient) -------------------------------------------------------------

def _compare(name, fn, ordered=True):
    def op(input, other):
        x, y, ta, tb = prep(input, other, name)
        if ordered:
            _no_complex(name, x)
        try:
            return out(fn(x, y))
        except ValueError:
            raise _bcast(name, x, y) from None
    op.__name__ = name
    return op


eq = _compare("eq", np.equal, ordered=False)
ne = _compare("ne", np.not_equal, ordered=False)
lt = _compare("lt", np.less)
le = _compare("le", np.less_equal)
gt = _compare("gt", np.greater)
ge = _compare("ge", np.greater_equal)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _bool_arr(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def logical_and(input, other):
    return out(np.logical_and(_bool_arr(input), _bool_arr(other)))


def logical_or(input, other):
    return out(np.logical_or(_bool_arr(input), _bool_arr(other)))


def logical_xor(input, other):
    return out(np.logical_xor(_bool_arr(input), _bool_arr(other)))


def logical_not(input):
    return out(np.logical_not(_bool_arr(input)))


def _bitwise(name, fn):
    def op(input, other):
        x, y, ta, tb = prep(input, other, name)
        if x.dtype.kind == "f" or (isinstance(y, np.ndarray) and y.dtype.kind == "f") or isinstance(y, float):
            raise TypeError(f"{name}: bitwise operations need integer or bool tensors, got {_dt.from_numpy(x.dtype)}")
        return out(fn(x, y))
    op.__name__ = name
    return op


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)


def bitwise_not(input):
    a = input._data
    if a.dtype.kind == "f":
        raise TypeError(f"bitwise_not: needs an integer or bool tensor, got {input.dtype}")
    return out(np.invert(a))


def isnan(input):
    return out(np.isnan(input._data))


def isinf(input):
    return out(np.isinf(input._data))


def isfinite(input):
    return out(np.isfinite(input._data))


def isposinf(input):
    return out(np.isposinf(input._data))


def isneginf(input):
    return out(np.isneginf(input._data))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the dtype's extremes by default);
    the gradient passes where the input was finite and is 0 where a value was replaced."""
    x = input
    a = x._data
    t = out(np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf))
    if _gm.enabled and x._rg:
        _rec(t, "NanToNumBackward0", lambda g: (mul(g, out(np.isfinite(a))),), (x,), ())
    return t


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(input._data, _bool_arr(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    if isinstance(other, Tensor) and other._data.dtype != input._data.dtype:
        raise RuntimeError(f"isclose(): {input.dtype} did not match {other.dtype}; compare tensors of one dtype")
    return out(np.isclose(input._data, _bool_arr(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))
