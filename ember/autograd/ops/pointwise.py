"""More elementwise primitives (PyTorch's pointwise ops beyond ``elementwise.py``), each with its
gradient rule written with ember ops so that it can be differentiated again.

Gamma-family and error-function values come from the NumPy kernels in
``ember.backend.special_gamma`` (computed in float64, returned in the input's float dtype).

>>> import ember
>>> ember.hypot(ember.tensor([3.0]), ember.tensor([4.0]))
tensor([5.])
"""
import math

import numpy as np

from .. import return_types as _rt
from ...backend import dtypes as _dt
import importlib
from .. import grad_mode
from ..node import record as _rec
from ..tensor import Tensor
from ._util import out, prep, to_tensor
from .elementwise import (add, sub, mul, div, neg, exp, log, log1p, sqrt, sign, sin, cos, pow, where, sigmoid,
                          _float_arr, _bcast, abs as _abs, exp2, eq, ne)

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "erfc", "i0", "sinc", "logit", "positive",
           "sgn", "signbit", "deg2rad", "rad2deg", "addcmul", "addcdiv", "hypot", "logaddexp", "logaddexp2",
           "copysign", "float_power", "ldexp", "frexp", "nextafter", "gcd", "lcm", "bitwise_left_shift",
           "bitwise_right_shift", "igamma", "igammac", "hardshrink", "prelu"]

_gm = grad_mode.state


class _LazyKernels:
    """The NumPy kernel module, imported on first use (keeps ``import ember`` fast); ``_sg.lgamma`` is
    a function that resolves ``ember.backend.special_gamma.lgamma`` when called."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        def kernel(*args):
            return getattr(importlib.import_module(self._module), name)(*args)
        kernel.__name__ = name
        return kernel


_sg = _LazyKernels("ember.backend.special_gamma")
_sb = _LazyKernels("ember.backend.special_bessel")
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _name_of(a):
    return {np.dtype(np.float32): "Float", np.dtype(np.float64): "Double", np.dtype(np.float16): "Half",
            np.dtype(np.int64): "Long", np.dtype(np.int32): "Int", np.dtype(np.int16): "Short",
            np.dtype(np.int8): "Char", np.dtype(np.uint8): "Byte", np.dtype(np.bool_): "Bool"}.get(a.dtype, str(a.dtype))


def _need_float(name, *arrays):
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind != "f":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{_name_of(a)}\'')


def _need_int(name, *arrays):
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind not in "iub":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{_name_of(a)}\'')


def _no_half(name, a):
    """PyTorch has no float16 kernel for some special functions; it says so, and so does ember."""
    if a.dtype == np.float16:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'Half\'')


def _need_tensor(name, argname, pos, v):
    if not isinstance(v, Tensor):
        raise TypeError(f"{name}(): argument '{argname}' (position {pos}) must be Tensor, not {type(v).__name__}")


def _tracked(*ts):
    return _gm.enabled and any(t is not None and t._rg for t in ts)


def _kernel(a, fn):
    """Run a float64 kernel on ``a`` (integers become the default float dtype) and keep ``a``'s float dtype."""
    a = _float_arr(a)
    return fn(a.astype(np.float64, copy=False)).astype(a.dtype, copy=False)


def unary_kernel(name, fn, rule=None, uses="x", node_name=None, half=True):
    """A unary op from a float64 NumPy kernel ``fn`` and a gradient ``rule(g, x, y)`` (None: no gradient)."""
    bname = node_name or "".join(p.capitalize() for p in name.split("_")) + "Backward0"

    def op(input):
        x = input if isinstance(input, Tensor) else to_tensor(input)
        if not half:
            _no_half(name, x._data)
        t = out(_kernel(x._data, fn))
        if rule is not None and _gm.enabled and x._rg:
            saved = (x,) if uses == "x" else (t,) if uses == "y" else ()
            _rec(t, bname, lambda g: (rule(g, x, t),), (x,), saved)
        return t
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``."
    return op


