"""``ember.autograd.forward_ad``: PyTorch's forward-mode AD API (dual tensors), by the double-vjp trick.

Inside ``with dual_level():``, ``make_dual(primal, tangent)`` gives a tensor that carries a
tangent ``t``; ops on it run as usual, and ``unpack_dual(y).tangent`` is the Jacobian-vector
product ``J t`` of ``y`` with respect to every dual tensor ``y`` depends on (``None`` when it
depends on none). ember has no forward-mode kernels, so ``unpack_dual`` computes the product from
the reverse graph: with ``u`` a dummy cotangent of ``y``, ``g(u) = J^T u`` is linear in ``u`` and
``J t`` is the gradient of ``<g(u), t>`` with respect to ``u`` (two backward passes, the same trick
``ember.func.jvp`` uses). So each op must be twice differentiable, the graph must be recorded (ops
run under ``no_grad`` carry no tangent, where PyTorch's would), and a dual made from a tensor that
does not require grad reports ``requires_grad=True`` (PyTorch's reports False). Tangents come back
detached: no reverse-over-forward differentiation of a tangent.

A custom ``autograd.Function`` that defines ``jvp`` but no ``backward`` (the forward-AD tutorial's
``Fn``) gets its output tangent from ``jvp(ctx, *input_tangents)``; its output starts a new dual.

>>> import ember
>>> import ember.autograd.forward_ad as fwAD
>>> with fwAD.dual_level():
...     x = fwAD.make_dual(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
...     fwAD.unpack_dual(x ** 2).tangent
tensor([2., 0.])
"""
import weakref
from collections import namedtuple

import numpy as np

from . import grad_mode
from .node import record
from .tensor import Tensor, make

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class _Level:
    def __init__(self, index):
        self.index = index
        self.duals = {}   # id(alias node) -> (weakref to the dual tensor, its tangent)
        self.cuts = weakref.WeakSet()   # nodes the tangent search does not cross (unpack_dual's primals)


_levels = []


def enter_dual_level():
    """Enter a new forward-AD level (one at a time, as PyTorch); returns its index."""
    if _levels:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _levels.append(_Level(len(_levels)))
    return _levels[-1].index


def exit_dual_level(*, level=None):
    """Leave the current level: its dual tensors lose their tangents."""
    if not _levels or (level is not None and level != _levels[-1].index):
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    _levels.pop()


class dual_level:
    """``with dual_level():`` scopes the dual tensors made inside it."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def _alias(t):
    """A new tensor on ``t``'s data whose gradient passes straight to ``t`` (its own node, to be found again)."""
    out = make(t._data)
    return record(out, "AliasBackward0", lambda g: (g,), (t,))


def make_dual(tensor, tangent, *, level=None):
    """A tensor with ``tensor``'s values that carries ``tangent`` (same shape) in the current level."""
    if not _levels:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if not tensor.is_floating_point() and not tensor.is_complex():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    source = tensor if tensor.requires_grad else make(tensor._data).requires_grad_()
    with grad_mode.enable_grad():
        dual = _alias(source)
    _levels[-1].duals[id(dual.grad_fn)] = (weakref.ref(dual), tangent)
    return dual


def _reachable_duals(level, tensor):
    """The dual tensors of ``level`` that ``tensor`` was computed from, and their tangents."""
    found, seen, stack = [], set(), [tensor.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen or n in level.cuts:
            continue
        seen.add(id(n))
        entry = level.duals.get(id(n))
        if entry is not None and entry[0]() is not None:
            found.append((entry[0](), entry[1]))
            continue   # the dual's own tangent accounts for everything before it
        stack.extend(e for e in getattr(n, "next", ()) if e is not None and not isinstance(e, Tensor))
    return found


def _tangent(level, tensor):
    entry = level.duals.get(id(tensor.grad_fn))
    if entry is not None and entry[0]() is tensor:
        return entry[1]
    if tensor.grad_fn is None:
        return None
    duals = _reachable_duals(level, tensor)
    if not duals:
        return None
    from .engine import grad
    with grad_mode.enable_grad():
        u = make(np.zeros_like(tensor._data)).requires_grad_()
        gs = grad([tensor], [d for d, _ in duals], [u], create_graph=True, allow_unused=True)
        total = None
        for g, (_, t) in zip(gs, duals):
            if g is not None and g.requires_grad:
                term = (g * t).sum()
                total = term if total is None else total + term
        jt = None
        if total is not None:
            jt, = grad([total], [u], retain_graph=True, allow_unused=True)   # keep the forward graph for backward()
    return jt.detach() if jt is not None else make(np.zeros_like(tensor._data))


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)``: a view of the values without a tangent, and ``J t`` (None outside a level
    or for a tensor that depends on no dual)."""
    if not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    if not _levels:
        return UnpackedDualTensor(tensor, None)
    lv = _levels[-1]
    tangent = _tangent(lv, tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    with grad_mode.enable_grad():
        primal = _alias(tensor)
    lv.cuts.add(primal.grad_fn)
    return UnpackedDualTensor(primal, tangent)


def function_jvp(cls, ctx, args, outs):
    """For ``Function.apply``: when ``cls`` defines ``jvp`` but no ``backward`` and an input carries a
    tangent, the outputs become duals whose tangents ``cls.jvp(ctx, *input_tangents)`` gives."""
    if not _levels:
        return outs
    lv = _levels[-1]
    tangents = [(_tangent(lv, a) if isinstance(a, Tensor) and a._rg else None) for a in args]
    if all(t is None for t in tangents):
        return outs
    res = cls.jvp(ctx, *tangents)
    res = res if isinstance(res, tuple) else (res,)
    new = []
    for o, t in zip(outs, res):
        if isinstance(o, Tensor) and t is not None:
            o = make_dual(o, t)
        new.append(o)
    return tuple(new)
