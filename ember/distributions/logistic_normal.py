"""``LogisticNormal(loc, scale)``: a point of the simplex from a Gaussian in ``R^(K-1)`` through
:class:`StickBreakingTransform` (``X ~ Normal(loc, scale)``, ``Y = stick_breaking(X)``).

>>> import ember
>>> from ember.distributions import LogisticNormal
>>> tuple(LogisticNormal(ember.zeros(2), ember.ones(2)).sample().shape)
(3,)
"""
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """Logistic-normal distribution on the simplex of ``loc.shape[-1] + 1`` categories."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, _instance=self._get_checked_instance(LogisticNormal, _instance))

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
