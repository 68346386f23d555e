"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
import numpy as np

from .adam import decayed_grad
from .optimizer import (Optimizer, buffer_like, real_view, check_hyperparameters, reject_differentiable, scalar_state,
                        to_float)

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    """One Adadelta step on NumPy arrays, in place::

        v = rho * v + (1 - rho) * g**2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        param -= lr * delta
    """
    g = decayed_grad(param, grad, lr, weight_decay, False, maximize)
    delta = np.multiply(g, g)
    np.multiply(delta, 1.0 - rho, out=delta)
    np.multiply(square_avg, rho, out=square_avg)
    np.add(square_avg, delta, out=square_avg)
    std = np.add(square_avg, eps)
    np.sqrt(std, out=std)
    np.add(acc_delta, eps, out=delta)
    np.sqrt(delta, out=delta)
    np.divide(delta, std, out=delta)
    np.multiply(delta, g, out=delta)
    np.multiply(delta, delta, out=std)
    np.multiply(std, 1.0 - rho, out=std)
    np.multiply(acc_delta, rho, out=acc_delta)
    np.add(acc_delta, std, out=acc_delta)
    np.multiply(delta, lr, out=delta)
    np.subtract(param, delta, out=param)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,\quad
        u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\quad
        \theta_t = \theta_{t-1} - \gamma\Delta_t

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): coefficient :math:`\gamma` that scales delta (default 1.0).
        rho (float): coefficient of the running averages (default 0.9).
        eps (float): term added inside the square roots (default 1e-6).
        weight_decay (float): L2 penalty (default 0).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = Adadelta([w])
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.9968], requires_grad=True)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_hyperparameters(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_hyperparameters(eps=eps, weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            rho, eps, weight_decay, maximize = group["rho"], group["eps"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_state(0.0)
                    state["square_avg"] = buffer_like(p)
                    state["acc_delta"] = buffer_like(p)
                state["step"]._data += 1
                adadelta_update(real_view(p._data), real_view(g._data), real_view(state["square_avg"]._data),
                                real_view(state["acc_delta"]._data), lr, rho,
                                eps, weight_decay, maximize)
                p._bump()
        return loss
