"""``MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None)``.

The density is ``exp(-(x - mu)^T S^-1 (x - mu) / 2) / sqrt((2 pi)^k det S)``. Exactly one of the covariance
``S``, the precision ``S^-1`` or the lower Cholesky factor ``L`` (``S = L L^T``) is given; everything is
computed from ``L`` (triangular solves, ``log det S = 2 sum log diag L``).

>>> import ember
>>> from ember.distributions import MultivariateNormal
>>> d = MultivariateNormal(ember.zeros(2), covariance_matrix=ember.eye(2))
>>> d.log_prob(ember.zeros(2))
tensor(-1.8379)
"""
import math

import numpy as np

from ..autograd.tensor import Size
from ..creation import eye
from ..linalg import cholesky, inv, solve_triangular
from . import constraints
from .distribution import Distribution
from .utils import batch_mv, draw, lazy_property

__all__ = ["MultivariateNormal"]


def batch_mahalanobis(scale_tril, x):
    """``x^T (L L^T)^-1 x`` over broadcast batch dimensions."""
    z = solve_triangular(scale_tril, x.unsqueeze(-1), upper=False).squeeze(-1)
    return z.pow(2).sum(-1)


def precision_to_scale_tril(precision):
    """The lower Cholesky factor of ``precision^-1``: with ``precision = U^T U`` (``U`` upper, from the
    Cholesky factor of the index-reversed matrix), ``precision^-1 = U^-1 U^-T`` and ``U^-1`` is upper;
    reversing the indices again makes it lower."""
    flip = precision.flip(-2, -1)
    lf = cholesky(flip)
    l_inv = lf.flip(-2, -1).mT
    n = precision.shape[-1]
    return solve_triangular(l_inv, eye(n, dtype=precision.dtype).expand(*l_inv.shape), upper=False)


def _broadcast_batch(*shapes):
    return Size(np.broadcast_shapes(*[tuple(s) for s in shapes]))


class MultivariateNormal(Distribution):
    """Gaussian on ``R^k`` with mean ``loc`` (shape ``(..., k)``) and one of three matrix parameters."""

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(n, m) for n, m in (("scale_tril", scale_tril), ("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            label = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{label} must be at least two-dimensional, with optional leading batch dimensions")
        batch_shape = _broadcast_batch(matrix.shape[:-2], loc.shape[:-1])
        setattr(self, name, matrix.expand(*batch_shape, -1, -1))
        self.loc = loc.expand(*batch_shape, -1)
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = precision_to_scale_tril(matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        new.loc = self.loc.expand(*batch_shape, *self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(*batch_shape, *self.event_shape,
                                                               *self.event_shape))
        super(MultivariateNormal, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(*self._batch_shape, *self._event_shape, *self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        lower = self._unbroadcasted_scale_tril
        return (lower @ lower.mT).expand(*self._batch_shape, *self._event_shape, *self._event_shape)

    @lazy_property
    def precision_matrix(self):
        # (L L^T)^-1 rather than cholesky_inverse, so that the gradient reaches all of L as PyTorch's does
        lower = self._unbroadcasted_scale_tril
        return inv(lower @ lower.mT).expand(*self._batch_shape, *self._event_shape,
                                                                      *self._event_shape)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(*self._batch_shape, *self._event_shape)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = draw(shape, self.loc, lambda rng, s: rng.standard_normal(s))
        return self.loc + batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        m = batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h if len(self._batch_shape) == 0 else h.expand(*self._batch_shape)
