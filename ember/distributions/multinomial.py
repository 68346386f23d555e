"""``Multinomial(total_count=1, probs=None, logits=None)``: category counts from ``total_count`` draws.

``log P(x) = log(n!) - sum log(x_i!) + sum x_i log p_i``. ``total_count`` must be one integer for the whole
batch (it is only needed for ``sample`` and ``entropy``; ``log_prob`` works for any counts).

>>> import ember
>>> from ember.distributions import Multinomial
>>> Multinomial(2, probs=ember.tensor([0.5, 0.5])).log_prob(ember.tensor([1.0, 1.0])).exp()
tensor(0.5000)
"""
import numpy as np

from ..autograd.tensor import Size, make
from ..autograd.ops.elementwise import where as _where
from ..creation import tensor as _tensor, zeros_like
from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    """Multinomial distribution over count vectors of length ``probs.shape[-1]``."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs, validate_args=False)
        super(Multinomial, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def sample(self, sample_shape=Size()):
        """As torch: ``total_count`` categorical draws per sample (``Size((total_count,)) + sample_shape``, the
        same multinomial call, so a seeded program counts torch's draws), counted by ``scatter_add``."""
        shape = self._extended_shape(sample_shape)
        idx = self._categorical.sample(Size((self.total_count,)) + Size(sample_shape))._data
        idx = np.moveaxis(idx, 0, -1).reshape(-1, self.total_count)
        counts = np.zeros((idx.shape[0], shape[-1]), np.float64)
        np.add.at(counts, (np.arange(idx.shape[0])[:, None], idx), 1.0)
        return make(counts.reshape(tuple(shape)).astype(self.probs.dtype.numpy))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        # 0 * log(0) counts as 0 for a category that is impossible and never seen
        logits = _where((value == 0) & (logits == -float("inf")), zeros_like(logits), logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self):
        n = _tensor(float(self.total_count), dtype=self.probs.dtype)
        term1 = n * self._categorical.entropy() - (n + 1).lgamma()
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = (support + 1).lgamma()
        return term1 + (binomial_probs * weights).sum(0).sum(-1)
