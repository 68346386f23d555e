"""Activation functions: ``relu``, ``gelu``, ``silu``, ``softmax`` and the rest of ``torch.nn.functional``'s.

The common ones (``relu``, ``leaky_relu``, ``hardtanh``, ``gelu``, ``silu``) are
fused nodes with a NumPy backward; the others are compositions of ember ops.
Every function that PyTorch gives ``inplace=`` accepts it; with ``inplace=True`` the
input's memory is overwritten (and, when recording, the input becomes the op's output
in the graph, as in PyTorch).

>>> import ember
>>> import ember.nn.functional as F
>>> F.relu(ember.tensor([-1.0, 0.5]))
tensor([0.0000, 0.5000])
>>> F.gelu(ember.tensor([1.0]), approximate="tanh")
tensor([0.8412])
"""
import math
import warnings

import numpy as np

from ..autograd.ops import (add, sub, mul, div, neg, exp, expm1, log1p, tanh as _tanh, sigmoid as _sigmoid,
                            abs as _abs, where, clamp, erf, softmax as _softmax, log_softmax as _log_softmax,
                            chunk, reshape, clone)
from ..autograd.ops.conversion import in_float32
from ..autograd.ops.inplace import apply_inplace
from ..backend import parallel as _parallel
from ..backend.meta import MetaArray as _MetaArray
from . import _softmax_rows
from ._blocks import row_blocks
from ._fuse import gm, wrap, record, composite_grad

_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _inplace(x, fn):
    """Write ``fn(x)`` into ``x``'s memory (recorded as in PyTorch when ``x`` is in a graph)."""
    if gm.enabled and x._rg:
        # The op's rule may keep the old values (or arrays of them): give it a private copy.
        return apply_inplace(x, lambda old: fn(clone(old)))
    r = fn(x)._data
    np.copyto(x._data, r, casting="unsafe")
    x._bump()
    return x


def _const(arr):
    return wrap(arr)


# -- the ReLU family (fused) ------------------------------------------------------------------------

def relu(input, inplace=False):
    """``max(x, 0)``. Gradient: ``g`` where ``x > 0``, else 0."""
    if getattr(input, "is_quantized", False):  # a quantized tensor clamps at its zero point, keeping its qparams
        return input.relu()
    if inplace:
        return relu_(input)
    a = input._data
    if a.dtype is _FLOAT16:  # an identity test, the cheapest (a float16 of another descriptor takes NumPy's path)
        return _relu_half(input)
    if a.size >= _PAR_ELEMENTS and a.flags.c_contiguous and a.dtype.kind == "f":
        # A large activation (a convolution's output): one run of blocks per kernel thread. One ufunc call
        # a block, so the threads rarely wait for each other's GIL (a chain of many short calls would).
        r = np.empty(a.shape, a.dtype)
        _parallel.run_blocks(_relu_blocks, (a.reshape(-1), r.reshape(-1)), row_blocks(a.size, 1))
    else:
        r = np.maximum(a, 0)
    t = wrap(r)
    if gm.enabled and input._rg:
        def backward(g):
            # torch's threshold_backward: 0 where the result is <= 0, else g (a NaN result passes g on).
            if gm.enabled:
                return (mul(g, _const(~(r <= 0))),)
            gd = g._data
            # Flat views of all three, never copies: r is C-ordered only if the input was (a permuted view's
            # result keeps the view's memory order), and the blocks are written through d's flat view.
            if (r.size >= _PAR_ELEMENTS and r.flags.c_contiguous and gd.flags.c_contiguous and gd.shape == r.shape
                    and gd.dtype == r.dtype):
                d = np.empty(r.shape, r.dtype)
                _parallel.run_blocks(_relu_grad_blocks, (gd.reshape(-1), r.reshape(-1), d.reshape(-1)),
                                     row_blocks(r.size, 1))
                return (wrap(d),)
            return (wrap(np.multiply(gd, ~(r <= 0))),)
        record(t, "ReluBackward0", backward, (input,), (t,))
    return t


_FLOAT16 = np.dtype(np.float16)


