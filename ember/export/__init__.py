"""``ember.export`` (``torch.export``): trace a module once into a program of function calls, run it, save it.

* :func:`export` traces a module on example inputs into an :class:`ExportedProgram`: a graph whose
  inputs are the module's parameters and buffers (lifted) and the user's tensors, with a
  :class:`~ember.export.graph_signature.ExportGraphSignature` naming each one;
* ``ep.module()`` is a callable module giving the original module's outputs (and gradients);
* :class:`Dim` and ``dynamic_shapes`` say which input sizes may vary;
* :func:`save` / :func:`load` write and read a program as a zip of JSON (the graph) and
  safetensors (the weights). Loading rebuilds the graph from a fixed list of allowed ops; it never
  unpickles or executes anything from the file.

>>> import ember
>>> m = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.ReLU())
>>> ep = ember.export.export(m, (ember.randn(4, 3),))
>>> [n.name for n in ep.graph.nodes]
['p_0_weight', 'p_0_bias', 'input', 'linear', 'relu', 'output']
"""
from ._trace import export  # noqa: F401
from .dynamic_shapes import Dim, UserError  # noqa: F401
from .exported_program import ExportedProgram  # noqa: F401
from .graph_signature import ExportGraphSignature  # noqa: F401
from . import graph_signature  # noqa: F401
from .serde import load, save  # noqa: F401

__all__ = ["export", "ExportedProgram", "ExportGraphSignature", "Dim", "save", "load", "UserError",
           "register_dataclass"]


def register_dataclass(cls, *, serialized_type_name=None):
    """Register the dataclass ``cls`` as a pytree node (its fields are its children), as
    ``torch.export.register_dataclass`` does through ``torch.utils._pytree``."""
    from ember.utils import _pytree
    _pytree.register_dataclass(cls, serialized_type_name=serialized_type_name)
