"""``ember.onnx.load``: an ONNX model as an ember ``nn.Module`` that runs and fine-tunes.

The graph's float initializers become :class:`ember.nn.Parameter` s (so ``loss.backward()``
reaches them and an optimizer updates them); other initializers (integer shapes, indices) become
buffers. ``forward`` evaluates the nodes in the file's order, which ONNX requires to be
topological, each with the ember op of the same meaning (``ember.onnx.ops.OPS``). An op ember does
not implement raises ``NotImplementedError`` naming the op and the node, at load time.

>>> import ember, ember.onnx, onnx
>>> from onnx import helper, TensorProto
>>> g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
>>> m = ember.onnx.load(helper.make_model(g))
>>> m(ember.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""
import os
import re

import numpy as np

import ember
from ember import nn

from .ops import OPS, NodeContext, tensor

_DEFAULT_DOMAINS = ("", "ai.onnx")


def _onnx():
    try:
        import onnx
    except ImportError as e:  # the extra is optional: core ember is NumPy-only
        raise ImportError('ember.onnx.load needs the onnx package: pip install "ember[onnx]"') from e
    return onnx


def _attr_value(onnx, a):
    """An AttributeProto as a plain Python value (str, list, NumPy array, GraphProto)."""
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, onnx.TensorProto):
        return onnx.numpy_helper.to_array(v)
    if isinstance(v, list) and v and isinstance(v[0], bytes):
        return [s.decode("utf-8") for s in v]
    if isinstance(v, list) and v and isinstance(v[0], onnx.TensorProto):
        return [onnx.numpy_helper.to_array(t) for t in v]
    return v


def _safe_name(name, taken):
    """An attribute name for a parameter: ONNX names may hold '.', '/', ':' which nn.Module refuses."""
    base = re.sub(r"\W", "_", name) or "_"
    if base[0].isdigit():
        base = "_" + base
    out, i = base, 1
    while out in taken:
        out, i = f"{base}_{i}", i + 1
    taken.add(out)
    return out


def _as_value(v):
    """A graph value: a Tensor, a list of them (an ONNX sequence) or None (an empty optional)."""
    if v is None or isinstance(v, ember.Tensor):
        return v
    if isinstance(v, (list, tuple)):
        return [_as_value(x) for x in v]
    return tensor(np.asarray(v))


class _Step:
    """One node, prepared: its op, its context, its input and output names."""

    __slots__ = ("fn", "ctx", "inputs", "outputs")

    def __init__(self, fn, ctx, inputs, outputs):
        self.fn, self.ctx, self.inputs, self.outputs = fn, ctx, inputs, outputs


class OnnxModule(nn.Module):
    """An ONNX ``ModelProto`` as an ember module.

    Args:
        model: the ``onnx.ModelProto``.

    ``forward(*inputs)`` takes the graph inputs that are not initializers, in the graph's order
    (Tensors or NumPy arrays), and returns one Tensor, or a tuple for several outputs.
    ``onnx_parameters`` maps each ONNX initializer name to its attribute name here.
    """

    def __init__(self, model):
        super().__init__()
        onnx = _onnx()
        self.opset = {imp.domain or "": imp.version for imp in model.opset_import}
        self.opset.setdefault("", 21)
        graph = model.graph
        self.onnx_parameters = {}
        taken = set()
        for init in graph.initializer:
            value = onnx.numpy_helper.to_array(init).copy()
            attr = _safe_name(init.name, taken)
            self.onnx_parameters[init.name] = attr
            if value.dtype.kind == "f":
                self.register_parameter(attr, nn.Parameter(ember.from_numpy(value)))
            elif value.dtype.kind in "biu":
                self.register_buffer(attr, ember.from_numpy(np.ascontiguousarray(value)))
            else:
                raise NotImplementedError(
                    f"ember.onnx.load: initializer {init.name!r} has dtype {value.dtype}; "
                    "only numeric tensors are supported")
        inits = set(self.onnx_parameters)
        self.input_names = [i.name for i in graph.input if i.name not in inits]
        self.output_names = [o.name for o in graph.output]
        self._graph = graph
        self._steps = self._prepare(graph)

    def _prepare(self, graph):
        onnx = _onnx()
        steps = []
        for node in graph.node:
            domain = node.domain or ""
            if domain not in _DEFAULT_DOMAINS:
                raise NotImplementedError(
                    f"ember.onnx: {node.op_type} node {node.name or node.output[0]!r} is in domain "
                    f"{domain!r}; only the default ONNX domain is supported")
            fn = OPS.get(node.op_type)
            if fn is None:
                raise NotImplementedError(
                    f"ember.onnx: op {node.op_type} (node {node.name or node.output[0]!r}) "
                    "is not supported")
            attrs = {a.name: _attr_value(onnx, a) for a in node.attribute}
            for v in attrs.values():  # subgraphs are prepared now, so a missing op fails early
                for g in (v if isinstance(v, list) else [v]):
                    if isinstance(g, onnx.GraphProto):
                        self._subgraph_steps(g)
            ctx = NodeContext(node, attrs, self.opset.get("", 21), self, self._run_subgraph)
            steps.append(_Step(fn, ctx, list(node.input), list(node.output)))
        return steps

    def _subgraph_steps(self, g):
        cache = self.__dict__.setdefault("_sub_cache", {})
        if id(g) not in cache:
            cache[id(g)] = (g, self._prepare(g))
        return cache[id(g)][1]

    def _run_subgraph(self, g, outer, feeds=()):
        """Run a subgraph (If/Loop/Scan body) with the enclosing scope visible; return its outputs."""
        env = dict(outer)
        for vi, value in zip(g.input, feeds):
            env[vi.name] = value
        for init in g.initializer:
            env[init.name] = tensor(_onnx().numpy_helper.to_array(init))
        self._run_steps(self._subgraph_steps(g), env)
        return [env[o.name] for o in g.output]

    def _run_steps(self, steps, env):
        for step in steps:
            args = [env[n] if n else None for n in step.inputs]
            step.ctx.module, step.ctx.env = self, env
            out = step.fn(step.ctx, *args)
            if not isinstance(out, (tuple, list)):
                out = (out,)
            for name, value in zip(step.outputs, out):
                if name:
                    env[name] = value
        return env

    def forward(self, *inputs, **named):
        if len(inputs) > len(self.input_names):
            raise TypeError(f"OnnxModule.forward: the model takes {len(self.input_names)} inputs "
                            f"{self.input_names}, got {len(inputs)}")
        env = {}
        for onnx_name, attr in self.onnx_parameters.items():
            env[onnx_name] = getattr(self, attr)
        for name, value in list(zip(self.input_names, inputs)) + list(named.items()):
            env[name] = _as_value(value)
        self._run_steps(self._steps, env)
        outs = tuple(env[n] for n in self.output_names)
        return outs[0] if len(outs) == 1 else outs

    def extra_repr(self):
        return f"inputs={self.input_names}, outputs={self.output_names}, nodes={len(self._steps)}"


def load(f):
    """Load an ONNX model (a path, bytes, a file object or an ``onnx.ModelProto``) as an ember module.

    The module comes back in eval mode, since an ONNX graph is an inference graph; ``.train()``
    turns on the Dropout nodes that have no ``training_mode`` input (for fine-tuning), while
    BatchNormalization keeps the statistics the graph says (``training_mode`` attribute).
    """
    onnx = _onnx()
    if isinstance(f, onnx.ModelProto):
        model = f
    elif isinstance(f, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(f))
    elif isinstance(f, (str, os.PathLike)) or hasattr(f, "read"):
        model = onnx.load(f)
    else:
        raise TypeError(f"ember.onnx.load: expected a path, bytes, a file or an onnx.ModelProto, "
                        f"got {type(f).__name__}")
    return OnnxModule(model).eval()
