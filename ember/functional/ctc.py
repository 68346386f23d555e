"""Connectionist temporal classification: ``ctc_loss`` (Graves et al., 2006), as ``torch.nn.functional``.

The loss of one sequence is :math:`-\\log p(y \\mid x)`, the probability summed over every
alignment of the target ``y`` (blanks around and between its labels, repeats merged) to the
``T`` input frames. The forward variables :math:`\\alpha_t(s)` over the extended target
``blank, y_1, blank, y_2, ..., blank`` and the backward ones :math:`\\beta_t(s)` are computed in
log space, vectorized over the batch and the target positions (a Python loop over time only).

The gradient is PyTorch's: :math:`\\partial/\\partial \\log p_t(c) = p_t(c) - \\frac{1}{p(y|x)}
\\sum_{s: y'_s = c} \\alpha_t(s)\\beta_t(s) / p_t(c)`, which presumes that ``log_probs`` come from a
``log_softmax`` (then it is the exact gradient through it). It is first order only.

>>> import ember
>>> import ember.nn.functional as F
>>> log_probs = ember.zeros(3, 1, 2).log_softmax(2)        # T=3 frames, uniform over {blank, a}
>>> loss = F.ctc_loss(log_probs, ember.tensor([[1]]), [3], [1], reduction="sum")
>>> round(loss.item(), 4)                                  # -log(6 / 8): 6 of the 8 paths read "a"
0.2877
"""
import numpy as np

from ..autograd.node import needs_grad, record
from ..autograd.tensor import Tensor, make

__all__ = ["ctc_loss"]

_NEG_INF = -np.inf


def _lse(*arrays):
    out = arrays[0]
    for a in arrays[1:]:
        out = np.logaddexp(out, a)
    return out


def _lengths(v, n, name):
    a = np.asarray(v._data if isinstance(v, Tensor) else v).astype(np.int64).reshape(-1)
    if a.size != n:
        raise RuntimeError(f"ctc_loss: expected {name} to have {n} elements (the batch size), got {a.size}")
    return a


def _extended(targets, target_lengths, blank, N):
    """The padded extended targets ``(N, 2 * S_max + 1)`` (blank, y1, blank, ..., blank) and their lengths."""
    t = np.asarray(targets._data if isinstance(targets, Tensor) else targets).astype(np.int64)
    s_max = int(target_lengths.max()) if N else 0
    if t.ndim == 1:  # all targets concatenated
        offsets = np.concatenate([[0], np.cumsum(target_lengths)])
        if t.size < offsets[-1]:
            raise RuntimeError(f"ctc_loss: the concatenated targets hold {t.size} labels, fewer than the "
                               f"{int(offsets[-1])} that target_lengths add up to")
        rows = np.zeros((N, s_max), np.int64)
        for n in range(N):
            rows[n, :target_lengths[n]] = t[offsets[n]:offsets[n + 1]]
        t = rows
    if t.shape[1] < s_max:
        raise RuntimeError(f"ctc_loss: targets of size {list(t.shape)} are shorter than the longest target "
                           f"length {s_max}")
    ext = np.full((N, 2 * s_max + 1), blank, np.int64)
    ext[:, 1::2] = t[:, :s_max]
    return ext


