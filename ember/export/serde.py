"""``save`` / ``load`` of an :class:`ExportedProgram`: a zip of JSON and safetensors, never pickle.

The file (PyTorch's ``.pt2`` extension is customary) is a zip archive with

``program.json``
    the graph (one entry per node: name, op, target, args, kwargs), the graph signature, the
    input / output structure and the allowed input shapes; values are JSON data with tagged
    objects for what JSON lacks (``{"$node": "linear"}``, ``{"$tuple": [...]}``,
    ``{"$dtype": "float32"}``, ``{"$float": "inf"}`` ...);
``weights.safetensors``
    the parameters, buffers and constants (``state/<name>``, ``const/<name>``);
``extra/<name>``
    the ``extra_files`` given to :func:`save`.

:func:`load` rebuilds the graph node by node. A ``call_function`` target must be one of a fixed
list of ember tensor functions (``torch.nn.functional.linear``, ``operator.add`` ...), a
``call_method`` target a public Tensor method, names must be Python identifiers, arguments plain
data or earlier nodes. Anything else (an import path such as ``os.system``, a dunder, a
``call_module``) is refused with ``ValueError`` before any code is generated; nothing in the file
is unpickled or evaluated.

>>> import io, ember
>>> ep = ember.export.export(ember.nn.Sequential(ember.nn.Linear(3, 2)), (ember.zeros(1, 3),))
>>> buf = io.BytesIO(); ember.export.save(ep, buf); _ = buf.seek(0)
>>> tuple(ember.export.load(buf).module()(ember.zeros(1, 3)).shape)
(1, 2)
"""
import builtins
import json
import keyword
import math
import operator
import zipfile

import numpy as np

from ember.fx import Graph, GraphModule
from ember.fx.graph import _CUSTOM_BUILTINS, _torch_name, namespace_functions
from ember.fx.node import Node
from ember.io import safetensors

from .exported_program import ExportedProgram
from .graph_signature import (ConstantArgument, ExportGraphSignature, InputKind, InputSpec, OutputKind, OutputSpec,
                              TensorArgument)

__all__ = ["save", "load"]

FORMAT, VERSION = "ember.export", 1
_MAX_JSON_BYTES = 256 << 20

# The functions a loaded graph may call: ember's tensor ops, by module, minus global-state setters.
_ALLOWED_MODULES = ("ember.autograd.ops.", "ember.autograd.pointwise_api", "ember.creation", "ember.fft",
                    "ember.functional.", "ember.linalg", "ember.special", "ember.random",
                    "ember.nn.layers.mha_functional")
_DENIED_NAMES = {"manual_seed", "seed", "initial_seed", "set_rng_state", "get_rng_state", "fork_rng"}
_OPERATORS = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos", "invert", "abs",
              "getitem", "setitem", "eq", "ne", "lt", "le", "gt", "ge", "and_", "or_", "xor", "lshift", "rshift")
_DENIED_METHODS = {"backward", "register_hook", "register_post_accumulate_grad_hook", "apply_", "map_", "map2_",
                   "numpy", "tolist", "share_memory_", "storage", "untyped_storage", "pin_memory", "data_ptr",
                   "tofile", "retain_grad"}
_allowed = {}


def _allowed_functions():
    if not _allowed:
        for _, prefix, name, fn in namespace_functions():
            module = getattr(fn, "__module__", "") or ""
            if name.startswith("_") or name in _DENIED_NAMES or not module.startswith(_ALLOWED_MODULES):
                continue
            _allowed.setdefault(f"{prefix}.{name}", fn)
        for name in _OPERATORS:
            _allowed["operator." + name] = getattr(operator, name)
        _allowed["builtins.getattr"] = builtins.getattr
        from ._trace import assert_specialized
        _allowed["ember.export.assert_specialized"] = assert_specialized
    return _allowed


def _check_getattr_name(attr):
    from ember.autograd.tensor import Tensor
    if not isinstance(attr, str) or attr.startswith("_") or not attr.isidentifier() or not hasattr(Tensor, attr):
        raise ValueError(f"export.load: getattr of {attr!r} is not a public Tensor attribute")


# The operator methods a trace records for ``tensor <op> proxy`` (see ember.fx._symbolic_trace).
_OPERATOR_METHODS = {"__floordiv__", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__"}


def _check_method(name):
    from ember.autograd.tensor import Tensor
    if name in _OPERATOR_METHODS:
        return
    if not isinstance(name, str) or name.startswith("_") or not name.isidentifier() or name in _DENIED_METHODS \
            or not callable(getattr(Tensor, name, None)):
        raise ValueError(f"export.load: call_method {name!r} is not an allowed Tensor method")


def _check_name(name, what):
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"export.load: {what} {name!r} is not a Python identifier")


