"""``ember.fx`` (``torch.fx``): capture a module's ``forward`` as a graph, edit it, and run it again as Python.

* :func:`symbolic_trace` / :class:`Tracer` record a module or function as a :class:`Graph` of
  :class:`Node` (placeholder, get_attr, call_function, call_module, call_method, output);
* :class:`GraphModule` runs the Python code generated from a graph (``gm.code``; after editing
  ``gm.graph``, ``gm.recompile()``);
* :class:`Interpreter` runs a graph node by node, :class:`Transformer` rewrites it;
* :func:`replace_pattern` swaps every match of a small program for another;
  :mod:`ember.fx.passes.shape_prop` records shapes and dtypes.

Calls of ember's functions are recorded by patching them for the duration of a trace (PyTorch
uses ``__torch_function__``, which ember does not have); see :mod:`ember.fx._symbolic_trace`.

>>> import ember, ember.fx as fx
>>> gm = fx.symbolic_trace(lambda x: ember.relu(x) * 2)
>>> [n.op for n in gm.graph.nodes]
['placeholder', 'call_function', 'call_function', 'output']
"""
from . import passes  # noqa: F401
from . import subgraph_rewriter  # noqa: F401
from ._symbolic_trace import PH, Tracer, symbolic_trace, wrap  # noqa: F401
from .graph import Graph  # noqa: F401
from .graph_module import GraphModule  # noqa: F401
from .interpreter import Interpreter, Transformer  # noqa: F401
from .node import Node, map_arg  # noqa: F401
from .proxy import Proxy  # noqa: F401
from . import proxy  # noqa: F401
from .subgraph_rewriter import replace_pattern  # noqa: F401

__all__ = ["symbolic_trace", "Tracer", "wrap", "PH", "Graph", "GraphModule", "Node", "Proxy", "Interpreter",
           "Transformer", "replace_pattern", "map_arg"]
