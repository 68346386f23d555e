"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""
import numpy as np

from ..autograd.tensor import make
from .optimizer import Optimizer, check_hyperparameters, dense_grad, reject_differentiable, to_float

__all__ = ["SGD", "sgd_update"]


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """One SGD step on NumPy arrays, in place; returns the momentum buffer (new on the first step).

    With ``g`` the gradient (negated when maximizing)::

        g = g + weight_decay * param
        buf = g                                      (first step)
        buf = momentum * buf + (1 - dampening) * g   (later steps)
        g = g + momentum * buf  if nesterov  else  buf
        param = param - lr * g

    A bfloat16 parameter takes ``lr`` and ``weight_decay`` rounded to bfloat16, as torch's ``add_(x, alpha=)``
    rounds its alpha to the tensor's dtype.
    """
    if param.dtype.char not in "fd":
        if param.dtype.char == "e":
            return _sgd_update_half(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize)
        if param.dtype.kind == "V":
            lr, weight_decay = (float(np.asarray(v, param.dtype)) for v in (lr, weight_decay))
    if weight_decay != 0:
        d = np.multiply(param, weight_decay)
        if maximize:
            np.subtract(d, grad, out=d)
        else:
            np.add(d, grad, out=d)
        if d.dtype != param.dtype:  # bfloat16 times a Python float is float32: rounded, as torch's add
            d = d.astype(param.dtype)
    elif maximize:
        d = np.negative(grad)
    else:
        d = grad
    if momentum != 0:
        if buf is None:
            buf = d.copy("K")  # the method, as np.array(d, copy=True): a meta gradient's buffer stays meta
        else:
            np.multiply(buf, momentum, out=buf)
            if dampening == 0:
                np.add(buf, d, out=buf)
            else:
                buf += np.multiply(d, 1.0 - dampening)
        if nesterov:
            step = np.multiply(buf, momentum)
            np.add(step, d, out=step)
            if step.dtype != param.dtype:  # bfloat16: rounded, as torch's d_p.add(buf, alpha=momentum)
                step = step.astype(param.dtype)
        else:
            step = buf
    else:
        step = d
    # lr * step goes into a scratch array, so the update never writes into the caller's gradient.
    scaled = np.multiply(step, lr)
    np.subtract(param, scaled, out=param)
    return buf


_HALF_LANES = 32   # float16 elements of torch's AVX512 vector: its add kernel's float loop runs on whole vectors


def _add_half(a, b, alpha):
    """torch's float16 ``a.add(b, alpha=alpha)`` (float16 arrays, the same shape): ``alpha`` rounded to float16;
    on whole 32-element vectors of the flattened tensor ``a + alpha * b`` in float32, rounded once; on the
    last ``n % 32`` elements (its scalar loop) in float16 arithmetic, the product rounded too."""
    al = np.float16(alpha)
    r = (a.astype(np.float32) + np.float32(al) * b.astype(np.float32)).astype(np.float16)
    tail = r.size % _HALF_LANES
    if tail:
        flat = r.reshape(-1)
        flat[-tail:] = a.reshape(-1)[-tail:] + al * b.reshape(-1)[-tail:]
    return r


def _sgd_update_half(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """:func:`sgd_update` for float16 as torch's single-tensor SGD rounds it: every ``add_(x, alpha=a)`` as
    :func:`_add_half`, ``mul_(m)`` in float32 with ``m`` unrounded, each op's result rounded to float16 (NumPy's
    float16 arithmetic would round the Python floats first, and is ~10x slower)."""
    d = np.negative(grad) if maximize else grad
    if weight_decay != 0:
        d = _add_half(d, param, weight_decay)
    if momentum != 0:
        if buf is None:
            buf = np.array(d, copy=True)
        else:
            scaled = (buf.astype(np.float32) * np.float32(momentum)).astype(np.float16)
            buf[...] = _add_half(scaled, d, 1.0 - dampening)
        d = _add_half(d, buf, momentum) if nesterov else buf
    param[...] = _add_half(param, d, -lr)
    return buf


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    .. math::
        g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1},\quad
        b_t = \mu b_{t-1} + (1-\tau) g_t,\quad
        \theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    with :math:`b_1 = g_1`; ``maximize`` ascends instead.

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate :math:`\gamma` (default 1e-3).
        momentum (float): momentum factor :math:`\mu` (default 0).
        dampening (float): dampening :math:`\tau` for momentum (default 0).
        weight_decay (float): L2 penalty :math:`\lambda` (default 0).
        nesterov (bool): Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach, differentiable, fused: accepted for PyTorch compatibility; ember has one
            implementation, and ``differentiable=True`` is not supported.

    State per parameter: ``momentum_buffer`` (when momentum is not 0).

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([-0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_hyperparameters(lr=lr, momentum=momentum, weight_decay=weight_decay)
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    _supports_sparse_grads = True

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            momentum, dampening, weight_decay = group["momentum"], group["dampening"], group["weight_decay"]
            nesterov, maximize = group["nesterov"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if g._sparse and weight_decay != 0:
                    raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
                g = make(dense_grad(g)) if g._sparse else g  # the zero rows change nothing, momentum included
                if momentum != 0:
                    state = self.state[p]
                    held = state.get("momentum_buffer")
                    buf = sgd_update(p._data, g._data, None if held is None else held._data, lr, momentum,
                                     dampening, weight_decay, nesterov, maximize)
                    if held is None:
                        state["momentum_buffer"] = make(buf)
                else:
                    sgd_update(p._data, g._data, None, lr, 0, dampening, weight_decay, nesterov, maximize)
                p._bump()
        return loss
