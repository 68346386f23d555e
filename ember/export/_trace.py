"""``export()``: trace a module into an :class:`ExportedProgram`, as ``torch.export.export``.

1. The module's ``forward`` is traced symbolically by :mod:`ember.fx` with one placeholder per
   tensor of the example inputs (``x``; ``xs_0``, ``xs_1`` for a list); other example values are
   fixed into the program, as PyTorch specializes them.
2. ember's built-in layers become the functional calls their ``forward`` makes
   (:mod:`ember.export._modules`), so the graph holds functions only.
3. Every parameter, buffer and tensor constant is *lifted* to an input (``p_fc_weight``,
   ``b_bn_running_mean``, ``c_...``) before the user's inputs; the outputs are flattened to a tuple.

The example inputs are run through the program once and compared with the eager module, so a
trace that does not reproduce ``forward`` fails at export time, not later.
"""
import inspect
import operator

import ember
from ember.autograd.tensor import Tensor
from ember.fx import GraphModule, Tracer
from ember.fx.graph import _CUSTOM_BUILTINS
from ember.fx.node import Node, map_arg
from ember.nn import Module

from ._modules import builder_for
from .dynamic_shapes import UserError, dims_for
from .exported_program import ExportedProgram
from .graph_signature import (ConstantArgument, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec,
                              TensorArgument)

__all__ = ["export"]


# What a tensor's metadata gives without reading its values: a branch on these is on sizes, not data.
_META_ATTRS = {"shape", "ndim", "dtype", "device", "is_cuda", "requires_grad", "layout", "is_sparse"}
_META_METHODS = {"size", "dim", "numel", "ndimension", "nelement", "get_device", "is_floating_point", "is_complex",
                 "is_contiguous"}


def assert_specialized(value, expected, message):
    """A guard ``export`` records where ``forward`` branched on a size: the value must be what it was."""
    if type(expected)(value) != expected:
        raise AssertionError(message)


assert_specialized._fx_impure = True
assert_specialized._fx_global_name = "_assert_specialized"


class _ExportTracer(Tracer):
    """Leaves are the layers :mod:`._modules` can rewrite (and ember's others); inputs come from the examples.

    Python control flow on sizes (``if x.size(1) != 4``, ``int(x.shape[0])``) takes the example's value,
    as torch.export specializes, and records :func:`assert_specialized` so that ``module()`` refuses
    inputs that would have branched differently. Control flow on tensor values is refused."""

    def __init__(self, example_values, flat_inputs):
        super().__init__()
        self._examples = example_values
        self._flat_inputs = flat_inputs
        self._values = {}
        self._data = {}

    def is_leaf_module(self, m, module_qualified_name):
        return builder_for(m) is not None or super().is_leaf_module(m, module_qualified_name)

    def _args_for_root(self, fn, is_module, concrete_args):
        return [self._build(tree) for _, tree in self._examples]

    def _build(self, tree):
        kind, value = tree
        if kind == "tensor":
            proxy = self.create_proxy("placeholder", value, (), {})
            self._values[proxy.node] = self._flat_inputs[value]
            return proxy
        if kind == "const":
            return value
        if kind == "dict":
            return {k: self._build(v) for k, v in value}
        items = [self._build(v) for v in value]
        return items if kind == "list" else tuple(items)

    # -- specialization ----------------------------------------------------------------------------------
    def to_bool(self, obj):
        return self._specialize(obj, bool)

    def to_python(self, obj, kind):
        return self._specialize(obj, int if kind is operator.index else kind)

    def _specialize(self, proxy, kind):
        node = proxy.node
        if self._reads_data(node):
            raise UserError(f"export: forward uses the value of a tensor ({node.format_node()}) in Python control "
                            "flow or as a number (data-dependent control flow); export cannot trace that "
                            "(torch.export raises GuardOnDataDependentSymNode here). Use torch.cond, or move it out "
                            "of forward.")
        value = kind(self._evaluate(node))
        message = f"Guard failed: {node.name} was {value!r} when the program was exported"
        self.create_proxy("call_function", assert_specialized, (proxy, value, message), {})
        return value

    def _reads_data(self, node):
        if node not in self._data:
            if node.op in ("placeholder", "get_attr"):
                self._data[node] = True
            elif node.op == "call_function" and node.target is getattr and node.args[1] in _META_ATTRS:
                self._data[node] = False
            elif node.op == "call_method" and node.target in _META_METHODS:
                self._data[node] = False
            else:
                self._data[node] = any(self._reads_data(n) for n in node.all_input_nodes)
        return self._data[node]

    def _evaluate(self, node):
        """The example value of ``node``: its ancestors run on the example inputs (once each)."""
        needed, stack = set(), [node]
        while stack:
            n = stack.pop()
            if n not in needed and n not in self._values:
                needed.add(n)
                stack.extend(n.all_input_nodes)
        load = lambda n: self._values[n]  # noqa: E731
        with ember.no_grad():
            for n in self.graph.nodes:
                if n not in needed:
                    continue
                args, kwargs = map_arg(n.args, load), map_arg(n.kwargs, load)
                if n.op == "get_attr":
                    value = _fetch(self.root, n.target)
                elif n.op == "call_function":
                    value = n.target(*args, **kwargs)
                elif n.op == "call_method":
                    value = getattr(args[0], n.target)(*args[1:], **kwargs)
                else:   # call_module: its forward, past the trace's patched Module.__call__
                    value = self.root.get_submodule(n.target).forward(*args, **kwargs)
                self._values[n] = value
        return self._values[node]


