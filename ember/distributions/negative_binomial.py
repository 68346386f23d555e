"""``NegativeBinomial(total_count, probs=None, logits=None)``: successes before ``total_count`` failures,
``P(k) = Gamma(k + r) / (k! Gamma(r)) p^k (1 - p)^r``. Sampling draws a Poisson with a Gamma rate.

>>> import ember
>>> from ember.distributions import NegativeBinomial
>>> NegativeBinomial(2.0, probs=ember.tensor(0.5)).mean
tensor(2.)
"""
from ..autograd.tensor import Size
from ..autograd.grad_mode import no_grad
from ..autograd.ops.elementwise import where as _where
from ..creation import zeros_like
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import BinaryProbs, softplus, draw, lazy_property, param_array

__all__ = ["NegativeBinomial"]


def _logsigmoid(x):
    return -softplus(-x)


class NegativeBinomial(BinaryProbs, Distribution):
    """Negative binomial distribution (the number of successes before ``total_count`` failures)."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        (total_count,) = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.to(self._param.dtype)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_binary(NegativeBinomial, batch_shape, ("total_count",), _instance)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    @lazy_property
    def _gamma(self):
        return Gamma(concentration=self.total_count, rate=(-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=Size()):
        with no_grad():
            rate = self._gamma.sample(sample_shape)
            lam = param_array(rate, rate.shape)
            return draw(rate.shape, rate, lambda rng, s: rng.poisson(lam))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        r, logits = self.total_count, self.logits
        log_unnormalized = r * _logsigmoid(-logits) + value * _logsigmoid(logits)
        log_normalization = -(r + value).lgamma() + (1.0 + value).lgamma() + r.lgamma()
        # r = 0 puts all mass on k = 0, where the Gamma terms are 0/0
        log_normalization = _where(r + value == 0.0, zeros_like(log_normalization), log_normalization)
        return log_unnormalized - log_normalization
