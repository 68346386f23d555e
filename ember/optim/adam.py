"""Adam and AdamW (Adam with decoupled weight decay)."""
import math

import numpy as np

from .optimizer import (Optimizer, buffer_like, check_hyperparameters, real_view, reject_differentiable,
                        scalar_state, to_float)

__all__ = ["Adam", "AdamW", "adam_update", "decayed_grad", "lerp_"]


def lerp_(avg, grad, weight, scratch):
    """``avg += weight * (grad - avg)`` in place (a running average; ``scratch`` is clobbered)."""
    np.subtract(grad, avg, out=scratch)
    np.multiply(scratch, weight, out=scratch)
    np.add(avg, scratch, out=avg)


def decayed_grad(param, grad, lr, weight_decay, decoupled, maximize):
    """The gradient an adaptive optimizer uses: negated when maximizing, plus L2 weight decay.

    Decoupled weight decay shrinks ``param`` by ``1 - lr * weight_decay`` in place instead.
    Returns ``grad`` itself when nothing changes it (callers must not write into it).
    """
    if weight_decay != 0:
        if decoupled:
            np.multiply(param, 1.0 - lr * weight_decay, out=param)
        else:
            d = np.multiply(param, weight_decay)
            return np.subtract(d, grad, out=d) if maximize else np.add(d, grad, out=d)
    return np.negative(grad) if maximize else grad


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay,
                decoupled, maximize):
    """One Adam step on NumPy arrays, in place (``max_exp_avg_sq`` is None unless amsgrad).

    With ``t = step`` (already counting this step; a float, or a 0-d array)::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2          (v_max = max(v_max, v) with amsgrad)
        param -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """
    if param.dtype.kind == "V":
        return _adam_update_bf16(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, float(step), lr, beta1, beta2,
                                 eps, weight_decay, decoupled, maximize)
    g = decayed_grad(param, grad, lr, weight_decay, decoupled, maximize)
    tmp = np.empty_like(param)
    lerp_(exp_avg, g, 1.0 - beta1, tmp)
    np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
    np.multiply(g, g, out=tmp)
    np.multiply(tmp, 1.0 - beta2, out=tmp)
    np.add(exp_avg_sq, tmp, out=exp_avg_sq)
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    if isinstance(step, np.ndarray):
        # The step count as an array (ember.compile traces it): the same float64 arithmetic kept in NumPy, so
        # that a replay recomputes the bias corrections; each factor rounds to the parameter's dtype as a
        # Python float would.
        t = step.astype(np.float64)
        bias_correction2_sqrt = np.sqrt(1.0 - beta2 ** t)
        eps_term = (eps * bias_correction2_sqrt).astype(param.dtype)
        lr_term = (lr / (1.0 - beta1 ** t) * bias_correction2_sqrt).astype(param.dtype)
    else:
        bias_correction2_sqrt = math.sqrt(1.0 - beta2 ** step)
        eps_term = eps * bias_correction2_sqrt
        lr_term = lr / (1.0 - beta1 ** step) * bias_correction2_sqrt
    # m / (sqrt(v)/c2 + eps) == c2 * m / (sqrt(v) + eps*c2): one pass fewer than the textbook order.
    np.sqrt(second, out=tmp)
    np.add(tmp, eps_term, out=tmp)
    np.divide(exp_avg, tmp, out=tmp)
    np.multiply(tmp, lr_term, out=tmp)
    np.subtract(param, tmp, out=param)


def _adam_update_bf16(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay,
                      decoupled, maximize):
    """:func:`adam_update` for bfloat16 parameters, state and gradient, in the order of PyTorch's
    single-tensor Adam: each tensor op computed in float32 from its bfloat16 operands and rounded to bfloat16,
    as its kernels do (a Python scalar taken unrounded by mul/div/lerp/addcmul/addcdiv, rounded by add)."""
    bf16, f32 = param.dtype, np.float32
    if maximize:
        grad = np.negative(grad)
    if weight_decay != 0:
        if decoupled:
            param[...] = (param.astype(f32) * (1.0 - lr * weight_decay)).astype(bf16)
        else:
            grad = (grad.astype(f32) + param.astype(f32) * f32(weight_decay)).astype(bf16)
    g = grad.astype(f32)
    m = exp_avg.astype(f32)
    exp_avg[...] = (m + (1.0 - beta1) * (g - m)).astype(bf16)           # exp_avg.lerp_(grad, 1 - beta1)
    v = (exp_avg_sq.astype(f32) * beta2).astype(bf16).astype(f32)        # exp_avg_sq.mul_(beta2)
    exp_avg_sq[...] = (v + (1.0 - beta2) * g * g).astype(bf16)          # .addcmul_(grad, grad, 1 - beta2)
    second = exp_avg_sq
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    step_size = lr / (1.0 - beta1 ** step)
    bias_correction2_sqrt = math.sqrt(1.0 - beta2 ** step)
    denom = np.sqrt(second.astype(f32)).astype(bf16).astype(f32)
    denom = (denom / bias_correction2_sqrt).astype(bf16).astype(f32)
    denom = (denom + f32(np.asarray(eps, bf16))).astype(bf16).astype(f32)  # .add_(eps): eps rounded first
    param[...] = (param.astype(f32) - step_size * (exp_avg.astype(f32) / denom)).astype(bf16)  # addcdiv_


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), as ``torch.optim.Adam``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\\
        \theta_t = \theta_{t-1} - \gamma\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    where :math:`g_t` is the gradient plus :math:`\lambda\theta_{t-1}` (L2 weight decay), or,
    with ``decoupled_weight_decay=True`` (AdamW), :math:`\theta` is first scaled by
    :math:`1-\gamma\lambda`. ``amsgrad`` uses the running maximum of :math:`v_t`.

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate :math:`\gamma` (default 1e-3).
        betas (Tuple[float, float]): :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps (float): :math:`\epsilon` added to the denominator (default 1e-8).
        weight_decay (float): :math:`\lambda` (default 0).
        amsgrad (bool): use the AMSGrad variant (default False).
        maximize (bool): maximize the objective instead of minimizing it.
        decoupled_weight_decay (bool): AdamW's weight decay (default False).
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility.

    State per parameter: ``step`` (a 0-d tensor), ``exp_avg``, ``exp_avg_sq``, and
    ``max_exp_avg_sq`` with amsgrad.

    >>> import ember
    >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            beta1, beta2 = group["betas"]
            beta1, beta2 = to_float(beta1), to_float(beta2)   # once a group, not once a parameter
            eps, weight_decay, amsgrad = group["eps"], group["weight_decay"], group["amsgrad"]
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
                    if amsgrad:
                        state["max_exp_avg_sq"] = buffer_like(p)
                step_t = state["step"]._data
                step_t += 1
                # A plain array's count is read as a float (fast); any other (ember.compile's traced arrays)
                # stays an array, so that a replay does not reuse this step's number.
                adam_update(real_view(p._data), real_view(g._data), real_view(state["exp_avg"]._data),
                            real_view(state["exp_avg_sq"]._data),
                            real_view(state["max_exp_avg_sq"]._data) if amsgrad else None,
                            float(step_t) if type(step_t) is np.ndarray else step_t, lr,
                            beta1, beta2, eps, weight_decay, decoupled, maximize)
                p._bump()
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2017), as ``torch.optim.AdamW``.

    Each step first scales the parameters by :math:`1 - \gamma\lambda`, then takes an Adam step
    on the plain gradient. Same arguments and state as :class:`Adam`, except that
    ``weight_decay`` defaults to 1e-2 and is always decoupled.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.8500], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
