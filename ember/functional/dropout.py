"""Dropout: zero elements (or whole channels) at random in training, scaling the rest by ``1/(1-p)``.

Masks are drawn from ember's global generator, so ``ember.manual_seed`` makes them
reproducible. With ``training=False`` (or ``p=0``) the input is returned unchanged.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.ones(4)
>>> F.dropout(x, 0.5, training=False) is x
True
"""
import math
import warnings

import numpy as np

from ..autograd.ops import mul, add
from ..autograd.ops.inplace import apply_inplace
from ..backend import meta as _meta
from ..random import _bernoulli_values, _gen
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


def _keep(shape, p, a):
    """torch's noise: ``empty(shape).bernoulli_(1 - p)`` (one 53-bit uniform per entry, kept when
    ``u < 1 - p``), so the same seed drops the same elements as torch; none drawn for a meta input ``a``."""
    if type(a) is _meta.MetaArray:
        return _meta.empty(shape, a.dtype)
    return _bernoulli_values(_gen(None), shape, 1.0 - p).astype(a.dtype)


def _mask(shape, p, a):
    dtype = a.dtype
    if p == 1.0:
        return np.zeros(shape, dtype)
    return _keep(shape, p, a) / dtype.type(1.0 - p)  # noise.div_(1 - p), in the input's precision


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the others by ``1/(1-p)``."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    a = input._data
    return _apply_mask(input, _mask(a.shape, p, a), inplace)


def _feature_dropout(input, p, training, inplace, unbatched, name):
    """One draw per channel: per ``(n, c)`` of a batched input, per ``c`` (the first dimension) of an
    unbatched one, which PyTorch runs as a batch of one."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    a = input._data
    if unbatched:
        shape = a.shape[:1] + (1,) * (a.ndim - 1)
    elif a.ndim < 2:
        raise RuntimeError(f"{name}: feature dropout requires at least 2 dimensions in the input, got shape "
                           f"{tuple(a.shape)}")
    else:
        shape = a.shape[:2] + (1,) * (a.ndim - 2)
    return _apply_mask(input, _mask(shape, p, a), inplace)


def _warn_unusual_ndim(name, ndim, spatial):
    if ndim not in (spatial + 1, spatial + 2):
        warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an "
                      f"error in a future release. To retain the behavior and silence this warning, please use "
                      f"dropout instead. Note that {name} exists to provide channel-wise dropout on inputs with "
                      f"{spatial} spatial dimensions, a channel dimension, and an optional batch dimension (i.e. "
                      f"{spatial + 1}D or {spatial + 2}D inputs).", UserWarning, stacklevel=3)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input ``(N, C, L)`` or ``(C, L)``, one draw per ``(n, c)`` (per ``c`` unbatched)."""
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, ndim == 2, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input ``(N, C, H, W)``, one draw per ``(n, c)``.

    As in PyTorch, a 3-D input is read as ``(N, C, L)`` (with a warning), and inputs that are not 3-D or
    4-D are deprecated (a ``UserWarning``) and dropped per entry of their first two dimensions."""
    _check_p(p)
    ndim = input._data.ndim
    _warn_unusual_ndim("dropout2d", ndim, 2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one without "
                      "a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, False, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input ``(N, C, D, H, W)`` or ``(C, D, H, W)``; other ranks are deprecated
    (a ``UserWarning``) and, as in PyTorch, read as unbatched."""
    _check_p(p)
    ndim = input._data.ndim
    _warn_unusual_ndim("dropout3d", ndim, 3)
    return _feature_dropout(input, p, training, inplace, ndim != 5, "dropout3d")


def _alpha(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0.0:
        return input
    a = input._data
    if p == 1.0:
        return mul(input, 0.0)
    shape = (a.shape[:2] + (1,) * (a.ndim - 2)) if feature else a.shape
    dt = a.dtype.type
    noise = _keep(shape, p, a)
    # torch: a = 1 / sqrt((alpha^2 p + 1)(1 - p)); b = (noise - 1) * alpha a + alpha a p; out = x * noise a + b
    alpha = -_ALPHA_PRIME
    k = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    b = (noise - dt(1)) * dt(alpha * k) + dt(alpha * k * p)
    mult, shift = wrap((noise * dt(k)).astype(a.dtype)), wrap(b.astype(a.dtype))
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
