"""Gradient clipping: ``clip_grad_norm_`` (rescale all gradients so their joint norm is at most
``max_norm``) and ``clip_grad_value_`` (clamp each gradient element).

>>> import ember
>>> from ember import nn
>>> p = nn.Parameter(ember.zeros(2))
>>> p.grad = ember.tensor([3.0, 4.0])
>>> nn.utils.clip_grad_norm_([p], max_norm=1.0)
tensor(5.)
>>> p.grad
tensor([0.6000, 0.8000])
"""
import math
import warnings

import numpy as np

from ...autograd.tensor import Tensor, make


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def _norm_of(arrs, norm_type):
    if norm_type == math.inf:
        return max(float(np.abs(a).max()) if a.size else 0.0 for a in arrs)
    if norm_type == -math.inf:
        return min(float(np.abs(a).min()) if a.size else math.inf for a in arrs)
    if norm_type == 2:
        return math.sqrt(sum(float(np.vdot(a, a)) for a in arrs))
    if norm_type == 1:
        return sum(float(np.abs(a).sum()) for a in arrs)
    if norm_type == 0:
        return float(sum(np.count_nonzero(a) for a in arrs))
    return sum(float((np.abs(a.astype(np.float64)) ** norm_type).sum()) for a in arrs) ** (1.0 / norm_type)


def _two_norm(arrs):
    """The joint 2-norm as a 0-d float64 array: no Python number is read from the data, so a
    training step that clips stays capturable by ``ember.compile``."""
    sq = np.zeros((), np.float64)
    for a in arrs:
        sq += np.vdot(a, a)
    return np.sqrt(sq)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together (as if concatenated into one vector)."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return make(np.zeros((), np.float32))
    joint = getattr(type(tensors[0]), "_joint_norm", None)
    if joint is not None:       # DTensors (fully_shard's gradients): the norm over every rank's pieces
        return joint(tensors, norm_type, error_if_nonfinite, _norm_of)
    if norm_type == 2 and not error_if_nonfinite:
        return make(_two_norm([t._data for t in tensors]).astype(tensors[0]._data.dtype))
    total = _norm_of([t._data for t in tensors], norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return make(np.asarray(total, dtype=tensors[0]._data.dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = _grads(parameters)
    if not grads:
        return
    tn = total_norm._data if isinstance(total_norm, Tensor) else float(total_norm)
    # In arrays, not Python floats, so that ember.compile can replay it (see _two_norm).
    coef = np.minimum(float(max_norm) / (np.asarray(tn, np.float64) + 1e-6), 1.0)
    for g in grads:
        np.multiply(g._data, coef.astype(g._data.dtype), out=g._data)
        g._bump()


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` in place so that their joint ``norm_type``-norm is at most
    ``max_norm``; return that norm as it was before clipping (a 0-d tensor).

    The scale is ``min(1, max_norm / (total_norm + 1e-6))``, as in PyTorch."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated name of :func:`clip_grad_norm_`."""
    warnings.warn("`nn.utils.clip_grad_norm` is now deprecated in favor of `nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of ``parameters`` to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump()
