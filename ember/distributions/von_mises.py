"""``VonMises(loc, concentration)``: the circular normal, ``p(x) = exp(k cos(x - loc)) / (2 pi I0(k))``.

``log I0`` comes from ember's exponentially scaled Bessel function (``log i0e(k) + k``), exact to double
precision; PyTorch uses a polynomial approximation, so values agree to about 1e-7. Sampling is torch's rejection
sampler on torch's stream (no reparameterised gradient, as in PyTorch); ``mean`` and ``variance`` are the
circular ones.

>>> import ember
>>> from ember.distributions import VonMises
>>> VonMises(ember.tensor(0.0), ember.tensor(1.0)).variance
tensor(0.5536)
"""
import math

import numpy as np

from ..autograd.tensor import Size, make
from ..special import i0e, i1e
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, param_array

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
        """Best & Fisher's (1979) rejection sampler in double precision, as torch: each round draws
        ``rand(3, *shape)`` (``u1, u2, u3``), proposes ``f = (1 + r z) / (r + z)`` with ``z = cos(pi u1)`` and
        accepts where ``c (2 - c) > u2`` or ``log(c / u2) + 1 - c >= 0`` (``c = k (r - f)``), with angle
        ``sign(u3 - 1/2) acos f``; rounds repeat until every element is accepted. So a seeded program draws
        torch's angles."""
        from .. import random as _random
        shape = tuple(self._extended_shape(sample_shape))
        loc = param_array(self.loc.detach(), shape)
        kappa = param_array(self.concentration.detach(), shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
            rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
            r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
            x = np.zeros(shape)
            done = np.zeros(shape, bool)
            while not done.all():
                u1, u2, u3 = _random.rand((3,) + shape, dtype=np.float64)._data
                z = np.cos(math.pi * u1)
                f = (1 + r * z) / (r + z)
                c = kappa * (r - f)
                accept = ((c * (2 - c) - u2) > 0) | (np.log(c / u2) + 1 - c >= 0)
                x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(f), x)
                done |= accept
        x = (x + math.pi + loc) % (2 * math.pi) - math.pi
        return make(np.asarray(x).astype(self.loc.dtype.numpy))

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
