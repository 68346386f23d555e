"""Normalization: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm``, ``rms_norm``,
``local_response_norm``.

The first four share one kernel: the input is viewed as ``(rows, groups, cols)``, each
(row, group) block is normalized, ``xhat = (x - mean) / sqrt(var + eps)`` with the biased
variance, and an affine ``y = xhat * weight + bias`` follows. Batch norm reduces over
(N, *spatial) per channel, layer norm over the trailing ``normalized_shape`` per sample,
group norm over each group of channels per sample.

The forward and the backward are fused NumPy (the standard closed form
``dx = invstd * (gw - mean(gw) - xhat * mean(gw * xhat))`` with ``gw = g * weight``).
When the backward pass records (``create_graph=True``), the same formula is run with
ember ops from the inputs instead, so higher-order gradients are exact.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.tensor([[1.0, 2.0, 3.0, 4.0]])
>>> F.layer_norm(x, (4,))
tensor([[-1.3416, -0.4472,  0.4472,  1.3416]])
"""
import numpy as np

from ..autograd import grad_mode
from ..autograd.node import Node
from ..autograd.tensor import Tensor, _new
from ..autograd.ops.conversion import in_float32, _cast
from ..backend.dtypes import float32 as _float32
from ..backend.half import round_to
from ._fuse import composite_grad
from ..autograd.ops import (reshape, mean as _mean, sum as _sum, sub, mul, add, div, rsqrt, pow as _pow)

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm"]

_gm = grad_mode.state


def _wrap(arr):
    t = _new(Tensor)
    t._data = arr
    return t


def _record(t, name, fn, inputs, saved=()):
    t.grad_fn = Node(name, fn, inputs, saved)
    t._rg = True
    return t


def _needs(*ts):
    if not _gm.enabled:
        return False
    for t in ts:
        if t is not None and t._rg:
            return True
    return False


def _float_input(name, x, *params):
    """Check the dtypes; True for a bfloat16 or float16 input, which the caller then computes in float32
    (``in_float32``: PyTorch's kernels take them with parameters of their dtype or float32 and compute in
    float32)."""
    bf16 = False
    if x._data.dtype.char not in "fd":
        if x._data.dtype.kind == "V" or x._data.dtype.char == "e":
            bf16 = True
        elif x._data.dtype.kind != "f":
            raise RuntimeError(f"{name}: expected a floating point input, got {x.dtype}")
    for p in params:
        if p is not None and p._data.dtype != x._data.dtype and not (bf16 and p._data.dtype == np.float32):
            raise RuntimeError(f"{name}: expected weight, bias and running statistics of the input's dtype "
                               f"{x.dtype}, got {p.dtype}; convert the layer with .to({x.dtype})")
    return bf16


# -- the shared kernel over a (rows, groups, cols) view ------------------------------------------------
#
# ``axes`` are the axes of the 3-D view that one statistic reduces over: (0, 2) for batch norm
# (rows = N, groups = C, cols = spatial), (2,) for layer/group norm (groups = 1 or G).
# The affine parameters broadcast as ``pshape`` against the original input.

def _stats(x3, axes, eps):
    if x3.size == 0:
        shape = tuple(1 if i in axes else s for i, s in enumerate(x3.shape))
        z = np.zeros(shape, x3.dtype)
        return z, x3, z, z + 1
    m = x3.mean(axis=axes, keepdims=True)
    xc = x3 - m
    var = np.mean(np.square(xc), axis=axes, keepdims=True)
    invstd = 1.0 / np.sqrt(var + eps)
    return m, xc, var, invstd


def _norm_composite(x, shape3, axes, eps, stats):
    """``xhat`` from ember ops (recorded, for higher-order gradients); ``stats`` = (mean, invstd) arrays or None."""
    x3 = reshape(x, shape3)
    if stats is None:
        m = _mean(x3, axes, keepdim=True)
        xc = sub(x3, m)
        invstd = rsqrt(add(_mean(mul(xc, xc), axes, keepdim=True), eps))
    else:
        xc = sub(x3, _wrap(stats[0]))
        invstd = _wrap(stats[1])
    return mul(xc, invstd), invstd