def _pos_zero_guard(x, fn):
    """``fn(x)`` with x = 0 replaced by 1 (for rules with a removable singularity at 0)."""
    z = eq(x, 0)
    return z, fn(where(z, 1.0, x))


lgamma = unary_kernel("lgamma", _sg.lgamma, lambda g, x, y: mul(g, digamma(x)))
digamma = unary_kernel("digamma", _sg.digamma, lambda g, x, y: mul(g, polygamma(1, x)))
erfc = unary_kernel("erfc", _sg.erfc, lambda g, x, y: mul(g, mul(exp(neg(mul(x, x))), -2.0 / _SQRT_PI)))
erfcx = unary_kernel("erfcx", _sg.erfcx,
                     lambda g, x, y: mul(g, sub(mul(mul(x, y), 2.0), 2.0 / _SQRT_PI)), "xy",
                     node_name="SpecialErfcxBackward0", half=False)
ndtr = unary_kernel("ndtr", _sg.ndtr, lambda g, x, y: mul(g, mul(exp(mul(mul(x, x), -0.5)), 1 / _SQRT_2PI)),
                    node_name="SpecialNdtrBackward0")
ndtri = unary_kernel("ndtri", _sg.ndtri, lambda g, x, y: mul(g, mul(exp(mul(mul(y, y), 0.5)), _SQRT_2PI)), "y",
                     node_name="SpecialNdtriBackward0", half=False)
log_ndtr = unary_kernel("log_ndtr", _sg.log_ndtr,
                        lambda g, x, y: mul(g, mul(exp(sub(mul(mul(x, x), -0.5), y)), 1 / _SQRT_2PI)), "xy",
                        node_name="SpecialLogNdtrBackward0", half=False)
i0 = unary_kernel("i0", _sb.i0, lambda g, x, y: mul(g, i1(x)))
i0e = unary_kernel("i0e", _sb.i0e, lambda g, x, y: mul(g, sub(i1e(x), mul(sign(x), y))), "xy",
                   node_name="SpecialI0EBackward0")


def _i1_rule(g, x, y):
    z, q = _pos_zero_guard(x, lambda v: div(i1(v), v))
    return mul(g, where(z, 0.5, sub(i0(x), q)))


def _i1e_rule(g, x, y):
    z, q = _pos_zero_guard(x, lambda v: div(i1e(v), v))
    return mul(g, where(z, 0.5, sub(sub(i0e(x), mul(sign(x), y)), q)))


i1 = unary_kernel("i1", _sb.i1, _i1_rule, "xy", node_name="SpecialI1Backward0")
i1e = unary_kernel("i1e", _sb.i1e, _i1e_rule, "xy", node_name="SpecialI1EBackward0")


def _sinc_np(a):
    with np.errstate(all="ignore"):
        pa = np.pi * a
        return np.where(a == 0, 1.0, np.sin(pa) / pa)


def _sinc_rule(g, x, y):
    z, q = _pos_zero_guard(x, lambda v: div(sub(cos(mul(v, math.pi)), sinc(v)), v))
    return mul(g, where(z, 0.0, q))


sinc = unary_kernel("sinc", _sinc_np, _sinc_rule, "x")


def _entr_np(a):
    with np.errstate(all="ignore"):
        r = np.where(a > 0, -a * np.log(np.where(a > 0, a, 1.0)), np.where(a == 0, 0.0, -np.inf))
        return np.where(np.isnan(a), np.nan, r)


entr = unary_kernel("entr", _entr_np, lambda g, x, y: mul(g, neg(add(log(x), 1.0))), "x",
                    node_name="SpecialEntrBackward0")


def polygamma(n, input):
    """The n-th derivative of digamma, ``psi^(n)(x)``; the gradient is ``psi^(n+1)(x)``."""
    x = input if isinstance(input, Tensor) else to_tensor(input)
    n = int(n)
    t = out(_kernel(x._data, lambda a: _sg.polygamma(n, a)))
    if _gm.enabled and x._rg:
        _rec(t, "PolygammaBackward0", lambda g: (mul(g, polygamma(n + 1, x)),), (x,), (x,))
    return t


