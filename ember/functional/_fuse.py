"""Helpers for fused composite ops: a NumPy forward and backward in one graph node.

A fused op records one :class:`~ember.autograd.node.Node` whose rule works on NumPy
arrays (fast, first order). When the backward pass itself records
(``create_graph=True``), the rule instead calls :func:`composite_grad`, which
re-runs the op's composite definition (built from differentiable ember ops) and
differentiates it with graph recording on, so higher-order gradients stay exact.
"""
from ..autograd import grad_mode
from ..autograd.node import needs_grad, record  # noqa: F401  (the fused ops use both)
from ..autograd.ops._util import out as wrap  # noqa: F401  (a tensor over a NumPy result)
from ..autograd.tensor import Tensor

gm = grad_mode.state


def composite_grad(fn, inputs, g):
    """Recorded gradients of ``fn(*inputs)`` (weighted by ``g``) for the inputs that require grad."""
    from ..autograd.engine import grad
    need = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    with grad_mode.enable_grad():
        res = fn(*inputs)
        gs = grad(res, [inputs[i] for i in need], g, create_graph=True, allow_unused=True)
    full = [None] * len(inputs)
    for i, gi in zip(need, gs):
        full[i] = gi
    return tuple(full)


def float_check(name, *tensors):
    for t in tensors:
        if t is not None and t._data.dtype.kind != "f":
            raise RuntimeError(f"{name}: expected a floating point tensor, got {t.dtype}")
