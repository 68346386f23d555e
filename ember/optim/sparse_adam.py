"""SparseAdam: Adam that updates only the rows a gradient touches (lazy Adam, for embeddings)."""
import math

import numpy as np

from .optimizer import Optimizer, buffer_like, to_float

__all__ = ["SparseAdam"]


def touched_rows(grad):
    """Indices along dim 0 of the rows of ``grad`` that hold a nonzero entry (all of a 0-d grad)."""
    if grad.ndim == 0:
        return np.nonzero(grad.reshape(1))[0]
    return np.nonzero(np.any(grad.reshape(grad.shape[0], -1) != 0, axis=1))[0]


def coalesced_rows(grad):
    """``(rows, values)`` of a sparse COO gradient: its unique dim-0 indices, sorted, with the values of
    repeated indices summed (the gradient's ``coalesce()``)."""
    idx = grad._indices_np
    values = grad._v._data
    if idx.shape[0] != 1:  # every dim sparse: rows of a flattened index over the leading dim
        raise RuntimeError(f"SparseAdam: expected a gradient sparse in dim 0 only (as Embedding's), got "
                           f"sparse_dim={idx.shape[0]}")
    rows, inverse = np.unique(idx[0], return_inverse=True)
    summed = np.zeros((rows.size,) + values.shape[1:], values.dtype)
    np.add.at(summed, inverse, values)
    return rows, summed


def sparse_adam_update(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, maximize, rows=None):
    """One lazy Adam step on the touched rows of NumPy arrays, in place; other rows keep their moments.

    ``rows`` given: ``grad`` holds just those rows' gradients (a coalesced sparse gradient); otherwise
    ``grad`` is dense and the touched rows are those with a nonzero entry.
    """
    flat = param.ndim == 0
    if flat:
        param, grad, exp_avg, exp_avg_sq = (a.reshape(1) for a in (param, grad, exp_avg, exp_avg_sq))
    if rows is None:
        rows = touched_rows(grad)
        g = grad[rows]
    else:
        g = grad
    if rows.size == 0:
        return
    if maximize:
        g = -g
    m_old, v_old = exp_avg[rows], exp_avg_sq[rows]
    m_delta = (g - m_old) * (1 - beta1)
    v_delta = (g ** 2 - v_old) * (1 - beta2)
    exp_avg[rows] = m_old + m_delta
    exp_avg_sq[rows] = v_old + v_delta
    numer = m_delta + m_old
    denom = np.sqrt(v_delta + v_old) + eps
    step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
    param[rows] += -step_size * (numer / denom)


class SparseAdam(Optimizer):
    r"""Lazy Adam for sparse updates, as ``torch.optim.SparseAdam``.

    Adam's moments and parameters change only in the rows (slices along dim 0) that the
    gradient touches; other rows keep their moments as they were (so an embedding row that
    was not looked up does not decay). With :math:`t` the parameter's step count:

    .. math::
        m_r \leftarrow \beta_1 m_r + (1-\beta_1) g_r,\quad v_r \leftarrow \beta_2 v_r + (1-\beta_2) g_r^2,\quad
        \theta_r \leftarrow \theta_r - \gamma\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\frac{m_r}{\sqrt{v_r}+\epsilon}

    ``Embedding(sparse=True)`` gives a sparse COO gradient: its rows (repeats summed, as
    ``coalesce()``) are the touched rows, whether or not their gradient is zero, as in PyTorch.
    PyTorch raises on a dense gradient; ember also accepts one, and then the touched rows are
    the rows with a nonzero entry.

    Args:
        params: tensors or parameter groups to optimize.
        lr (float): learning rate (default 1e-3).
        betas (Tuple[float, float]): coefficients of the running averages (default (0.9, 0.999)).
        eps (float): term added to the denominator (default 1e-8).
        maximize (bool): maximize the objective instead of minimizing it.

    State per parameter: ``step`` (a Python int, as PyTorch's), ``exp_avg``, ``exp_avg_sq``.

    >>> import ember
    >>> from ember import nn
    >>> emb = nn.Embedding(4, 2, sparse=True)
    >>> opt = SparseAdam(emb.parameters(), lr=0.1)
    >>> before = emb.weight.detach().clone()
    >>> emb(ember.tensor([1])).sum().backward()
    >>> opt.step()
    >>> [bool((emb.weight[i] != before[i]).any()) for i in range(4)]
    [False, True, False, False]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        complex_params = [[gi, pi] for gi, group in enumerate(self.param_groups)
                          for pi, p in enumerate(group["params"]) if p._data.dtype.kind == "c"]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             "parameters")

    _supports_sparse_grads = True

    def load_state_dict(self, state_dict):
        """As :meth:`Optimizer.load_state_dict`; ``step`` stays a Python int, as PyTorch keeps it."""
        super().load_state_dict(state_dict)
        for state in self.state.values():
            if "step" in state and not isinstance(state["step"], int):
                state["step"] = int(float(state["step"]))

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = buffer_like(p)
                    state["exp_avg_sq"] = buffer_like(p)
                state["step"] += 1
                rows, values = coalesced_rows(g) if g._sparse else (None, g._data)
                sparse_adam_update(p._data, values, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                                   state["step"], lr, beta1, beta2, group["eps"], group.get("maximize", False), rows)
                p._bump()
        return loss
