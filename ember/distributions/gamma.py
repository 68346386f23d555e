"""``Gamma(concentration, rate)``: ``p(x) = rate^a x^(a-1) exp(-rate x) / Gamma(a)`` for ``x >= 0``.

``rsample`` is differentiable in both parameters. The draw ``x ~ Gamma(a, 1)`` has no closed-form
reparameterisation, so its derivative in ``a`` is the implicit one (as in PyTorch): holding the CDF level
``F(x; a)`` fixed gives ``dx/da = -(dF/da) / (dF/dx)``, with ``dF/dx`` the density and ``dF/da`` summed term by
term from the series of the regularised incomplete gamma function (about 1e-12 relative; PyTorch's
approximation is good to about 1e-4).

>>> import ember
>>> from ember.distributions import Gamma
>>> Gamma(ember.tensor([2.0]), ember.tensor([4.0])).mean
tensor([0.5000])
"""

import numpy as np

from ..autograd.function import Function
from ..autograd.ops.pointwise import igamma
from ..autograd.tensor import Size, make
from ..backend import special_gamma as _sg
from . import constraints
from .exp_family import ExponentialFamily
from .. import random as _random
from .utils import broadcast_all

__all__ = ["Gamma"]


def _gamma_sample_grad(x, alpha):
    """``dx/dalpha`` for ``x ~ Gamma(alpha, 1)`` by implicit differentiation of the CDF.

    With ``P(a, x) = x^a e^-x sum_k x^k / Gamma(a + k + 1)``, differentiating term by term gives
    ``dP/da = x^a e^-x sum_k (log x - digamma(a + k + 1)) x^k / Gamma(a + k + 1)``; the terms follow by
    recurrence and the sum stops once they fall below 1e-17 of the running total past the peak at
    ``k ~ x - a``. The result is ``-(dP/da) / density``.
    """
    x, alpha = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(alpha, np.float64))
    log_x = np.log(x)
    term = np.exp(alpha * log_x - x - _sg.lgamma(alpha + 1))
    psi = _sg.digamma(alpha + 1)
    total, dtotal = term.copy(), term * (log_x - psi)
    peak = float(np.max(x - alpha, initial=0.0))
    steps = int(peak + 30 * np.sqrt(peak + 1) + 60)
    for k in range(steps):
        ak = alpha + k + 1
        term = term * x / ak
        psi = psi + 1 / ak
        total = total + term
        dtotal = dtotal + term * (log_x - psi)
        if k > peak and np.all(term <= 1e-17 * total):
            break
    log_density = (alpha - 1) * log_x - x - _sg.lgamma(alpha)
    return -dtotal / np.exp(log_density)


class _StandardGamma(Function):
    @staticmethod
    def forward(ctx, alpha, in_double=False):
        dt = alpha.dtype.numpy
        a = np.asarray(alpha._data, dtype=np.float64)
        x = _random._standard_gamma_values(_random.default_generator, a, single=dt == np.float32 and not in_double)
        x = np.maximum(x.astype(dt), np.finfo(dt).tiny)  # a draw can underflow to 0 for tiny alpha
        ctx.save_for_backward(make(x.astype(np.float64)), alpha)
        return make(x)

    @staticmethod
    def backward(ctx, grad):
        x, alpha = ctx.saved_tensors
        dx = _gamma_sample_grad(x._data, np.asarray(alpha._data, dtype=np.float64))
        return grad * make(dx.astype(alpha.dtype.numpy)), None


def standard_gamma(concentration, in_double=False):
    """A ``Gamma(concentration, 1)`` draw of the same shape, differentiable in ``concentration``: torch's
    draws from the global generator (``torch._standard_gamma``; ``in_double``: the arithmetic of
    ``torch._sample_dirichlet``, which draws in double whatever the dtype)."""
    return _StandardGamma.apply(concentration, in_double)


class Gamma(ExponentialFamily):
    """Gamma distribution with shape ``concentration`` and inverse scale ``rate``."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, batch_shape, ("concentration", "rate"), _instance)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=float(np.finfo(value.dtype.numpy).tiny))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return c.xlogy(r) + (c - 1).xlogy(value) - r * value - c.lgamma()

    def entropy(self):
        c = self.concentration
        return c - self.rate.log() + c.lgamma() + (1.0 - c) * c.digamma()

    @property
    def _natural_params(self):
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x, y):
        return (x + 1).lgamma() + (x + 1) * (-y.reciprocal()).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return igamma(self.concentration, self.rate * value)
