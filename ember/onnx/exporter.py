"""``ember.onnx.export``: write an ember model as an ONNX graph, with ``torch.onnx.export``'s signature.

The model runs once on ``args`` while a tracer records the ember ops it calls (see
:mod:`ember.onnx._export_trace`); each becomes ONNX nodes (``_export_ops`` for functions and
tensor methods, ``_export_modules`` for layers exported whole: LSTM, GRU, RNN,
MultiheadAttention, Keras's recurrent layers). Parameters and buffers become initializers
named by their ``state_dict`` keys. The model runs in eval mode (``training=TrainingMode.EVAL``,
as in torch: Dropout is the identity, BatchNorm uses its running statistics) and gets its
modes back afterwards.

``dynamic_axes`` marks axes whose size may change (``{"input": {0: "batch"}}`` or
``{"input": [0]}``): sizes the model reads from those axes (``x.shape[0]``, ``x.size(0)``)
are computed in the graph, so a reshape to ``(B, -1)`` holds for every batch size.

Needs the ``onnx`` extra: ``pip install "ember[onnx]"``. While it traces, the exporter swaps ember's
functions process-wide (and puts them back), so other threads should not run ember code meanwhile.

>>> import ember, io
>>> from ember import nn
>>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
>>> buf = io.BytesIO()
>>> proto = ember.onnx.export(model, (ember.randn(2, 4),), buf, input_names=["x"], output_names=["y"],
...                           dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
>>> [n.op_type for n in proto.graph.node]
['Gemm', 'Relu']
"""
import enum
import inspect
import os

import numpy as np

from ..autograd import grad_mode
from ..autograd.tensor import Tensor
from ._export_graph import ExportError, Graph, onnx_dtype

__all__ = ["export", "TrainingMode", "OnnxExporterError", "is_in_onnx_export", "ExportError"]

DEFAULT_OPSET = 17
MIN_OPSET, MAX_OPSET = 13, 21

OnnxExporterError = ExportError


