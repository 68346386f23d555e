"""Dropout: zero elements (or whole channels) at random in training, scaling the rest by ``1/(1-p)``.

Masks are drawn from ember's global generator, so ``ember.manual_seed`` makes them
reproducible. With ``training=False`` (or ``p=0``) the input is returned unchanged.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.ones(4)
>>> F.dropout(x, 0.5, training=False) is x
True
"""
import warnings

import numpy as np

from ..autograd.ops import mul, add
from ..autograd.ops.inplace import apply_inplace
from ..random import _get_rng
from ._fuse import gm, wrap

_ALPHA_PRIME = -1.7580993408473766  # -scale * alpha of SELU


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input, m, inplace):
    mt = wrap(m)
    if inplace:
        if gm.enabled and input._rg:
            return apply_inplace(input, lambda old: mul(old, mt))
        np.multiply(input._data, m, out=input._data, casting="unsafe")
        input._bump()
        return input
    return mul(input, mt)


def _mask(shape, p, dtype):
    if p == 1.0:
        return np.zeros(shape, dtype)
    keep = _get_rng(None).random(shape, dtype=np.float32) >= p
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - p))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the others by ``1/(1-p)``."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    a = input._data
    return _apply_mask(input, _mask(a.shape, p, a.dtype), inplace)


def _feature_dropout(input, p, training, inplace, batched_ndim, name):
    _check_p(p)
    if not training or p == 0.0:
        return input
    a = input._data
    if a.ndim not in (batched_ndim, batched_ndim - 1):
        raise RuntimeError(f"{name}: expected a {batched_ndim - 1}-D (unbatched) or {batched_ndim}-D (batched) "
                           f"input, got shape {tuple(a.shape)}")
    lead = 2 if a.ndim == batched_ndim else 1
    shape = a.shape[:lead] + (1,) * (a.ndim - lead)
    return _apply_mask(input, _mask(shape, p, a.dtype), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input ``(N, C, L)`` or ``(C, L)``, one draw per ``(n, c)``."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input ``(N, C, H, W)`` or ``(C, H, W)``, one draw per ``(n, c)``."""
    if input._data.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one without "
                      "a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
        return _feature_dropout(input, p, training, inplace, 3, "dropout2d")
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d")


def _alpha(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0.0:
        return input
    a = input._data
    if p == 1.0:
        return mul(input, 0.0)
    shape = (a.shape[:2] + (1,) * (a.ndim - 2)) if feature else a.shape
    keep = (_get_rng(None).random(shape) >= p).astype(a.dtype)
    k = ((1 - p) * (1 + p * _ALPHA_PRIME ** 2)) ** -0.5
    b = (1 - keep) * (k * _ALPHA_PRIME) - k * _ALPHA_PRIME * p
    mult, shift = wrap((keep * k).astype(a.dtype)), wrap(b.astype(a.dtype))
    f = lambda x: add(mul(x, mult), shift)  # noqa: E731
    if inplace:
        if gm.enabled and input._rg:
            return apply_inplace(input, f)
        np.copyto(a, f(input)._data)
        input._bump()
        return input
    return f(input)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation and the result is
    affinely rescaled to keep zero mean and unit variance."""
    return _alpha(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """:func:`alpha_dropout` over whole channels."""
    return _alpha(input, p, training, inplace, True)
