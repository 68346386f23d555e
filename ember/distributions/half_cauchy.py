"""``HalfCauchy(scale)``: ``|X|`` for ``X ~ Cauchy(0, scale)``; heavy-tailed, with infinite mean.

>>> import ember
>>> from ember.distributions import HalfCauchy
>>> HalfCauchy(1.0).icdf(ember.tensor(0.5))
tensor(1.)
"""
import math

from ..creation import full_like
from .cauchy import Cauchy
from .half_normal import Folded

__all__ = ["HalfCauchy"]


class HalfCauchy(Folded):
    """Half-Cauchy distribution: ``|X|`` with ``X ~ Cauchy(0, scale)``."""

    def __init__(self, scale, validate_args=None):
        self._fold(Cauchy(0, scale, validate_args=False), validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, _instance=self._get_checked_instance(HalfCauchy, _instance))

    @property
    def mean(self):
        return full_like(self.scale, math.inf)

    @property
    def variance(self):
        return full_like(self.scale, math.inf)
