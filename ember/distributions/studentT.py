"""``StudentT(df, loc=0.0, scale=1.0)``: ``loc + scale T`` with ``T`` Student's t with ``df`` degrees of
freedom; ``rsample`` is ``Z / sqrt(V / df)`` with ``Z`` normal and ``V ~ Chi2(df)`` (implicit gradient in
``df``).

>>> import ember
>>> from ember.distributions import StudentT
>>> StudentT(ember.tensor(3.0)).variance
tensor(3.)
"""
import math

from ..autograd.tensor import Size
from ..autograd.ops.elementwise import where as _where
from ..creation import full_like
from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .utils import broadcast_all, draw

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location ``loc`` and scale ``scale``."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(StudentT, batch_shape, ("df", "loc", "scale"), _instance)
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        return _where(self.df > 1, self.loc, full_like(self.loc, math.nan))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / _where(df > 2, df - 2, full_like(df, 1.0))
        inf, nan = full_like(df, math.inf), full_like(df, math.nan)
        return _where(df > 2, finite, _where(df > 1, inf, nan))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        z = draw(shape, self.df, lambda rng, s: rng.standard_normal(s))
        v = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * z * (v / self.df).rsqrt()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        df = self.df
        y = (value - self.loc) / self.scale
        log_z = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
                 + (0.5 * df).lgamma() - (0.5 * (df + 1.0)).lgamma())
        return -0.5 * (df + 1.0) * (y ** 2 / df).log1p() - log_z

    def entropy(self):
        df = self.df
        lbeta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        return (self.scale.log() + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma() - (0.5 * df).digamma())
                + 0.5 * df.log() + lbeta)
