"""``Bernoulli(probs=None, logits=None)``: 1 with probability ``p``, 0 otherwise.

Give exactly one of ``probs`` (in ``[0, 1]``) or ``logits`` (``log(p / (1 - p))``); the other is derived
on first use.

>>> import ember
>>> from ember.distributions import Bernoulli
>>> Bernoulli(probs=ember.tensor([0.25])).log_prob(ember.tensor([1.0]))
tensor([-1.3863])
"""
import math

from ..autograd.tensor import Size
from ..autograd.ops.elementwise import where as _where
from ..creation import arange, full_like
from . import constraints
from .exp_family import ExponentialFamily
from .utils import BinaryProbs, softplus, broadcast_all, draw, param_array

__all__ = ["Bernoulli"]


def bce_with_logits(logits, target):
    """Binary cross-entropy ``-(t log sigmoid(x) + (1 - t) log sigmoid(-x))``, stable for large ``|x|``."""
    return softplus(logits) - logits * target


class Bernoulli(BinaryProbs, ExponentialFamily):
    """Bernoulli distribution over ``{0, 1}`` parameterised by ``probs`` or ``logits``."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._set_probs_or_logits(probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_binary(Bernoulli, batch_shape, (), _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return _where(self.probs == 0.5, full_like(mode, math.nan), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        p = param_array(self.probs.detach(), shape)
        return draw(shape, self.probs, lambda rng, s: rng.random(s) < p)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -bce_with_logits(logits, value)

    def entropy(self):
        return bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        values = arange(2, dtype=self._param.dtype).reshape(-1, *(1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values

    @property
    def _natural_params(self):
        return (self.probs.logit(),)

    def _log_normalizer(self, x):
        return x.exp().log1p()
