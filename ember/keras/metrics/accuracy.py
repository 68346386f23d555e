"""Keras's accuracy functions on NumPy arrays: each returns one 0/1 float32 value per sample
(``MeanMetricWrapper`` averages them)."""
import numpy as np

from .. import backend
from .metric import same_rank, to_numpy


def _f(x):
    return x.astype(backend.floatx())


def accuracy(y_true, y_pred):
    """``y_true == y_pred`` elementwise (ranks matched first)."""
    y_pred = to_numpy(y_pred)
    y_true, y_pred = same_rank(to_numpy(y_true).astype(y_pred.dtype), y_pred)
    return _f(y_true == y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``y_true == (y_pred > threshold)`` elementwise."""
    y_true, y_pred = same_rank(to_numpy(y_true), to_numpy(y_pred))
    return _f(y_true == (y_pred > threshold).astype(y_true.dtype))


def categorical_accuracy(y_true, y_pred):
    """``argmax(y_true) == argmax(y_pred)`` over the last axis, for one-hot targets."""
    return _f(np.argmax(to_numpy(y_true), -1) == np.argmax(to_numpy(y_pred), -1))


def sparse_categorical_accuracy(y_true, y_pred):
    """``y_true == argmax(y_pred)`` for integer labels (shape ``(N,)`` or ``(N, 1)``)."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    m = _f(y_true.astype(np.float64) == np.argmax(y_pred, -1))
    return m[..., 0] if m.ndim > 1 and m.shape[-1] == 1 else m


def _in_top_k(labels, scores, k):
    # True when fewer than k scores beat the target's (ties count for the target, as in_top_k).
    target = np.take_along_axis(scores, labels[:, None], -1)
    return np.sum(scores > target, -1) < k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the target class (argmax of the one-hot ``y_true``) is among the ``k`` highest scores."""
    return sparse_top_k_categorical_accuracy(np.argmax(to_numpy(y_true), -1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Whether the integer label is among the ``k`` highest scores (or, with ``from_sorted_ids``, among the
    first ``k`` ids of ``y_pred``, ids sorted by score)."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    labels = y_true.reshape(-1)
    if from_sorted_ids:
        m = np.any(labels[:, None] == y_pred[:, :k], 1)
    else:
        m = _in_top_k(labels.astype(np.int64), y_pred, k)
    return _f(m.reshape(shape) if len(shape) > 1 else m)