def _input_tree(value, name, flat, dynamic, where):
    """``value`` as a tree of ("tensor", flat_name) / ("const", v) / containers; fills ``flat``."""
    if isinstance(value, Tensor):
        flat.append((name, value, dims_for(value, dynamic, where)))
        return ("tensor", name)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        subs = dynamic if isinstance(dynamic, (list, tuple)) and len(dynamic) == len(value) else [None] * len(value)
        kind = "list" if isinstance(value, list) else "tuple"
        return (kind, [_input_tree(v, f"{name}_{i}", flat, subs[i], f"{where}[{i}]") for i, v in enumerate(value)])
    if isinstance(value, dict):
        subs = dynamic if isinstance(dynamic, dict) else {}
        return ("dict", [(k, _input_tree(v, f"{name}_{k}", flat, subs.get(k), f"{where}[{k!r}]"))
                         for k, v in value.items()])
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("const", value)
    raise UserError(f"export: input {where} of type {type(value).__name__} is not supported (tensors, numbers, "
                    "strings, None and lists / tuples / dicts of them are)")


def _bind(mod, args, kwargs, dynamic_shapes):
    sig = inspect.signature(type(mod).forward)
    bound = sig.bind(mod, *args, **kwargs)
    names = [n for n in bound.arguments if n != next(iter(sig.parameters))]
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) and p.name in names:
            raise UserError(f"export: {type(mod).__name__}.forward's argument {p.name} is *args, **kwargs or "
                            "keyword-only; ember.export traces named positional arguments")
    if dynamic_shapes is None:
        dyn = {}
    elif isinstance(dynamic_shapes, dict):
        if set(dynamic_shapes) - set(names):
            raise UserError(f"When `dynamic_shapes` is specified as a dict, its top-level keys must be the arg names "
                            f"{names} of `inputs`, but here they are {list(dynamic_shapes)}. Alternatively, you could "
                            "also ignore arg names entirely and specify `dynamic_shapes` as a list/tuple matching "
                            "`inputs`.")
        dyn = dict(dynamic_shapes)
    elif isinstance(dynamic_shapes, (list, tuple)):
        if len(dynamic_shapes) != len(names):
            raise UserError(f"dynamic_shapes has {len(dynamic_shapes)} entries for {len(names)} inputs {names}")
        dyn = dict(zip(names, dynamic_shapes))
    else:
        raise UserError(f"dynamic_shapes must be a dict, tuple or list, got {type(dynamic_shapes).__name__}")
    # Arguments not given keep their defaults, fixed in the program.
    examples, flat = [], []
    for p in list(sig.parameters.values())[1:]:
        if p.name in bound.arguments:
            examples.append((p.name, _input_tree(bound.arguments[p.name], p.name, flat, dyn.get(p.name), p.name)))
        elif p.default is not inspect.Parameter.empty:
            examples.append((p.name, ("const", p.default)))
    return examples, flat


def _decompose_layers(gm_graph, root):
    for node in list(gm_graph.nodes):
        if node.op != "call_module":
            continue
        m = root.get_submodule(node.target)
        build = builder_for(m)
        if build is None:
            continue
        prefix = node.target + "."

        def attr(name, m=m, prefix=prefix):
            if getattr(m, name, None) is None:
                return None
            return gm_graph.get_attr(prefix + name)
        with gm_graph.inserting_before(node):
            new = build(gm_graph, m, attr, node.args, node.kwargs)
        node.replace_all_uses_with(new)
        gm_graph.erase_node(node)


def _fetch(root, target):
    obj = root
    for atom in target.split("."):
        obj = getattr(obj, atom)
    return obj


def _flatten_output(value, leaves):
    if isinstance(value, Node) or isinstance(value, Tensor):
        leaves.append(value)
        return ("leaf", len(leaves) - 1)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return ("list" if isinstance(value, list) else "tuple", [_flatten_output(v, leaves) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, _flatten_output(v, leaves)) for k, v in value.items()])
    return ("const", value)