# -- values ------------------------------------------------------------------------------------------------
def _encode(a, where):
    from ember.backend.dtypes import dtype
    import ember
    if isinstance(a, Node):
        return {"$node": a.name}
    if a is None or isinstance(a, (bool, str)):
        return a
    if isinstance(a, int):
        return int(a)
    if isinstance(a, float):
        return a if math.isfinite(a) else {"$float": repr(a)}
    if isinstance(a, complex):
        return {"$complex": [_encode(a.real, where), _encode(a.imag, where)]}
    if a is Ellipsis:
        return {"$ellipsis": True}
    if isinstance(a, slice):
        return {"$slice": [_encode(a.start, where), _encode(a.stop, where), _encode(a.step, where)]}
    if isinstance(a, dtype):
        return {"$dtype": repr(a).rsplit(".", 1)[-1]}
    if isinstance(a, ember.device):
        return {"$device": str(a)}
    if isinstance(a, list):
        return {"$list": [_encode(e, where) for e in a]}
    if isinstance(a, tuple) and not hasattr(a, "_fields"):
        return {"$tuple": [_encode(e, where) for e in a]}
    if isinstance(a, dict):
        return {"$dict": [[_encode(k, where), _encode(v, where)] for k, v in a.items()]}
    raise ValueError(f"export.save: {where} holds a {type(a).__name__}, which an exported program file cannot store")


def _decode(a, nodes):
    import ember
    from ember.backend.dtypes import dtype
    if a is None or isinstance(a, (bool, int, float, str)):
        return a
    if isinstance(a, list):
        raise ValueError("export.load: an untagged JSON list in the graph")
    if not isinstance(a, dict) or len(a) != 1:
        raise ValueError(f"export.load: malformed value {a!r}")
    (tag, v), = a.items()
    if tag == "$node":
        if v not in nodes:
            raise ValueError(f"export.load: reference to {v!r}, which is not an earlier node")
        return nodes[v]
    if tag in ("$list", "$tuple", "$slice", "$complex", "$dict") and not isinstance(v, list):
        raise ValueError(f"export.load: {tag} needs a list")
    if tag == "$list":
        return [_decode(e, nodes) for e in v]
    if tag == "$tuple":
        return tuple(_decode(e, nodes) for e in v)
    if tag == "$dict":
        out = {}
        for pair in v:
            if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], (str, int)):
                raise ValueError("export.load: a $dict entry must be [str or int key, value]")
            out[pair[0]] = _decode(pair[1], nodes)
        return out
    if tag == "$slice" and len(v) == 3:
        return slice(*(_decode(e, nodes) for e in v))
    if tag == "$complex" and len(v) == 2:
        return complex(_decode(v[0], nodes), _decode(v[1], nodes))
    if tag == "$float" and v in ("inf", "-inf", "nan"):
        return float(v)
    if tag == "$ellipsis":
        return Ellipsis
    if tag == "$dtype" and isinstance(v, str) and isinstance(getattr(ember, v, None), dtype):
        return getattr(ember, v)
    if tag == "$device" and isinstance(v, str) and v.split(":")[0] in ("cpu", "cuda", "meta", "mps"):
        return ember.device(v)
    raise ValueError(f"export.load: unknown or malformed tagged value {a!r}")


def _tree_to_json(tree):
    kind, value = tree
    if kind in ("list", "tuple"):
        return [kind, [_tree_to_json(v) for v in value]]
    if kind == "dict":
        return [kind, [[k, _tree_to_json(v)] for k, v in value]]
    return [kind, _encode(value, "an input or output constant")]


def _tree_from_json(j):
    if not isinstance(j, list) or len(j) != 2 or not isinstance(j[0], str):
        raise ValueError(f"export.load: malformed structure {j!r}")
    kind, value = j
    if kind in ("list", "tuple") and isinstance(value, list):
        return (kind, [_tree_from_json(v) for v in value])
    if kind == "dict" and isinstance(value, list):
        return (kind, [(k, _tree_from_json(v)) for k, v in value])
    if kind == "tensor":
        _check_name(value, "input")
        return (kind, value)
    if kind == "leaf" and isinstance(value, int):
        return (kind, value)
    if kind == "const":
        return (kind, _decode(value, {}))
    raise ValueError(f"export.load: malformed structure {j!r}")


