"""``Kumaraswamy(concentration1, concentration0)``: ``p(x) = a b x^(a-1) (1 - x^a)^(b-1)`` on ``[0, 1]``,
built as ``(1 - U^(1/b))^(1/a)`` for ``U`` uniform, so ``rsample`` is an explicit reparameterisation.

>>> import ember
>>> from ember.distributions import Kumaraswamy
>>> Kumaraswamy(1.0, 1.0).mean
tensor(0.5000)
"""
import math

from ..autograd.ops.elementwise import where as _where
from ..creation import full_like
from . import constraints
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_all, euler_constant

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    """``E[X^n] = b B(1 + n/a, b)``."""
    arg1 = 1 + n / a
    log_value = arg1.lgamma() + b.lgamma() - (arg1 + b).lgamma()
    return b * log_value.exp()


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy distribution, a Beta-like law with a closed-form CDF."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        self._build(Uniform(full_like(self.concentration0, 0), full_like(self.concentration0, 1),
                            validate_args=validate_args), validate_args)

    def _build(self, base, validate_args):
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        TransformedDistribution.__init__(self, base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(*batch_shape)
        new.concentration0 = self.concentration0.expand(*batch_shape)
        new._build(self.base_dist.expand(batch_shape), False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        return _where((b < 1) | (a < 1), full_like(log_mode, math.nan), log_mode).exp()

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        return _moments(a, b, 2) - _moments(a, b, 1).pow(2)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        t1, t0 = 1 - a.reciprocal(), 1 - b.reciprocal()
        harmonic = (b + 1).digamma() + euler_constant
        return t0 + t1 * harmonic - a.log() - b.log()
