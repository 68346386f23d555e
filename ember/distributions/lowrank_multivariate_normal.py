"""``LowRankMultivariateNormal(loc, cov_factor, cov_diag)``: a Gaussian with covariance
``W W^T + diag(D)`` (``W`` of shape ``(k, r)``), handled in ``O(k r^2)`` through the ``r x r`` capacitance
matrix ``C = I + W^T D^-1 W`` (Woodbury identity for the inverse, the matrix determinant lemma for
``log det``).

>>> import ember
>>> from ember.distributions import LowRankMultivariateNormal
>>> d = LowRankMultivariateNormal(ember.zeros(2), ember.tensor([[1.0], [0.0]]), ember.ones(2))
>>> d.variance
tensor([2., 1.])
"""
import math

from ..autograd.tensor import Size
from ..creation import eye
from ..linalg import cholesky, solve_triangular
from . import constraints
from .distribution import Distribution
from .multivariate_normal import batch_mahalanobis, _broadcast_batch
from .utils import batch_mv, draw, lazy_property

__all__ = ["LowRankMultivariateNormal"]


def capacitance_tril(w, d):
    """Lower Cholesky factor of ``I + W^T D^-1 W``."""
    m = w.shape[-1]
    k = (w.mT / d.unsqueeze(-2)) @ w
    return cholesky(k + eye(m, dtype=w.dtype))


def lowrank_logdet(w, d, cap_tril):
    """``log det(W W^T + D) = log det C + sum log D``."""
    return 2 * cap_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + d.log().sum(-1)


def lowrank_mahalanobis(w, d, x, cap_tril):
    """``x^T (W W^T + D)^-1 x = x^T D^-1 x - |C^-1/2 W^T D^-1 x|^2``."""
    wt_dinv_x = batch_mv(w.mT / d.unsqueeze(-2), x)
    return (x.pow(2) / d).sum(-1) - batch_mahalanobis(cap_tril, wt_dinv_x)


class LowRankMultivariateNormal(Distribution):
    """Gaussian with low-rank plus diagonal covariance; see the module docstring."""

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != tuple(event_shape):
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != tuple(event_shape):
            raise ValueError(f"cov_diag must be a batch of vectors with shape {tuple(event_shape)}")
        batch_shape = _broadcast_batch(loc.shape[:-1], cov_factor.shape[:-2], cov_diag.shape[:-1])
        self.loc = loc.expand(*batch_shape, *event_shape)
        self.cov_factor = cov_factor.expand(*batch_shape, *cov_factor.shape[-2:])
        self.cov_diag = cov_diag.expand(*batch_shape, *event_shape)
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = capacitance_tril(cov_factor, cov_diag)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        new.loc = self.loc.expand(*batch_shape, *self.event_shape)
        new.cov_factor = self.cov_factor.expand(*batch_shape, *self.cov_factor.shape[-2:])
        new.cov_diag = self.cov_diag.expand(*batch_shape, *self.event_shape)
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        super(LowRankMultivariateNormal, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def _matrix_shape(self):
        return (*self._batch_shape, *self._event_shape, *self._event_shape)

    @lazy_property
    def variance(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (w.pow(2).sum(-1) + d).expand(*self._batch_shape, *self._event_shape)

    @lazy_property
    def scale_tril(self):
        # L = D^1/2 chol(I + D^-1/2 W W^T D^-1/2), better conditioned than chol(W W^T + D)
        n = self._event_shape[0]
        d_sqrt = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        scaled = self._unbroadcasted_cov_factor / d_sqrt
        k = scaled @ scaled.mT + eye(n, dtype=scaled.dtype)
        return (d_sqrt * cholesky(k)).expand(*self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (w @ w.mT + d.diag_embed()).expand(*self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        a = solve_triangular(self._capacitance_tril, w.mT / d.unsqueeze(-2), upper=False)
        return (d.reciprocal().diag_embed() - a.mT @ a).expand(*self._matrix_shape())

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        rank = self._unbroadcasted_cov_factor.shape[-1]
        eps_w = draw((*shape[:-1], rank), self.loc, lambda rng, s: rng.standard_normal(s))
        eps_d = draw(shape, self.loc, lambda rng, s: rng.standard_normal(s))
        return (self.loc + batch_mv(self._unbroadcasted_cov_factor, eps_w)
                + self._unbroadcasted_cov_diag.sqrt() * eps_d)

    def _log_det(self):
        return lowrank_logdet(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, self._capacitance_tril)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        m = lowrank_mahalanobis(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, value - self.loc,
                                self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + self._log_det() + m)

    def entropy(self):
        h = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return h if len(self._batch_shape) == 0 else h.expand(*self._batch_shape)
