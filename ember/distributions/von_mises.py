"""``VonMises(loc, concentration)``: the circular normal, ``p(x) = exp(k cos(x - loc)) / (2 pi I0(k))``.

``log I0`` comes from ember's exponentially scaled Bessel function (``log i0e(k) + k``), exact to double
precision; PyTorch uses a polynomial approximation, so values agree to about 1e-7. Sampling uses NumPy's von
Mises sampler (no reparameterised gradient, as in PyTorch); ``mean`` and ``variance`` are the circular ones.

>>> import ember
>>> from ember.distributions import VonMises
>>> VonMises(ember.tensor(0.0), ember.tensor(1.0)).variance
tensor(0.5536)
"""
import math

from ..autograd.tensor import Size
from ..autograd.grad_mode import no_grad
from ..special import i0e, i1e
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, draw, lazy_property, param_array

__all__ = ["VonMises"]


class VonMises(Distribution):
    """Von Mises distribution on the circle, returned in ``[-pi, pi)``."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(VonMises, batch_shape, ("loc", "concentration"), _instance)

    def _log_i0(self):
        k = self.concentration
        return i0e(k).log() + k

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.concentration * (value - self.loc).cos() - math.log(2 * math.pi) - self._log_i0()

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        loc = param_array(self.loc.detach(), shape)
        kappa = param_array(self.concentration.detach(), shape)
        with no_grad():
            x = draw(shape, self.loc, lambda rng, s: rng.vonmises(loc, kappa))
        return (x + math.pi) % (2 * math.pi) - math.pi

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        k = self.concentration
        return 1 - i1e(k) / i0e(k)
