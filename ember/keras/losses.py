"""Keras's losses, by name (``loss='sparse_categorical_crossentropy'``) or as objects
(``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``), with Keras 3's formulas.

A loss object computes per-sample losses with its function and reduces them with ``reduction``:
``'sum_over_batch_size'`` / ``'mean'`` (default: the sum of the weighted losses divided by their
number), ``'sum'``, ``'mean_with_sample_weight'`` (the sum divided by the sum of the sample
weights) or ``None``/``'none'`` (no reduction). A loss whose result carries a mask
(``SparseCategoricalCrossentropy(ignore_class=...)``, ``Circle``) averages over the unmasked
entries only, as Keras does. Crossentropies with ``from_logits=False`` clip probabilities to
``[1e-7, 1 - 1e-7]``, except when the predictions come straight from a ``softmax``/``sigmoid``
activation: then they work from the logits, as TensorFlow's Keras does.

>>> import ember
>>> from ember import keras
>>> loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
>>> round(float(loss(ember.tensor([0]), ember.tensor([[0.0, 0.0]]))), 4)
0.6931
"""
import math
import warnings

import numpy as np

from .. import functional as F
from ..autograd import ops
from ..autograd.tensor import Tensor, make
from . import backend


def _t(x, dtype=None):
    return x if isinstance(x, Tensor) else backend.convert_to_tensor(x, dtype)


def _float_target(y_true, y_pred):
    y = _t(y_true)
    if y._data.dtype != y_pred._data.dtype:
        y = make(y._data.astype(y_pred._data.dtype))
    return y


def _logits_of(y_pred, from_logits):
    if from_logits:
        return y_pred, True
    logits = getattr(y_pred, "_keras_logits", None)
    if logits is not None:
        return logits, True
    return y_pred, False


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule for ranks that differ by one: drop a last axis of size 1 (or, when the other is rank 1,
    give it one)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _pair(y_true, y_pred):
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def _eps():
    return backend.epsilon()


# -- regression ----------------------------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred)^2, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.square(ops.sub(y_true, y_pred)).mean(-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.abs(ops.sub(y_true, y_pred)).mean(-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    diff = ops.abs(ops.div(ops.sub(y_true, y_pred), ops.clamp(ops.abs(y_true), min=_eps())))
    return ops.mul(diff.mean(-1), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    a = ops.log(ops.add(ops.clamp(y_pred, min=_eps()), 1.0))
    b = ops.log(ops.add(ops.clamp(y_true, min=_eps()), 1.0))
    return ops.square(ops.sub(a, b)).mean(-1)


def _l2_normalize(x, axis):
    # x * min(rsqrt(sum(x^2)), 1/eps): Keras's ops.normalize.
    inv = ops.clamp(ops.rsqrt(ops.square(x).sum(axis, keepdim=True)), max=1.0 / _eps())
    return ops.mul(x, inv)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for parallel vectors, 0 for orthogonal."""
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.neg(ops.mul(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)).sum(axis))


def huber(y_true, y_pred, delta=1.0):
    """``mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2, axis=-1)``, ``e = y_pred - y_true``."""
    y_true, y_pred = _pair(y_true, y_pred)
    e = ops.sub(y_pred, y_true)
    a = ops.abs(e)
    quad = ops.mul(ops.square(e), 0.5)
    lin = ops.sub(ops.mul(a, float(delta)), 0.5 * float(delta) ** 2)
    return ops.where(a <= delta, quad, lin).mean(-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as ``x + softplus(-2x) - log 2``."""
    y_true, y_pred = _pair(y_true, y_pred)
    x = ops.sub(y_pred, y_true)
    return ops.sub(ops.add(x, F.softplus(ops.mul(x, -2.0))), math.log(2.0)).mean(-1)


