"""Muon: momentum SGD whose update is orthogonalized by a Newton-Schulz iteration (2-D parameters)."""
import math

import numpy as np

from .adafactor import lerp
from .optimizer import Optimizer, buffer_like, to_float

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def round_bfloat16(x):
    """``x`` rounded to bfloat16 (nearest, ties to even), returned as float32: NumPy has no bfloat16.

    A float64 input goes through float32 first, as PyTorch's conversion does.
    """
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return bits.astype(np.uint32).view(np.float32)


def zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """An approximately orthogonal matrix with ``grad``'s singular vectors (``U S' V^T``, ``S'`` near 1).

    ``ns_steps`` quintic Newton-Schulz iterations ``X <- a X + (b A + c A^2) X``, ``A = X X^T``,
    from ``X = grad / ||grad||``, each operation rounded to bfloat16 as PyTorch computes it.
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = round_bfloat16(grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = round_bfloat16(np.sqrt(np.sum(x * x, dtype=np.float32)))
    x = round_bfloat16(x / max(norm, round_bfloat16(eps)))
    for _ in range(ns_steps):
        gram = round_bfloat16(x @ x.T)
        gram_update = round_bfloat16(b * gram + c * (gram @ gram))
        x = round_bfloat16(a * x + gram_update @ x)
    return x.T if tall else x


def adjust_lr(lr, adjust_lr_fn, shape):
    """The learning rate scaled for a ``(A, B)`` matrix: ``sqrt(max(1, A/B))`` ("original") or
    ``0.2 * sqrt(max(A, B))`` ("match_rms_adamw")."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024), as ``torch.optim.Muon``: for the 2-D weights of hidden layers.

    .. math::
        B_t = \mu B_{t-1} + (1-\mu) g_t,\quad
        \tilde B_t = \begin{cases} (1-\mu) g_t + \mu B_t & \text{nesterov} \\ B_t \end{cases},\quad
        \theta_t = (1-\gamma\lambda)\theta_{t-1} - \gamma' \,\mathrm{NS}(\tilde B_t)

    where NS is :func:`zeropower_via_newtonschulz` (in bfloat16, as PyTorch) and :math:`\gamma'` is
    ``lr`` adjusted for the matrix's shape (``adjust_lr_fn``). Biases, embeddings and other
    parameters belong to another optimizer such as AdamW.

    Args:
        params: 2-D tensors or parameter groups to optimize.
        lr (float): learning rate (default 1e-3).
        weight_decay (float): decoupled weight decay (default 0.1).
        momentum (float): momentum factor (default 0.95).
        nesterov (bool): Nesterov momentum (default True).
        ns_coefficients (Tuple[float, float, float]): ``(a, b, c)`` (default (3.4445, -4.7750, 2.0315)).
        eps (float): floor of the norm the iteration starts by dividing by (default 1e-7).
        ns_steps (int): Newton-Schulz iterations (default 5).
        adjust_lr_fn (str): ``None``/``"original"`` or ``"match_rms_adamw"``.

    State per parameter: ``momentum_buffer``.

    >>> import ember
    >>> w = ember.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> opt = Muon([w], lr=0.1, weight_decay=0.0)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> sorted(opt.state[w])
    ['momentum_buffer']
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{p.size()}")

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, momentum, weight_decay = to_float(group["lr"]), group["momentum"], group["weight_decay"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if p._data.dtype.kind == "c":
                    raise RuntimeError("Muon does not support complex parameters")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = buffer_like(p)
                buf, grad = state["momentum_buffer"]._data, g._data
                buf[...] = lerp(buf, grad, 1 - momentum)
                update = lerp(grad, buf, momentum) if group["nesterov"] else buf
                update = zeropower_via_newtonschulz(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
                np.multiply(p._data, 1 - lr * weight_decay, out=p._data)
                p._data -= adjust_lr(lr, group["adjust_lr_fn"], p._data.shape) * update.astype(p._data.dtype)
                p._bump()
        return loss
