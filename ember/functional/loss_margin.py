"""Divergence, likelihood, margin and embedding losses: ``kl_div``, ``poisson_nll_loss``,
``gaussian_nll_loss``, ``margin_ranking_loss``, ``triplet_margin_loss`` ... (compositions of ember ops).

>>> import ember
>>> import ember.nn.functional as F
>>> F.margin_ranking_loss(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([1.0]), margin=0.5)
tensor(1.5000)
"""
import math
import warnings

import numpy as np

from ..autograd.ops import (add, sub, mul, div, neg, exp, log, where, clamp, sum as _sum, reshape, sqrt, xlogy,
                            gather, unsqueeze, maximum)
from ..autograd.autocast_state import active as _autocast, run_fp32
from ._fuse import wrap
from ._reduction import _legacy_reduction, _reduce, _as_target
from .activation import softplus, logsigmoid
from .distance import pairwise_distance


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence with ``input`` as log-probabilities: ``y (log y - x)`` per element
    (``exp(y) (y - x)`` with ``log_target``). ``'batchmean'`` divides the sum by the batch size, which
    is the mathematically correct KL; ``'mean'`` divides by the number of elements."""
    if _autocast.cpu:
        return run_fp32(kl_div, input, target, size_average, reduce, reduction, log_target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    if log_target:
        loss = mul(exp(target), sub(target, input))
    else:
        loss = sub(xlogy(target, target), mul(target, input))
    if reduction == "batchmean":
        n = input._data.shape[0] if input._data.ndim else 1
        return div(_sum(loss), n)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition.",
                      stacklevel=2)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log likelihood: ``exp(x) - y x`` (log_input) or ``x - y log(x + eps)``;
    ``full`` adds Stirling's ``y log y - y + 0.5 log(2 pi y)`` where ``y > 1``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    if log_input:
        loss = sub(exp(input), mul(target, input))
    else:
        loss = sub(input, mul(target, log(add(input, eps))))
    if full:
        y = target
        st = add(sub(mul(y, log(y)), y), mul(log(mul(y, 2 * math.pi)), 0.5))
        loss = add(loss, where(wrap(y._data > 1), st, 0.0))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log likelihood ``0.5 (log var + (x - y)^2 / var)`` (+ ``0.5 log 2 pi`` if full);
    ``var`` is clamped at ``eps`` for stability (the gradient passes through the clamp)."""
    if isinstance(var, (int, float)):
        var = wrap(np.full(input._data.shape, var, input._data.dtype))
    vs, xs = var._data.shape, input._data.shape
    if vs != xs:
        if xs[:-1] == vs:
            var = unsqueeze(var, -1)
        elif len(vs) == len(xs) and sum(v for x, v in zip(xs, vs) if x != v) == 1:
            pass   # one dimension of size 1 broadcast (torch 2.13): (4, 1, 32, 32) for (4, 3, 32, 32)
        else:
            raise ValueError(f"gaussian_nll_loss: var of shape {vs} does not match the input of shape {xs}")
    if np.any(var._data < 0):
        raise ValueError("var has negative entry/entries")
    v = add(var, wrap((np.maximum(var._data, eps) - var._data).astype(var._data.dtype)))
    d = sub(input, target)
    loss = mul(add(log(v), div(mul(d, d), v)), 0.5)
    if full:
        loss = add(loss, 0.5 * math.log(2 * math.pi))
    return _reduce(loss, reduction)


# -- margin and embedding losses -----------------------------------------------------------------------