def kl_divergence(y_true, y_pred):
    """``sum(t * log(t / p), axis=-1)`` with ``t``, ``p`` clipped to ``[eps, 1]``."""
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    t = ops.clamp(y_true, _eps(), 1.0)
    p = ops.clamp(y_pred, _eps(), 1.0)
    return ops.mul(t, ops.log(ops.div(t, p))).sum(-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    return ops.sub(y_pred, ops.mul(y_true, ops.log(ops.add(y_pred, _eps())))).mean(-1)


# -- hinge ---------------------------------------------------------------------------------------
def _hinge_labels(y_true):
    a = y_true._data
    if a.size and np.all((a == 0) | (a == 1)):
        return ops.sub(ops.mul(y_true, 2.0), 1.0)
    return y_true


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_pred = _t(y_pred)
    y_true = _hinge_labels(_float_target(y_true, y_pred))
    return F.relu(ops.rsub(ops.mul(y_true, y_pred), 1.0)).mean(-1)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0)^2, axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_pred = _t(y_pred)
    y_true = _hinge_labels(_float_target(y_true, y_pred))
    return ops.square(F.relu(ops.rsub(ops.mul(y_true, y_pred), 1.0))).mean(-1)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis."""
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    pos = ops.mul(y_true, y_pred).sum(-1)
    neg = ops.mul(ops.rsub(y_true, 1.0), y_pred).amax(-1)
    return F.relu(ops.add(ops.sub(neg, pos), 1.0))


# -- crossentropies ------------------------------------------------------------------------------
def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")


def _bce_elementwise(y_true, y_pred, from_logits):
    logits, is_logits = _logits_of(y_pred, from_logits)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError("Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}")
    if is_logits:
        # max(x, 0) - x y + log(1 + exp(-|x|)): stable for any logit.
        return ops.add(ops.sub(F.relu(logits), ops.mul(logits, y_true)),
                       ops.log1p(ops.exp(ops.neg(ops.abs(logits)))))
    p = ops.clamp(y_pred, _eps(), 1.0 - _eps())
    return ops.neg(ops.add(ops.mul(y_true, ops.log(p)), ops.mul(ops.rsub(y_true, 1.0), ops.log(ops.rsub(p, 1.0)))))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over ``axis`` of ``-(y log p + (1 - y) log(1 - p))``; ``label_smoothing`` moves ``y`` towards 0.5."""
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.mul(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return _bce_elementwise(y_true, y_pred, from_logits).mean(axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """``mean((1 - p_t)^gamma * bce, axis)`` with ``p_t = y p + (1 - y)(1 - p)``; with
    ``apply_class_balancing`` each term is weighted by ``alpha`` (positives) or ``1 - alpha``."""
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.mul(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = _bce_elementwise(y_true, y_pred, False if from_logits else from_logits)
    p_t = ops.add(ops.mul(y_true, y_pred), ops.mul(ops.rsub(y_true, 1.0), ops.rsub(y_pred, 1.0)))
    focal = ops.mul(ops.pow(ops.rsub(p_t, 1.0), gamma), bce)
    if apply_class_balancing:
        focal = ops.mul(ops.add(ops.mul(y_true, alpha), ops.mul(ops.rsub(y_true, 1.0), 1.0 - alpha)), focal)
    return focal.mean(axis)


def _log_probs(y_pred, from_logits, axis):
    logits, is_logits = _logits_of(y_pred, from_logits)
    if is_logits:
        return ops.log_softmax(logits, axis)
    p = ops.div(y_pred, y_pred.sum(axis, keepdim=True))
    return ops.log(ops.clamp(p, _eps(), 1.0 - _eps()))


def _smooth(y_true, label_smoothing, axis=-1):
    if not label_smoothing:
        return y_true
    return ops.add(ops.mul(y_true, 1.0 - label_smoothing), label_smoothing / y_true.shape[-1])


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``-sum(y_true * log(y_pred), axis)`` for one-hot (or soft) targets."""
    _check_axis(axis)
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)} (for integer "
                         "labels use sparse_categorical_crossentropy)")
    if y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
                      f"with num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
                      "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=2)
    y_true = _smooth(y_true, label_smoothing)
    return ops.neg(ops.mul(y_true, _log_probs(y_pred, from_logits, axis)).sum(axis))


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    """``sum(-alpha * (1 - p)^gamma * y_true * log(p), axis)``, ``p`` the (clipped) class probabilities."""
    _check_axis(axis)
    y_pred = _t(y_pred)
    y_true = _smooth(_float_target(y_true, y_pred), label_smoothing)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis)
    p = ops.clamp(ops.div(y_pred, y_pred.sum(axis, keepdim=True)), _eps(), 1.0 - _eps())
    cce = ops.neg(ops.mul(y_true, ops.log(p)))
    return ops.mul(ops.mul(ops.pow(ops.rsub(p, 1.0), gamma), alpha), cce).sum(axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """``-log(y_pred[label])`` for integer labels (shape ``(N,)`` or ``(N, 1)``); labels equal to
    ``ignore_class`` contribute 0 and are left out of the mean."""
    _check_axis(axis)
    y_pred = _t(y_pred)
    labels = _t(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[axis] == 1:
        labels = labels.squeeze(axis)
    if labels.ndim != y_pred.ndim - 1 or tuple(labels.shape) != tuple(np.delete(y_pred.shape, axis % y_pred.ndim)):
        hint = ""
        if tuple(labels.shape) == tuple(y_pred.shape):
            hint = (" The labels have the predictions' shape, so they look one-hot encoded: use "
                    "`categorical_crossentropy` for one-hot labels, or pass integer class indices "
                    "(`np.argmax(y, axis=-1)`) to `sparse_categorical_crossentropy`.")
        raise ValueError(f"Arguments `target` and `output` must have the same shape up until the last dimension: "
                         f"target.shape={tuple(_t(y_true).shape)}, output.shape={tuple(y_pred.shape)}.{hint}")
    lab = labels._data
    if lab.dtype.kind == "f":
        lab = lab.astype(np.int64)
    k = y_pred.shape[axis]
    valid = None
    if ignore_class is not None:
        valid = lab != ignore_class
        lab = np.where(valid, lab, 0)
    if lab.size and (lab.min() < 0 or lab.max() >= k):
        raise ValueError(f"sparse_categorical_crossentropy: labels must be in [0, {k}) for predictions with {k} "
                         f"classes; got labels in [{int(lab.min())}, {int(lab.max())}]")
    logp = _log_probs(y_pred, from_logits, axis)
    ax = axis % y_pred.ndim
    idx = make(np.expand_dims(lab.astype(np.int64), ax))
    out = ops.neg(ops.take_along_dim(logp, idx, ax).squeeze(ax))
    if valid is not None:
        out = ops.mul(out, make(valid.astype(out._data.dtype)))
        out._keras_mask = valid
    return out


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """``(1 - p_label^q) / q`` for integer labels (Zhang & Sabuncu's noise-robust loss; q -> 0 is crossentropy,
    q = 1 is MAE)."""
    y_pred = _t(y_pred)
    lab = np.asarray(_t(y_true)._data).astype(np.int64)
    onehot = make(np.eye(y_pred.shape[-1], dtype=y_pred._data.dtype)[lab])
    p = ops.mul(y_pred, onehot).sum(-1)
    return ops.div(ops.rsub(ops.pow(p, q), 1.0), q)


# -- segmentation and metric learning ------------------------------------------------------------
def _sum(x, axis):
    return x.sum() if axis is None else x.sum(axis)


def dice(y_true, y_pred, axis=None):
    """``1 - 2 sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)`` over ``axis`` (all axes if None)."""
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    inter = _sum(ops.mul(y_true, y_pred), axis)
    den = ops.add(ops.add(_sum(y_true, axis), _sum(y_pred, axis)), _eps())
    return ops.rsub(ops.div(ops.mul(inter, 2.0), den), 1.0)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - tp / (tp + alpha fp + beta fn + eps)`` with ``tp = sum(t p)``, ``fp = sum((1 - p) t)`` and
    ``fn = sum(p (1 - t))``, Keras's naming (alpha = beta = 0.5 is the Dice loss)."""
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    inter = _sum(ops.mul(y_true, y_pred), axis)
    fp = _sum(ops.mul(ops.rsub(y_pred, 1.0), y_true), axis)
    fn = _sum(ops.mul(y_pred, ops.rsub(y_true, 1.0)), axis)
    den = ops.add(ops.add(ops.add(inter, ops.mul(fp, alpha)), ops.mul(fn, beta)), _eps())
    return ops.rsub(ops.div(inter, den), 1.0)


def _masked_logsumexp(x, mask):
    # logsumexp over axis 1 of the entries where mask is True; -inf for a row with none.
    neg = make(np.where(mask, 0.0, -np.inf).astype(x._data.dtype))
    big = make(np.where(mask, 0.0, -1e30).astype(x._data.dtype))
    lse = ops.logsumexp(ops.add(x, big), 1)
    return ops.add(lse, make(neg._data.max(1)))


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss (Sun et al. 2020) on L2-normalised embeddings ``y_pred`` ``(N, D)`` with integer labels:
    ``softplus(logsumexp_pos(-gamma a_p (m - d)) + logsumexp_neg(gamma a_n (1 - m - d)))``, ``d`` the
    pairwise cosine distances, ``a_p = relu(m + d)``, ``a_n = relu(1 + m - d)``. Rows with a zero loss are
    masked out of the mean."""
    y_pred = _t(y_pred)
    labels = np.asarray(_t(y_true)._data).astype(np.int64).reshape(-1)
    ref = y_pred if ref_embeddings is None else _t(ref_embeddings)
    ref_lab = labels if ref_labels is None else np.asarray(_t(ref_labels)._data).astype(np.int64).reshape(-1)
    d = F.relu(ops.rsub(ops.matmul(y_pred, ops.transpose(ref, 0, 1)), 1.0))
    same = labels[:, None] == ref_lab[None, :]
    pos, negm = same.copy(), ~same
    if remove_diagonal:
        n = min(pos.shape)
        pos[np.arange(n), np.arange(n)] = False
    dt = d._data.dtype
    pw = F.relu(ops.mul(ops.add(d, margin), make(pos.astype(dt))))
    nw = F.relu(ops.mul(ops.rsub(d, 1.0 + margin), make(negm.astype(dt))))
    p = ops.mul(ops.mul(pw, ops.rsub(d, margin)), -float(gamma))
    q = ops.mul(ops.mul(nw, ops.rsub(d, 1.0 - margin)), float(gamma))
    out = F.softplus(ops.add(_masked_logsumexp(p, pos), _masked_logsumexp(q, negm)))
    out._keras_mask = out._data > 0
    return out


def ctc(y_true, y_pred):
    """Connectionist temporal classification loss: ``-log p(labels | logits)`` per sample, for integer
    labels ``(batch, max_label_length)`` padded with 0 (0 is also the blank class) and logits
    ``(batch, time, num_classes)``; every time step is used."""
    from ._ctc import ctc_loss
    y_pred = _t(y_pred)
    labels = np.asarray(_t(y_true)._data)
    if labels.ndim != 2:
        raise ValueError("Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in "
                         f"integer format. Received: y_true.shape={labels.shape}")
    if y_pred.ndim != 3:
        raise ValueError("Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
                         f"num_classes)`. Received: y_pred.shape={tuple(y_pred.shape)}")
    labels = labels.astype(np.int64)
    label_length = (labels != 0).sum(-1)
    input_length = np.full(labels.shape[0], y_pred.shape[1], np.int64)
    return ctc_loss(labels, y_pred, label_length, input_length, mask_index=0)


# -- reduction and the Loss classes --------------------------------------------------------------
_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {set(_REDUCTIONS)}. Received: "
                         f"reduction={reduction!r}")
    return reduction


def reduce_weighted(losses, sample_weight, reduction, mask=None):
    """Apply the mask and ``sample_weight`` (matched in rank, then broadcast over the loss) and the
    ``reduction``, as Keras's ``reduce_weighted_values``."""
    reduction = standardize_reduction(reduction)
    dt = losses._data.dtype
    if sample_weight is not None:
        sample_weight = _t(sample_weight)
        sample_weight = make(np.asarray(sample_weight._data, dt)) if sample_weight._data.dtype != dt \
            else sample_weight
    if mask is not None:
        mask = np.asarray(mask, bool)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = mask.sum()
            fm = np.where(mask, mask.size / valid if valid else 0.0, 0.0).astype(dt)
        else:
            fm = mask.astype(dt)
        fm = make(fm)
        if sample_weight is not None:
            fm, sample_weight = squeeze_or_expand_to_same_rank(fm, sample_weight)
            sample_weight = ops.mul(sample_weight, fm)
        else:
            sample_weight = fm
    if sample_weight is not None:
        losses, sample_weight = squeeze_or_expand_to_same_rank(losses, sample_weight)
        losses = ops.mul(losses, sample_weight)
    if reduction in (None, "none") or losses.ndim == 0 or tuple(losses.shape) == (0,):
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = float(np.sum(sample_weight._data))
    else:
        divisor = float(losses.numel())
    return ops.div(total, divisor) if divisor else ops.mul(total, 0.0)


class Loss:
    """Base class: ``__call__(y_true, y_pred, sample_weight=None)`` returns the reduced loss tensor;
    subclasses define ``call(y_true, y_pred)`` returning per-sample losses."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = dtype

    @property
    def dtype(self):
        return self._dtype or backend.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _t(y_pred)
        if y_pred._data.dtype.name in ("float16", "bfloat16") and self.dtype not in ("float16", "bfloat16"):
            # Keras computes a loss in its dtype (floatx): a mixed-precision model's float16 output is cast
            # up, so that the loss (and the loss scaled for LossScaleOptimizer) does not overflow float16
            from .ops.dtypes import to_ember_dtype
            y_pred = y_pred.to(to_ember_dtype(self.dtype))
        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)
        mask = in_mask if out_mask is None else out_mask if in_mask is None else \
            (np.asarray(backend.convert_to_numpy(in_mask), bool) & out_mask)
        if mask is not None:
            mask = np.asarray(backend.convert_to_numpy(mask), bool)
        return reduce_weighted(losses, sample_weight, self.reduction, mask)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A ``Loss`` from a function ``fn(y_true, y_pred, **kwargs)`` (ranks matched first, as Keras)."""
    fn = None

    def __init__(self, fn=None, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self._fn = fn if fn is not None else type(self).fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true = _t(y_true)
        if y_true.ndim != y_pred.ndim and self._fn not in (sparse_categorical_crossentropy, ctc, circle,
                                                            categorical_generalized_cross_entropy):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self._fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config

    def __repr__(self):
        return f"<LossFunctionWrapper({self._fn}, kwargs={self._fn_kwargs})>"


def _wrapper(class_name, fn, default_name, params=(), **overrides):
    """A ``Loss`` class over ``fn`` whose constructor takes ``params`` (with ``fn``'s defaults) first."""
    import inspect
    defaults = {k: v.default for k, v in inspect.signature(fn).parameters.items()
                if k in params and v.default is not inspect.Parameter.empty}
    defaults.update(overrides)

    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None, **kwargs):
        if len(args) > len(params):
            raise TypeError(f"{class_name}() takes at most {len(params)} positional arguments ({len(args)} given)")
        given = dict(defaults)
        given.update(zip(params, args))
        unknown = set(kwargs) - set(params)
        if unknown:
            raise TypeError(f"{class_name}() got unexpected keyword argument(s) {sorted(unknown)}")
        given.update(kwargs)
        for k, v in given.items():
            setattr(self, k, v)
        LossFunctionWrapper.__init__(self, None, reduction=reduction, name=name, dtype=dtype, **given)
    return type(class_name, (LossFunctionWrapper,), {"fn": staticmethod(fn), "__init__": __init__,
                                                     "__doc__": fn.__doc__, "__module__": __name__})


MeanSquaredError = _wrapper("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                       "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _wrapper("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                       "mean_squared_logarithmic_error")
CosineSimilarity = _wrapper("CosineSimilarity", cosine_similarity, "cosine_similarity", ("axis",))
Huber = _wrapper("Huber", huber, "huber_loss", ("delta",))
LogCosh = _wrapper("LogCosh", log_cosh, "log_cosh")
Hinge = _wrapper("Hinge", hinge, "hinge")
SquaredHinge = _wrapper("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _wrapper("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _wrapper("KLDivergence", kl_divergence, "kl_divergence")
Poisson = _wrapper("Poisson", poisson, "poisson")
BinaryCrossentropy = _wrapper("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                              ("from_logits", "label_smoothing", "axis"))
BinaryFocalCrossentropy = _wrapper("BinaryFocalCrossentropy", binary_focal_crossentropy, "binary_focal_crossentropy",
                                   ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing",
                                    "axis"))
CategoricalCrossentropy = _wrapper("CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
                                   ("from_logits", "label_smoothing", "axis"))
CategoricalFocalCrossentropy = _wrapper("CategoricalFocalCrossentropy", categorical_focal_crossentropy,
                                        "categorical_focal_crossentropy",
                                        ("alpha", "gamma", "from_logits", "label_smoothing", "axis"))
SparseCategoricalCrossentropy = _wrapper("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                         "sparse_categorical_crossentropy", ("from_logits", "ignore_class", "axis"))
CategoricalGeneralizedCrossEntropy = _wrapper("CategoricalGeneralizedCrossEntropy",
                                              categorical_generalized_cross_entropy,
                                              "categorical_generalized_cross_entropy", ("q",), q=0.5)
Dice = _wrapper("Dice", dice, "dice", ("axis",))
Tversky = _wrapper("Tversky", tversky, "tversky", ("alpha", "beta", "axis"))
Circle = _wrapper("Circle", circle, "circle", ("gamma", "margin", "remove_diagonal"), gamma=80.0)
CTC = _wrapper("CTC", ctc, "ctc")

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh

_CLASS_LIST = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
               CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
               BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
               SparseCategoricalCrossentropy, CategoricalGeneralizedCrossEntropy, Dice, Tversky, Circle, CTC)
_CLASSES = {c.__name__: c for c in _CLASS_LIST}
_CLASSES.update(Loss=Loss, LossFunctionWrapper=LossFunctionWrapper)
_BY_NAME = {c.fn.__name__: c for c in _CLASS_LIST}
_BY_NAME.update(mse=MeanSquaredError, mae=MeanAbsoluteError, mape=MeanAbsolutePercentageError,
                msle=MeanSquaredLogarithmicError, kld=KLDivergence, kullback_leibler_divergence=KLDivergence,
                bce=BinaryCrossentropy, huber_loss=Huber, logcosh=LogCosh)


def get(identifier):
    """A loss object from a name (``'mse'``, ``'categorical_crossentropy'``, ``'Huber'``), a config dict, a
    ``Loss``, a ``Loss`` class or a function ``fn(y_true, y_pred)``.

    Keras returns the plain function for a function's name; ember returns the equivalent ``Loss`` object
    (same values, and it takes ``sample_weight``)."""
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None or cls in (Loss, LossFunctionWrapper):
            raise ValueError(f"Could not interpret loss identifier: {identifier!r}; expected one of "
                             f"{sorted(set(_BY_NAME) | set(_CLASSES))}")
        return cls(name=identifier) if identifier in _BY_NAME or identifier.lower() in _BY_NAME else cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        for cls in _CLASS_LIST:
            if cls.fn is identifier:
                return cls()
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", "loss"))
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    """Keras's config of a loss: ``{'module', 'class_name', 'config', 'registered_name'}`` for a ``Loss``, and
    ``{'module': 'builtins', 'class_name': 'function', 'config': name, ...}`` for a built-in function."""
    if isinstance(loss, str) or loss is None:
        return loss
    if isinstance(loss, Loss) and type(loss).__name__ in _CLASSES:
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": loss.get_config(),
                "registered_name": None}
    if callable(loss) and getattr(loss, "__name__", None) in _BY_NAME:
        return {"module": "builtins", "class_name": "function", "config": loss.__name__,
                "registered_name": "function"}
    from .saving.serialization_lib import serialize_custom
    return serialize_custom(loss)    # a custom Loss subclass or function, as Keras writes it


def deserialize(name, custom_objects=None):
    """The loss a ``serialize`` config (or a name) describes: a ``Loss`` object, or the function for a
    function's config."""
    if isinstance(name, str):
        fn = globals().get(name)
        if name in _BY_NAME and callable(fn) and not isinstance(fn, type):
            return fn
        return get(name)
    if isinstance(name, dict):
        # as Keras: a custom (registered, scoped or given) class or function first, then the built-ins
        from .saving.serialization_lib import deserialize_custom
        builtin = _builtin_function if name.get("class_name") == "function" else _CLASSES.get
        return deserialize_custom(name, builtin, custom_objects)
    raise ValueError(f"Could not interpret loss config: {name!r}")


def _builtin_function(name):
    if name in _BY_NAME:
        return globals()[name]
    try:
        return get(name)
    except ValueError:
        return None
