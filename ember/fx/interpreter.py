"""``Interpreter`` and ``Transformer``: run or rewrite a GraphModule node by node, as ``torch.fx``.

:class:`Interpreter` executes the graph one node at a time: ``run_node`` fetches the node's
arguments from the values computed so far and calls the method named after its op
(``placeholder``, ``get_attr``, ``call_function``, ``call_method``, ``call_module``, ``output``).
Override any of them to observe or change execution.

:class:`Transformer` runs the same methods with :class:`~ember.fx.Proxy` values, so each call
records a node in a new graph: overriding ``call_function`` to call another function rewrites
the program. ``transform()`` returns the new :class:`~ember.fx.GraphModule`.

>>> import ember, ember.fx as fx
>>> def f(x):
...     return ember.relu(x) + 1
>>> class Swap(fx.Transformer):
...     def call_function(self, target, args, kwargs):
...         return super().call_function(ember.sigmoid if target == ember.relu else target, args, kwargs)
>>> gm = Swap(fx.symbolic_trace(f)).transform()
>>> float(gm(ember.zeros(1))[0])
1.5
"""
from .graph import Graph
from .graph_module import GraphModule
from .node import map_aggregate, map_arg
from .proxy import Proxy, TracerBase

__all__ = ["Interpreter", "Transformer"]


def _fetch_attr(module, target):
    obj = module
    for i, atom in enumerate(target.split(".")):
        if not hasattr(obj, atom):
            raise RuntimeError(f"Node referenced nonexistent target {'.'.join(target.split('.')[:i + 1])}")
        obj = getattr(obj, atom)
    return obj


class Interpreter:
    """Runs ``module.graph`` node by node (see the module doc).

    Args:
        module: the GraphModule (or module with a ``graph``) to run.
        garbage_collect_values: drop each value after its last use.
        graph: run this graph instead of ``module.graph``.
    """

    def __init__(self, module, garbage_collect_values=True, graph=None):
        self.module = module
        self.submodules = dict(module.named_modules())
        self.graph = graph if graph is not None else module.graph
        self.env = {}
        self.garbage_collect_values = garbage_collect_values
        self.extra_traceback = True
        self.user_to_last_uses = {}
        if garbage_collect_values:
            seen = set()
            for node in reversed(self.graph.nodes):
                for n in node.all_input_nodes:
                    if n not in seen:
                        seen.add(n)
                        self.user_to_last_uses.setdefault(node, []).append(n)

    def run(self, *args, initial_env=None, enable_io_processing=True):
        """Run the graph on ``args`` (one per placeholder) and return the output value."""
        self.env = dict(initial_env) if initial_env is not None else {}
        self.args_iter = iter(args)
        for node in self.graph.nodes:
            if node in self.env:
                continue
            try:
                self.env[node] = self.run_node(node)
            except Exception as e:
                if self.extra_traceback and not getattr(e, "_fx_noted", False):
                    msg = f"While executing {node.format_node()}"
                    if hasattr(e, "add_note"):
                        e.add_note(msg)
                    e._fx_noted = True
                raise
            if self.garbage_collect_values:
                for to_delete in self.user_to_last_uses.get(node, []):
                    del self.env[to_delete]
            if node.op == "output":
                return self.env[node]
        return None

    def run_node(self, n):
        """Run one node: fetch its arguments, call the method named after ``n.op``."""
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        return getattr(self, n.op)(n.target, args, kwargs)

    # -- one method per op ---------------------------------------------------------------------------
    def placeholder(self, target, args, kwargs):
        if target.startswith("*"):
            return list(self.args_iter)
        try:
            return next(self.args_iter)
        except StopIteration:
            if args:
                return args[0]
            raise RuntimeError(f"Expected positional argument for parameter {target}, but one was not passed in!")

    def get_attr(self, target, args, kwargs):
        return self.fetch_attr(target)

    def call_function(self, target, args, kwargs):
        return target(*args, **kwargs)

    def call_method(self, target, args, kwargs):
        self_obj, *rest = args
        return getattr(self_obj, target)(*rest, **kwargs)

    def call_module(self, target, args, kwargs):
        return self.fetch_attr(target)(*args, **kwargs)

    def output(self, target, args, kwargs):
        return args[0]

    # -- helpers -----------------------------------------------------------------------------------------
    def fetch_attr(self, target):
        """The module attribute at the dotted path ``target``."""
        return _fetch_attr(self.module, target)

    def fetch_args_kwargs_from_env(self, n):
        return self.map_nodes_to_values(n.args, n), self.map_nodes_to_values(n.kwargs, n)

    def map_nodes_to_values(self, args, n):
        def load(n_arg):
            if n_arg not in self.env:
                raise RuntimeError(f"Node {n} referenced nonexistent value {n_arg}! Run Graph.lint() to diagnose "
                                   "such issues")
            return self.env[n_arg]
        return map_arg(args, load)


class _TransformerTracer(TracerBase):
    def __init__(self, graph):
        self.graph = graph

    def _create_other_arg(self, a):
        from ember.autograd.tensor import Tensor
        if isinstance(a, Tensor):
            raise NotImplementedError("Transformer: a tensor value cannot be an argument of the new graph; "
                                      "put it on the module and read it with get_attr")
        return super()._create_other_arg(a)


class Transformer(Interpreter):
    """Rebuilds the graph through the Interpreter methods (see the module doc)."""

    def __init__(self, module):
        super().__init__(module, garbage_collect_values=False)
        self.new_graph = Graph()
        self.tracer = _TransformerTracer(self.new_graph)
        self.tracer.root = module

    def placeholder(self, target, args, kwargs):
        default = args[0] if args else None
        node = self.new_graph.placeholder(target, default_value=default) if args else \
            self.new_graph.placeholder(target)
        return Proxy(node, self.tracer)

    def get_attr(self, target, args, kwargs):
        return self.tracer.create_proxy("get_attr", target, args, kwargs)

    def call_module(self, target, args, kwargs):
        return self.tracer.create_proxy("call_module", target, args, kwargs)

    def call_function(self, target, args, kwargs):
        return self.tracer.create_proxy("call_function", target, args, kwargs)

    def call_method(self, target, args, kwargs):
        return self.tracer.create_proxy("call_method", target, args, kwargs)

    def run_node(self, n):
        # A Proxy value keeps the source node's metadata on its new node.
        result = super().run_node(n)
        if isinstance(result, Proxy) and n.op != "output":
            for k, v in n.meta.items():
                result.node.meta.setdefault(k, v)
        return result

    def transform(self):
        """The new GraphModule: the graph the overridden methods recorded, over the same module."""
        from ._symbolic_trace import _Patcher, _user_namespaces, patch_ember_functions
        patcher = _Patcher()
        try:
            # Overrides call ember functions on proxies (torch.sigmoid(*args)): record them.
            patch_ember_functions(patcher, *_user_namespaces(self.module))
            result = super().run(enable_io_processing=False)
        finally:
            patcher.restore()
        if result is not None:
            self.new_graph.output(map_aggregate(result, lambda x: x.node if isinstance(x, Proxy) else x))
        return GraphModule(self.module, self.new_graph)
