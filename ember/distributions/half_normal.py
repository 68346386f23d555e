"""``HalfNormal(scale)``: ``|X|`` for ``X ~ Normal(0, scale)``, and the folding shared with ``HalfCauchy``.

The density is twice the base density on ``x >= 0`` (``-inf`` log-density below zero).

>>> import ember
>>> from ember.distributions import HalfNormal
>>> HalfNormal(1.0).cdf(ember.tensor(0.0))
tensor(0.)
"""
import math

from ..autograd.ops.elementwise import where as _where
from ..creation import full_like, zeros_like
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform
from .utils import to_tensor_like

__all__ = ["HalfNormal"]


class Folded(TransformedDistribution):
    """Shared behaviour of the folded (half) distributions."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def _fold(self, base, validate_args):
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return zeros_like(self.scale)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = to_tensor_like(value, self.scale)
        lp = self.base_dist.log_prob(value) + math.log(2)
        return _where(value >= 0, lp, full_like(lp, -math.inf))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class HalfNormal(Folded):
    """Half-normal distribution: ``|X|`` with ``X ~ Normal(0, scale)``."""

    def __init__(self, scale, validate_args=None):
        self._fold(Normal(0, scale, validate_args=False), validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, _instance=self._get_checked_instance(HalfNormal, _instance))

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)
