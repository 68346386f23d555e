"""Connectionist temporal classification (Graves et al. 2006): ``-log p(labels | logits)`` by the forward
(alpha) recursion in log space, written with ember ops so that its gradient comes from autograd.

The extended label sequence puts a blank (``mask_index``) around each label: ``b l1 b l2 ... b`` (length
``2L + 1``). ``alpha_t[s] = logsumexp(alpha_{t-1}[s], alpha_{t-1}[s-1], alpha_{t-1}[s-2]) + logp_t[l'_s]``,
the ``s-2`` term only where ``l'_s`` is not a blank and differs from ``l'_{s-2}``; the loss is
``-logsumexp(alpha_{T-1}[2L], alpha_{T-1}[2L-1])`` with ``T`` each sample's input length.
"""
import numpy as np

from ..autograd import ops
from ..autograd.tensor import make

_NEG = -1e30  # a finite "log 0": keeps logsumexp and its gradient free of inf - inf


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss for integer ``target`` ``(B, L)``, logits ``output`` ``(B, T, C)`` (softmax taken
    here), ``target_length`` and ``output_length`` ``(B,)``. Returns ``(B,)``."""
    target = np.asarray(target, np.int64)
    target_length = np.asarray(target_length, np.int64).reshape(-1)
    output_length = np.asarray(output_length, np.int64).reshape(-1)
    b, t_max, c = output.shape
    logp = ops.log_softmax(output, -1)
    s_max = 2 * target.shape[1] + 1
    ext = np.full((b, s_max), mask_index, np.int64)
    ext[:, 1::2] = target
    pos = np.arange(s_max)[None, :]
    valid = pos < (2 * target_length[:, None] + 1)
    skip = np.zeros((b, s_max), bool)
    skip[:, 2:] = (ext[:, 2:] != mask_index) & (ext[:, 2:] != ext[:, :-2])
    dt = logp._data.dtype
    invalid = make(np.where(valid, 0.0, _NEG).astype(dt))
    no_skip = make(np.where(skip, 0.0, _NEG).astype(dt))
    idx = make(ext)
    neg_col = make(np.full((b, 1), _NEG, dt))
    neg_col2 = make(np.full((b, 2), _NEG, dt))

    def emit(t):
        return ops.take_along_dim(logp[:, t, :], idx, 1)

    init = np.full((b, s_max), _NEG, dt)
    init[:, 0] = 0.0
    init[:, 1] = np.where(target_length > 0, 0.0, _NEG)
    alpha = ops.add(ops.add(make(init), emit(0)), invalid)
    for t in range(1, t_max):
        a1 = ops.cat([neg_col, alpha[:, :-1]], 1)
        a2 = ops.add(ops.cat([neg_col2, alpha[:, :-2]], 1), no_skip)
        nxt = ops.add(ops.add(ops.logsumexp(ops.stack([alpha, a1, a2], 0), 0), emit(t)), invalid)
        live = make((t < output_length)[:, None])
        alpha = ops.where(live, nxt, alpha)
    last = 2 * target_length
    end = ops.take_along_dim(alpha, make(last[:, None]), 1)
    before = ops.take_along_dim(alpha, make(np.maximum(last - 1, 0)[:, None]), 1)
    before = ops.add(before, make(np.where(target_length > 0, 0.0, _NEG).astype(dt)[:, None]))
    return ops.neg(ops.logsumexp(ops.cat([end, before], 1), 1))
