"""``ExportedProgram``: a traced, lifted graph with its weights, as ``torch.export.ExportedProgram``.

``graph_module`` takes the lifted parameters, buffers and constants first, then the user's inputs,
and returns a flat tuple (see :mod:`ember.export.graph_signature`). :meth:`ExportedProgram.module`
turns it back into a callable ``GraphModule`` with the original calling convention: weights are
its own attributes again (``state_dict`` keys as the exported module's), inputs are checked against
the shapes export allowed, and outputs have the original nesting.

>>> import ember
>>> ep = ember.export.export(ember.nn.Sequential(ember.nn.Linear(3, 2)), (ember.zeros(1, 3),))
>>> ep.graph_signature.parameters
('0.weight', '0.bias')
>>> tuple(ep.module()(ember.zeros(1, 3)).shape)
(1, 2)
"""
import copy

from ember.fx import Graph, GraphModule

from .dynamic_shapes import check_input_shape
from .graph_signature import InputKind

__all__ = ["ExportedProgram"]


def _rebuild(tree, leaf):
    kind, value = tree
    if kind in ("leaf", "tensor"):
        return leaf(value)
    if kind == "const":
        return value
    if kind == "dict":
        return {k: _rebuild(v, leaf) for k, v in value}
    items = [_rebuild(v, leaf) for v in value]
    return items if kind == "list" else tuple(items)


def _paths(tree, path=()):
    """(flat input name, access path) of each tensor in an input tree."""
    kind, value = tree
    if kind == "tensor":
        yield value, path
    elif kind == "dict":
        for k, v in value:
            yield from _paths(v, path + (k,))
    elif kind in ("list", "tuple"):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


class ExportedProgram:
    """The result of :func:`ember.export.export` (see the module doc)."""

    def __init__(self, graph_module, graph_signature, state_dict, constants, range_constraints, *, in_spec, out_spec,
                 input_dims, example_inputs=None, verifiers=None):
        self._graph_module = graph_module
        self._graph_signature = graph_signature
        self._state_dict = dict(state_dict)
        self._constants = dict(constants)
        self._range_constraints = dict(range_constraints)
        self._in_spec = in_spec
        self._out_spec = out_spec
        self._input_dims = dict(input_dims)
        self._example_inputs = example_inputs

    graph_module = property(lambda self: self._graph_module)
    graph = property(lambda self: self._graph_module.graph)
    graph_signature = property(lambda self: self._graph_signature)
    state_dict = property(lambda self: self._state_dict)
    constants = property(lambda self: self._constants)
    range_constraints = property(lambda self: self._range_constraints)
    example_inputs = property(lambda self: self._example_inputs)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Unable to call ExportedProgram directly. You should use `exported_program.module()` "
                           "instead.")

    def parameters(self):
        for name in self.graph_signature.parameters:
            yield self._state_dict[name]

    def named_parameters(self):
        for name in self.graph_signature.parameters:
            yield name, self._state_dict[name]

    def buffers(self):
        for _, b in self.named_buffers():
            yield b

    def named_buffers(self):
        for name in self.graph_signature.buffers:
            yield name, self._state_dict[name] if name in self._state_dict else self._constants[name]

    def module(self):
        """A ``GraphModule`` taking the original inputs and returning the original output structure."""
        g = Graph()
        env, root = {}, {}
        lifted = {s.arg.name: s for s in self.graph_signature.input_specs if s.kind != InputKind.USER_INPUT}
        placeholders = self.graph.find_nodes(op="placeholder")
        by_name = {n.name: n for n in placeholders}
        by_input = {n.target: n for n in placeholders}    # a user input's node may be renamed (input -> input_1)
        # The original arguments, then the tensors inside them, checked against the allowed shapes.
        for arg_name, tree in self._in_spec:
            # An argument fixed at export (a number, None) keeps its value as the default.
            ph = g.placeholder(arg_name, default_value=tree[1]) if tree[0] == "const" else g.placeholder(arg_name)
            for flat_name, path in _paths(tree):
                node = ph
                for key in path:
                    node = g.call_function(_getitem, (node, key))
                g.create_node("call_function", check_input_shape, (node, flat_name, self._input_dims[flat_name]),
                              name="_guards_fn")
                env[by_input[flat_name]] = node
        for name, spec in lifted.items():
            value = self._state_dict.get(spec.target, self._constants.get(spec.target))
            root[spec.target] = value
            env[by_name[name]] = g.get_attr(spec.target)
        out = None
        for node in self.graph.nodes:
            if node.op == "placeholder":
                continue
            if node.op == "output":
                out = node.args[0]
                break
            env[node] = g.node_copy(node, lambda n: env[n])
        flat = [env[v] if hasattr(v, "op") else v for v in out]
        g.output(_rebuild(self._out_spec, lambda i: flat[i]))
        for name, m in self._graph_module.named_modules():
            if name and any(n.op == "call_module" and n.target.split(".")[0] == name.split(".")[0] for n in g.nodes):
                root.setdefault(name, m)
        gm = GraphModule(root, g)
        for spec in lifted.values():
            if spec.kind == InputKind.BUFFER and not spec.persistent:
                # Back on the module, a non-persistent buffer stays out of its state_dict, as it was.
                prefix, _, field = spec.target.rpartition(".")
                gm.get_submodule(prefix)._non_persistent_buffers_set.add(field)
        gm.meta["in_spec"], gm.meta["out_spec"] = self._in_spec, self._out_spec
        # The training flags of the layers are baked into the graph: torch refuses to change them.
        gm.train = _unsupported("train")
        gm.eval = _unsupported("eval")
        return gm

    def run_decompositions(self, decomp_table=None, decompose_custom_triton_ops=False):
        """A new ExportedProgram with the same graph: ember's exported ops are already the ones it executes
        (it has no lower operator set to decompose to)."""
        return ExportedProgram(copy.deepcopy(self._graph_module), copy.deepcopy(self._graph_signature),
                               self._state_dict, self._constants, self._range_constraints, in_spec=self._in_spec,
                               out_spec=self._out_spec, input_dims=self._input_dims,
                               example_inputs=self._example_inputs)

    def __str__(self):
        code = "\n".join("    " + line for line in self._graph_module.print_readable(False).splitlines())
        return (f"ExportedProgram:\n{code}\nGraph signature: \n"
                + "\n".join("    " + line for line in str(self.graph_signature).splitlines())
                + f"\nRange constraints: {self.range_constraints}\n")

    __repr__ = __str__


def _unsupported(name):
    def method(*args, **kwargs):
        raise NotImplementedError(f"Calling {name}() is not supported yet.")
    return method


def _getitem(container, key):
    """``container[key]``: how ``module()`` reaches a tensor inside a list / dict argument."""
    return container[key]
