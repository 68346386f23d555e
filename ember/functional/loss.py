"""Loss functions with PyTorch's semantics: regression, cross entropy / NLL and binary cross entropy.

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'``. Losses with a class
``weight`` and ``'mean'`` divide by the total weight of the counted targets, as
PyTorch does. ``cross_entropy`` (class indices or probabilities), ``nll_loss``,
``mse_loss``, ``binary_cross_entropy`` and ``binary_cross_entropy_with_logits`` are
fused nodes with a NumPy backward (their higher-order gradients go through the
composite definitions). Margin, embedding and likelihood losses are in
:mod:`ember.functional.loss_margin`.

>>> import ember
>>> import ember.nn.functional as F
>>> logits = ember.tensor([[2.0, 0.5, -1.0]])
>>> round(F.cross_entropy(logits, ember.tensor([0])).item(), 4)
0.2413
"""
import numpy as np

from ..autograd.ops import (add, sub, mul, div, neg, log, abs as _abs, where, clamp, sum as _sum, reshape,
                            log_softmax as _log_softmax)
from ..autograd.autocast_state import active as _autocast, run_fp32
from ..autograd.ops.conversion import in_float32
from ..autograd.tensor import Tensor
from ..backend import dtypes as _dt
from ..backend import meta as _meta
from ..backend.meta import MetaArray as _MetaArray
from ._blocks import row_blocks, row_max
from ._cascade import cascade_sum
from ._fuse import gm, wrap, record, composite_grad
from ._reduction import _legacy_reduction, _check_reduction, _reduce, _as_target, _same_shape_or_warn, _need_float
from .activation import softplus


# -- regression -----------------------------------------------------------------------------------------