def _normalize(name, x, w, b, shape3, axes, pshape, eps, stats=None, gw_axes=None):
    """y = xhat * w + b. ``stats`` = fixed (mean, invstd) arrays (batch norm in eval mode) or None (batch stats).

    ``gw_axes``: the axes of the original input the affine parameters' gradients reduce over.
    Returns (y, mean, biased var) where the statistics are None when ``stats`` is given.
    """
    a = x._data
    x3 = a.reshape(shape3)
    if stats is None:
        m, xc, var, invstd = _stats(x3, axes, eps)
        xhat3 = xc * invstd.astype(a.dtype, copy=False)
    else:
        m, var = None, None
        xhat3 = (x3 - stats[0]) * stats[1]
    xhat = xhat3.reshape(a.shape)
    if w is not None or b is not None:
        y = xhat * w._data.reshape(pshape) if w is not None else xhat.copy()
        if b is not None:
            y += b._data.reshape(pshape)
    else:
        y = xhat if not _needs(x) else xhat.copy()
    t = _wrap(y.astype(a.dtype, copy=False))
    if _needs(x, w, b):
        rx, rw, rb = x._rg, w is not None and w._rg, b is not None and b._rg
        istd = invstd if stats is None else stats[1]
        n_red = int(np.prod([shape3[i] for i in axes]))

        def backward(g):
            if _gm.enabled:
                return _norm_backward_composite(g, x, w, b, shape3, axes, pshape, eps, stats, gw_axes, rx, rw, rb)
            gd = g._data
            dw = _wrap((gd * xhat).sum(axis=gw_axes).reshape(w._data.shape)) if rw else None
            db = _wrap(gd.sum(axis=gw_axes).reshape(b._data.shape)) if rb else None
            dx = None
            if rx:
                gw3 = (gd * w._data.reshape(pshape) if w is not None else gd).reshape(shape3)
                if stats is None:
                    s1 = gw3.sum(axis=axes, keepdims=True)
                    s2 = (gw3 * xhat3).sum(axis=axes, keepdims=True)
                    dx3 = (gw3 - (s1 + xhat3 * s2) * (1.0 / n_red)) * istd
                else:
                    dx3 = gw3 * istd
                dx = _wrap(dx3.reshape(a.shape).astype(a.dtype, copy=False))
            return dx, dw, db
        _record(t, name, backward, (x, w, b), (x,) + tuple(p for p in (w,) if p is not None))
    return t, m, var


def _norm_backward_composite(g, x, w, b, shape3, axes, pshape, eps, stats, gw_axes, rx, rw, rb):
    xhat3, invstd = _norm_composite(x, shape3, axes, eps, stats)
    xhat = reshape(xhat3, x._data.shape)
    dw = reshape(_sum(mul(g, xhat), gw_axes), w._data.shape) if rw else None
    db = reshape(_sum(g, gw_axes), b._data.shape) if rb else None
    dx = None
    if rx:
        gw3 = reshape(mul(g, reshape(w, pshape)) if w is not None else g, shape3)
        if stats is None:
            t1 = _mean(gw3, axes, keepdim=True)
            t2 = mul(xhat3, _mean(mul(gw3, xhat3), axes, keepdim=True))
            dx = reshape(mul(sub(sub(gw3, t1), t2), invstd), x._data.shape)
        else:
            dx = reshape(mul(gw3, invstd), x._data.shape)
    return dx, dw, db


# -- batch norm ----------------------------------------------------------------------------------------

