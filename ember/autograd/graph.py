"""``ember.autograd.graph``: PyTorch's names for the backward graph's nodes and edges.

``Node`` is the abstract type every ``grad_fn`` is an instance of, as ``torch.autograd.graph.Node``
is (ember's nodes, the ``AccumulateGrad`` stand-ins of leaves in ``next_functions``, and custom
``Function`` nodes all pass ``isinstance``); ``get_gradient_edge(t)`` is the edge a gradient of
``t`` flows into (its ``grad_fn`` and output index, or a leaf's ``AccumulateGrad``);
``increment_version`` bumps a tensor's version counter as an in-place op would;
``register_multi_grad_hook`` calls one hook with the gradients of several tensors. The saved-tensor hooks
(``saved_tensors_hooks``, ``save_on_cpu`` ...) live in :mod:`ember.autograd.saved_hooks`.

>>> import ember
>>> from ember.autograd.graph import Node, get_gradient_edge
>>> x = ember.ones(2, requires_grad=True)
>>> y = x * 2
>>> isinstance(y.grad_fn, Node), get_gradient_edge(y).node.name()
(True, 'MulBackward0')
"""
import abc
from typing import NamedTuple

from . import node as _node
from .saved_hooks import (saved_tensors_hooks, disable_saved_tensors_hooks, save_on_cpu,  # noqa: F401
                          allow_mutation_on_saved_tensors)

__all__ = ["Node", "GradientEdge", "get_gradient_edge", "increment_version", "register_multi_grad_hook",
           "saved_tensors_hooks", "disable_saved_tensors_hooks", "save_on_cpu", "allow_mutation_on_saved_tensors"]


class Node(abc.ABC):
    """The type of ``grad_fn`` objects: ``name()``, ``next_functions``, ``metadata``,
    ``register_hook`` and ``register_prehook``."""

    @classmethod
    def __subclasshook__(cls, subclass):
        if cls is Node and issubclass(subclass, (_node.Node, _node.AccumulateGrad)):
            return True
        return NotImplemented


class GradientEdge(NamedTuple):
    """The input ``output_nr`` of ``node``: where a gradient goes."""
    node: object
    output_nr: int
    ownership_token: object = None


def get_gradient_edge(tensor):
    """The edge a gradient of ``tensor`` flows into; PyTorch's RuntimeError for a tensor without one."""
    if tensor.grad_fn is not None:
        return GradientEdge(tensor.grad_fn, tensor._out_idx)
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require "
                           "gradients")
    return GradientEdge(_node.AccumulateGrad.of(tensor), 0)


def increment_version(tensor):
    """Bump the version counter of ``tensor`` (or of each tensor in an iterable), as an in-place op does."""
    for t in (tensor if isinstance(tensor, (list, tuple)) else (tensor,)):
        t._bump()


class _MultiHandle:
    """Removes the hooks ``register_multi_grad_hook`` put on each tensor."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Call ``fn`` once per backward pass with the gradients of ``tensors``.

    ``mode="all"``: ``fn(grads)`` after every tensor that gets a gradient in this pass has it, with ``None``
    for the others. ``mode="any"``: ``fn(grad)`` with the first of their gradients computed in the pass.

    >>> import ember
    >>> a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    >>> h = register_multi_grad_hook((a, b), lambda gs: print([g is not None for g in gs]))
    >>> (a * 2).sum().backward()
    [True, False]
    """
    from .engine import passes
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state = {"pass": None}   # the pass the gradients below belong to (kept alive, so never confused)

    def inner(i):
        def hook(grad):
            current = passes[-1] if passes else None
            if mode == "any":
                if state["pass"] is not current:
                    state["pass"] = current
                    fn(grad)
                return None
            if state["pass"] is not current:
                state.update(grads=[None] * len(tensors), got=0, needed=sum(
                    1 for t in tensors if t.requires_grad and (current is None or current.will_get_grad(t))))
                state["pass"] = current
            state["grads"][i] = grad
            state["got"] += 1
            if state["got"] == state["needed"]:
                fn(tuple(state["grads"]))
            return None
        return hook
    return _MultiHandle(tuple(t.register_hook(inner(i)) for i, t in enumerate(tensors) if t.requires_grad))