def _mse_composite(input, target, reduction):
    d = sub(input, target)
    return _reduce(mul(d, d), reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(x - y)^2``, reduced. Shapes: input and target of the same shape."""
    if _autocast.cpu:
        return run_fp32(mse_loss, input, target, size_average, reduce, reduction, weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_target(target, input)
    if _need_float("mse_loss", input, target):
        return in_float32(mse_loss, input, target, reduction=reduction, weight=weight)
    same = _same_shape_or_warn("mse_loss", input, target)
    if weight is not None:
        return _reduce(mul(weight, mul(sub(input, target), sub(input, target))), reduction)
    if not same or reduction == "none":
        return _mse_composite(input, target, reduction)
    x, y = input._data, target._data
    if x.dtype != y.dtype:  # float32 input, int64 target: the loss is float32, as PyTorch promotes
        x, y = (v.astype(_dt.promote(input, target).numpy, copy=False) for v in (x, y))
    d = x - y
    n = d.size
    half = d.dtype.char == "e"
    if half:  # float16: PyTorch squares in float16 and sums in float32
        s = np.sum(np.square(d), dtype=np.float32)
    else:
        s = np.vdot(d, d) if d.dtype.kind == "f" else np.sum(d * d)
    val = s / n if reduction == "mean" else s
    t = wrap(np.asanyarray(val, dtype=d.dtype))
    if gm.enabled and (input._rg or target._rg):
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda a, b: _mse_composite(a, b, reduction), (input, target), g)
            if half:  # float16: (norm * d) * g in float16 (norm rounded too), as PyTorch's kernel
                gd = (np.float16(2.0 / n if reduction == "mean" else 2.0) * d) * g._data
            else:
                k = g._data * (2.0 / n if reduction == "mean" else 2.0)
                gd = (d * k).astype(d.dtype, copy=False)
            return (wrap(gd) if input._rg else None, wrap(-gd) if target._rg else None)
        record(t, "MseLossBackward0", backward, (input, target), (input, target))
    return t


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|x - y|``."""
    if _autocast.cpu:
        return run_fp32(l1_loss, input, target, size_average, reduce, reduction, weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    if _need_float("l1_loss", input, target):
        return in_float32(l1_loss, input, target, reduction=reduction, weight=weight)
    _same_shape_or_warn("l1_loss", input, target)
    loss = _abs(sub(input, target))
    if weight is not None:
        loss = mul(weight, loss)
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = x - y``); L1 when beta = 0."""
    if _autocast.cpu:
        return run_fp32(smooth_l1_loss, input, target, size_average, reduce, reduction, beta)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta})")
    target = _as_target(target, input)
    if _need_float("smooth_l1_loss", input, target):
        return in_float32(smooth_l1_loss, input, target, reduction=reduction, beta=beta)
    _same_shape_or_warn("smooth_l1_loss", input, target)
    d = sub(input, target)
    ad = _abs(d)
    if beta == 0:
        return _reduce(ad, reduction)
    loss = where(wrap(ad._data < beta), div(mul(mul(d, d), 0.5), beta), sub(ad, 0.5 * beta))
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    if _autocast.cpu:
        return run_fp32(huber_loss, input, target, reduction, delta, weight)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got {delta})")
    target = _as_target(target, input)
    if _need_float("huber_loss", input, target):
        return in_float32(huber_loss, input, target, reduction=reduction, delta=delta, weight=weight)
    _same_shape_or_warn("huber_loss", input, target)
    d = sub(input, target)
    ad = _abs(d)
    loss = where(wrap(ad._data < delta), mul(mul(d, d), 0.5), mul(sub(ad, 0.5 * delta), delta))
    if weight is not None:
        loss = mul(weight, loss)
    return _reduce(loss, reduction)


# -- classification: cross entropy and NLL ----------------------------------------------------------------

def _class_layout(name, x, t, probs):
    """Check shapes; return (N*d1*..., C) views: logits moved class-last and flat targets."""
    if x.ndim == 0:
        raise RuntimeError(f"{name}: expected an input of shape (C), (N, C) or (N, C, d1, ...), got a scalar")
    C = x.shape[1] if x.ndim >= 2 else x.shape[0]
    if probs:
        if t.shape != x.shape:
            raise RuntimeError(f"{name}: probability targets must have the input's shape {tuple(x.shape)}, got "
                               f"{tuple(t.shape)} (for class-index targets pass an integer tensor)")
    else:
        expect = (x.shape[0],) + x.shape[2:] if x.ndim >= 2 else ()
        if x.ndim >= 2 and t.ndim >= 1 and t.shape[0] != x.shape[0]:  # torch's check, a ValueError
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}): "
                             f"{name} got an input of shape {tuple(x.shape)} and a target of shape {tuple(t.shape)}")
        if t.shape != expect:
            raise RuntimeError(f"{name}: expected a target of shape {expect} (class indices) for an input of shape "
                               f"{tuple(x.shape)}, got a target of shape {tuple(t.shape)}"
                               + (" - an (N, 1) target? use target.squeeze(1)" if t.shape == expect + (1,) else ""))
    if x.ndim == 1:
        z = x[None]
        tt = t[None]
    elif x.ndim == 2:
        z, tt = x, t
    else:
        z = np.moveaxis(x, 1, -1).reshape(-1, C)
        tt = np.moveaxis(t, 1, -1).reshape(-1, C) if probs else t.reshape(-1)
    return z, tt, C


def _unlayout(G, shape):
    """Inverse of :func:`_class_layout` for an array of per-class values ``G`` (n, C)."""
    if len(shape) == 1:
        return G[0]
    if len(shape) == 2:
        return G
    C = shape[1]
    return np.moveaxis(G.reshape((shape[0],) + tuple(shape[2:]) + (C,)), -1, 1)


def _check_targets(name, tt, C, ignore_index, shape):
    """Return (valid mask or None when all are valid, all_valid, indices safe to gather with)."""
    if tt.size:
        lo, hi = tt.min(), tt.max()
        if lo >= 0 and hi < C and not 0 <= ignore_index < C:
            return None, True, tt  # the common case: every target is a class, none ignored
    valid = tt != ignore_index
    all_valid = bool(valid.all())
    ti = tt if all_valid else np.where(valid, tt, 0)
    if ti.size:
        lo, hi = ti.min(), ti.max()
        if lo < 0 or hi >= C:
            bad = int(hi if hi >= C else lo)
            raise IndexError(f"{name}: target class index {bad} is out of bounds for an input with {C} classes "
                             f"(shape {tuple(shape)}); class indices must be in [0, {C - 1}]"
                             + (f" or equal ignore_index={ignore_index}" if ignore_index is not None and
                                ignore_index != -100 else ""))
    return valid, all_valid, ti


def _weight_arr(weight, C, dtype, name):
    if weight is None:
        return None
    w = weight._data
    if w.shape != (C,):
        raise RuntimeError(f"{name}: weight must be a 1-D tensor of {C} class weights, got shape {tuple(w.shape)}")
    return w.astype(dtype, copy=False)


def _ce_composite(input, target, weight, ignore_index, reduction, label_smoothing):
    C = input._data.shape[1] if input._data.ndim >= 2 else input._data.shape[0]
    cdim = 1 if input._data.ndim >= 2 else 0
    logp = _log_softmax(input, cdim)
    wshape = [1] * input._data.ndim
    wshape[cdim] = C
    if target._data.dtype.kind == "f":
        q = target
        if label_smoothing > 0:
            q = add(mul(q, 1 - label_smoothing), label_smoothing / C)
        a = mul(q, reshape(weight, tuple(wshape))) if weight is not None else q
        loss = neg(_sum(mul(a, logp), cdim))
        if reduction == "mean":
            n = input._data.size // C if input._data.size else 0
            return div(_sum(loss), n)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    valid = wrap(target._data != ignore_index)
    lw = mul(logp, reshape(weight, tuple(wshape))) if weight is not None else logp
    smooth = mul(neg(_sum(lw, cdim)), valid)
    if reduction == "mean":
        if weight is not None:
            tv = target._data[valid._data]
            denom = float(weight._data[tv].sum())
        else:
            denom = float(valid._data.sum())
        smooth = div(_sum(smooth), denom)
    else:
        smooth = _reduce(smooth, reduction)
    return add(mul(nll, 1 - label_smoothing), mul(smooth, label_smoothing / C))


def _exp_shifted(z, C):
    """``m = max_c z``, ``e = exp(z - m)`` and ``se = sum_c e`` per row of ``z`` (n, C), in cache-sized row blocks."""
    if not C or not z.size:
        e = np.exp(z - z)
        return z, e, e.sum(axis=1, keepdims=True)
    n = z.shape[0]
    if type(z) is _MetaArray:  # the meta device: the shapes, no values
        return _meta.empty((n, 1), z.dtype), _meta.empty(z.shape, z.dtype), _meta.empty((n, 1), z.dtype)
    m = np.empty((n, 1), z.dtype)
    e = np.empty(z.shape, z.dtype)
    se = np.empty((n, 1), z.dtype)
    # Row sums as a product with ones (BLAS) where it applies: NumPy's sum along short rows costs several times more.
    ones = np.ones(C, z.dtype) if z.dtype in (np.float32, np.float64) else None
    _exp_shifted_blocks(z, m, e, se, ones, row_blocks(n, C))
    return m, e, se


def _exp_shifted_blocks(z, m, e, se, ones, blocks):
    for b in blocks:
        zb, eb, mb = z[b], e[b], m[b]
        row_max(zb, out=mb)
        np.subtract(zb, mb, out=eb)
        np.exp(eb, out=eb)
        if ones is None:
            np.sum(eb, axis=1, keepdims=True, out=se[b])
        else:
            np.matmul(eb, ones, out=se[b].reshape(-1))


def _cross_entropy_bf16(input, target, weight, ignore_index, reduction, label_smoothing):
    """bfloat16/float16 logits as PyTorch takes them: ``log_softmax`` in their dtype (computed in float32,
    rounded), then ``nll_loss``; with probability targets or label smoothing, the whole loss in float32, rounded once."""
    if target._data.dtype.kind in "iu" and not label_smoothing:
        from .activation import log_softmax
        return nll_loss(log_softmax(input, 1 if input._data.ndim >= 2 else 0), target, weight,
                        ignore_index=ignore_index, reduction=reduction)
    return in_float32(cross_entropy, input, target, weight, ignore_index=ignore_index, reduction=reduction,
                      label_smoothing=label_smoothing)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between logits and class targets: ``log_softmax`` then ``nll_loss`` in one node.

    Shapes: input ``(N, C)``, ``(C)`` or ``(N, C, d1, ...)``; target the class indices ``(N)``, ``()``
    or ``(N, d1, ...)`` (integers in ``[0, C)``, or ``ignore_index``), or class probabilities of the
    input's shape. Per element, with smoothing ``e`` and class weights ``w``:
    ``loss = -(1-e) w[t] log p[t] - (e/C) sum_c w[c] log p[c]``; ``'mean'`` divides by the summed
    ``w[t]`` of non-ignored targets (by the number of elements for probability targets).
    """
    if _autocast.cpu:
        return run_fp32(cross_entropy, input, target, weight, size_average, ignore_index, reduce, reduction, label_smoothing)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not isinstance(target, Tensor):
        target = wrap(np.asarray(target))
    x, t_ = input._data, target._data
    if x.dtype.char not in "fd":
        if x.dtype.kind == "V" or x.dtype.char == "e":
            return _cross_entropy_bf16(input, target, weight, ignore_index, reduction, label_smoothing)
        if x.dtype.kind != "f":
            raise RuntimeError(f"cross_entropy: expected floating point logits, got {input.dtype}")
    probs = t_.dtype.kind == "f"
    if not probs and t_.dtype.kind not in "iu":
        raise RuntimeError(f"cross_entropy: the target must hold class indices (an integer tensor) or class "
                           f"probabilities (a float tensor of the input's shape), got dtype {target.dtype}")
    z, tt, C = _class_layout("cross_entropy", x, t_, probs)
    w = _weight_arr(weight, C, x.dtype, "cross_entropy")
    n = z.shape[0]
    eps = float(label_smoothing)
    m, e, se = _exp_shifted(z, C)
    # log p for every class is only needed with probabilities or smoothing; else only the picked ones.
    logp = (z - m) - np.log(se) if (probs or eps) else None
    if probs:
        tq = tt.astype(x.dtype, copy=False)
        q = tq * (1 - eps) + eps / C if eps else tq
        a = q * w if w is not None else q
        per = -(a * logp).sum(axis=1)
        denom = n
        valid = None
    else:
        valid, all_valid, ti = _check_targets("cross_entropy", tt, C, ignore_index, x.shape)
        rows = np.arange(n)
        picked = logp[rows, ti] if logp is not None else (z[rows, ti] - m[:, 0]) - np.log(se[:, 0])
        if w is not None:
            wt = w[ti] * valid if not all_valid else w[ti]
        else:
            wt = valid.astype(x.dtype) if not all_valid else None
        per = -picked if wt is None else -picked * wt
        if eps:
            sm = -(logp * w).sum(axis=1) if w is not None else -logp.sum(axis=1)
            if not all_valid:
                sm = sm * valid
            per = (1 - eps) * per + (eps / C) * sm
        denom = wt.sum() if wt is not None else n
    if reduction == "none":
        val = per.reshape(t_.shape if not probs else (x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()))
    elif reduction == "sum":
        val = per.sum()
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            # In float64 as np.float64(sum) / denom, but without leaving NumPy (ember.compile replays it).
            val = np.divide(per.sum(), denom, dtype=np.float64)
    out = wrap(np.asanyarray(val, dtype=x.dtype))
    target_grad = probs and target._rg
    if gm.enabled and (input._rg or target_grad):
        spare = [] if (probs or eps) else [e]

        def backward(g):
            if gm.enabled:
                return composite_grad(lambda a_, b_, w_: _ce_composite(a_, b_, w_, ignore_index, reduction, eps),
                                      (input, target, weight), g)
            gd = g._data
            if reduction == "none":
                sc = gd.reshape(-1, 1)
            elif reduction == "sum":
                sc = gd
            else:
                sc = gd / denom
            sc1 = sc[:, 0] if reduction == "none" else sc
            gx = gt = None
            if input._rg and not (probs or eps):
                # One pass over the logits: e * (w[t] sc / se), then -w[t] sc at the targets.
                coef = wt * sc1 if wt is not None else sc1
                # The first backward scales the forward's exp buffer in place (no fresh 4 n C bytes to
                # fault in); a second one (retain_graph) recomputes the same exp first.
                G = spare.pop() if spare else _exp_shifted(z, C)[1]
                G *= coef[:, None] / se if isinstance(coef, np.ndarray) and coef.ndim else coef / se
                G[rows, ti] -= coef
                gx = wrap(_unlayout(G.astype(x.dtype, copy=False), x.shape))
                return gx, None, None
            p = e / se
            if input._rg:
                if probs:
                    G = p * a.sum(axis=1, keepdims=True) - a
                else:
                    coef = (1 - eps) * (wt if wt is not None else 1.0)
                    if eps:
                        wsum = w.sum() if w is not None else C
                        rowsum = coef + (eps / C) * wsum * (valid if not all_valid else 1.0)
                    else:
                        rowsum = coef
                    G = p * (rowsum[:, None] if isinstance(rowsum, np.ndarray) else rowsum)
                    G[rows, ti] -= coef
                    if eps:
                        sm_g = (eps / C) * (w[None, :] if w is not None else 1.0)
                        G -= sm_g * valid[:, None] if not all_valid else sm_g
                G = G * sc
                gx = wrap(_unlayout(G.astype(x.dtype, copy=False), x.shape))
            if target_grad:
                GT = -(1 - eps) * logp * (w if w is not None else 1.0) * sc
                gt = wrap(_unlayout(GT.astype(x.dtype, copy=False), x.shape))
            return gx, gt, None
        record(out, "NllLossBackward0", backward, (input, target, weight), (input,))
    return out


def _nll_loss_half(input, target, weight, ignore_index, reduction):
    """float16/bfloat16 ``'sum'``/``'mean'`` as PyTorch's kernel: the terms ``w[t] x[t]`` rounded to the input's
    dtype and summed in it through its cascade of partial sums (``_cascade``), the summed weights the same way
    (or the count, rounded), ``'mean'`` the quotient rounded; the gradient at each target
    ``w[t] * -(g / total)``, each product rounded."""
    x, t_ = input._data, target._data
    if t_.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss: the target must hold class indices (an integer tensor), got dtype "
                           f"{target.dtype}")
    z, tt, C = _class_layout("nll_loss", x, t_, False)
    valid, all_valid, ti = _check_targets("nll_loss", tt, C, ignore_index, x.shape)
    rows = np.arange(z.shape[0])
    picked = z[rows, ti]
    wv = None if weight is None else weight._data.astype(x.dtype)[ti]
    terms = picked if wv is None else (picked.astype(np.float32) * wv).astype(x.dtype)
    total = -cascade_sum(terms, valid)
    if wv is None:
        tw = np.asarray(z.shape[0] if all_valid else int(valid.sum()), x.dtype)
    else:
        tw = cascade_sum(wv, valid)
    val = total if reduction == "sum" else np.asarray(np.float32(total) / np.float32(tw), x.dtype)
    out = wrap(np.asarray(val, x.dtype))
    if gm.enabled and input._rg:
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda a_: in_float32(nll_loss, a_, target, weight, ignore_index=ignore_index,
                                                            reduction=reduction), (input,), g)
            gd = g._data.astype(np.float32)
            coef = -(gd if reduction == "sum" else (gd / np.float32(tw)).astype(x.dtype).astype(np.float32))
            G = np.zeros(z.shape, x.dtype)
            gi = np.full(z.shape[0], coef, np.float32) if wv is None else wv.astype(np.float32) * coef
            if not all_valid:
                gi = gi * valid
            G[rows, ti] = gi.astype(x.dtype)
            return wrap(_unlayout(G, x.shape)), None, None
        record(out, "NllLossBackward0", backward, (input, target, weight), (input,))
    return out


