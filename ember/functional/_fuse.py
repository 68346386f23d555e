"""Helpers for fused composite ops: a NumPy forward and backward in one graph node.

A fused op records one :class:`~ember.autograd.node.Node` whose rule works on NumPy
arrays (fast, first order). When the backward pass itself records
(``create_graph=True``), the rule instead calls :func:`composite_grad`, which
re-runs the op's composite definition (built from differentiable ember ops) and
differentiates it with graph recording on, so higher-order gradients stay exact.
"""
import numpy as np

from ..autograd import grad_mode
from ..autograd.node import Node
from ..autograd.tensor import Tensor, _new

gm = grad_mode.state


def wrap(arr):
    """A tensor over ``arr`` (NumPy scalars become 0-d arrays)."""
    t = _new(Tensor)
    t._data = arr if type(arr) is np.ndarray else np.asarray(arr)
    return t


def needs_grad(*tensors):
    if not gm.enabled:
        return False
    for t in tensors:
        if t is not None and t._rg:
            return True
    return False


def record(t, name, backward, inputs, saved=()):
    """Make ``t`` the output of a node running ``backward(g) -> tuple of grads``."""
    t.grad_fn = Node(name, backward, inputs, saved)
    t._rg = True
    return t


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
