"""Distances and norms of slices: dist, cdist, pdist, renorm.

``cdist`` with ``p=2`` has its own gradient rule ``g / d * (x1_i - x2_j)`` (0 where d = 0, as
PyTorch), so it can use the matrix-product form ``|a|^2 + |b|^2 - 2 a.b`` without storing the
``P x R x M`` differences; other ``p`` take the difference form.

>>> import ember
>>> ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]))
tensor([[5.]])
"""
__all__ = ["dist", "cdist", "pdist", "renorm"]

import numpy as np

from .. import grad_mode
from ..node import record as _rec
from ._util import out, wrap_dim
from .elementwise import sub, mul, div, where

_gm = grad_mode.state


def dist(input, other, p=2):
    """The p-norm of ``input - other`` (broadcast)."""
    from .reduce import norm
    d = sub(input, other)  # promotes: an int64 tensor against a float32 one is a float32 distance
    if d._data.dtype.kind not in "fc":
        raise RuntimeError(f"dist(): expected a floating point input, got {input.dtype} and "
                           f"{getattr(other, 'dtype', type(other).__name__)}")
    return norm(d, p)


def _pnorm_last(d, p):
    from .reduce import norm
    return norm(d, p, -1)


def _cdist2(x1, x2, use_mm):
    from .linalg import matmul
    from .shape import transpose
    a, b = x1._data, x2._data
    if use_mm:
        sq = (a * a).sum(-1)[..., :, None] + (b * b).sum(-1)[..., None, :] - 2 * np.matmul(a, np.swapaxes(b, -1, -2))
        r = np.sqrt(np.maximum(sq, 0))
    else:
        r = np.sqrt(((a[..., :, None, :] - b[..., None, :, :]) ** 2).sum(-1))
    t = out(r)
    if _gm.enabled and (x1._rg or x2._rg):
        def backward(g):
            from .reduce import sum as _sum
            from .shape import unsqueeze
            nz = out(t._data != 0)
            G = where(nz, div(g, where(nz, t, 1.0)), 0.0)
            g1 = g2 = None
            if x1._rg:
                g1 = sub(mul(unsqueeze(_sum(G, -1), -1), x1), matmul(G, x2))
            if x2._rg:
                Gt = transpose(G, -1, -2)
                g2 = sub(mul(unsqueeze(_sum(Gt, -1), -1), x2), matmul(Gt, x1))
            return g1, g2
        _rec(t, "CdistBackward0", backward, (x1, x2), (x1, x2, t))
    return t


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M): (..., P, R).

    Leading (batch) dims broadcast. ``compute_mode`` picks the matrix-product form for p = 2:
    'use_mm_for_euclid_dist_if_necessary' (when P or R > 25), 'use_mm_for_euclid_dist', or
    'donot_use_mm_for_euclid_dist'.
    """
    from .shape import expand, unsqueeze
    a, b = x1._data, x2._data
    if a.ndim < 2 or b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D, X2 got: {b.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    if a.dtype.kind != "f" or b.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}, X2 got: {x2.dtype}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if a.shape[:-2] != batch:
        x1 = expand(x1, batch + a.shape[-2:])
    if b.shape[:-2] != batch:
        x2 = expand(x2, batch + b.shape[-2:])
    if x1._data.dtype != x2._data.dtype:
        raise RuntimeError(f"cdist: X1 and X2 must have the same dtype, got {x1.dtype} and {x2.dtype}")
    if p == 2:
        use_mm = compute_mode == "use_mm_for_euclid_dist" or (
            compute_mode == modes[0] and (a.shape[-2] > 25 or b.shape[-2] > 25))
        return _cdist2(x1, x2, use_mm)
    return _pnorm_last(sub(unsqueeze(x1, -2), unsqueeze(x2, -3)), p)


def pdist(input, p=2):
    """The distances between every pair of rows ``i < j`` of an (N, M) input, as a vector of N(N-1)/2."""
    from .index import getitem
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {a.ndim}D")
    if a.dtype.kind != "f":
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    i, j = np.triu_indices(a.shape[0], 1)
    return _pnorm_last(sub(getitem(input, out(i)), getitem(input, out(j))), p)


def renorm(input, p, dim, maxnorm):
    """Scale each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` down to norm ``maxnorm``
    (by ``maxnorm / (norm + 1e-7)``); other slices are unchanged."""
    from .reduce import norm
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"renorm: input must be a floating point tensor, got {input.dtype}")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if a.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {a.ndim} dimensions")
    d = wrap_dim(dim, a.ndim)
    others = tuple(k for k in range(a.ndim) if k != d)
    nrm = norm(input, p, others, True)
    big = out(nrm._data > maxnorm)
    factor = where(big, div(maxnorm, nrm + 1e-7), 1.0)
    return mul(input, factor)
