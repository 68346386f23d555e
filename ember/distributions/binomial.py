"""``Binomial(total_count=1, probs=None, logits=None)``: successes in ``total_count`` Bernoulli trials.

``log P(k) = log C(n, k) + k log p + (n - k) log(1 - p)``, computed from the logits so that it stays finite
for ``p`` near 0 or 1.

>>> import ember
>>> from ember.distributions import Binomial
>>> Binomial(4, probs=ember.tensor(0.5)).log_prob(ember.tensor(2.0)).exp()
tensor(0.3750)
"""
import numpy as np

from .. import random as _random
from ..autograd.tensor import Size
from ..creation import arange
from . import constraints
from .distribution import Distribution
from .utils import BinaryProbs, draw, param_array

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    # max(x, 0) with gradient 1/2 at 0, as PyTorch's formula
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(BinaryProbs, Distribution):
    """Binomial distribution; ``total_count`` may be a tensor broadcast with the probabilities."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        (total_count,) = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.to(self._param.dtype)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_binary(Binomial, batch_shape, ("total_count",), _instance)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        n = param_array(self.total_count.detach(), shape)
        p = param_array(self.probs.detach(), shape)
        single = self.probs.dtype.numpy == np.float32   # torch.binomial(total_count.expand, probs.expand)
        return draw(shape, self.probs, lambda rng, s: _random._binomial_values(_random.default_generator, n, p,
                                                                               single))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_binom = (n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
        # n log(1 + e^logits), written so that neither term overflows
        normalize = n * _clamp_by_zero(logits) + n * (-logits.abs()).exp().log1p()
        return log_binom + value * logits - normalize

    def entropy(self):
        total = int(self.total_count.max())
        if not bool((self.total_count == total).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total = int(self.total_count.max())
        if not bool((self.total_count.min() == total).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = arange(1 + total, dtype=self._param.dtype).reshape(-1, *(1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values