def mvlgamma(input, p):
    """Multivariate log-gamma: ``sum_i lgamma(x - i/2), i < p``, plus ``p (p-1)/4 log(pi)``."""
    x = input
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, got p={p}")
    if x._data.dtype.kind != "f":
        x = x.to(_dt.get_default_dtype())
    r = lgamma(x)
    for i in range(1, p):
        r = add(r, lgamma(sub(x, i / 2)))
    return add(r, p * (p - 1) / 4 * math.log(math.pi))


def logit(input, eps=None):
    """``log(x / (1 - x))``, with x clamped to ``[eps, 1 - eps]`` first when ``eps`` is given."""
    x = input
    a = _float_arr(x._data)
    lo, hi = (eps, 1.0 - eps) if eps is not None else (None, None)
    with np.errstate(all="ignore"):
        c = np.clip(a, lo, hi) if eps is not None else a
        t = out((np.log(c) - np.log1p(-c)).astype(a.dtype, copy=False))
    if _gm.enabled and x._rg:
        def backward(g):
            r = div(g, mul(x, sub(1.0, x)))
            if eps is not None:
                return (where(out((a < lo) | (a > hi)), 0.0, r),)
            return (where(out((a < 0) | (a > 1)), float("nan"), r),)
        _rec(t, "LogitBackward0", backward, (x,), (x,))
    return t


def positive(input):
    """Returns ``input`` itself (``+x``); an error for bool tensors, as in PyTorch."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def sgn(input):
    """The sign of each element (``sign`` for real tensors; a bool tensor is its own sign)."""
    if input._data.dtype == np.bool_:
        return out(input._data.copy())
    if input._data.dtype.kind == "c":
        from .complex_numbers import sgn as complex_sgn
        return complex_sgn(input)
    return sign(input)


def signbit(input):
    """True where the sign bit is set (negative numbers and -0.0)."""
    return out(np.signbit(input._data))


def deg2rad(input):
    x = input if input._data.dtype.kind == "f" else input.to(_dt.get_default_dtype())
    return mul(x, math.pi / 180.0)


def rad2deg(input):
    x = input if input._data.dtype.kind == "f" else input.to(_dt.get_default_dtype())
    return mul(x, 180.0 / math.pi)


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    _need_tensor("addcmul", "tensor1", 2, tensor1)
    _need_tensor("addcmul", "tensor2", 3, tensor2)
    p = mul(tensor1, tensor2)
    return add(input, p if value == 1 else mul(p, value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``; integer tensors are refused, as in PyTorch."""
    _need_tensor("addcdiv", "tensor1", 2, tensor1)
    _need_tensor("addcdiv", "tensor2", 3, tensor2)
    if tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release "
                           "addcdiv will perform a true division of tensor1 and tensor2. Use addcmul(input, "
                           "tensor1, torch.true_divide(tensor2, value)) or ...")
    q = div(tensor1, tensor2)
    return add(input, q if value == 1 else mul(q, value))


def _binary_float(name, a, b):
    x, y, ta, tb = prep(a, b, name)
    _need_float(name, x, y)
    return x, y, ta, tb


def hypot(input, other):
    """``sqrt(a^2 + b^2)`` without overflow; gradients ``a / h`` and ``b / h``."""
    _need_tensor("hypot", "other", 2, other)
    x, y, ta, tb = _binary_float("hypot", input, other)
    try:
        t = out(np.hypot(x, y))
    except ValueError:
        raise _bcast("hypot", x, y) from None
    if _tracked(ta, tb):
        def backward(g):
            return (_sum(mul(g, div(ta, t)), ta) if ta is not None and ta._rg else None,
                    _sum(mul(g, div(tb, t)), tb) if tb is not None and tb._rg else None)
        _rec(t, "HypotBackward0", backward, (ta, tb), (t,))
    return t


def _sum(g, like):
    from .elementwise import sum_to
    return sum_to(g, like._data.shape)