class TrainingMode(enum.IntEnum):
    """The mode a model is exported in, as ``torch.onnx.TrainingMode``."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def is_in_onnx_export():
    """True while :func:`export` traces a model (as ``torch.onnx.is_in_onnx_export``)."""
    from ._export_trace import current
    return current() is not None


def require_onnx(what="ember.onnx.export"):
    """Import ``onnx``, or raise ImportError naming the extra to install."""
    try:
        import onnx
    except ImportError as e:
        raise ImportError(f"{what} needs the onnx package: pip install \"ember[onnx]\"") from e
    if onnx is None:
        raise ImportError(f"{what} needs the onnx package: pip install \"ember[onnx]\"")
    return onnx


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None, output_names=None,
           opset_version=None, dynamo=False, external_data=True, dynamic_shapes=None, export_params=True,
           keep_initializers_as_inputs=False, dynamic_axes=None, training=TrainingMode.EVAL,
           do_constant_folding=True, custom_opsets=None, **unused):
    """Export ``model`` (an ``nn.Module``, a Keras model or a function of tensors) to ONNX.

    Args:
        model: what to run on ``args``.
        args: a tensor or a tuple of them (NumPy arrays are accepted); a trailing dict is keyword arguments.
        f: a path or a binary file object to write to; None writes nothing.
        kwargs: keyword arguments for the model.
        input_names, output_names: the graph's input / output names (default: the forward's parameter
            names, ``output`` / ``output_0``, ``output_1`` ...).
        opset_version: the default domain's opset, 13 to 21 (default 17).
        dynamic_axes: ``{name: {axis: "dim_name"}}`` or ``{name: [axis, ...]}`` for inputs and outputs.
        dynamic_shapes: ``torch.export``'s form (``{arg_name: {axis: name}}`` or a tuple per input),
            turned into ``dynamic_axes``.
        export_params: store the parameters as initializers (False: they become graph inputs).
        keep_initializers_as_inputs: also list initializers as graph inputs (IR version 3 style).
        training: ``TrainingMode.EVAL`` (default), ``PRESERVE`` or ``TRAINING``.
        dynamo, external_data, do_constant_folding, verbose, custom_opsets: accepted as torch takes them;
            the graph is traced the same way whatever they say (constants are folded while tracing).

    Returns:
        the ``onnx.ModelProto`` (also written to ``f`` when given).

    Raises:
        ExportError (a RuntimeError) naming the layer and op that has no ONNX form.
    """
    onnx = require_onnx()
    from onnx import helper
    from . import _export_ops, _export_modules
    from ._export_trace import Tracer, input_tensor
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"ember.onnx.export: opset_version must be between {MIN_OPSET} and {MAX_OPSET}, got "
                         f"{opset_version}")
    args, kw = _split_args(args, kwargs)
    flat_in = list(_leaves(args))
    in_names = _input_names(model, args, input_names, len(flat_in))
    dyn = _dynamic_axes(dynamic_axes, dynamic_shapes, in_names, model, args)
    g = Graph(opset)
    # Sizes on dynamic input axes: a size equal to one of these, read from a traced tensor, is symbolic.
    dyn_sizes = set()
    for (_, a), name in zip(flat_in, in_names):
        for ax in dyn.get(name, {}):
            dyn_sizes.add(int(np.shape(a)[ax]))
    tracer = Tracer(g, model, dyn_sizes, _export_ops.OPS, _export_modules.MODULES)
    traced_in = {}
    for (path, a), name in zip(flat_in, in_names):
        arr = a._data if isinstance(a, Tensor) else np.asarray(a)
        t = input_tensor(arr)
        g.reserve(name)
        tracer.set(t, name)
        g.inputs.append(helper.make_tensor_value_info(
            name, onnx_dtype(arr.dtype), _dims(arr.shape, dyn.get(name, {}), name)))
        traced_in[path] = t
    call_args = _replace(args, traced_in, ())
    modes = _set_mode(model, training)
    tracer.install()
    try:
        with grad_mode.no_grad():
            out = model(*call_args, **kw)
    finally:
        tracer.uninstall()
        _restore_mode(modes)
    flat_out = _flatten(out)
    if not flat_out:
        raise ExportError("ember.onnx.export: the model returned no tensors")
    if output_names is None:
        output_names = ["output"] if len(flat_out) == 1 else [f"output_{i}" for i in range(len(flat_out))]
    output_names = list(output_names) + [f"output_{i}" for i in range(len(output_names), len(flat_out))]
    produced = {o for n in g.nodes for o in n.output}
    seen = set()
    for t, name in zip(flat_out, output_names):
        if id(t) not in tracer.names and id(t) not in tracer.params and flat_in:
            raise ExportError(f"ember.onnx.export: output {name!r} (shape {tuple(t._data.shape)}) was not computed by "
                              "ops the exporter traced: the model computes it outside ember's ops (NumPy work on "
                              "Tensor._data, or a private helper); it would be frozen into the graph as a constant")
        src = tracer.name(t)
        if src in produced and src not in seen and src not in in_names and name not in g._used:
            _rename(g, src, name)
            seen.add(name)
        else:
            g.reserve(name)
            g.nodes.append(helper.make_node("Identity", [src], [name], name=g.fresh("/Identity_output")))
        arr = t._data
        g.outputs.append(helper.make_tensor_value_info(
            name, onnx_dtype(arr.dtype), _out_dims(arr.shape, dyn.get(name), dyn_sizes, name)))
    inputs = list(g.inputs)
    inits = list(g.initializers)
    if not export_params:
        inputs += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
        inits = []
    elif keep_initializers_as_inputs:
        inputs += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in inits]
    graph = helper.make_graph(g.nodes, _graph_name(model), inputs, g.outputs, initializer=inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="ember", producer_version=_version())
    # The IR version ORT and the checker accept for this opset (make_model picks the newest).
    proto.ir_version = min(proto.ir_version, _IR_FOR_OPSET.get(opset, 8))
    if verbose:
        print(helper.printable_graph(graph))
    if f is not None:
        data = proto.SerializeToString()
        if hasattr(f, "write"):
            f.write(data)
        else:
            from ..io.atomic import atomic_write
            with atomic_write(os.fspath(f)) as fh:
                fh.write(data)
    del onnx
    return proto


_IR_FOR_OPSET = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}


def _version():
    from .. import __version__
    return __version__


def _graph_name(model):
    return type(model).__name__ if not callable(model) or hasattr(model, "forward") else \
        getattr(model, "__name__", "graph")


def _split_args(args, kwargs):
    if isinstance(args, (Tensor, np.ndarray)):
        args = (args,)
    args = tuple(args)
    kw = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kw.update(args[-1])
        args = args[:-1]
    return args, kw


def _forward_params(model, n):
    fn = getattr(model, "call", None) if hasattr(model, "call") and not hasattr(model, "_modules") else None
    fn = fn or (getattr(model, "forward", None) if hasattr(model, "forward") else model)
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []
    return [p.name for p in params][:n]


def _input_names(model, args, input_names, n):
    names = list(input_names or [])
    if len(names) < n:
        auto = _forward_params(model, n)
        if len(auto) < n or any(a in ("args", "inputs") for a in auto) and n > 1:
            auto = ["input"] if n == 1 else [f"input_{i}" for i in range(n)]
        names += auto[len(names):n]
    return names[:n]


def _dynamic_axes(dynamic_axes, dynamic_shapes, in_names, model, args):
    """``{value name: {axis: dim name}}`` from torch's two forms."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if isinstance(axes, dict):
            out[name] = {int(a): str(d) for a, d in axes.items()}
        else:
            out[name] = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    if dynamic_shapes:
        items = dynamic_shapes.items() if isinstance(dynamic_shapes, dict) else \
            zip(in_names, dynamic_shapes)
        params = _forward_params(model, len(in_names))
        for key, spec in items:
            if spec is None:
                continue
            name = in_names[params.index(key)] if key in params and key not in in_names else key
            if isinstance(spec, dict):
                out.setdefault(name, {}).update({int(a): str(getattr(d, "__name__", d) if not isinstance(d, str)
                                                              else d) for a, d in spec.items()})
            else:
                out.setdefault(name, {}).update({int(a): f"{name}_dim_{a}" for a in spec})
    return out


