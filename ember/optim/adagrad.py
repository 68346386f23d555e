"""Adagrad: per-coordinate learning rates from the sum of squared past gradients."""
import numpy as np

from ..autograd.tensor import make
from .adam import decayed_grad
from .optimizer import (Optimizer, buffer_like, real_view, check_hyperparameters, dense_grad, reject_differentiable,
                        scalar_state, to_float)

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(param, grad, state_sum, step, lr, lr_decay, weight_decay, eps, maximize):
    """One Adagrad step on NumPy arrays, in place (``step`` already counts this step)::

        sum = sum + g**2
        param -= lr / (1 + (step - 1) * lr_decay) * g / (sqrt(sum) + eps)
    """
    g = decayed_grad(param, grad, lr, weight_decay, False, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    tmp = np.multiply(g, g)
    np.add(state_sum, tmp, out=state_sum)
    np.sqrt(state_sum, out=tmp)
    np.add(tmp, eps, out=tmp)
    np.divide(g, tmp, out=tmp)
    np.multiply(tmp, clr, out=tmp)
    np.subtract(param, tmp, out=param)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    .. math::
        s_t = s_{t-1} + g_t^2,\quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1 + (t-1)\eta}\,\frac{g_t}{\sqrt{s_t} + \epsilon}

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate :math:`\gamma` (default 1e-2).
        lr_decay (float): learning rate decay :math:`\eta` (default 0).
        weight_decay (float): L2 penalty (default 0).
        initial_accumulator_value (float): starting value of :math:`s` (default 0).
        eps (float): term added to the denominator (default 1e-10).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, differentiable, fused: accepted for PyTorch compatibility.

    State per parameter, created with the optimizer as in PyTorch: ``step`` and ``sum``.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_hyperparameters(lr=lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        check_hyperparameters(weight_decay=weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        check_hyperparameters(eps=eps)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = scalar_state(0.0)
        state["sum"] = buffer_like(p, group["initial_accumulator_value"])

    _supports_sparse_grads = True

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            lr_decay, weight_decay, eps, maximize = (group["lr_decay"], group["weight_decay"], group["eps"],
                                                     group["maximize"])
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if g._sparse:
                    if weight_decay != 0:
                        raise RuntimeError("weight_decay option is not compatible with sparse gradients")
                    g = make(dense_grad(g))  # zero rows: their sums and values stay as they are
                state = self.state[p]
                if not state:  # a parameter added later with add_param_group
                    self._init_state(p, group)
                step_t = state["step"]._data
                step_t += 1
                adagrad_update(real_view(p._data), real_view(g._data), real_view(state["sum"]._data), float(step_t),
                               lr, lr_decay, weight_decay,
                               eps, maximize)
                p._bump()
        return loss
