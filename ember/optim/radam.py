"""RAdam: Adam whose adaptive step is switched on and rectified as its variance estimate settles."""
import math

import numpy as np

from .adam import decayed_grad, lerp_
from .optimizer import (Optimizer, buffer_like, real_view, check_hyperparameters, reject_differentiable, scalar_state,
                        to_float)

__all__ = ["RAdam", "radam_update", "radam_rectification"]


def radam_rectification(beta2, step):
    """RAdam's variance rectification ``r_t``, or None while ``rho_t <= 5`` (then the step is SGD-like)::

        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
    """
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * step * beta2 ** step / (1.0 - beta2 ** step)
    if rho_t <= 5.0:
        return None
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


def radam_update(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, decoupled,
                 maximize):
    """One RAdam step on NumPy arrays, in place (``step`` already counts this step)::

        m, v as in Adam;  m_hat = m / (1 - beta1**t)
        param -= lr * m_hat * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)   (when r_t exists)
        param -= lr * m_hat                                                (otherwise)
    """
    g = decayed_grad(param, grad, lr, weight_decay, decoupled, maximize)
    tmp = np.empty_like(param)
    lerp_(exp_avg, g, 1.0 - beta1, tmp)
    np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
    np.multiply(g, g, out=tmp)
    np.multiply(tmp, 1.0 - beta2, out=tmp)
    np.add(exp_avg_sq, tmp, out=exp_avg_sq)
    step_size = lr / (1.0 - beta1 ** step)
    rect = radam_rectification(beta2, step)
    if rect is None:
        np.multiply(exp_avg, step_size, out=tmp)
    else:
        np.sqrt(exp_avg_sq, out=tmp)
        np.add(tmp, eps, out=tmp)
        np.divide(exp_avg, tmp, out=tmp)
        np.multiply(tmp, step_size * rect * math.sqrt(1.0 - beta2 ** step), out=tmp)
    np.subtract(param, tmp, out=param)


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019), as ``torch.optim.RAdam``.

    Adam's running averages :math:`m_t, v_t`; while the length of the approximated simple
    moving average :math:`\rho_t` is at most 5 the step is :math:`\gamma\hat m_t`, afterwards
    :math:`\gamma\hat m_t r_t \sqrt{1-\beta_2^t}/(\sqrt{v_t}+\epsilon)` with the rectification
    :math:`r_t` (see :func:`radam_rectification`).

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate (default 1e-3).
        betas (Tuple[float, float]): coefficients of the running averages (default (0.9, 0.999)).
        eps (float): term added to the denominator (default 1e-8).
        weight_decay (float): weight decay (default 0).
        decoupled_weight_decay (bool): decay the weights as AdamW does (RAdamW) (default False).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = RAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_state(0.0)
                    state["exp_avg"] = buffer_like(p)
                    state["exp_avg_sq"] = buffer_like(p)
                step_t = state["step"]._data
                step_t += 1
                radam_update(real_view(p._data), real_view(g._data), real_view(state["exp_avg"]._data),
                             real_view(state["exp_avg_sq"]._data), float(step_t), lr,
                             beta1, beta2, eps, weight_decay, decoupled, maximize)
                p._bump()
        return loss