def _relu_half_bits(u):
    """``max(x, 0)`` on float16 bits ``u`` (uint16), as NumPy's maximum gives it (-0 and NaNs kept): the values
    zeroed are the negative ones from -0's successor to -inf, bits 0x8001..0xFC00. NumPy's float16 maximum and
    comparisons run element by element, ~35x slower than these integer passes."""
    return u * ((u - np.uint16(0x8001)) > np.uint16(0x7BFF))


def _relu_half(input):
    a = input._data
    r = _relu_half_bits(a.view(np.uint16)).view(np.float16)
    t = wrap(r)
    if gm.enabled and input._rg:
        def backward(g):
            if gm.enabled:
                return (mul(g, _const(~(r <= 0))),)
            gd = g._data
            if gd.dtype != r.dtype:
                return (wrap(np.multiply(gd, ~(r <= 0))),)
            # threshold_backward: 0 where the result is +-0, else g (a NaN result passes g on)
            gb = np.ascontiguousarray(gd).view(np.uint16)
            return (wrap((gb * ((r.view(np.uint16) & np.uint16(0x7FFF)) != 0)).view(np.float16)),)
        record(t, "ReluBackward0", backward, (input,), (t,))
    return t


# Below this many elements an elementwise pass takes less than handing half of it to a thread.
_PAR_ELEMENTS = 1 << 18


def _relu_blocks(a, r, blocks):
    for b in blocks:
        np.maximum(a[b], 0, out=r[b])


def _relu_grad_blocks(g, r, d, blocks):
    for b in blocks:
        keep = np.less_equal(r[b], 0)
        np.logical_not(keep, out=keep)
        np.multiply(g[b], keep, out=d[b])


def relu_(input):
    """In-place :func:`relu`."""
    if gm.enabled and input._rg:
        return apply_inplace(input, relu)
    np.maximum(input._data, 0, out=input._data)
    input._bump()
    return input


