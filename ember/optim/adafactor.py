"""Adafactor: Adam-like steps from a factored (row and column) estimate of the second moment."""
import numpy as np

from ..autograd.tensor import make
from .optimizer import Optimizer, buffer_like, scalar_state, to_float

__all__ = ["Adafactor", "lerp"]


def lerp(start, end, weight):
    """``start + weight * (end - start)``, evaluated from the nearer end as PyTorch's ``lerp`` (same rounding)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018) as ``torch.optim.Adafactor``: no first moment, and for a
    matrix only a row and a column average of the squared gradient.

    At step :math:`t`, with :math:`\hat\beta_{2,t} = 1 - t^{\tau}` (``beta2_decay`` :math:`\tau`),
    :math:`\rho_t = \min(\gamma, 1/\sqrt t)` and :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta))\rho_t`:

    .. math::
        \theta \leftarrow (1-\gamma\lambda)\theta,\quad
        R \leftarrow \hat\beta_2 R + (1-\hat\beta_2)\,\mathrm{mean}_{-1}(G^2),\quad
        C \leftarrow \hat\beta_2 C + (1-\hat\beta_2)\,\mathrm{mean}_{-2}(G^2),\\
        \hat V = \frac{R C}{\max(\mathrm{mean}(R), \epsilon_1)},\quad
        U = \frac{G}{\sqrt{\max(\hat V, \epsilon_1^2)}},\quad
        \theta \leftarrow \theta - \frac{\alpha_t}{\max(1, \mathrm{RMS}(U)/d)} U

    A tensor of one dimension (or none) keeps the full ``variance`` instead of ``R`` and ``C``;
    one of more than two factors its last two dimensions. ``eps1=None`` is the machine epsilon
    of the first parameter's dtype.

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): :math:`\gamma`, the cap of the relative step (default 1e-2).
        beta2_decay (float): :math:`\tau\le 0` (default -0.8).
        eps (Tuple[float or None, float]): :math:`(\epsilon_1, \epsilon_2)` (default (None, 1e-3)).
        d (float): clipping threshold of the update's RMS, at least 1 (default 1).
        weight_decay (float): decoupled weight decay :math:`\lambda` (default 0).
        maximize (bool): maximize the objective instead of minimizing it.
        foreach: accepted for PyTorch compatibility.

    State per parameter: ``step``, and ``row_var`` and ``col_var`` (matrices) or ``variance``.

    >>> import ember
    >>> w = ember.tensor([[1.0, -1.0], [2.0, 0.5]], requires_grad=True)
    >>> opt = Adafactor([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> sorted(opt.state[w])
    ['col_var', 'row_var', 'step']
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            eps1, eps2 = group["eps"]
            d, weight_decay, beta2_decay = group["d"], group["weight_decay"], group["beta2_decay"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if p._data.dtype.kind == "c":
                    raise RuntimeError("Adafactor does not support complex parameters")
                state = self.state[p]
                if not state:
                    state["step"] = scalar_state(0.0)
                    if g._data.ndim > 1:
                        state["row_var"] = make(np.zeros(g._data.shape[:-1] + (1,), g._data.dtype))
                        state["col_var"] = make(np.zeros(g._data.shape[:-2] + (1,) + g._data.shape[-1:],
                                                            g._data.dtype))
                    else:
                        state["variance"] = buffer_like(p)
                if eps1 is None:
                    # as PyTorch: the first parameter's dtype decides it for the rest of the group
                    eps1 = float(np.finfo(p._data.dtype).eps)
                param = p._data
                grad = np.negative(g._data) if group["maximize"] else g._data
                state["step"]._data += 1
                step = float(state["step"]._data)
                one_minus_beta2 = step ** beta2_decay
                rho = min(lr, 1 / step ** 0.5)
                alpha = max(eps2, float(np.linalg.norm(param.ravel())) / param.size ** 0.5) * rho
                if weight_decay != 0:
                    np.multiply(param, 1 - lr * weight_decay, out=param)
                if grad.ndim > 1:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    sq = grad * grad
                    # the norm squared, not the sum of squares: PyTorch's rounding
                    row_mean = np.sqrt(sq.sum(axis=-1, keepdims=True)) ** 2 / grad.shape[-1]
                    col_mean = np.sqrt(sq.sum(axis=-2, keepdims=True)) ** 2 / grad.shape[-2]
                    row_var[...] = lerp(row_var, row_mean, one_minus_beta2)
                    col_var[...] = lerp(col_var, col_mean, one_minus_beta2)
                    var_estimate = row_var @ col_var
                    var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
                else:
                    variance = state["variance"]._data
                    variance[...] = lerp(variance, grad * grad, one_minus_beta2)
                    var_estimate = variance.copy()
                update = 1 / np.sqrt(np.maximum(var_estimate, eps1 * eps1))
                update *= grad
                denom = max(1.0, float(np.linalg.norm(update.ravel())) / (update.size ** 0.5 * d))
                param -= update * (alpha / denom)
                p._bump()
        return loss
