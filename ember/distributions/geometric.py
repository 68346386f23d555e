"""``Geometric(probs=None, logits=None)``: failures before the first success,
``P(k) = (1 - p)^k p`` for ``k = 0, 1, 2, ...``.

>>> import ember
>>> from ember.distributions import Geometric
>>> Geometric(probs=ember.tensor(0.5)).log_prob(ember.tensor(1.0)).exp()
tensor(0.2500)
"""

import numpy as np

from ..autograd.tensor import Size
from ..autograd.grad_mode import no_grad
from ..autograd.ops.elementwise import where as _where
from ..creation import zeros_like
from . import constraints
from .bernoulli import bce_with_logits
from .distribution import Distribution
from .utils import BinaryProbs, broadcast_all, draw

__all__ = ["Geometric"]


class Geometric(BinaryProbs, Distribution):
    """Geometric distribution counting failures before the first success (success probability ``probs``)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._set_probs_or_logits(probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                             f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but found "
                             f"invalid values:\n{self.probs}")

    def expand(self, batch_shape, _instance=None):
        return self._expand_binary(Geometric, batch_shape, (), _instance)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        tiny = float(np.finfo(self.probs.dtype.numpy).tiny)
        with no_grad():
            u = draw(shape, self.probs, lambda rng, s: rng.uniform(tiny, 1, s))
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 and k = 0: 0 * log(0) is 0
        probs = _where((probs == 1) & (value == 0), zeros_like(probs), probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return bce_with_logits(self.logits, self.probs) / self.probs
