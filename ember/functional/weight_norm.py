"""Weight normalization's two functions: ``norm_except_dim`` and ``_weight_norm``.

``norm_except_dim(v, pow, dim)`` is the ``pow``-norm of ``v`` over every dimension but ``dim``,
shaped to broadcast against ``v`` (size 1 everywhere except ``dim``); ``dim=-1`` means the norm
of the whole tensor. ``_weight_norm(v, g, dim) = v * g / norm_except_dim(v, 2, dim)`` is the
reparametrization ``w = g v / ||v||`` of Salimans & Kingma (2016).

>>> import ember
>>> v = ember.tensor([[3.0, 4.0], [0.0, 2.0]])
>>> norm_except_dim(v, 2, 0)
tensor([[5.],
        [2.]])
"""
from ..autograd.ops import div, mul, norm, reshape

__all__ = ["norm_except_dim", "_weight_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over all dimensions but ``dim`` (``dim=-1``: over all)."""
    if dim == -1:
        return norm(v, pow)
    ndim = v._data.ndim
    if not -ndim <= dim < ndim:
        raise IndexError(f"norm_except_dim: dim {dim} is out of range for a {ndim}-d tensor")
    dim %= ndim
    others = tuple(d for d in range(ndim) if d != dim)
    n = norm(v, pow, others, keepdim=True) if others else norm(reshape(v, (-1, 1)), pow, 1)
    return reshape(n, tuple(v._data.shape[d] if d == dim else 1 for d in range(ndim)))


def _weight_norm(v, g, dim=0):
    """``v * (g / ||v||)``, the norm taken over all dimensions but ``dim``."""
    return mul(v, div(g, norm_except_dim(v, 2, dim)))