def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) over the batch and spatial dims, then scale and shift.

    In training, the batch statistics normalize (biased variance) and the running statistics, if given,
    are updated in place: ``running = (1 - momentum) * running + momentum * batch`` (with the unbiased
    variance). In evaluation, ``running_mean``/``running_var`` normalize instead.

    Shapes: input ``(N, C)`` or ``(N, C, *)``; running stats, weight, bias ``(C)``.
    """
    x = input
    a = x._data
    if _float_input("batch_norm", x, weight, bias, running_mean, running_var):
        if a.dtype.char == "e" and a.ndim >= 2 and a.size:
            return _batch_norm_half(x, running_mean, running_var, weight, bias, training, momentum, eps)
        return _with_float32_stats(batch_norm, input, running_mean, running_var, weight, bias, training, momentum,
                                   eps)
    if a.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of at least 2 dimensions (N, C, *), got input of size "
                         f"{list(a.shape)}")
    N, C = a.shape[:2]
    for nm, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                  ("bias", bias)):
        if p is not None and p._data.size != C:
            raise RuntimeError(f"{nm} should contain {C} elements not {p._data.size}")
    L = a.size // max(N * C, 1) if N * C else 0
    shape3 = (N, C, L)
    pshape = (1, C) + (1,) * (a.ndim - 2)
    red = (0,) + tuple(range(2, a.ndim))
    if training:
        if N * L <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_size_str(a.shape)}")
        t, m, var = _normalize("NativeBatchNormBackward0", x, weight, bias, shape3, (0, 2), pshape, eps,
                               gw_axes=red)
        if running_mean is not None or running_var is not None:
            n = N * L
            with_m = float(momentum)
            if running_mean is not None:
                rm = running_mean._data
                rm *= 1 - with_m
                rm += (with_m * m.reshape(C)).astype(rm.dtype, copy=False)
                running_mean._bump()
            if running_var is not None:
                rv = running_var._data
                rv *= 1 - with_m
                rv += (with_m * var.reshape(C) * (n / (n - 1))).astype(rv.dtype, copy=False)
                running_var._bump()
        return t
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
    rm = running_mean._data.reshape(1, C, 1)
    invstd = (1.0 / np.sqrt(running_var._data + eps)).astype(a.dtype).reshape(1, C, 1)
    return _normalize("NativeBatchNormBackward0", x, weight, bias, shape3, (0, 2), pshape, eps,
                      stats=(rm, invstd), gw_axes=red)[0]


def _with_float32_stats(fn, input, running_mean, running_var, *rest):
    """``fn`` (batch or instance norm) on a bfloat16 or float16 input in float32 (``in_float32``), its
    bfloat16/float16 running statistics updated in float32 and rounded back in place, as PyTorch's kernels keep
    them."""
    stats = [s if s is None or (s._data.dtype.kind != "V" and s._data.dtype.char != "e") else _cast(s, _float32)
             for s in (running_mean, running_var)]
    t = in_float32(fn, input, *stats, *rest)
    for s, s32 in zip((running_mean, running_var), stats):
        if s is not None and s32 is not s:
            s._data[...] = s32._data.astype(s._data.dtype)
            s._bump()
    return t


def _batch_norm_half(x, running_mean, running_var, w, b, training, momentum, eps):
    """float16 batch norm as PyTorch's CPU kernel: statistics in float32; in training the mean and 1/std it saves
    are rounded to the parameters' dtype (the input's without weight: float16), and both the output
    ``x * (invstd w) + (b - mean invstd w)`` (float32, rounded once) and the backward use the rounded ones; the
    running statistics are updated in float32 from the unrounded batch mean and unbiased variance and rounded to
    their dtype. In evaluation the running statistics normalize unrounded."""
    a = x._data
    N, C = a.shape[:2]
    for nm, p in (("running_mean", running_mean), ("running_var", running_var), ("weight", w), ("bias", b)):
        if p is not None and p._data.size != C:
            raise RuntimeError(f"{nm} should contain {C} elements not {p._data.size}")
    L = a.size // (N * C)
    x3 = a.reshape(N, C, L).astype(np.float32)
    n = N * L
    wv = w._data.astype(np.float32).reshape(1, C, 1) if w is not None else None
    bv = b._data.astype(np.float32).reshape(1, C, 1) if b is not None else None
    if training:
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_size_str(a.shape)}")
        m = x3.mean(axis=(0, 2), keepdims=True)
        var = np.square(x3 - m).mean(axis=(0, 2), keepdims=True)
        invstd = np.float32(1) / np.sqrt(var + np.float32(eps))
        saved = (w._data.dtype if w is not None else a.dtype)
        mean_s, invstd_s = (v.astype(saved).astype(np.float32) for v in (m, invstd))
        for stat, new in ((running_mean, m), (running_var, var * np.float32(n / (n - 1)))):
            if stat is not None:
                r = stat._data
                r[...] = (np.float32(1 - momentum) * r.astype(np.float32) + np.float32(momentum) * new.reshape(C)
                          ).astype(r.dtype)
                stat._bump()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
        mean_s = running_mean._data.astype(np.float32).reshape(1, C, 1)
        invstd_s = np.float32(1) / np.sqrt(running_var._data.astype(np.float32).reshape(1, C, 1) + np.float32(eps))
    scale = invstd_s * wv if wv is not None else invstd_s
    shift = -mean_s * scale if bv is None else bv - mean_s * scale
    t = _wrap(round_to(x3 * scale + shift, a.dtype).reshape(a.shape))
    if _needs(x, w, b):
        rx, rw, rb = x._rg, w is not None and w._rg, b is not None and b._rg

        def backward(g):
            if _gm.enabled:
                return composite_grad(lambda x_, w_, b_: in_float32(batch_norm, x_, None if training else
                                                                    running_mean, None if training else running_var,
                                                                    w_, b_, training, momentum, eps), (x, w, b), g)
            g3 = g._data.reshape(N, C, L).astype(np.float32)
            sum_g = g3.sum(axis=(0, 2), keepdims=True)
            dot = ((x3 - mean_s) * g3).sum(axis=(0, 2), keepdims=True)
            dw = _wrap((dot * invstd_s).astype(w._data.dtype).reshape(w._data.shape)) if rw else None
            db = _wrap(sum_g.astype(b._data.dtype).reshape(b._data.shape)) if rb else None
            dx = None
            if rx:
                gscale = invstd_s * wv if wv is not None else invstd_s
                if training:
                    proj = dot * invstd_s * invstd_s / np.float32(n)
                    d3 = (g3 - sum_g / np.float32(n) - (x3 - mean_s) * proj) * gscale
                else:
                    d3 = g3 * gscale
                dx = _wrap(round_to(d3, a.dtype).reshape(a.shape))
            return dx, dw, db
        _record(t, "NativeBatchNormBackward0", backward, (x, w, b), (x,) + tuple(p for p in (w,) if p is not None))
    return t


def _size_str(shape):
    return f"ember.Size({list(shape)})"


# -- layer norm / group norm / instance norm -----------------------------------------------------------

def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last ``len(normalized_shape)`` dims of each sample, then an elementwise affine.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` (biased variance); weight and bias have shape
    ``normalized_shape``.
    """
    x = input
    a = x._data
    bf16 = _float_input("layer_norm", x, weight, bias)
    ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or a.shape[a.ndim - k:] != ns or a.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(a.shape)}")
    for nm, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p._data.shape) != ns:
            raise RuntimeError(f"layer_norm: expected {nm} of shape {list(ns)}, got {list(p._data.shape)}")
    D = int(np.prod(ns))
    M = a.size // D if D else 0
    if bf16:
        if M and D and all(p is None or p._data.dtype == a.dtype for p in (weight, bias)):
            return _layer_norm_bf16(x, weight, bias, M, D, ns, eps)
        return in_float32(layer_norm, input, normalized_shape, weight, bias, eps)
    lead = tuple(range(a.ndim - k))
    if M and D and a.dtype in (np.float32, np.float64) and a.flags.c_contiguous:
        return _layer_norm_rows(x, weight, bias, M, D, ns, eps, lead)
    return _normalize("NativeLayerNormBackward0", x, weight, bias, (M, 1, D), (2,), ns, eps, gw_axes=lead)[0]


