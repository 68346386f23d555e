"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
import numpy as np

from .adam import decayed_grad, lerp_
from .optimizer import (Optimizer, buffer_like, check_hyperparameters, real_view, reject_differentiable,
                        scalar_state, to_float)

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum,
                   maximize):
    """One RMSprop step on NumPy arrays, in place (``grad_avg`` None unless centered,
    ``momentum_buffer`` None unless momentum > 0)::

        v = alpha * v + (1 - alpha) * g**2
        a = sqrt(v - mean_g**2) + eps   (centered; mean_g = alpha * mean_g + (1 - alpha) * g)
        a = sqrt(v) + eps               (otherwise)
        buf = momentum * buf + g / a;  param -= lr * buf     (momentum > 0)
        param -= lr * g / a                                  (otherwise)
    """
    g = decayed_grad(param, grad, lr, weight_decay, False, maximize)
    avg = np.multiply(g, g)
    np.multiply(avg, 1.0 - alpha, out=avg)
    np.multiply(square_avg, alpha, out=square_avg)
    np.add(square_avg, avg, out=square_avg)
    if grad_avg is not None:
        lerp_(grad_avg, g, 1.0 - alpha, avg)
        np.multiply(grad_avg, grad_avg, out=avg)
        np.subtract(square_avg, avg, out=avg)
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(square_avg, out=avg)
    np.add(avg, eps, out=avg)
    np.divide(g, avg, out=avg)
    if momentum_buffer is not None:
        np.multiply(momentum_buffer, momentum, out=momentum_buffer)
        np.add(momentum_buffer, avg, out=momentum_buffer)
        np.multiply(momentum_buffer, lr, out=avg)
    else:
        np.multiply(avg, lr, out=avg)
    np.subtract(param, avg, out=param)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture notes), as ``torch.optim.RMSprop``.

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\quad
        \theta_t = \theta_{t-1} - \gamma\, g_t / (\sqrt{v_t} + \epsilon)

    ``centered`` subtracts the square of a running mean of :math:`g` from :math:`v_t` before
    the square root; ``momentum`` accumulates :math:`g_t/(\sqrt{\cdot}+\epsilon)` in a buffer
    that is then applied.

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate (default 1e-2).
        alpha (float): smoothing constant (default 0.99).
        eps (float): term added to the denominator (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        momentum (float): momentum factor (default 0).
        centered (bool): normalize by an estimate of the gradient's variance (default False).
        maximize (bool): maximize the objective instead of minimizing it.
        capturable, foreach, differentiable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0),
    ``grad_avg`` (centered).

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_hyperparameters(lr=lr, eps=eps)
        check_hyperparameters(momentum=momentum, weight_decay=weight_decay)
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            alpha, eps, weight_decay = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_state(0.0)
                    state["square_avg"] = buffer_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = buffer_like(p)
                    if centered:
                        state["grad_avg"] = buffer_like(p)
                state["step"]._data += 1
                rmsprop_update(real_view(p._data), real_view(g._data), real_view(state["square_avg"]._data),
                               real_view(state["grad_avg"]._data) if centered else None,
                               real_view(state["momentum_buffer"]._data) if momentum > 0 else None,
                               lr, alpha, eps, weight_decay, momentum, maximize)
                p._bump()
        return loss
