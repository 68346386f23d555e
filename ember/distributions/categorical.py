"""``Categorical(probs=None, logits=None)``: an index in ``0 .. K-1`` drawn with probabilities ``probs``.

``probs`` need not sum to one (they are normalised over the last dimension); ``logits`` are unnormalised
log-probabilities. The last dimension indexes categories; the others are batch dimensions.

>>> import ember
>>> from ember.distributions import Categorical
>>> Categorical(probs=ember.tensor([1.0, 3.0])).log_prob(ember.tensor(1))
tensor(-0.2877)
"""
import math

import numpy as np

from ..autograd.tensor import Size, make
from ..autograd.ops.shape import broadcast_tensors
from ..creation import arange, full
from . import constraints
from .distribution import Distribution
from .utils import check_probs_or_logits, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


def sample_categorical(probs, sample_shape):
    """Indices drawn from the (normalised) last dimension of ``probs``, shape ``sample_shape + batch``.

    As torch: ``multinomial(probs.reshape(-1, k), n, replacement=True).T`` (so the same seed draws
    torch's samples; one sample per row is torch's ``argmax(p / Exp(1))`` fast path).
    """
    from ..random import multinomial
    p = probs.detach()._data
    k = p.shape[-1]
    flat = make(np.ascontiguousarray(p.reshape(-1, k)))
    n = int(np.prod(sample_shape, dtype=np.int64))
    if n == 0:
        return make(np.zeros(tuple(sample_shape) + p.shape[:-1], np.int64))
    idx = multinomial(flat, n, True)._data.T
    return make(np.ascontiguousarray(idx).reshape(tuple(sample_shape) + p.shape[:-1]).astype(np.int64))


class Categorical(Distribution):
    """Categorical distribution over ``probs.shape[-1]`` categories."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        check_probs_or_logits(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = Size(batch_shape)
        param_shape = (*batch_shape, self._num_events)
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(param_shape))
                new._param = getattr(new, name)
        new._num_events = self._num_events
        super(Categorical, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape=Size()):
        return sample_categorical(self.probs, Size(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits.dtype.numpy).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = arange(self._num_events, dtype=np.int64).reshape(-1, *(1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values
