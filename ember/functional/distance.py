"""Distances and normalisation: ``cosine_similarity``, ``pairwise_distance``, ``normalize``.

>>> import ember
>>> import ember.nn.functional as F
>>> F.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
tensor([0.7071])
"""
from ..autograd.ops import add, sub, mul, div, clamp, norm, sum as _sum


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``x / max(||x||_p, eps)`` along ``dim``."""
    n = norm(input, p, dim, keepdim=True)
    return div(input, clamp(n, min=eps))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` along ``dim`` (inputs broadcast)."""
    n1 = clamp(norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = clamp(norm(x2, 2, dim, keepdim=True), min=eps)
    return _sum(mul(div(x1, n1), div(x2, n2)), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dim. Shapes: ``(N, D)`` or ``(D)``, broadcasting."""
    nd = max(x1._data.ndim, x2._data.ndim)
    d = add(sub(x1, x2), eps)
    if nd == 0:
        return norm(d, p)
    return norm(d, p, -1, keepdim=keepdim)


def pdist(input, p=2.0):
    """Distances between all row pairs ``i < j`` of an ``(N, M)`` input, as a vector of ``N(N-1)/2``."""
    import numpy as np
    from ..autograd.ops import getitem
    n = input._data.shape[0]
    i, j = np.triu_indices(n, 1)
    from ._fuse import wrap
    return norm(sub(getitem(input, wrap(i)), getitem(input, wrap(j))), p, -1)