def _dims(shape, axes, name):
    return [axes[i] if i in axes else int(n) for i, n in enumerate(shape)]


def _out_dims(shape, axes, dyn_sizes, name):
    if axes:
        return [axes[i] if i in axes else int(n) for i, n in enumerate(shape)]
    # Axes that may follow a dynamic input size are left unnamed (ORT checks fixed ones).
    return [None if int(n) in dyn_sizes else int(n) for n in shape]


def _leaves(obj, path=()):
    """``(path, array)`` for the tensors and arrays in nested tuples/lists, in order."""
    if isinstance(obj, (Tensor, np.ndarray)):
        yield path, obj
    elif isinstance(obj, (tuple, list)):
        for i, o in enumerate(obj):
            yield from _leaves(o, path + (i,))


def _replace(obj, new, path):
    if path in new:
        return new[path]
    if isinstance(obj, (tuple, list)):
        return type(obj)(_replace(o, new, path + (i,)) for i, o in enumerate(obj))
    return obj


def _flatten(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _flatten(o)]
    return []


def _rename(g, old, new):
    g.reserve(new)
    for n in g.nodes:
        for i, o in enumerate(n.output):
            if o == old:
                n.output[i] = new
        for i, o in enumerate(n.input):
            if o == old:
                n.input[i] = new
    if old in g.dtypes:
        g.dtypes[new] = g.dtypes[old]


def _set_mode(model, training):
    modules = list(model.modules()) if hasattr(model, "modules") else []
    saved = [(m, m.training) for m in modules]
    if training == TrainingMode.EVAL:
        for m in modules:
            m.training = False
    elif training == TrainingMode.TRAINING:
        for m in modules:
            m.training = True
    keras = _keras_learning_phase(False if training == TrainingMode.EVAL else None)
    return saved, keras


def _keras_learning_phase(value):
    import sys
    backend = sys.modules.get("ember.keras.backend")
    if backend is None or value is None or not hasattr(backend, "training_scope"):
        return None
    scope = backend.training_scope(value)
    scope.__enter__()
    return scope


def _restore_mode(modes):
    saved, scope = modes
    for m, flag in saved:
        m.training = flag
    if scope is not None:
        scope.__exit__(None, None, None)