def _nll_loss_bf16(input, target, weight, ignore_index, reduction):
    """bfloat16 log-probabilities as PyTorch's kernel takes them: the weighted sum in float32, rounded to
    bfloat16; ``'mean'`` then divides that by the summed weights, also rounded to bfloat16."""
    total = in_float32(nll_loss, input, target, weight, ignore_index=ignore_index,
                       reduction="sum" if reduction == "mean" else reduction)
    if reduction != "mean":
        return total
    t_ = target._data
    valid = t_ != ignore_index
    if weight is None:
        tw = valid.sum()
    else:
        tw = weight._data.astype(np.float32)[np.where(valid, t_, 0)][valid].sum(dtype=np.float32)
    return div(total, wrap(np.asarray(tw, input._data.dtype)))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log likelihood of class indices given log-probabilities: ``-w[t] x[t]`` per element.

    Shapes: input ``(N, C)``, ``(C)`` or ``(N, C, d1, ...)`` log-probabilities; target ``(N)``, ``()`` or
    ``(N, d1, ...)`` class indices. ``'mean'`` divides by the summed ``w[t]`` of non-ignored targets.
    """
    if _autocast.cpu:
        return run_fp32(nll_loss, input, target, weight, size_average, ignore_index, reduce, reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = wrap(np.asarray(target))
    x, t_ = input._data, target._data
    if x.dtype.char not in "fd" and (x.dtype.char == "e" or x.dtype.kind == "V"):
        if reduction != "none":
            return _nll_loss_half(input, target, weight, ignore_index, reduction)
        return _nll_loss_bf16(input, target, weight, ignore_index, reduction)
    if t_.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss: the target must hold class indices (an integer tensor), got dtype "
                           f"{target.dtype}")
    z, tt, C = _class_layout("nll_loss", x, t_, False)
    w = _weight_arr(weight, C, x.dtype, "nll_loss")
    valid, all_valid, ti = _check_targets("nll_loss", tt, C, ignore_index, x.shape)
    n = z.shape[0]
    rows = np.arange(n)
    if w is not None:
        wt = w[ti] * valid if not all_valid else w[ti]
    else:
        wt = valid.astype(x.dtype) if not all_valid else np.ones(n, x.dtype)
    per = -z[rows, ti] * wt
    denom = wt.sum()
    if reduction == "none":
        val = per.reshape(t_.shape)
    elif reduction == "sum":
        val = per.sum()
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            val = np.divide(per.sum(), denom, dtype=np.float64)
    out = wrap(np.asanyarray(val, dtype=x.dtype))
    if gm.enabled and input._rg:
        def backward(g):
            gd = g._data
            if reduction == "none":
                M = np.zeros((n, C), x.dtype)
                M[rows, ti] = -wt
                if gm.enabled:
                    return (_unlayout_t(mul(reshape(g, (-1, 1)), wrap(M)), x.shape), None, None)
                return (wrap(_unlayout(M * gd.reshape(-1, 1), x.shape)), None, None)
            M = np.zeros((n, C), x.dtype)
            M[rows, ti] = -wt / (denom if reduction == "mean" else 1.0)
            M = _unlayout(M, x.shape)
            if gm.enabled:
                return (mul(g, wrap(M)), None, None)
            return (wrap(M * gd), None, None)
        record(out, "NllLossBackward0", backward, (input, target, weight))
    return out


def _unlayout_t(G, shape):
    """Tensor version of :func:`_unlayout` (differentiable)."""
    from ..autograd.ops import movedim
    if len(shape) == 1:
        return reshape(G, (shape[0],))
    if len(shape) == 2:
        return G
    C = shape[1]
    return movedim(reshape(G, (shape[0],) + tuple(shape[2:]) + (C,)), -1, 1)


# -- binary classification ----------------------------------------------------------------------------

def _bce_composite(input, target, weight, reduction):
    lx = clamp(log(input), min=-100.0)
    l1x = clamp(log(sub(1.0, input)), min=-100.0)
    loss = neg(add(mul(target, lx), mul(sub(1.0, target), l1x)))
    if weight is not None:
        loss = mul(loss, weight)
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-w (y log x + (1 - y) log(1 - x))`` for probabilities ``x`` in [0, 1]; each log is clamped at -100.

    Shapes: input and target of the same shape; weight broadcastable to it."""
    if _autocast.cpu:
        return run_fp32(binary_cross_entropy, input, target, weight, size_average, reduce, reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_target(target, input)
    x, y = input._data, target._data
    if x.shape != y.shape:
        raise ValueError(f"binary_cross_entropy: using a target size ({tuple(y.shape)}) that is different to the "
                         f"input size ({tuple(x.shape)}) is deprecated. Please ensure they have the same size.")
    if x.size and (x.min() < 0 or x.max() > 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 (got values in "
                           f"[{x.min():.4g}, {x.max():.4g}]; for logits use binary_cross_entropy_with_logits)")
    if y.dtype.kind != "f":
        raise RuntimeError(f"binary_cross_entropy: expected a floating point target, got {target.dtype}")
    wa = weight._data if weight is not None else None
    with np.errstate(divide="ignore"):
        lx = np.maximum(np.log(x), -100)
        l1x = np.maximum(np.log1p(-x), -100)
    per = -(y * lx + (1 - y) * l1x)
    if wa is not None:
        per = per * wa
    per = np.broadcast_to(per, x.shape) if per.shape != x.shape else per
    val = per if reduction == "none" else per.sum() if reduction == "sum" else per.mean()
    out = wrap(np.asanyarray(val, dtype=x.dtype))
    if gm.enabled and (input._rg or target._rg):
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda a, b: _bce_composite(a, b, weight, reduction), (input, target), g)
            gd = g._data if reduction != "mean" else g._data / max(x.size, 1)
            k = gd * (wa if wa is not None else 1.0)
            gx = wrap(np.broadcast_to(k * (x - y) / np.maximum((1 - x) * x, 1e-12), x.shape).astype(x.dtype)) \
                if input._rg else None
            gy = None
            if target._rg:
                with np.errstate(divide="ignore"):
                    gy = wrap(np.broadcast_to(-k * (np.log(x) - np.log1p(-x)), x.shape).astype(x.dtype))
            return gx, gy
        record(out, "BinaryCrossEntropyBackward0", backward, (input, target), (input, target))
    return out


def _bcel_composite(input, target, weight, pos_weight, reduction):
    sp_neg = softplus(neg(input))  # -log sigmoid(x)
    if pos_weight is not None:
        lw = add(mul(sub(pos_weight, 1.0), target), 1.0)
        loss = add(mul(sub(1.0, target), input), mul(lw, sp_neg))
    else:
        loss = add(mul(sub(1.0, target), input), sp_neg)
    if weight is not None:
        loss = mul(loss, weight)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """``binary_cross_entropy(sigmoid(x), y)`` computed stably from logits ``x``:
    ``w [(1 - y) x + (1 + (p - 1) y) softplus(-x)]`` with ``p`` the ``pos_weight`` (per class, last dim)."""
    if _autocast.cpu:
        return run_fp32(binary_cross_entropy_with_logits, input, target, weight, size_average, reduce, reduction, pos_weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_target(target, input)
    x, y = input._data, target._data
    if x.shape != y.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target size ({tuple(y.shape)}) must be the same as "
                         f"input size ({tuple(x.shape)})")
    if y.dtype.kind != "f":
        raise RuntimeError(f"binary_cross_entropy_with_logits: expected a floating point target (0./1. labels), got "
                           f"{target.dtype}; convert it with target.float()")
    wa = weight._data if weight is not None else None
    pw = pos_weight._data if pos_weight is not None else None
    sp_neg = np.logaddexp(0, -x)          # softplus(-x) = -log sigmoid(x)
    lw = 1 + (pw - 1) * y if pw is not None else None
    per = (1 - y) * x + (lw * sp_neg if lw is not None else sp_neg)
    if wa is not None:
        per = per * wa
    per = np.broadcast_to(per, x.shape) if per.shape != x.shape else per
    val = per if reduction == "none" else per.sum() if reduction == "sum" else per.mean()
    # torch gives the loss the target's dtype (float64 logits, float32 labels: a float32 loss)
    out = wrap(np.asanyarray(val, dtype=y.dtype))
    if gm.enabled and (input._rg or target._rg):
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda a, b: _bcel_composite(a, b, weight, pos_weight, reduction),
                                      (input, target), g)
            gd = g._data if reduction != "mean" else g._data / max(x.size, 1)
            k = gd * (wa if wa is not None else 1.0)
            sig = 1.0 / (1.0 + np.exp(-x))
            gx = gy = None
            if input._rg:
                d = sig * lw - pw * y if pw is not None else sig - y
                gx = wrap(np.broadcast_to(k * d, x.shape).astype(x.dtype))
            if target._rg:
                sp_pos = np.logaddexp(0, x)
                d = (pw * sp_neg if pw is not None else sp_neg) - sp_pos
                gy = wrap(np.broadcast_to(k * d, x.shape).astype(x.dtype))
            return gx, gy
        record(out, "BinaryCrossEntropyWithLogitsBackward0", backward, (input, target), (input, target))
    return out