def _layer_norm_bf16(x, w, b, M, D, ns, eps):
    """bfloat16/float16 layer norm as PyTorch's CPU kernel: computed in float32 and rounded once, with the mean
    and 1/std it saves for the backward rounded to the input's dtype (``native_layer_norm`` returns them in that
    dtype), so the input's gradient uses those rounded statistics. PyTorch sums the weight's and bias's
    gradients over the rows in the input's dtype, row by row in chunks of rows per thread (so the result
    depends on its thread count); here they are summed in float32 and rounded once."""
    a = x._data
    bf16 = a.dtype
    x2 = a.reshape(M, D).astype(np.float32)
    wv = w._data.reshape(D).astype(np.float32) if w is not None else None
    bv = b._data.reshape(D).astype(np.float32) if b is not None else None
    mean = x2.mean(axis=1, keepdims=True)
    xc = x2 - mean
    rstd = 1.0 / np.sqrt((xc * xc).mean(axis=1, keepdims=True) + np.float32(eps))
    y = xc * rstd
    if wv is not None:
        y *= wv
    if bv is not None:
        y += bv
    t = _wrap(round_to(y, bf16).reshape(a.shape))
    if _needs(x, w, b):
        rx, rw, rb = x._rg, w is not None and w._rg, b is not None and b._rg
        mean_s, rstd_s = mean.astype(bf16).astype(np.float32), rstd.astype(bf16).astype(np.float32)

        def backward(g):
            if _gm.enabled:
                return composite_grad(lambda x_, w_, b_: in_float32(layer_norm, x_, ns, w_, b_, eps), (x, w, b), g)
            gd = g._data.reshape(M, D).astype(np.float32)
            xhat = (x2 - mean_s) * rstd_s
            dw = _wrap((gd * xhat).sum(axis=0).astype(bf16).reshape(ns)) if rw else None
            db = _wrap(gd.sum(axis=0).astype(bf16).reshape(ns)) if rb else None
            dx = None
            if rx:
                gw = gd * wv if wv is not None else gd
                ds = (gw * x2).sum(axis=1, keepdims=True)
                dbr = gw.sum(axis=1, keepdims=True)
                k = (dbr * mean_s - ds) * (rstd_s * rstd_s * rstd_s) * np.float32(1.0 / D)
                c = -k * mean_s - dbr * rstd_s * np.float32(1.0 / D)
                dx = _wrap(round_to(rstd_s * gw + k * x2 + c, bf16).reshape(a.shape))
            return dx, dw, db
        _record(t, "NativeLayerNormBackward0", backward, (x, w, b), (x,) + tuple(p for p in (w,) if p is not None))
    return t


