"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from .adam import decayed_grad, lerp_
from .optimizer import (Optimizer, buffer_like, real_view, check_hyperparameters, reject_differentiable, scalar_state,
                        to_float)

__all__ = ["Adamax", "adamax_update"]


def adamax_update(param, grad, exp_avg, exp_inf, step, lr, beta1, beta2, eps, weight_decay, maximize):
    """One Adamax step on NumPy arrays, in place (``step`` already counts this step)::

        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        param -= lr / (1 - beta1**step) * m / u
    """
    g = decayed_grad(param, grad, lr, weight_decay, False, maximize)
    tmp = np.empty_like(param)
    lerp_(exp_avg, g, 1.0 - beta1, tmp)
    np.multiply(exp_inf, beta2, out=exp_inf)
    np.abs(g, out=tmp)
    np.add(tmp, eps, out=tmp)
    np.maximum(exp_inf, tmp, out=exp_inf)
    np.divide(exp_avg, exp_inf, out=tmp)
    np.multiply(tmp, lr / (1.0 - beta1 ** step), out=tmp)
    np.subtract(param, tmp, out=param)


class Adamax(Optimizer):
    r"""Adamax (the infinity-norm variant in Kingma & Ba, 2014), as ``torch.optim.Adamax``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,\frac{m_t}{u_t}

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate (default 2e-3).
        betas (Tuple[float, float]): coefficients of the running averages (default (0.9, 0.999)).
        eps (float): term added to :math:`|g|` (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, differentiable, capturable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_state(0.0)
                    state["exp_avg"] = buffer_like(p)
                    state["exp_inf"] = buffer_like(p)
                step_t = state["step"]._data
                step_t += 1
                adamax_update(real_view(p._data), real_view(g._data), real_view(state["exp_avg"]._data),
                              real_view(state["exp_inf"]._data), float(step_t), lr,
                              beta1, beta2, eps, weight_decay, maximize)
                p._bump()
        return loss