# -- save ------------------------------------------------------------------------------------------------
def _target_name(node):
    if node.op == "call_method":
        _check_method(node.target)
    if node.op in ("placeholder", "call_method", "output"):
        return node.target
    if node.op == "call_function":
        fn = node.target
        name = _torch_name(fn)
        if name is None and getattr(operator, getattr(fn, "__name__", ""), None) is fn:
            name = "operator." + fn.__name__
        if fn is builtins.getattr:
            name = "builtins.getattr"
        if getattr(fn, "__name__", None) == "assert_specialized" and fn is _allowed_functions().get(
                "ember.export.assert_specialized"):
            name = "ember.export.assert_specialized"
        if name is None or name not in _allowed_functions():
            raise ValueError(f"export.save: node {node.name} calls {fn!r}, which is not one of the ember ops an "
                             "exported program file may hold")
        return name
    raise ValueError(f"export.save: node {node.name} is {node.op} {node.target!r}; an exported program file holds "
                     "function calls only (ember.export could not rewrite that layer as functions)")


def save(ep, f, *, extra_files=None, opset_version=None, pickle_protocol=None):
    """Write ``ep`` to ``f`` (a path or a binary file object) in the format of the module doc."""
    if not isinstance(ep, ExportedProgram):
        raise TypeError(f"The 'ep' parameter must be an instance of 'ExportedProgram', got '{type(ep).__name__}' "
                        "instead.")
    nodes = [{"name": n.name, "op": n.op, "target": _target_name(n),
              "args": _encode(tuple(n.args), f"node {n.name}"), "kwargs": _encode(dict(n.kwargs), f"node {n.name}")}
             for n in ep.graph.nodes]
    sig = ep.graph_signature
    inputs = [{"kind": s.kind.name, "name": s.arg.name, "target": s.target, "persistent": s.persistent}
              for s in sig.input_specs]
    outputs = [{"kind": s.kind.name, "name": s.arg.name, "target": s.target,
                "value": _encode(s.arg.value, "an output") if isinstance(s.arg, ConstantArgument) else None}
               for s in sig.output_specs]
    tensors, params = {}, []
    for name, t in ep.state_dict.items():
        tensors["state/" + name] = np.ascontiguousarray(t.detach().numpy())
        if t.requires_grad:
            params.append(name)
    for name, t in ep.constants.items():
        tensors["const/" + name] = np.ascontiguousarray(t.detach().numpy())
    program = {"format": FORMAT, "version": VERSION, "nodes": nodes, "inputs": inputs, "outputs": outputs,
               "in_spec": [[name, _tree_to_json(tree)] for name, tree in ep._in_spec],
               "out_spec": _tree_to_json(ep._out_spec),
               "input_dims": {k: [d if isinstance(d, int) else list(d) for d in dims]
                              for k, dims in ep._input_dims.items()},
               "range_constraints": {k: list(v) for k, v in ep.range_constraints.items()},
               "requires_grad": params, "state_names": list(ep.state_dict), "constant_names": list(ep.constants)}
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("program.json", json.dumps(program))
        z.writestr("weights.safetensors", safetensors.save(tensors))
        for name, content in (extra_files or {}).items():
            z.writestr("extra/" + name, content)


# -- load ------------------------------------------------------------------------------------------------
def _read(z, name, limit=None):
    try:
        info = z.getinfo(name)
    except KeyError:
        raise ValueError(f"export.load: the file has no {name} (not an ember exported program)") from None
    if limit is not None and info.file_size > limit:
        raise ValueError(f"export.load: {name} is {info.file_size} bytes, over the {limit} byte limit")
    return z.read(name)


