"""``ExponentialFamily``: densities ``p(x; theta) = h(x) exp(<t(x), theta> - F(theta))``.

A subclass gives its natural parameters ``theta`` (``_natural_params``), the log normaliser ``F``
(``_log_normalizer``) and ``E[log h(x)]`` (``_mean_carrier_measure``); the entropy then follows from the
Bregman divergence of ``F``: ``H = F(theta) - <theta, grad F(theta)> - E[log h(x)]``, with ``grad F`` from
ember's autograd. The same construction gives the KL divergence between two members of one family.

>>> import ember
>>> from ember.distributions import Exponential
>>> d = Exponential(ember.tensor([2.0]))
>>> bool(ember.allclose(ember.distributions.ExponentialFamily.entropy(d), d.entropy()))
True
"""
from ..autograd.engine import grad as _grad
from ..autograd.grad_mode import enable_grad
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base class of exponential-family distributions (see the module docstring)."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        """The entropy from the log normaliser; like PyTorch, it does not propagate gradients to the
        parameters (they are detached before the normaliser is differentiated)."""
        result = -self._mean_carrier_measure
        with enable_grad():
            nparams = [p.detach().requires_grad_() for p in self._natural_params]
            lg_normal = self._log_normalizer(*nparams)
            gradients = _grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for p, g in zip(nparams, gradients):
            result = result - (p * g).reshape(*self._batch_shape, -1).sum(-1)
        return result