def _lift(graph, root):
    """Turn get_attr nodes into leading placeholders; returns the input specs and the lifted tensors."""
    params = {id(p): n for n, p in root.named_parameters()}
    persistent = dict(root.state_dict(keep_vars=True))
    buffers = {id(b): n for n, b in root.named_buffers()}
    uses = {}
    for node in graph.find_nodes(op="get_attr"):
        uses.setdefault(node.target, []).append(node)
    first = next(iter(graph.nodes), None)
    specs, state, constants, lifted = [], {}, {}, {}
    with graph.inserting_before(first):
        for name, p in root.named_parameters():
            ph = graph.placeholder("p_" + name.replace(".", "_"))
            specs.append(InputSpec(InputKind.PARAMETER, TensorArgument(ph.name), name))
            state[name] = p
            lifted[id(p)] = ph
        for name, b in root.named_buffers():
            keep = name in persistent
            ph = graph.placeholder("b_" + name.replace(".", "_"))
            specs.append(InputSpec(InputKind.BUFFER, TensorArgument(ph.name), name, persistent=keep))
            (state if keep else constants)[name] = b
            lifted[id(b)] = ph
        for target, nodes in uses.items():
            value = _fetch(root, target)
            if not isinstance(value, Tensor):
                raise UserError(f"export: the program reads {target}, a {type(value).__name__}; only tensors can "
                                "be lifted to inputs")
            if id(value) not in lifted:
                ph = graph.placeholder("c_" + target.replace(".", "_"))
                specs.append(InputSpec(InputKind.CONSTANT_TENSOR, TensorArgument(ph.name), target))
                constants[target] = value
                lifted[id(value)] = ph
    for target, nodes in uses.items():
        ph = lifted[id(_fetch(root, target))]
        for node in nodes:
            node.replace_all_uses_with(ph)
            graph.erase_node(node)
    return specs, state, constants


def export(mod, args=(), kwargs=None, *, dynamic_shapes=None, strict=False, preserve_module_call_signature=()):
    """Trace ``mod`` on example inputs into an :class:`~ember.export.ExportedProgram` (see the module doc).

    Args:
        mod: the ``nn.Module`` to export.
        args, kwargs: example inputs (tuple and dict).
        dynamic_shapes: which input sizes may vary (:class:`~ember.export.Dim`); others are fixed.
    """
    if not isinstance(mod, Module):
        raise ValueError(f"Expected `mod` to be an instance of `torch.nn.Module`, got {type(mod)}.")
    if not isinstance(args, tuple):
        raise UserError(f"Expecting `args` to be a tuple of example positional inputs, got {type(args)}")
    kwargs = {} if kwargs is None else kwargs
    examples, flat = _bind(mod, args, kwargs, dynamic_shapes)
    tracer = _ExportTracer(examples, {name: value for name, value, _ in flat})
    graph = tracer.trace(mod)
    root = tracer.root
    _decompose_layers(graph, root)
    for n in graph.find_nodes(op="placeholder"):
        # torch.export names an input after its argument even when that is a builtin's name (input).
        if n.name != n.target and n.target not in _CUSTOM_BUILTINS and all(m.name != n.target for m in graph.nodes):
            graph._namespace._used.add(n.target)
            n.name = n.target
    user_specs = [InputSpec(InputKind.USER_INPUT, TensorArgument(n.name), None) for n in graph.find_nodes(
        op="placeholder")]
    output = graph.find_nodes(op="output")[0]
    leaves = []
    out_spec = _flatten_output(output.args[0], leaves)
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, Tensor):
            # forward returned a tensor it did not compute (a parameter ...): read it from the module.
            leaves[i] = tracer.create_arg(leaf)
    output.args = (tuple(leaves),)
    output.type = None   # forward's return annotation is not the flat tuple's
    specs, state, constants = _lift(graph, root)
    out_specs = [OutputSpec(OutputKind.USER_OUTPUT, TensorArgument(v.name) if isinstance(v, Node) else
                            ConstantArgument("", v), None) for v in leaves]
    graph.lint()
    gm = GraphModule(root, graph)
    signature = ExportGraphSignature(specs + user_specs, out_specs)
    range_constraints = {f"{name}.size()[{i}]": r for name, _, dims in flat for i, r in enumerate(dims)
                         if not isinstance(r, int)}
    ep = ExportedProgram(gm, signature, state, constants, range_constraints,
                         in_spec=examples, out_spec=out_spec, input_dims={n: d for n, _, d in flat},
                         example_inputs=(args, kwargs))
    _check_against_eager(ep, mod, args, kwargs)
    return ep


def _check_against_eager(ep, mod, args, kwargs):
    """Run the program on the example inputs; it must give the eager outputs (else the trace is wrong)."""
    from ember.fx.node import map_aggregate
    if any(getattr(m, "training", False) for m in mod.modules()):
        return   # training-mode layers (dropout, batch-norm statistics) change state or draw random numbers
    with ember.no_grad():
        expected = mod(*args, **kwargs)
        got = ep.module()(*args, **kwargs)
    flat_e, flat_g = [], []
    map_aggregate(expected, flat_e.append)
    map_aggregate(got, flat_g.append)
    ok = len(flat_e) == len(flat_g) and all(
        (a.shape == b.shape and bool(ember.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)))
        if isinstance(a, Tensor) and isinstance(b, Tensor) else a == b for a, b in zip(flat_e, flat_g))
    if not ok:
        raise RuntimeError(f"export: the traced program of {type(mod).__name__} does not reproduce its forward on "
                           "the example inputs (it depends on something symbolic tracing cannot see)")


