"""ONNX losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.

For input (N, C, d1..dk) of log-probabilities and integer targets (N, d1..dk)::

    loss[n, d] = -input[n, target[n, d], d] * weight[target[n, d]]    (0 where target == ignore_index)
    mean       = sum(loss) / sum(weight[target])  over the targets that are not ignored

SoftmaxCrossEntropyLoss applies ``log_softmax`` over axis 1 first and can return it as a second
output. The gathers and sums are ember ops, so the loss backpropagates into the scores.
"""
import numpy as np

import ember
import ember.nn.functional as F

from . import register, arr, tensor


def _nll(ctx, logp, target, weight):
    t = arr(target).astype(np.int64)
    ignore = ctx.attr("ignore_index")
    keep = np.ones(t.shape, bool) if ignore is None else (t != ignore)
    safe = np.where(keep, t, 0)
    picked = ember.gather(logp, 1, tensor(safe[:, None])).squeeze(1)
    dt = np.dtype(logp.dtype.numpy)
    if weight is not None:
        w = ember.index_select(weight, 0, tensor(safe.reshape(-1))).reshape(*t.shape)
        w = w * tensor(keep.astype(dt))
    else:
        w = tensor(keep.astype(dt))
    loss = -picked * w
    red = ctx.attr("reduction", "mean")
    if red == "none":
        return loss
    if red == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


@register("NegativeLogLikelihoodLoss")
def nll_loss(ctx, logp, target, weight=None):
    return _nll(ctx, logp, target, weight)


@register("SoftmaxCrossEntropyLoss")
def softmax_cross_entropy_loss(ctx, scores, labels, weights=None):
    logp = F.log_softmax(scores, dim=1)
    loss = _nll(ctx, logp, labels, weights)
    return (loss, logp) if ctx.n_outputs > 1 else loss
