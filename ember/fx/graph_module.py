"""``GraphModule``: an ``nn.Module`` whose ``forward`` is generated from a Graph, as ``torch.fx.GraphModule``.

``GraphModule(root, graph)`` copies from ``root`` (a module, or a dict of qualified name -> value)
exactly the submodules, parameters and buffers the graph's ``call_module`` and ``get_attr`` nodes
name, at the same paths, so its ``state_dict`` keys are the traced module's. ``forward`` is the
Python source :mod:`ember.fx.codegen` writes for the graph (``gm.code``), compiled; after editing
``gm.graph`` call ``gm.recompile()``.

Each GraphModule gets its own class (named after the traced module's), so that recompiling one
never changes another's ``forward``.

>>> import ember, ember.fx as fx
>>> gm = fx.symbolic_trace(ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.ReLU()))
>>> print(gm.code.strip())
def forward(self, input):
    input_1 = input
    _0 = getattr(self, "0")(input_1);  input_1 = None
    _1 = getattr(self, "1")(_0);  _0 = None
    return _1
"""
import copy

from ember.autograd.tensor import Tensor
from ember.nn import Module, Parameter

from .codegen import compile_forward
from .graph import Graph

__all__ = ["GraphModule"]


def _copy_attr(from_module, to_module, target):
    """Copy ``from_module.<target>`` (a dotted path) to the same path of ``to_module``."""
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(from_module, item)
        t = getattr(to_module, item, None)
        if f is t:
            return
        if t is None:
            t = Module()
            setattr(to_module, item, t)
        from_module, to_module = f, t
    _assign(to_module, field, getattr(from_module, field))


def _assign_attr(value, to_module, target):
    *prefix, field = target.split(".")
    for item in prefix:
        t = getattr(to_module, item, None)
        if t is None:
            t = Module()
            setattr(to_module, item, t)
        to_module = t
    _assign(to_module, field, value)


def _assign(module, field, value):
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        module.register_buffer(field, value)
    else:
        setattr(module, field, value)


class GraphModule(Module):
    """A module running the code generated from ``graph`` (see the module doc).

    Args:
        root: the module (or dict of qualified name -> module/tensor) the graph's targets refer to.
        graph: the :class:`~ember.fx.Graph`.
        class_name: the name ``repr`` and ``print_readable`` show.
    """

    def __new__(cls, *args, **kwargs):
        base = cls
        while base.__name__ == "GraphModuleImpl" or getattr(base, "_fx_per_instance", False):
            base = base.__bases__[0]

        class GraphModuleImpl(base):
            _fx_per_instance = True
        return super().__new__(GraphModuleImpl)

    def __init__(self, root, graph, class_name="GraphModule"):
        super().__init__()
        type(self).__name__ = class_name
        if isinstance(root, Module):
            self.training = root.training
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, node.target)
        elif isinstance(root, dict):
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    if node.target not in root:
                        raise RuntimeError(f"Node {node} referenced target {node.target} but that target was not "
                                           "provided in ``root``!")
                    _assign_attr(root[node.target], self, node.target)
        else:
            raise RuntimeError("Unsupported type " + str(root) + " passed for root!")
        self.meta = {}
        self._tracer_cls = graph._tracer_cls
        self.graph = graph

    @property
    def graph(self):
        """The :class:`~ember.fx.Graph`; assigning one regenerates ``forward``."""
        return self.__dict__["_graph"]

    @graph.setter
    def graph(self, g):
        if not isinstance(g, Graph):
            raise TypeError(f"GraphModule.graph must be an ember.fx.Graph, got {type(g).__name__}")
        self.__dict__["_graph"] = g
        g.owning_module = self
        self.recompile()

    @property
    def code(self):
        """The Python source of ``forward``."""
        return self.__dict__["_code"]

    def recompile(self):
        """Regenerate ``forward`` from ``self.graph`` (call it after editing the graph)."""
        python_code = self.graph.python_code(root_module="self")
        self.__dict__["_code"] = python_code.src
        type(self).forward = compile_forward(python_code)
        return python_code

    def print_readable(self, print_output=True):
        """The module as a class definition with its generated ``forward``."""
        lines = self.code.strip("\n").splitlines()
        # ember records no stack traces; torch prints this line when it has none.
        lines.insert(1, "    # No stacktrace found for following nodes")
        body = "\n".join("    " + line for line in lines)
        out = f"class {type(self).__name__}(torch.nn.Module):\n{body}\n"
        if print_output:
            print(out)
        return out

    def __str__(self):
        return "\n".join([super().__repr__(), self.code,
                          "# To see more debug info, please use `graph_module.print_readable()`"])

    def __deepcopy__(self, memo):
        fake = Module()
        fake.__dict__.update(copy.deepcopy({k: v for k, v in self.__dict__.items()}, memo))
        res = GraphModule(fake, fake.__dict__["_graph"], type(self).__name__)
        res.training = self.training
        res.meta = copy.copy(self.meta)
        return res

    def __copy__(self):
        res = GraphModule(self, self.graph, type(self).__name__)
        res.meta = copy.copy(self.meta)
        return res

    # -- editing submodules --------------------------------------------------------------------------
    def add_submodule(self, target, m):
        """Install module ``m`` at the dotted path ``target``, making empty parents as needed."""
        *prefix, field = target.split(".")
        mod = self
        for item in prefix:
            sub = getattr(mod, item, None)
            if sub is None:
                sub = Module()
                setattr(mod, item, sub)
            if not isinstance(sub, Module):
                return False
            mod = sub
        setattr(mod, field, m)
        return True

    def delete_submodule(self, target):
        """Remove the submodule at ``target``; False if there is none."""
        *path, name = target.split(".")
        mod = self
        for item in path:
            mod = getattr(mod, item, None)
            if not isinstance(mod, Module):
                return False
        if name not in mod._modules:
            return False
        delattr(mod, name)
        return True

    def delete_all_unused_submodules(self):
        """Remove every submodule no ``call_module`` / ``get_attr`` node reaches."""
        used = set()
        for node in self.graph.nodes:
            if node.op in ("call_module", "get_attr"):
                parts = node.target.split(".")
                used.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        for name, _ in list(self.named_modules()):
            if name and name not in used:
                self.delete_submodule(name)
