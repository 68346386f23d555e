"""``GeneralizedPareto(loc, scale, concentration)``: the peaks-over-threshold law,
``P(X > x) = (1 + k z)^(-1/k)`` with ``z = (x - loc) / scale`` (``exp(-z)`` at ``k = 0``).

The support is ``[loc, inf)`` for ``k >= 0`` and ``[loc, loc - scale / k]`` for ``k < 0``; ``rsample`` inverts
the CDF.

>>> import ember
>>> from ember.distributions import GeneralizedPareto
>>> GeneralizedPareto(0.0, 1.0, 0.0).cdf(ember.tensor(1.0))  # the exponential case
tensor(0.6321)
"""
import math

from ..autograd.tensor import Size
from ..autograd.ops.elementwise import where as _where
from ..creation import full_like, ones_like
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, draw

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Generalized Pareto distribution with location, scale and shape (``concentration``)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(GeneralizedPareto, batch_shape, ("loc", "scale", "concentration"), _instance)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(draw(shape, self.loc, lambda rng, s: rng.random(s)))

    def _z(self, x):
        return (x - self.loc) / self.scale

    def _safe_concentration(self):
        k = self.concentration
        at_zero = k.abs() <= 1e-8  # isclose(k, 0) with PyTorch's default tolerances
        return at_zero, _where(at_zero, ones_like(k), k)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        at_zero, k = self._safe_concentration()
        y = 1 / k + ones_like(z)
        nonzero = _where(y == 0, y, y * (k * z).log1p())
        return -self.scale.log() - _where(at_zero, z, nonzero)

    def log_survival_function(self, value):
        """``log P(X > value)``."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        at_zero, k = self._safe_concentration()
        return _where(at_zero, -z, -(k * z).log1p() / k)

    def log_cdf(self, value):
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        at_zero, k = self._safe_concentration()
        log_u = (-value).log1p()
        return _where(at_zero, self.loc - self.scale * log_u, self.loc + self.scale / k * (-k * log_u).expm1())

    @property
    def mean(self):
        k = self.concentration
        valid = k < 1
        safe = _where(valid, k, full_like(k, 0.5))
        return _where(valid, self.loc + self.scale / (1 - safe), full_like(k, math.nan))

    @property
    def variance(self):
        k = self.concentration
        valid = k < 0.5
        safe = _where(valid, k, full_like(k, 0.25))
        var = self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return _where(valid, var, full_like(k, math.nan))

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).expand(*self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        upper = _where(self.concentration < 0, lower - self.scale / self.concentration,
                       full_like(lower, math.inf))
        return constraints.interval(lower, upper)