def _hardtanh(input, lo, hi):
    a = input._data
    r = np.clip(a, lo, hi)
    t = wrap(r)
    if gm.enabled and input._rg:
        def backward(g):
            m = (a > lo) & (a < hi)
            if gm.enabled:
                return (mul(g, _const(m)),)
            return (wrap(np.multiply(g._data, m)),)
        record(t, "HardtanhBackward0", backward, (input,), (input,))
    return t


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``clamp(x, min_val, max_val)``; the gradient is zero outside the open interval."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if getattr(input, "is_quantized", False):  # clamp the integers at the quantized bounds
        from ..autograd.quantized import clamp_quantized
        return clamp_quantized(input, min_val, max_val)
    if inplace:
        return _inplace(input, lambda x: _hardtanh(x, min_val, max_val))
    return _hardtanh(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky(input, slope):
    a = input._data
    pos = a > 0
    r = np.where(pos, a, a * slope)
    if r.dtype != a.dtype:  # bfloat16 times a Python float is float32: rounded once
        r = r.astype(a.dtype)
    t = wrap(r)
    if gm.enabled and input._rg:
        def backward(g):
            f = np.where(pos, 1.0, slope).astype(a.dtype)
            if gm.enabled:
                return (mul(g, _const(f)),)
            if a.dtype.kind == "V":  # bfloat16: the slope unrounded, the product rounded once, as PyTorch
                return (wrap((g._data * np.where(pos, 1.0, slope).astype(np.float32)).astype(a.dtype)),)
            return (wrap(g._data * f),)
        record(t, "LeakyReluBackward0", backward, (input,), (input,))
    return t


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` if ``x > 0`` else ``negative_slope * x``."""
    if inplace:
        return _inplace(input, lambda x: _leaky(x, negative_slope))
    return _leaky(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight):
    """``x`` if ``x > 0`` else ``a * x``, with ``a`` (shape ``(C,)`` or ``(1,)``) per channel (dim 1)."""
    n = weight._data.size
    a = input._data
    if n != 1:
        c = a.shape[1] if a.ndim >= 2 else (a.shape[0] if a.ndim == 1 else 1)
        if c != n:
            raise RuntimeError(f"prelu: the weight has {n} parameters but the input of shape {tuple(a.shape)} has "
                               f"{c} channels (dim 1); they must match, or use a single parameter")
        shape = (1, n) + (1,) * (a.ndim - 2) if a.ndim >= 2 else (n,)
        w = reshape(weight, shape)
    else:
        w = reshape(weight, ())
    return where(_const(a > 0), input, mul(w, input))


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element in training, ``(lower+upper)/2`` in eval."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ..random import _gen, _uniform_values
    a = input._data
    # torch's CPU kernel walks the elements in order and draws a U(lower, upper) double only for x <= 0
    neg = np.ascontiguousarray(a).reshape(-1) <= 0
    slope = np.ones(a.size, a.dtype)
    lo, hi = (float(np.dtype(a.dtype).type(v)) for v in (lower, upper))  # torch casts the bounds first
    slope[neg] = _uniform_values(_gen(None), int(neg.sum()), lo, hi, np.float64).astype(a.dtype)
    f = _const(slope.reshape(a.shape))
    if inplace:
        return _inplace(input, lambda x: mul(x, f))
    return mul(input, f)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def threshold(input, threshold, value, inplace=False):
    """``x`` if ``x > threshold`` else ``value``."""
    def f(x):
        m = x._data > threshold
        return where(_const(m), x, _const(np.asarray(value, x._data.dtype)))
    return _inplace(input, f) if inplace else f(input)


def threshold_(input, threshold_value, value):
    return threshold(input, threshold_value, value, inplace=True)


# -- exponential family -----------------------------------------------------------------------------

def _elu(x, alpha, scale=1.0, input_scale=1.0):
    neg_part = mul(expm1(mul(clamp(x, max=0.0), input_scale)), alpha)
    r = where(_const(x._data > 0), x, neg_part)
    return mul(r, scale) if scale != 1.0 else r


def elu(input, alpha=1.0, inplace=False):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    f = lambda x: _elu(x, alpha)  # noqa: E731
    return _inplace(input, f) if inplace else f(input)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with PyTorch's constants (scale ~ 1.0507, alpha ~ 1.6733)."""
    f = lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE)  # noqa: E731
    return _inplace(input, f) if inplace else f(input)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu with alpha=0")
    f = lambda x: _elu(x, alpha, 1.0, 1.0 / alpha)  # noqa: E731
    return _inplace(input, f) if inplace else f(input)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


# -- GELU and SiLU (fused) -----------------------------------------------------------------------------

def _erfc_half(z):
    """``erfc(z) / 2`` for ``z >= 0`` (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7),
    in ``z``'s float dtype and in place of ``z``'s temporaries: a dozen single-pass ufuncs, no float64 copy."""
    t = z * 0.5
    t += 1.0
    np.reciprocal(t, out=t)
    p = t * 0.17087277
    for c in (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
              1.00002368):
        p += c
        p *= t
    p -= 1.26551223
    z *= z
    p -= z
    np.exp(p, out=p)
    p *= t
    p *= 0.5
    return p


def _erf_fast(a):
    """erf within about 1.2e-7 of the exact value (float32 arithmetic for float32 input)."""
    work = np.float32 if a.dtype.itemsize <= 4 else a.dtype
    h = _erfc_half(np.abs(a, dtype=work))
    h *= -2.0
    h += 1.0
    return np.copysign(h, a, out=h)


def _normal_cdf_fast(a, out=None):
    """``Phi(a) = (1 + erf(a / sqrt 2)) / 2`` in float32 arithmetic: ``1 - erfc/2`` above zero, ``erfc/2`` below."""
    work = np.float32 if a.dtype.itemsize <= 4 else a.dtype
    z = np.abs(a, dtype=work)
    z *= _SQRT_HALF
    h = _erfc_half(z)
    # 0.5 + sign(a) (0.5 - h): a sign copy, as np.where over a mask costs six times as much here.
    h = np.subtract(0.5, h, out=h if out is None else out)
    np.copysign(h, a, out=h)
    h += 0.5
    return h


# Abramowitz & Stegun 7.1.26, the erf of PyTorch's float32 CPU kernels (Vectorized<float>::erf):
# erf(a) = sign(a) (1 - t (a1 + a2 t + ... + a5 t^4) exp(-a^2)), t = 1 / (1 + p |a|), |error| < 1.5e-7.
_AS_P_HALF = 0.3275911 * _SQRT_HALF
_SIGN_BIT = np.uint32(0x80000000)       # p / sqrt 2: t straight from |x| for a = x / sqrt 2
# a4 .. a1 after a5, halved (exactly, a power of two): the polynomial then gives erfc / 2, and
# Phi = 0.5 + sign(x) (0.5 - erfc / 2) needs one pass fewer than (1 + sign(x) (1 - erfc)) / 2, bit for bit.
_AS_A5_HALF = 1.061405429 / 2
_AS_COEF_HALF = tuple(c / 2 for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592))


def _gelu_erf_blocked(a, need_grad):
    """``(x Phi(x), dgelu/dx or None)`` for float32 ``a``, ``Phi(x) = (1 + erf(x / sqrt 2)) / 2`` with erf as
    PyTorch's float32 kernel computes it (A&S 7.1.26, above), in cache-sized blocks of the flat array and scratch
    blocks reused across them: 21 single-pass ufuncs a block where a relative-error erfc fit took 32. With
    ``need_grad`` the local derivative ``Phi(x) + x exp(-x^2 / 2) / sqrt(2 pi)`` is formed here, from the
    ``exp(-x^2 / 2)`` the erf already computed (3 more passes, where the backward took 6 to recompute it)."""
    if type(a) is _MetaArray:  # the meta device: the shapes, no values
        return np.empty_like(a), np.empty_like(a) if need_grad else None
    flat = np.ascontiguousarray(a).reshape(-1)
    r = np.empty(flat.shape, a.dtype)
    dloc = np.empty(flat.shape, np.float32) if need_grad else None
    _gelu_erf_blocks(flat, r, dloc, row_blocks(flat.size, 1))
    return r.reshape(a.shape), None if dloc is None else dloc.reshape(a.shape)


def _gelu_erf_blocks(flat, r, dloc, blocks):
    """The passes of :func:`_gelu_erf_blocked` over ``blocks`` (slices of ``flat``), into ``r`` and ``dloc``."""
    n = blocks[0].stop - blocks[0].start if blocks else 0
    T, P, E, C = (np.empty(n, np.float32) for _ in range(4))
    S = np.empty(n, np.uint32)
    for b in blocks:
        xb = flat[b]
        k = xb.shape[0]
        t, p, e, cb = T[:k], P[:k], E[:k], C[:k]
        np.abs(xb, out=t)
        t *= _AS_P_HALF
        t += 1.0
        np.reciprocal(t, out=t)
        np.multiply(t, _AS_A5_HALF, out=p)
        for c in _AS_COEF_HALF:
            p += c
            p *= t
        np.multiply(xb, xb, out=e)   # -a^2 = -x^2 / 2
        e *= -0.5
        np.exp(e, out=e)
        p *= e
        np.subtract(0.5, p, out=cb)
        # copysign(cb, x) for cb >= 0 (p <= 0.5, = 0.5 exactly at x = 0) as x's sign bit OR-ed into cb: two
        # integer passes cost less than half of NumPy's float copysign.
        np.bitwise_and(xb.view(np.uint32), _SIGN_BIT, out=S[:k])
        np.bitwise_or(cb.view(np.uint32), S[:k], out=cb.view(np.uint32))
        cb += 0.5
        np.multiply(xb, cb, out=r[b])
        if dloc is not None:
            e *= xb
            e *= _INV_SQRT_2PI
            np.add(e, cb, out=dloc[b])


def _erf_np(a):
    if a.dtype == np.float64:
        from ..autograd.ops.elementwise import _erf_np as exact
        return exact(a)
    return _erf_fast(a)


def _gelu_composite(x, approximate="none"):
    if approximate == "tanh":
        inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), _SQRT_2_OVER_PI)
        return mul(mul(x, 0.5), add(_tanh(inner), 1.0))
    return mul(mul(x, 0.5), add(erf(mul(x, _SQRT_HALF)), 1.0))


def gelu(input, approximate="none"):
    """``x * Phi(x)`` with Phi the standard normal CDF: ``0.5 x (1 + erf(x / sqrt 2))``; with
    ``approximate='tanh'``, ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    float64 uses the exact erf; float32 PyTorch's own float32 erf (A&S 7.1.26, absolute error below 1.5e-7)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    a = input._data
    if a.dtype.char not in "fd":
        if a.dtype.kind == "V" or a.dtype.char == "e":
            # bfloat16/float16: in float32, rounded once (forward and backward), as PyTorch
            return in_float32(gelu, input, approximate)
        if a.dtype.kind != "f":
            raise RuntimeError(f"gelu: expected a floating point tensor, got {input.dtype}")
    if approximate == "tanh":
        u = _SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)
        th = np.tanh(u)
        r = 0.5 * a * (1.0 + th)
    elif a.dtype == np.float32:
        r, dloc = _gelu_erf_blocked(a, gm.enabled and input._rg)
    else:
        cdf = 0.5 * (1.0 + _erf_np(a * _SQRT_HALF)) if a.dtype == np.float64 else _normal_cdf_fast(a)
        r = a * cdf
    t = wrap(r.astype(a.dtype, copy=False))
    if gm.enabled and input._rg:
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda x: _gelu_composite(x, approximate), (input,), g)
            if approximate == "tanh":
                du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * a * a)
                d = 0.5 * (1.0 + th) + 0.5 * a * (1.0 - th * th) * du
            elif a.dtype == np.float32:
                return (wrap(np.multiply(dloc, g._data).astype(a.dtype, copy=False)),)
            else:
                d = np.multiply(a, a, dtype=cdf.dtype)
                d *= -0.5
                np.exp(d, out=d)
                d *= a
                d *= _INV_SQRT_2PI
                d += cdf
            d *= g._data
            return (wrap(d.astype(a.dtype, copy=False)),)
        record(t, "GeluBackward0", backward, (input,), (input,))
    return t


def _sig(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def _silu(input):
    a = input._data
    s = _sig(a)
    t = wrap(a * s)
    if gm.enabled and input._rg:
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda x: mul(x, _sigmoid(x)), (input,), g)
            return (wrap(g._data * (s * (1 + a * (1 - s)))),)
        record(t, "SiluBackward0", backward, (input,), (input,))
    return t


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (also called swish)."""
    if input._data.dtype.char not in "fd":
        if (input._data.dtype.kind == "V" or input._data.dtype.char == "e") and not inplace:
            return in_float32(silu, input)  # bfloat16/float16: in float32, rounded once, as PyTorch
        if input._data.dtype.kind != "f":
            raise RuntimeError(f"silu: expected a floating point tensor, got {input.dtype}")
    return _inplace(input, _silu) if inplace else _silu(input)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    f = lambda x: mul(x, _tanh(softplus(x)))  # noqa: E731
    return _inplace(input, f) if inplace else f(input)


def sigmoid(input):
    """``1 / (1 + exp(-x))``."""
    return _sigmoid(input)


def tanh(input):
    return _tanh(input)


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``; zero gradient outside ``(-3, 3)``."""
    f = lambda x: _hardtanh(add(mul(x, 1.0 / 6), 0.5), 0.0, 1.0)  # noqa: E731
    return _inplace(input, f) if inplace else f(input)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    f = lambda x: mul(x, hardsigmoid(x))  # noqa: E731
    return _inplace(input, f) if inplace else f(input)


def _softplus_composite(input, beta, threshold):
    bx = mul(input, beta) if beta != 1 else input
    big = bx._data > threshold
    soft = add(log1p(exp(neg(_abs(bx)))), clamp(bx, min=0.0))
    if beta != 1:
        soft = div(soft, beta)
    return where(_const(big), input, soft) if big.any() else soft


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold``.

    Gradient ``sigmoid(beta x)`` (1 above the threshold), computed directly: summing the gradients of
    the stable form ``log1p(exp(-|z|)) + max(z, 0)`` would lose the small terms in float32 (and give 1,
    not 1/2, at z = 0).

    >>> import ember
    >>> ember.nn.functional.softplus(ember.tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.0000])
    """
    a = input._data
    z = a * beta if beta != 1 else a
    with np.errstate(over="ignore"):
        soft = np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0)
    if beta != 1:
        soft = soft / beta
    big = z > threshold
    t = wrap(np.where(big, a, soft).astype(a.dtype, copy=False))
    if gm.enabled and input._rg:
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda x: _softplus_composite(x, beta, threshold), (input,), g)
            return (wrap((g._data * np.where(big, 1, _sig(z))).astype(g._data.dtype, copy=False)),)
        record(t, "SoftplusBackward0", backward, (input,), (input,))
    return t


def softsign(input):
    """``x / (1 + |x|)``."""
    return div(input, add(_abs(input), 1.0))


def logsigmoid(input):
    """``log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))``, stable for large ``|x|``; gradient
    ``sigmoid(-x)``, computed directly for the same reason as softplus's.

    >>> import ember
    >>> ember.nn.functional.logsigmoid(ember.tensor([0.0]))
    tensor([-0.6931])
    """
    a = input._data
    t = wrap((np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))).astype(a.dtype, copy=False))
    if gm.enabled and input._rg:
        def backward(g):
            if gm.enabled:
                return composite_grad(
                    lambda x: sub(clamp(x, max=0.0), log1p(exp(neg(_abs(x))))), (input,), g)
            return (wrap((g._data * _sig(-a)).astype(g._data.dtype, copy=False)),)
        record(t, "LogSigmoidBackward0", backward, (input,), (input,))
    return t


def tanhshrink(input):
    """``x - tanh(x)``."""
    return sub(input, _tanh(input))


def softshrink(input, lambd=0.5):
    """``x - lambd`` if ``x > lambd``, ``x + lambd`` if ``x < -lambd``, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    a = input._data
    shift = _const(np.where(a > lambd, -lambd, np.where(a < -lambd, lambd, 0.0)).astype(a.dtype))
    keep = _const(np.abs(a) > lambd)
    return mul(add(input, shift), keep)


def hardshrink(input, lambd=0.5):
    """``x`` if ``|x| > lambd`` else 0 (+0, as torch)."""
    return where(_const(np.abs(input._data) > lambd), input, 0.0)


def glu(input, dim=-1):
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of the input along ``dim``."""
    a = input._data
    if a.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = a.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    first, second = chunk(input, 2, dim)
    return mul(first, _sigmoid(second))


# -- softmax family ----------------------------------------------------------------------------------

def _implicit_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``."""
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    if _softmax_rows.applies(input, dim, dtype):
        return _softmax_rows.softmax_last(input)
    return _softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x_i - log(sum_j exp(x_j))`` along ``dim``."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return _log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    return _softmax(neg(input), dim, dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution; ``hard=True`` gives one-hot samples with the soft
    sample's gradient (straight-through)."""
    from ..random import _gen, _exponential_values
    a = logits._data
    # torch: -empty_like(logits).exponential_().log(); nothing drawn for a meta input, as torch's meta kernels
    gumbels = np.zeros_like(a) if logits.is_meta else \
        -np.log(_exponential_values(_gen(None), a.size, 1.0, a.dtype).astype(a.dtype).reshape(a.shape))
    y = _softmax(div(add(logits, _const(gumbels)), tau), dim)
    if not hard:
        return y
    idx = np.argmax(y._data, axis=dim)
    onehot = np.zeros_like(y._data)
    np.put_along_axis(onehot, np.expand_dims(idx, dim), 1.0, axis=dim)
    return add(sub(_const(onehot), y.detach()), y)


def silu_(input):
    return silu(input, True)
