"""``Laplace(loc, scale)``: ``p(x) = exp(-|x - loc| / scale) / (2 scale)``.

>>> import ember
>>> from ember.distributions import Laplace
>>> Laplace(0.0, 1.0).cdf(ember.tensor(0.0))
tensor(0.5000)
"""

import numpy as np

from ..autograd.tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, draw

__all__ = ["Laplace"]


class Laplace(Distribution):
    """Laplace (double exponential) distribution with location ``loc`` and scale ``scale``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Laplace, batch_shape, ("loc", "scale"), _instance)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = float(np.finfo(self.loc.dtype.numpy).eps)
        # u uniform on (-1, 1) away from the endpoints, so log1p(-|u|) stays finite
        u = draw(shape, self.loc, lambda rng, s: rng.uniform(eps - 1, 1, s))
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * (-d.abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()