def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -y (x1 - x2) + margin)`` with ``y`` in {1, -1}."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not (input1._data.ndim == input2._data.ndim == target._data.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, "
                           f"target: {tuple(target.shape)} ")
    loss = clamp(add(mul(neg(target), sub(input1, input2)), margin), min=0.0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    t = target._data
    m = where(wrap(t != 1), clamp(_rsub(input, margin), min=0.0), 0.0)
    s = where(wrap(t != -1), input, 0.0)
    return _reduce(add(m, s), reduction)


def _rsub(x, c):
    return sub(c, x)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-y x))`` with ``y`` in {1, -1}."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce(softplus(neg(mul(target, input))), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-mean_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)]`` per sample (weighted by class)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = neg(add(mul(target, logsigmoid(input)), mul(sub(1.0, target), logsigmoid(neg(input)))))
    if weight is not None:
        loss = mul(loss, weight)
    C = input._data.shape[-1]
    loss = div(_sum(loss, -1), C)
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """``sum_{i != y} max(0, margin - x[y] + x[i])^p / C`` per sample (times ``w[y]``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input._data.ndim == 2 else reshape(input, (1, -1))
    t = target._data.reshape(-1)
    C = x._data.shape[1]
    xy = gather(x, 1, wrap(t.reshape(-1, 1)))
    h = clamp(add(sub(x, xy), margin), min=0.0)
    if p == 2:
        h = mul(h, h)
    notself = np.ones(x._data.shape, x._data.dtype)
    notself[np.arange(len(t)), t] = 0
    h = mul(h, wrap(notself))
    if weight is not None:
        h = mul(h, reshape(wrap(weight._data[t]), (-1, 1)))
    loss = div(_sum(h, 1), C)
    if input._data.ndim == 1:
        loss = reshape(loss, ())
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos(x1, x2) - margin)`` where ``y == -1``
    (cosine along the last dim)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = input1._data.ndim - 1
    eps = 1e-12
    prod = _sum(mul(input1, input2), d)
    m1 = add(_sum(mul(input1, input1), d), eps)
    m2 = add(_sum(mul(input2, input2), d), eps)
    cos = div(prod, sqrt(mul(m1, m2)))
    t = target._data
    pos = where(wrap(t == 1), _rsub(cos, 1.0), 0.0)
    negp = where(wrap(t == -1), clamp(sub(cos, margin), min=0.0), 0.0)
    return _reduce(add(pos, negp), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the p-norm pairwise distance; ``swap`` uses
    ``min(d(a, n), d(p, n))``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    nd = anchor._data.ndim
    if not (nd == positive._data.ndim == negative._data.ndim):
        raise RuntimeError(f"triplet_margin_loss: the anchor, positive and negative must have the same number of "
                           f"dimensions, got shapes {tuple(anchor.shape)}, {tuple(positive.shape)}, "
                           f"{tuple(negative.shape)}")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_pn = pairwise_distance(positive, negative, p, eps)
        d_an = _minimum(d_an, d_pn)
    loss = clamp(add(sub(d_ap, d_an), margin), min=0.0)
    return _reduce(loss, reduction)


def _minimum(a, b):
    return neg(maximum(neg(a), neg(b)))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """:func:`triplet_margin_loss` with any ``distance_function(x1, x2)`` (default pairwise L2)."""
    dist = distance_function if distance_function is not None else pairwise_distance
    d_ap = dist(anchor, positive)
    d_an = dist(anchor, negative)
    if swap:
        d_an = _minimum(d_an, dist(positive, negative))
    return _reduce(clamp(add(sub(d_ap, d_an), margin), min=0.0), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``sum_{j in y} sum_{i not in y} max(0, 1 - (x[j] - x[i])) / C`` per sample, where ``y`` lists the
    sample's target classes and ends at the first -1. Shapes: input and target ``(N, C)`` or ``(C)``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x = input if input._data.ndim == 2 else reshape(input, (1, -1))
    t = target._data.reshape(x._data.shape)
    N, C = x._data.shape
    is_target = np.zeros((N, C), bool)
    for n in range(N):
        for c in t[n]:
            if c < 0:
                break
            is_target[n, c] = True
    pair = (is_target[:, :, None] & ~is_target[:, None, :]).astype(x._data.dtype)
    d = add(sub(1.0, unsqueeze(x, 2)), unsqueeze(x, 1))
    loss = div(_sum(mul(clamp(d, min=0.0), wrap(pair)), (1, 2)), C)
    if input._data.ndim == 1:
        loss = reshape(loss, ())
    return _reduce(loss, reduction)
