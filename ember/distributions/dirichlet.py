"""``Dirichlet(concentration)``: ``p(x) = Gamma(sum a) / prod Gamma(a_i) * prod x_i^(a_i - 1)`` on the simplex.

``rsample`` normalises independent ``Gamma(a_i, 1)`` draws, each differentiable in ``a_i`` through the
implicit gradient of :mod:`.gamma`; the result is an unbiased reparameterised gradient (PyTorch uses a
different implicit formula for the same distribution, so single-draw gradients differ but expectations agree).

>>> import ember
>>> from ember.distributions import Dirichlet
>>> Dirichlet(ember.tensor([1.0, 3.0])).mean
tensor([0.2500, 0.7500])
"""
from ..autograd.tensor import Size
from ..creation import ones_like, zeros_like
from ..autograd.ops.index import one_hot as _one_hot
from ..autograd.ops.elementwise import where as _where
from . import constraints
from .exp_family import ExponentialFamily
from .gamma import standard_gamma
import numpy as np

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """Dirichlet distribution over the simplex of ``concentration.shape[-1]`` categories."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(*batch_shape, *self.event_shape)
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        g = standard_gamma(self.concentration.expand(shape), in_double=True)
        x = g / g.sum(-1, keepdim=True)
        info = np.finfo(x.dtype.numpy)
        return x.clamp(min=float(info.tiny), max=1 - float(info.eps))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (c - 1.0).xlogy(value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        c = self.concentration
        m = (c - 1).clamp(min=0.0)
        below_one = (c < 1).all(-1, keepdim=True)
        total = m.sum(-1, keepdim=True)
        m = m / _where(below_one, ones_like(total), total)  # no 0/0 (and no NaN gradient) in the masked rows
        # with every concentration below one the density is unbounded at every vertex; PyTorch reports the
        # first vertex (its argmax over the 0/0 row), and so does ember
        vertex = _one_hot(zeros_like(c[..., 0]).long(), c.shape[-1]).to(m.dtype)
        return _where(below_one, vertex, m)

    @property
    def variance(self):
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return c.lgamma().sum(-1) - a0.lgamma() - (k - a0) * a0.digamma() - ((c - 1.0) * c.digamma()).sum(-1)

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()
