"""ASGD: SGD with a decaying step and a running (Polyak) average of the iterates."""
import numpy as np

from .optimizer import (Optimizer, buffer_like, check_hyperparameters, reject_differentiable, scalar_state,
                        to_float)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent (Polyak & Juditsky, 1992), as ``torch.optim.ASGD``.

    With :math:`g_t` the gradient plus :math:`\lambda_{wd}\theta_{t-1}`:

    .. math::
        \theta_t = (1 - \lambda\eta_t)\theta_{t-1} - \eta_t g_t,\qquad
        \bar\theta_t = \bar\theta_{t-1} + \mu_t(\theta_t - \bar\theta_{t-1}),\\
        \eta_{t+1} = \frac{\gamma}{(1 + \lambda\gamma t)^\alpha},\qquad \mu_{t+1} = \frac{1}{\max(1, t - t_0)}

    The average :math:`\bar\theta` is the state ``ax``; it equals :math:`\theta` until step
    :math:`t_0` and averages the iterates after it. ``eta`` and ``mu`` are 0-d tensors in the
    default float dtype, as PyTorch keeps them (so with float32 default they round to float32).

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate :math:`\gamma` (default 1e-2).
        lambd (float): decay term :math:`\lambda` (default 1e-4).
        alpha (float): power of the eta update (default 0.75).
        t0 (float): the step at which averaging starts (default 1e6).
        weight_decay (float): L2 penalty (default 0).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, differentiable, capturable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``eta``, ``mu``, ``ax``.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = ASGD([w], lr=0.1, lambd=0.0)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_hyperparameters(lr=lr, weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            lambd, alpha, t0, weight_decay = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_state(0.0)
                    state["eta"] = scalar_state(lr)
                    state["mu"] = scalar_state(1.0)
                    state["ax"] = buffer_like(p)
                param, ax = p._data, state["ax"]._data
                grad = np.negative(g._data) if group["maximize"] else g._data
                state["step"]._data += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * param
                eta = float(state["eta"]._data)
                np.multiply(param, 1 - lambd * eta, out=param)
                param -= eta * grad
                mu = state["mu"]._data
                if float(mu) != 1:
                    ax += (param - ax) * mu.astype(param.dtype)
                else:
                    ax[...] = param
                step = float(state["step"]._data)
                # PyTorch makes each new value a tensor of the default dtype before copying it into the state
                state["eta"]._data[...] = scalar_state(lr / ((1 + lambd * lr * step) ** alpha))._data
                state["mu"]._data[...] = scalar_state(1 / max(1, step - t0))._data
                p._bump()
        return loss