def _layer_norm_rows(x, w, b, M, D, ns, eps, lead):
    """Layer norm of a contiguous float input viewed as (M, D) rows: the same closed forms as :func:`_normalize`,
    with every sum over a row or over the rows a BLAS product with ones (NumPy's reduction over 128-long rows
    costs about as much as three elementwise passes) and the backward in 7 elementwise passes instead of 12."""
    a = x._data
    x2 = a.reshape(M, D)
    ones_d = np.ones(D, a.dtype)
    wv = w._data.reshape(D) if w is not None else None
    bv = b._data.reshape(D) if b is not None else None
    xhat = np.empty_like(x2)
    y = np.empty_like(x2) if (wv is not None or bv is not None or _needs(x)) else None
    invstd = np.empty(M, a.dtype)
    blocks = [slice(None)]      # one block: the arrays of a layer norm fit in L2 here, and fewer calls
    _layer_norm_forward_blocks(x2, xhat, y, invstd, ones_d, wv, bv, eps, blocks)
    t = _wrap((xhat if y is None else y).reshape(a.shape))
    if _needs(x, w, b):
        rx, rw, rb = x._rg, w is not None and w._rg, b is not None and b._rg

        def backward(g):
            if _gm.enabled:
                return _norm_backward_composite(g, x, w, b, (M, 1, D), (2,), ns, eps, None, lead, rx, rw, rb)
            gd = np.ascontiguousarray(g._data, dtype=a.dtype).reshape(M, D)
            ones_m = np.ones(M, a.dtype)
            dw = _wrap((ones_m @ np.multiply(gd, xhat)).reshape(ns)) if rw else None
            db = _wrap((ones_m @ gd).reshape(ns)) if rb else None
            dx = None
            if rx:
                d = np.empty_like(gd)
                _layer_norm_dx_blocks(gd, xhat, invstd, ones_d, wv, d, blocks)
                dx = _wrap(d.reshape(a.shape))
            return dx, dw, db
        _record(t, "NativeLayerNormBackward0", backward, (x, w, b), (x,) + tuple(p for p in (w,) if p is not None))
    return t


def _layer_norm_forward_blocks(x2, xhat, y, invstd, ones_d, wv, bv, eps, blocks):
    inv_d = 1.0 / ones_d.shape[0]
    for r in blocks:
        xb, xc = x2[r], xhat[r]
        np.subtract(xb, ((xb @ ones_d) * inv_d)[:, None], out=xc)
        sq = np.multiply(xc, xc, out=y[r] if y is not None else None)
        ib = invstd[r]
        np.multiply(sq @ ones_d, inv_d, out=ib)
        ib += eps
        np.sqrt(ib, out=ib)
        np.divide(1.0, ib, out=ib)
        xc *= ib[:, None]
        if wv is not None:
            yb = np.multiply(xc, wv, out=sq)
            if bv is not None:
                yb += bv
        elif bv is not None:
            np.add(xc, bv, out=sq)
        elif y is not None:
            sq[...] = xc