def logaddexp(input, other):
    """``log(e^a + e^b)``, computed stably; gradients ``sigmoid(a - b)`` and ``sigmoid(b - a)``."""
    _need_tensor("logaddexp", "other", 2, other)
    x, y, ta, tb = _binary_float("logaddexp", input, other)
    try:
        t = out(np.logaddexp(x, y))
    except ValueError:
        raise _bcast("logaddexp", x, y) from None
    if _tracked(ta, tb):
        def backward(g):
            d = sub(ta, tb)
            return (_sum(mul(g, sigmoid(d)), ta) if ta._rg else None,
                    _sum(mul(g, sigmoid(neg(d))), tb) if tb._rg else None)
        _rec(t, "LogaddexpBackward0", backward, (ta, tb), (ta,))
    return t


def logaddexp2(input, other):
    """``log2(2^a + 2^b)``; gradients ``sigmoid((a - b) ln 2)`` and ``sigmoid((b - a) ln 2)``."""
    _need_tensor("logaddexp2", "other", 2, other)
    x, y, ta, tb = _binary_float("logaddexp2", input, other)
    try:
        t = out(np.logaddexp2(x, y))
    except ValueError:
        raise _bcast("logaddexp2", x, y) from None
    if _tracked(ta, tb):
        def backward(g):
            d = mul(sub(ta, tb), math.log(2.0))
            return (_sum(mul(g, sigmoid(d)), ta) if ta._rg else None,
                    _sum(mul(g, sigmoid(neg(d))), tb) if tb._rg else None)
        _rec(t, "Logaddexp2Backward0", backward, (ta, tb), (ta,))
    return t


