"""``ember.autograd.graph``: PyTorch's names for the backward graph's nodes and edges.

``Node`` is the abstract type every ``grad_fn`` is an instance of, as ``torch.autograd.graph.Node``
is (ember's nodes, the ``AccumulateGrad`` stand-ins of leaves in ``next_functions``, and custom
``Function`` nodes all pass ``isinstance``); ``get_gradient_edge(t)`` is the edge a gradient of
``t`` flows into (its ``grad_fn`` and output index, or a leaf's ``AccumulateGrad``);
``increment_version`` bumps a tensor's version counter as an in-place op would.

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

__all__ = ["Node", "GradientEdge", "get_gradient_edge", "increment_version"]


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
    return GradientEdge(_node.AccumulateGrad(tensor), 0)


def increment_version(tensor):
    """Bump the version counter of ``tensor`` (or of each tensor in an iterable), as an in-place op does."""
    for t in (tensor if isinstance(tensor, (list, tuple)) else (tensor,)):
        t._bump()