def _build_graph(nodes_json):
    if not isinstance(nodes_json, list):
        raise ValueError("export.load: 'nodes' must be a list")
    allowed = _allowed_functions()
    g, nodes = Graph(), {}
    for j in nodes_json:
        if not isinstance(j, dict) or set(j) != {"name", "op", "target", "args", "kwargs"}:
            raise ValueError(f"export.load: malformed node {j!r}")
        name, op, target = j["name"], j["op"], j["target"]
        _check_name(name, "node name")
        if op == "placeholder":
            _check_name(target, "placeholder")
        elif op == "call_function":
            if not isinstance(target, str) or target not in allowed:
                raise ValueError(f"export.load: node {name} calls {target!r}, which is not an allowed op")
            target = allowed[target]
        elif op == "call_method":
            _check_method(target)
        elif op != "output":
            raise ValueError(f"export.load: node {name} has op {op!r}; a program file holds placeholder, "
                             "call_function, call_method and output nodes only")
        args, kwargs = _decode(j["args"], nodes), _decode(j["kwargs"], nodes)
        if not isinstance(args, tuple) or not isinstance(kwargs, dict) or not all(isinstance(k, str) and
                                                                                   k.isidentifier() for k in kwargs):
            raise ValueError(f"export.load: node {name} needs a $tuple of args and a $dict of identifier kwargs")
        if target is builtins.getattr:
            if len(args) != 2 or kwargs:
                raise ValueError(f"export.load: node {name}: getattr takes (value, name)")
            _check_getattr_name(args[1])
        node = g.create_node(op, target, args, kwargs, name=None if op == "output" else name)
        if op == "placeholder" and node.name != name and name not in nodes and name not in _CUSTOM_BUILTINS:
            # An input named after a builtin (input), as export names it.
            g._namespace._used.add(name)
            node.name = name
        if op != "output" and node.name != name:
            raise ValueError(f"export.load: node name {name!r} is repeated or reserved")
        nodes[name] = node
    if not g.find_nodes(op="output"):
        raise ValueError("export.load: the graph has no output node")
    g.lint()
    return g, nodes


def load(f, *, extra_files=None, expected_opset_version=None):
    """Read an :class:`ExportedProgram` written by :func:`save` (see the module doc for what is checked)."""
    import ember
    from ember.nn import Parameter
    with zipfile.ZipFile(f, "r") as z:
        program = json.loads(_read(z, "program.json", _MAX_JSON_BYTES))
        weights = safetensors.load(_read(z, "weights.safetensors"))
        if extra_files is not None:
            for name in list(extra_files):
                extra_files[name] = _read(z, "extra/" + name).decode("utf-8")
    if not isinstance(program, dict) or program.get("format") != FORMAT or program.get("version") != VERSION:
        raise ValueError(f"export.load: not an {FORMAT} version {VERSION} file")
    try:
        return _program(program, weights)
    except (KeyError, TypeError, IndexError, AttributeError) as e:
        raise ValueError(f"export.load: malformed program file ({type(e).__name__}: {e})") from None


def _program(program, weights):
    import ember
    from ember.nn import Parameter
    graph, nodes = _build_graph(program["nodes"])
    requires_grad = set(program["requires_grad"])
    expected = {"state/" + n for n in program["state_names"]} | {"const/" + n for n in program["constant_names"]}
    if set(weights) != expected:
        raise ValueError(f"export.load: the weights hold {sorted(weights)}, the program names {sorted(expected)}")
    # In the program's order (safetensors stores tensors by size).
    state = {n: ember.tensor(weights["state/" + n]) for n in program["state_names"]}
    state = {n: Parameter(t, requires_grad=True) if n in requires_grad else t for n, t in state.items()}
    constants = {n: ember.tensor(weights["const/" + n]) for n in program["constant_names"]}
    input_specs = []
    for s in program["inputs"]:
        kind = InputKind[s["kind"]]
        _check_name(s["name"], "input")
        if s["name"] not in nodes or nodes[s["name"]].op != "placeholder":
            raise ValueError(f"export.load: input {s['name']!r} is not a placeholder of the graph")
        if kind != InputKind.USER_INPUT and s["target"] not in state and s["target"] not in constants:
            raise ValueError(f"export.load: input {s['name']} reads {s['target']!r}, which the file has no tensor for")
        input_specs.append(InputSpec(kind, TensorArgument(s["name"]), s["target"], s["persistent"]))
    output_specs = [OutputSpec(OutputKind[s["kind"]], TensorArgument(s["name"]) if s["value"] is None and s["name"]
                               else ConstantArgument(s["name"], _decode(s["value"], {})), s["target"])
                    for s in program["outputs"]]
    in_spec = [(name, _tree_from_json(tree)) for name, tree in program["in_spec"]]
    for name, _ in in_spec:
        _check_name(name, "argument")
    input_dims = {}
    for k, dims in program["input_dims"].items():
        _check_name(k, "input")
        input_dims[k] = tuple(d if isinstance(d, int) else (int(d[0]), None if d[1] is None else int(d[1]))
                              for d in dims)
    gm = GraphModule({}, graph)
    return ExportedProgram(gm, ExportGraphSignature(input_specs, output_specs), state, constants,
                           {k: tuple(v) for k, v in program["range_constraints"].items()}, in_spec=in_spec,
                           out_spec=_tree_from_json(program["out_spec"]), input_dims=input_dims)