def _forward_backward(lp, ext, input_lengths, target_lengths, blank):
    """``alpha``, ``beta`` ``(T, N, L)`` and the per-sample negative log likelihood."""
    T, N, C = lp.shape
    L = ext.shape[1]
    s = np.arange(L)
    valid = s[None, :] < 2 * target_lengths[:, None] + 1                        # (N, L)
    # s - 2 may be skipped into s when y'_s is a label different from y'_{s-2}
    skip = np.zeros((N, L), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    emit = np.take_along_axis(lp, np.broadcast_to(ext[None], (T, N, L)), axis=2)  # (T, N, L)
    emit = np.where(valid[None], emit, _NEG_INF)
    alpha = np.full((T, N, L), _NEG_INF, lp.dtype)
    beta = np.full((T, N, L), _NEG_INF, lp.dtype)
    if T == 0:
        return alpha, beta, np.full(N, np.inf, lp.dtype), emit
    alpha[0, :, 0] = emit[0, :, 0]
    if L > 1:
        alpha[0, :, 1] = np.where(target_lengths > 0, emit[0, :, 1], _NEG_INF)
    for t in range(1, T):
        prev = alpha[t - 1]
        one = np.concatenate([np.full((N, 1), _NEG_INF, lp.dtype), prev[:, :-1]], axis=1)
        two = np.where(skip, np.concatenate([np.full((N, 2), _NEG_INF, lp.dtype), prev[:, :-2]], axis=1)[:, :L],
                       _NEG_INF)
        alpha[t] = emit[t] + _lse(prev, one, two)
    last = input_lengths - 1
    ends = 2 * target_lengths
    n_idx = np.arange(N)
    final = alpha[np.clip(last, 0, None), n_idx]                                 # (N, L)
    end_blank = final[n_idx, ends]
    end_label = np.where(target_lengths > 0, final[n_idx, np.maximum(ends - 1, 0)], _NEG_INF)
    nll = -_lse(end_blank, end_label)
    nll = np.where(input_lengths > 0, nll, np.where(target_lengths == 0, 0.0, np.inf))
    # backward variables, each sample starting at its own last frame
    for t in range(T - 1, -1, -1):
        if t + 1 < T:
            nxt = beta[t + 1]
            one = np.concatenate([nxt[:, 1:], np.full((N, 1), _NEG_INF, lp.dtype)], axis=1)
            skip_next = np.concatenate([skip[:, 2:], np.zeros((N, 2), bool)], axis=1)
            two = np.where(skip_next, np.concatenate([nxt[:, 2:], np.full((N, 2), _NEG_INF, lp.dtype)], axis=1),
                           _NEG_INF)
            beta[t] = emit[t] + _lse(nxt, one, two)
        start = last == t
        if start.any():
            init = np.full((N, L), _NEG_INF, lp.dtype)
            init[n_idx, ends] = emit[t, n_idx, ends]
            has = target_lengths > 0
            init[n_idx[has], ends[has] - 1] = emit[t, n_idx[has], ends[has] - 1]
            beta[t] = np.where(start[:, None], init, beta[t])
        beta[t] = np.where((t > last)[:, None], _NEG_INF, beta[t])
    return alpha, beta, nll, emit


def _ctc_grad(lp, ext, alpha, beta, nll, input_lengths):
    """PyTorch's gradient of each sample's nll w.r.t. ``log_probs``: ``exp(lp) - exp(lcab + nll - lp)``."""
    T, N, C = lp.shape
    ab = alpha + beta                                                            # (T, N, L)
    m = np.max(ab, axis=2, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    acc = np.zeros((T, N, C), lp.dtype)
    t_idx = np.arange(T)[:, None, None]
    n_idx = np.arange(N)[None, :, None]
    np.add.at(acc, (np.broadcast_to(t_idx, ab.shape), np.broadcast_to(n_idx, ab.shape),
                    np.broadcast_to(ext[None], ab.shape)), np.exp(ab - m))
    with np.errstate(divide="ignore"):
        lcab = np.log(acc) + m
    grad = np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)
    active = np.arange(T)[:, None] < input_lengths[None, :]
    return np.where(active[:, :, None], grad, 0.0)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The CTC loss of ``log_probs`` against ``targets``.

    Args:
        log_probs: ``(T, N, C)`` (or unbatched ``(T, C)``) log-probabilities, e.g. from ``log_softmax(2)``.
        targets: ``(N, S)`` padded labels, or 1-D: all targets concatenated (each ``target_lengths[n]`` long).
            Labels are in ``[0, C)`` and never ``blank``.
        input_lengths, target_lengths: ``(N)`` frame and label counts (tensors, lists or ints).
        blank (int): the blank label (default 0).
        reduction (str): ``'none'`` (per-sample losses ``(N)``), ``'sum'``, or ``'mean'`` (default: each
            loss divided by its target length, then averaged over the batch).
        zero_infinity (bool): an impossible alignment (infinite loss) gives 0 and a zero gradient.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    lp_t = log_probs
    unbatched = lp_t._data.ndim == 2
    lp = lp_t._data[:, None, :] if unbatched else lp_t._data
    if lp.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got {list(lp.shape)}")
    if lp.dtype.kind != "f":
        raise RuntimeError(f"ctc_loss: expected floating point log_probs, got {log_probs.dtype}")
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {C}), got {blank}")
    il = _lengths(input_lengths, N, "input_lengths")
    tl = _lengths(target_lengths, N, "target_lengths")
    if (il > T).any() or (il < 0).any():
        raise RuntimeError(f"ctc_loss: expected input_lengths in [0, {T}] (the input's length), got {il.tolist()}")
    tg = targets
    if unbatched and isinstance(tg, Tensor) and tg._data.ndim == 1:
        tg = make(tg._data.reshape(1, -1))
    ext = _extended(tg, tl, blank, N)
    if ((ext < 0) | (ext >= C)).any():
        raise RuntimeError(f"ctc_loss: target labels must be in [0, {C}), got {ext.min()}..{ext.max()}")
    alpha, beta, nll, _ = _forward_backward(lp, ext, il, tl, blank)
    raw_nll = nll
    inf = ~np.isfinite(nll)
    if zero_infinity:
        nll = np.where(inf, 0.0, nll)
    per = nll.astype(lp.dtype)
    if reduction == "mean":
        scale = 1.0 / np.maximum(tl, 1) / N
        value = np.array((per * scale).sum(), lp.dtype)
    elif reduction == "sum":
        scale = np.ones(N)
        value = np.array(per.sum(), lp.dtype)
    else:
        scale = None
        value = per[0] if unbatched else per
        value = np.asarray(value)
    out = make(value)
    if needs_grad(lp_t):
        def backward(g):
            # an infinite loss gives NaN gradients unless zero_infinity, as in PyTorch
            with np.errstate(invalid="ignore"):
                grad = _ctc_grad(lp, ext, alpha, beta, raw_nll, il)
            if zero_infinity:
                grad = np.where(inf[None, :, None], 0.0, grad)
            w = g._data * scale if scale is not None else np.broadcast_to(g._data, (N,))
            grad = grad * np.asarray(w, lp.dtype).reshape(1, N, 1)
            return (make((grad[:, 0] if unbatched else grad).astype(lp.dtype)),)
        record(out, "CtcLossBackward0", backward, (lp_t,))
    return out
