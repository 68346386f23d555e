"""NAdam: Adam with Nesterov momentum and a warming-up momentum schedule."""
import numpy as np

from .adam import decayed_grad, lerp_
from .optimizer import (Optimizer, buffer_like, real_view, check_hyperparameters, reject_differentiable, scalar_state,
                        to_float)

__all__ = ["NAdam", "nadam_update", "nadam_momentum"]


def nadam_momentum(beta1, step, momentum_decay):
    """The momentum coefficient ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))


def nadam_update(param, grad, exp_avg, exp_avg_sq, mu_product, step, lr, beta1, beta2, eps, weight_decay,
                 momentum_decay, decoupled, maximize):
    """One NAdam step on NumPy arrays, in place. ``mu_product`` is the 0-d array holding
    ``prod(mu_1..mu_{t-1})``; it is multiplied by ``mu_t`` here (in its own dtype, as PyTorch)::

        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
        d = sqrt(v / (1 - beta2**t)) + eps
        param -= lr * (1 - mu_t) / (1 - prod(mu_1..mu_t)) * g / d
        param -= lr * mu_{t+1} / (1 - prod(mu_1..mu_{t+1})) * m / d
    """
    g = decayed_grad(param, grad, lr, weight_decay, decoupled, maximize)
    mu = nadam_momentum(beta1, step, momentum_decay)
    mu_next = nadam_momentum(beta1, step + 1, momentum_decay)
    np.multiply(mu_product, mu, out=mu_product)
    product = float(mu_product)
    tmp = np.empty_like(param)
    lerp_(exp_avg, g, 1.0 - beta1, tmp)
    np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
    np.multiply(g, g, out=tmp)
    np.multiply(tmp, 1.0 - beta2, out=tmp)
    np.add(exp_avg_sq, tmp, out=exp_avg_sq)
    denom = np.divide(exp_avg_sq, 1.0 - beta2 ** step)
    np.sqrt(denom, out=denom)
    np.add(denom, eps, out=denom)
    np.divide(g, denom, out=tmp)
    np.multiply(tmp, lr * (1.0 - mu) / (1.0 - product), out=tmp)
    np.subtract(param, tmp, out=param)
    np.divide(exp_avg, denom, out=tmp)
    np.multiply(tmp, lr * mu_next / (1.0 - product * mu_next), out=tmp)
    np.subtract(param, tmp, out=param)


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), as ``torch.optim.NAdam``.

    .. math::
        \mu_t = \beta_1\big(1 - \tfrac12\, 0.96^{t\psi}\big),\quad
        \theta_t = \theta_{t-1} - \gamma\,\frac{\frac{\mu_{t+1} m_t}{1-\prod_{i\le t+1}\mu_i}
        + \frac{(1-\mu_t) g_t}{1-\prod_{i\le t}\mu_i}}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    with :math:`m_t, v_t` Adam's running averages and :math:`\psi` the momentum decay.

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate (default 2e-3).
        betas (Tuple[float, float]): coefficients of the running averages (default (0.9, 0.999)).
        eps (float): term added to the denominator (default 1e-8).
        weight_decay (float): weight decay (default 0).
        momentum_decay (float): :math:`\psi` (default 4e-3).
        decoupled_weight_decay (bool): decay the weights as AdamW does (NAdamW) (default False).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``mu_product``, ``exp_avg``, ``exp_avg_sq``.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = NAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 4)
    0.8944
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay, momentum_decay = group["eps"], group["weight_decay"], group["momentum_decay"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_state(0.0)
                    state["mu_product"] = scalar_state(1.0)
                    state["exp_avg"] = buffer_like(p)
                    state["exp_avg_sq"] = buffer_like(p)
                step_t = state["step"]._data
                step_t += 1
                nadam_update(real_view(p._data), real_view(g._data), real_view(state["exp_avg"]._data),
                             real_view(state["exp_avg_sq"]._data),
                             state["mu_product"]._data, float(step_t), lr, beta1, beta2, eps, weight_decay,
                             momentum_decay, decoupled, maximize)
                p._bump()
        return loss