def _layer_norm_dx_blocks(gd, xhat, invstd, ones_d, wv, d, blocks):
    # invstd (gw - mean(gw) - xhat mean(gw xhat)), gw = g w, as gw invstd - (xhat c2 + c1).
    inv_d = 1.0 / ones_d.shape[0]
    for r in blocks:
        gb, xb, ib, db = gd[r], xhat[r], invstd[r], d[r]
        gw = gb * wv if wv is not None else gb
        c1 = (gw @ ones_d) * inv_d
        tmp = np.multiply(gw, xb)
        c2 = (tmp @ ones_d) * inv_d
        c1 *= ib
        c2 *= ib
        np.multiply(xb, c2[:, None], out=tmp)
        tmp += c1[:, None]
        np.multiply(gw, ib[:, None], out=db)
        db -= tmp


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each group of ``C / num_groups`` channels of each sample (over those channels and all
    spatial positions), then a per-channel affine. Input ``(N, C, *)``; weight, bias ``(C)``."""
    x = input
    a = x._data
    if _float_input("group_norm", x, weight, bias):
        if a.dtype.char == "e" and a.ndim >= 2 and a.size and a.shape[1] % num_groups == 0:
            return _group_norm_half(x, num_groups, weight, bias, eps)
        return in_float32(group_norm, input, num_groups, weight, bias, eps)
    if a.ndim < 2:
        raise RuntimeError(f"group_norm: expected an input with at least 2 dimensions (N, C, *), got input of size "
                           f"{list(a.shape)}")
    N, C = a.shape[:2]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(a.shape)} and num_groups={num_groups}")
    for p in (weight, bias):
        if p is not None and p._data.shape != (C,):
            raise RuntimeError(f"Expected weight to be a vector of size equal to the number of channels in input, "
                               f"but got weight of shape {list(p._data.shape)} and input of shape {list(a.shape)}")
    D = a.size // max(N * num_groups, 1) if N else 0
    pshape = (1, C) + (1,) * (a.ndim - 2)
    red = (0,) + tuple(range(2, a.ndim))
    return _normalize("NativeGroupNormBackward0", x, weight, bias, (N, num_groups, D), (2,), pshape, eps,
                      gw_axes=red)[0]


def _group_norm_half(x, G, w, b, eps):
    """float16 group norm as PyTorch's CPU kernel: computed in float32 and rounded once, with the mean and 1/std
    it saves rounded to the parameters' dtype (the input's without weight), and the backward computed in float32
    from those (as :func:`_layer_norm_bf16`)."""
    a = x._data
    N, C = a.shape[:2]
    for p in (w, b):
        if p is not None and p._data.shape != (C,):
            raise RuntimeError(f"Expected weight to be a vector of size equal to the number of channels in input, "
                               f"but got weight of shape {list(p._data.shape)} and input of shape {list(a.shape)}")
    L = a.size // (N * C)
    x3 = a.reshape(N, G, -1).astype(np.float32)
    mean = x3.mean(axis=2, keepdims=True)
    xc = x3 - mean
    rstd = np.float32(1) / np.sqrt((xc * xc).mean(axis=2, keepdims=True) + np.float32(eps))
    wv = w._data.astype(np.float32).reshape(1, C, 1) if w is not None else None
    bv = b._data.astype(np.float32).reshape(1, C, 1) if b is not None else None
    y = (xc * rstd).reshape(N, C, L)
    if wv is not None:
        y *= wv
    if bv is not None:
        y += bv
    t = _wrap(round_to(y, a.dtype).reshape(a.shape))
    if _needs(x, w, b):
        rx, rw, rb = x._rg, w is not None and w._rg, b is not None and b._rg
        saved = w._data.dtype if w is not None else a.dtype
        mean_s, rstd_s = (v.astype(saved).astype(np.float32) for v in (mean, rstd))

        def backward(g):
            if _gm.enabled:
                return composite_grad(lambda x_, w_, b_: in_float32(group_norm, x_, G, w_, b_, eps), (x, w, b), g)
            g3 = g._data.reshape(N, C, L).astype(np.float32)
            xhat = (x3 - mean_s) * rstd_s
            dw = _wrap((g3 * xhat.reshape(N, C, L)).sum(axis=(0, 2)).astype(w._data.dtype)) if rw else None
            db = _wrap(g3.sum(axis=(0, 2)).astype(b._data.dtype)) if rb else None
            dx = None
            if rx:
                gw = (g3 * wv if wv is not None else g3).reshape(N, G, -1)
                d = rstd_s * (gw - gw.mean(axis=2, keepdims=True) - xhat * (gw * xhat).mean(axis=2, keepdims=True))
                dx = _wrap(round_to(d, a.dtype).reshape(a.shape))
            return dx, dw, db
        _record(t, "NativeGroupNormBackward0", backward, (x, w, b), (x,) + tuple(p for p in (w,) if p is not None))
    return t


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample over its spatial positions (batch norm per instance).

    With ``use_input_stats`` the instance statistics normalize and, if given, the running statistics are
    updated with their mean over the batch; otherwise the running statistics normalize.
    Input ``(N, C, *)``; running stats, weight, bias ``(C)``.
    """
    x = input
    a = x._data
    if _float_input("instance_norm", x, weight, bias, running_mean, running_var):
        return _with_float32_stats(instance_norm, input, running_mean, running_var, weight, bias, use_input_stats,
                                   momentum, eps)
    if a.ndim < 3:
        raise ValueError(f"instance_norm: expected an input of at least 3 dimensions (N, C, *), got input of size "
                         f"{list(a.shape)}")
    N, C = a.shape[:2]
    L = a.size // max(N * C, 1) if N * C else 0
    pshape = (1, C) + (1,) * (a.ndim - 2)
    red = (0,) + tuple(range(2, a.ndim))
    if use_input_stats:
        if L <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{_size_str(a.shape)}")
        t, m, var = _normalize("NativeBatchNormBackward0", x, weight, bias, (N * C, 1, L), (2,), pshape, eps,
                               gw_axes=red)
        if running_mean is not None:
            rm = running_mean._data
            rm *= 1 - momentum
            rm += (momentum * m.reshape(N, C).mean(0)).astype(rm.dtype, copy=False)
            running_mean._bump()
        if running_var is not None:
            rv = running_var._data
            rv *= 1 - momentum
            rv += (momentum * var.reshape(N, C).mean(0) * (L / (L - 1))).astype(rv.dtype, copy=False)
            running_var._bump()
        return t
    if running_mean is None or running_var is None:
        raise RuntimeError("instance_norm: Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``y = x / sqrt(mean(x^2) + eps) * weight`` over the last ``len(normalized_shape)`` dims.

    ``eps`` defaults to the input dtype's machine epsilon.
    """
    x = input
    ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    a = x._data
    if a.shape[a.ndim - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(a.shape)}")
    if a.dtype.char not in "fd" and (a.dtype.kind == "V" or a.dtype.char == "e"):
        # bfloat16/float16: in float32 (PyTorch upcasts), rounded once; eps defaults to float32's, the upcast
        # dtype's (with bfloat16's 2^-7 or float16's 2^-10 ~70% of the outputs differed from torch's)
        return in_float32(rms_norm, input, normalized_shape, weight, 2.0 ** -23 if eps is None else eps)
    if eps is None:
        eps = float(np.finfo(a.dtype).eps)
    dims = tuple(range(-len(ns), 0))
    y = mul(x, rsqrt(add(_mean(mul(x, x), dims, keepdim=True), eps)))
    return mul(y, weight) if weight is not None else y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalize each value by its neighbours across channels:
    ``y = x / (k + alpha / size * sum over `size` neighbouring channels of x^2) ^ beta``."""
    from .padding import pad
    from .pooling import avg_pool2d
    x = input
    a = x._data
    if a.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {a.ndim} dimensions)")
    if a.size == 0:
        return x
    N, C = a.shape[:2]
    sq = reshape(mul(x, x), (N, 1, C, -1))
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div_ = reshape(avg_pool2d(sq, (size, 1), stride=1), a.shape)
    return div(x, _pow(add(mul(div_, alpha), k), beta))