def copysign(input, other):
    """``|a|`` with the sign of ``b`` (integers give the default float dtype); the gradient of ``a``
    is ``g * copysign(1, a) * copysign(1, b)`` (0 where a == 0), none flows to ``b``."""
    x, y, ta, tb = prep(input, other, "copysign")
    x = _float_arr(x)
    # A Python number keeps its own sign (prep would wrap -3 into an integer tensor's dtype).
    y = _float_arr(y) if isinstance(y, np.ndarray) else float(other if not isinstance(other, Tensor) else y)
    try:
        t = out(np.copysign(x, y))
    except ValueError:
        raise _bcast("copysign", x, y) from None
    if _tracked(ta, tb):
        def backward(g):
            ga = None
            if ta._rg:
                z = out(x == 0)
                ga = _sum(where(z, 0.0, mul(g, div(t, where(z, 1.0, ta)))), ta)
            gb = _sum(mul(g, 0.0), tb) if tb is not None and tb._rg else None
            return ga, gb
        _rec(t, "CopysignBackward0", backward, (ta, tb), (ta, t))
    return t


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (PyTorch's ``float_power``)."""
    a = input.to(_dt.float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(_dt.float64) if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(a, Tensor):
        a = to_tensor(a).to(_dt.float64)
    return pow(a, b)


def ldexp(input, other):
    """``input * 2 ** other``."""
    _need_tensor("ldexp", "other", 2, other)
    if other._data.dtype == np.bool_ and input._data.dtype.kind in "fc":
        raise NotImplementedError("ldexp(): not implemented for a bool exponent of a floating tensor")
    if input._data.dtype.kind in "fc" and other._data.dtype.kind in "iu":
        # PyTorch computes 2 ** other in other's own dtype; an integer exponent of a float16 tensor gives
        # float16, not the default float.
        other = other.to(input.dtype)
    return mul(input, exp2(other))


def frexp(input):
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent`` and ``0.5 <= |mantissa| < 1``."""
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = np.frexp(a)
    tm, te = out(m), out(e.astype(np.int32))
    if _gm.enabled and input._rg:
        scale = out(np.ldexp(np.ones((), a.dtype), -e).astype(a.dtype))
        _rec(tm, "FrexpBackward0", lambda g: (mul(g, scale),), (input,), ())
    return _rt.frexp(tm, te)


def nextafter(input, other):
    """The next float after ``input`` towards ``other``; the gradient passes to ``input`` unchanged."""
    _need_tensor("nextafter", "other", 2, other)
    x, y, ta, tb = prep(input, other, "nextafter")
    _need_float("nextafter", x, y)
    t = out(np.nextafter(x, y))
    if _tracked(ta, tb):
        _rec(t, "NextafterBackward0",
             lambda g: (_sum(g, ta) if ta._rg else None, _sum(mul(g, 0.0), tb) if tb._rg else None),
             (ta, tb), ())
    return t


def gcd(input, other):
    x, y, ta, tb = prep(input, other, "gcd")
    _need_int("gcd", x, y)
    return out(np.gcd(x, y))


def lcm(input, other):
    x, y, ta, tb = prep(input, other, "lcm")
    _need_int("lcm", x, y)
    return out(np.lcm(x, y))


def _shift(name, input, other, left):
    x, y, ta, tb = prep(input, other, name)
    _need_int(name, x, np.asarray(y))
    if x.dtype == np.bool_:
        raise NotImplementedError(f"{name}(): not implemented for bool tensors")
    bits = x.dtype.itemsize * 8
    yy = np.asarray(y)
    big = (yy >= bits) | (yy < 0)
    safe = np.where(big, 0, yy).astype(x.dtype)
    if left:
        r = np.where(big, 0, np.left_shift(x, safe))
    else:
        r = np.where(big, np.where(x < 0, -1, 0), np.right_shift(x, safe))
    return out(np.asanyarray(r, dtype=x.dtype))


def bitwise_left_shift(input, other):
    """``input << other``; shifts of the bit width or more give 0."""
    return _shift("lshift", input, other, True)


def bitwise_right_shift(input, other):
    """``input >> other`` (arithmetic for signed types); shifts of the bit width or more give 0 or -1."""
    return _shift("rshift", input, other, False)


def _binary_kernel(name, fn, a, b, allow_int=False):
    x, y, ta, tb = prep(a, b, name)
    if not allow_int:
        _need_float(name, x, y if isinstance(y, np.ndarray) else None)
    x = _float_arr(x)
    y = np.asarray(y, dtype=x.dtype)
    try:
        xb, yb = np.broadcast_arrays(x, y)
    except ValueError:
        raise _bcast(name, x, y) from None
    return out(fn(xb.astype(np.float64), yb.astype(np.float64)).astype(x.dtype)), ta, tb, x, y


def igamma(input, other):
    """The regularized lower incomplete gamma ``P(a, x)``; differentiable in ``x`` only."""
    _need_tensor("igamma", "other", 2, other)
    t, ta, tb, a, x = _binary_kernel("igamma", _sg.gammainc, input, other)
    return _gamma_grad(t, ta, tb, 1.0, "IgammaBackward0", "igamma")


def igammac(input, other):
    """The regularized upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``; differentiable in ``x`` only."""
    _need_tensor("igammac", "other", 2, other)
    t, ta, tb, a, x = _binary_kernel("igammac", _sg.gammaincc, input, other)
    return _gamma_grad(t, ta, tb, -1.0, "IgammacBackward0", "igammac")


def _not_implemented(what):
    def backward(g):
        raise RuntimeError(f"the derivative for '{what}' is not implemented.")
    return backward


def _gamma_grad(t, ta, tb, s, node, name):
    if _tracked(ta, tb):
        def backward(g):
            if ta is not None and ta._rg:
                _not_implemented(f"{name}: input")(g)
            # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)
            d = exp(sub(sub(mul(sub(ta, 1.0), log(tb)), tb), lgamma(ta)))
            return None, _sum(mul(g, d if s > 0 else neg(d)), tb)
        _rec(t, node, backward, (ta, tb), (ta, tb))
    return t


def zeta(input, other):
    """The Hurwitz zeta function ``sum_k (other + k) ** -input`` (no gradient in PyTorch)."""
    t, ta, tb, _, _ = _binary_kernel("zeta", _sg.zeta, *_as_tensors(input, other), allow_int=True)
    _no_half("zeta", t._data)
    if _tracked(ta, tb):
        _rec(t, "SpecialZetaBackward0", _not_implemented("zeta"), (ta, tb), ())
    return t


def _as_tensors(a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = to_tensor(a)
    return a, b


def xlog1py(input, other):
    """``x * log1p(y)`` as PyTorch computes it: 0 where x == 0 unless y is NaN. Gradients
    ``log1p(y)`` for x (0 where x == 0 and y <= -1) and ``x / (1 + y)`` for y."""
    name = "SpecialXlog1PyBackward" + ("0" if isinstance(input, Tensor) and isinstance(other, Tensor)
                                       else "1" if not isinstance(input, Tensor) else "2")
    a, b = _as_tensors(input, other)
    x, y, ta, tb = prep(a, b, "xlog1py")
    x, y = _float_arr(x), np.asarray(y, dtype=_float_arr(x).dtype) if not isinstance(y, np.ndarray) else _float_arr(y)
    with np.errstate(all="ignore"):
        r = np.where(np.isnan(y), np.nan, np.where(x == 0, 0.0, x * np.log1p(y))).astype(np.result_type(x, y))
    t = out(r)
    if _tracked(ta, tb):
        ya = tb if tb is not None else out(y)
        xa = ta if ta is not None else out(x)

        def backward(g):
            ga = _sum(where(out((x == 0) & (y <= -1)), 0.0, mul(g, log1p(ya))), ta) if ta is not None and ta._rg \
                else None
            gb = _sum(mul(g, div(xa, add(ya, 1.0))), tb) if tb is not None and tb._rg else None
            return ga, gb
        _rec(t, name, backward, (ta, tb), ())
    return t


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    x = input
    return where(out(np.abs(x._data) > lambd), x, out(np.zeros((), x._data.dtype)))


def prelu(input, weight):
    """``x`` where ``x >= 0``, else ``weight * x``; ``weight`` has 1 element or one per channel (dim 1).

    >>> import ember
    >>> ember.prelu(ember.tensor([-2.0, 3.0]), ember.tensor([0.25]))
    tensor([-0.5000,  3.0000])
    """
    x, w = input, weight
    n = w._data.size
    if n != 1:
        c = x._data.shape[1] if x._data.ndim >= 2 else 1  # no channel dim below 2-D, as in PyTorch
        if n != c:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {c}.")
        if x._data.ndim >= 2:
            w = w.reshape((1, n) + (1,) * (x._data.ndim - 2))
    elif w._data.ndim:
        w = w.reshape(())
    return where(out(x._data >= 0), x, mul(w, x))


# -- Bessel functions and polynomials without gradients in PyTorch ---------------------------------

def _nograd_unary(name, fn):
    def op(input):
        x = input if isinstance(input, Tensor) else to_tensor(input)
        _no_half(name, x._data)
        return out(_kernel(x._data, fn))
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` (no gradient, as in PyTorch)."
    return op


bessel_j0 = _nograd_unary("bessel_j0", _sb.j0)
bessel_j1 = _nograd_unary("bessel_j1", _sb.j1)
bessel_y0 = _nograd_unary("bessel_y0", _sb.y0)
bessel_y1 = _nograd_unary("bessel_y1", _sb.y1)
modified_bessel_i0 = _nograd_unary("modified_bessel_i0", _sb.i0)
modified_bessel_i1 = _nograd_unary("modified_bessel_i1", _sb.i1)
modified_bessel_k0 = _nograd_unary("modified_bessel_k0", _sb.k0)
modified_bessel_k1 = _nograd_unary("modified_bessel_k1", _sb.k1)
scaled_modified_bessel_k0 = _nograd_unary("scaled_modified_bessel_k0", _sb.k0e)
scaled_modified_bessel_k1 = _nograd_unary("scaled_modified_bessel_k1", _sb.k1e)
spherical_bessel_j0 = _nograd_unary("spherical_bessel_j0", _sb.spherical_j0)
airy_ai = _nograd_unary("airy_ai", _sb.airy_ai)
