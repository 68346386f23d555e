"""Rprop: resilient backpropagation, a per-element step size driven by the sign of the gradient."""
import numpy as np

from .optimizer import Optimizer, buffer_like, real_view, reject_differentiable, scalar_state, to_float

__all__ = ["Rprop", "rprop_update"]


def rprop_update(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max, maximize):
    """One Rprop step on NumPy arrays, in place.

    Where ``g * prev > 0`` the step size grows by ``etaplus``, where it is negative it shrinks by
    ``etaminus`` (and that element's gradient counts as 0, so it neither moves nor flips ``prev``
    next time), elsewhere it stays; it is clipped to ``[step_size_min, step_size_max]``. Then
    ``param -= sign(g) * step_size`` and ``prev = g``.
    """
    g = np.negative(grad) if maximize else np.array(grad, copy=True)
    agreement = np.sign(g * prev)
    factor = np.where(agreement > 0, etaplus, np.where(agreement < 0, etaminus, 1.0)).astype(param.dtype)
    np.multiply(step_size, factor, out=step_size)
    np.clip(step_size, step_size_min, step_size_max, out=step_size)
    g[factor == etaminus] = 0
    param -= np.sign(g) * step_size
    prev[...] = g


class Rprop(Optimizer):
    r"""The resilient backpropagation algorithm (Riedmiller & Braun, 1993), as ``torch.optim.Rprop``.

    Each element keeps its own step size :math:`\eta`:

    .. math::
        \eta_t = \begin{cases} \min(\eta_{t-1}\eta_+, \Gamma_{max}) & g_{t-1} g_t > 0 \\
                               \max(\eta_{t-1}\eta_-, \Gamma_{min}) & g_{t-1} g_t < 0 \ (g_t \leftarrow 0) \\
                               \eta_{t-1} & \text{otherwise} \end{cases},\qquad
        \theta_t = \theta_{t-1} - \eta_t\,\mathrm{sign}(g_t)

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): the initial step size :math:`\eta_0` (default 1e-2).
        etas (Tuple[float, float]): ``(etaminus, etaplus)``, the shrink and growth factors
            (default (0.5, 1.2)); ``0 < etaminus < 1 < etaplus``.
        step_sizes (Tuple[float, float]): ``(min, max)`` allowed step size (default (1e-6, 50)).
        maximize (bool): maximize the objective instead of minimizing it.
        capturable, foreach, differentiable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``prev`` (the last gradient used), ``step_size``.

    >>> import ember
    >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Rprop([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        reject_differentiable(differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_state(0.0)
                    state["prev"] = buffer_like(p)
                    lr = to_float(group["lr"])
                    # a complex parameter is two real ones: the imaginary parts start at lr too
                    state["step_size"] = buffer_like(p, complex(lr, lr) if p._data.dtype.kind == "c" else lr)
                state["step"]._data += 1
                rprop_update(real_view(p._data), real_view(g._data), real_view(state["prev"]._data),
                             real_view(state["step_size"]._data), etaminus, etaplus,
                             step_size_min, step_size_max, group["maximize"])
                p._bump()
        return loss
