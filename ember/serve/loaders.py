"""Turn a model file into a :class:`~ember.serve.model.ServedModel`: ONNX, ``.keras``, or an ember checkpoint.

* ``.onnx`` runs on onnxruntime when it is installed (the fast path), else on ``ember.onnx.load``;
  the signature is the graph's (symbolic dimensions become ``-1``).
* ``.keras`` (and ``.h5``) load with ``ember.keras.saving.load_model``; the signature is the model's
  ``inputs``/``outputs`` (``None`` dimensions become ``-1``).
* ``.safetensors`` written by ``ember.save``: either a whole module (``ember.save(model, path)``,
  which names its own class) or a state dict, such as ``ember train``'s output. A state dict needs an
  architecture: ``arch="package.module.Class"`` (built with no arguments), or, without it, the
  ember model whose parameter names and shapes it matches (``MnistCNN``, ``MnistMLP``). The input is
  one tensor named ``input``: ``input_shape`` (without the batch dimension) and ``input_datatype``,
  or, for the MNIST models, ``(1, 28, 28)`` FP32. Outputs are named ``output`` (``output0``,
  ``output1``... for several) and their shapes come from one probe run at load time.

>>> import os, tempfile, ember
>>> from ember.vision.models import MnistMLP
>>> path = os.path.join(tempfile.mkdtemp(), "mlp.safetensors")
>>> ember.save(MnistMLP().state_dict(), path)
>>> m = load_model(path)
>>> m.name, m.platform, [t.metadata() for t in m.inputs + m.outputs]
('mlp', 'ember_module', [{'name': 'input', 'datatype': 'FP32', 'shape': [-1, 1, 28, 28]}, \
{'name': 'output', 'datatype': 'FP32', 'shape': [-1, 10]}])
"""
import importlib
import importlib.util
import os
import threading

import numpy as np

from .model import ServedModel, TensorSpec
from .protocol import DATATYPES, datatype_of

__all__ = ["SUFFIXES", "load_model", "model_name_of"]

SUFFIXES = (".onnx", ".keras", ".h5", ".safetensors")

# ember's grad mode is one process-wide flag, so ember forward passes run one at a time (NumPy
# releases the GIL inside its kernels, so little is lost); onnxruntime sessions run concurrently.
_EMBER_LOCK = threading.Lock()

# Input shapes (without the batch dimension) of the ember models a bare state dict can be matched to.
_KNOWN_ARCHS = {"ember.vision.models.MnistCNN": (1, 28, 28), "ember.vision.models.MnistMLP": (1, 28, 28)}

_ORT_TYPES = {"tensor(bool)": "BOOL", "tensor(uint8)": "UINT8", "tensor(uint16)": "UINT16",
              "tensor(uint32)": "UINT32", "tensor(uint64)": "UINT64", "tensor(int8)": "INT8",
              "tensor(int16)": "INT16", "tensor(int32)": "INT32", "tensor(int64)": "INT64",
              "tensor(float16)": "FP16", "tensor(float)": "FP32", "tensor(double)": "FP64"}


def model_name_of(path):
    """A model's default name: its file name without the suffix (``mnist.onnx`` -> ``mnist``)."""
    base = os.path.basename(os.path.normpath(path))
    for suffix in SUFFIXES:
        if base.endswith(suffix):
            return base[:-len(suffix)]
    return base


def _dims(shape):
    return tuple(d if isinstance(d, int) and d >= 0 else -1 for d in shape)


def load_onnx(path, name, version, backend="auto"):
    """An ONNX model on onnxruntime (``backend="onnxruntime"``), on ember (``"ember"``), or the first
    available (``"auto"``)."""
    if backend not in ("auto", "onnxruntime", "ember"):
        raise ValueError(f"ember.serve: onnx backend must be 'auto', 'onnxruntime' or 'ember', got {backend!r}")
    if backend == "onnxruntime" or (backend == "auto" and importlib.util.find_spec("onnxruntime")):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ImportError('ember serve: ONNX models on onnxruntime need it: pip install "ember[onnx]"') from None
        options = ort.SessionOptions()
        # Idle worker threads that spin take the CPU the event loop needs between requests.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])

        def spec(arg):
            if arg.type not in _ORT_TYPES:
                raise ValueError(f"ember serve: {path}: tensor {arg.name!r} has type {arg.type}, which is not "
                                 f"served (supported: {', '.join(_ORT_TYPES)})")
            return TensorSpec(arg.name, _ORT_TYPES[arg.type], _dims(arg.shape))
        inputs = [spec(a) for a in session.get_inputs()]
        outputs = [spec(a) for a in session.get_outputs()]
        names = [t.name for t in outputs]

        def run(feeds):
            return dict(zip(names, session.run(names, feeds)))
        return ServedModel(name, version, "onnxruntime_onnx", inputs, outputs, run, source=path)
    return _load_onnx_on_ember(path, name, version)


def _load_onnx_on_ember(path, name, version):
    try:
        import onnx
        from .. import onnx as ember_onnx
        module = ember_onnx.load(path)
    except ImportError as e:
        raise ImportError(f'ember serve: ONNX models without onnxruntime need ember.onnx and the onnx package '
                          f'(pip install "ember[onnx]"): {e}') from None
    graph = onnx.load(path, load_external_data=False).graph
    initializers = {t.name for t in graph.initializer}

    def spec(value):
        tensor = value.type.tensor_type
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
        return TensorSpec(value.name, datatype_of(dtype), _dims(dims))
    inputs = [spec(v) for v in graph.input if v.name not in initializers]
    outputs = [spec(v) for v in graph.output]
    module.eval()
    run = _module_runner(module, [t.name for t in inputs], [t.name for t in outputs])
    return ServedModel(name, version, "ember_onnx", inputs, outputs, run, source=path)


def _module_runner(module, input_names, output_names):
    import ember

    def run(feeds):
        args = [ember.from_numpy(np.ascontiguousarray(feeds[n])) for n in input_names]
        with _EMBER_LOCK, ember.no_grad():
            result = module(*args)
            if isinstance(result, dict):
                result = list(result.values())
            elif not isinstance(result, (list, tuple)):
                result = [result]
            arrays = [np.asarray(r.detach().numpy() if hasattr(r, "detach") else r) for r in result]
        if output_names is None:
            return arrays
        if len(arrays) != len(output_names):
            raise RuntimeError(f"ember serve: the model returned {len(arrays)} outputs, its signature has "
                               f"{len(output_names)} ({output_names})")
        return dict(zip(output_names, arrays))
    return run


def _probe_outputs(module, inputs):
    """Output specs from one run on zeros (batch 1): how many, their dtypes and non-batch dimensions."""
    feeds = {t.name: np.zeros([1 if d == -1 else d for d in t.shape], DATATYPES[t.datatype]) for t in inputs}
    arrays = _module_runner(module, [t.name for t in inputs], None)(feeds)
    names = ["output"] if len(arrays) == 1 else [f"output{i}" for i in range(len(arrays))]
    batched = all(t.shape[:1] == (-1,) for t in inputs)
    specs = []
    for n, a in zip(names, arrays):
        shape = tuple(a.shape)
        if batched and shape:
            shape = (-1,) + shape[1:]
        specs.append(TensorSpec(n, datatype_of(a.dtype), shape))
    return specs


def _import_class(dotted):
    module_name, _, cls_name = dotted.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name) if module_name else None
    except (ImportError, AttributeError) as e:
        raise ValueError(f"ember serve: --arch {dotted!r} is not an importable class ({e})") from None
    from .. import nn
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"ember serve: --arch {dotted!r} is not an ember nn.Module class")
    return cls


def _match_arch(state, path):
    wanted = {k: tuple(v.shape) for k, v in state.items()}
    for dotted in _KNOWN_ARCHS:
        model = _import_class(dotted)()
        if {k: tuple(v.shape) for k, v in model.state_dict().items()} == wanted:
            return dotted, model
    raise ValueError(f"ember serve: {path} is a state dict ({len(state)} tensors, e.g. {sorted(state)[:3]}) that "
                     f"matches none of {sorted(_KNOWN_ARCHS)}; give its class with --arch package.module.Class")


def load_checkpoint(path, name, version, arch=None, input_shape=None, input_datatype="FP32"):
    """An ember module saved with ``ember.save``: the whole module, or a state dict with ``arch``."""
    import ember
    from .. import nn
    obj = ember.load(path, weights_only=False)
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]                 # an ``ember train`` training checkpoint
    if isinstance(obj, nn.Module):
        module = obj
        dotted = f"{type(module).__module__}.{type(module).__qualname__}"
    elif isinstance(obj, dict):
        if arch:
            dotted, module = arch, _import_class(arch)()
        else:
            dotted, module = _match_arch(obj, path)
        try:
            module.load_state_dict(obj)
        except (KeyError, RuntimeError, ValueError) as e:
            raise ValueError(f"ember serve: {path} does not fit {dotted}: {e}") from None
    else:
        raise ValueError(f"ember serve: {path} holds a {type(obj).__name__}, not a module or a state dict")
    module.eval()
    if input_shape is None:
        known = {k.rsplit(".", 1)[1]: v for k, v in _KNOWN_ARCHS.items()}
        input_shape = known.get(type(module).__name__)
        if input_shape is None:
            raise ValueError(f"ember serve: {path} ({dotted}) needs its input shape, without the batch "
                             f"dimension: --input-shape, e.g. --input-shape 3,32,32")
    if input_datatype not in DATATYPES:
        raise ValueError(f"ember serve: --input-datatype must be one of {', '.join(DATATYPES)}, got "
                         f"{input_datatype!r}")
    inputs = [TensorSpec("input", input_datatype, (-1,) + tuple(int(d) for d in input_shape))]
    outputs = _probe_outputs(module, inputs)
    run = _module_runner(module, ["input"], [t.name for t in outputs])
    return ServedModel(name, version, "ember_module", inputs, outputs, run, source=path)


def load_keras(path, name, version):
    """A Keras model file (``.keras`` or legacy ``.h5``) loaded by ``ember.keras``."""
    from ..keras import saving
    model = saving.load_model(path, compile=False)
    try:
        keras_inputs, keras_outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError) as e:
        raise ValueError(f"ember serve: {path}: the model has no symbolic inputs/outputs (a subclassed model?); "
                         f"serve a functional or Sequential model ({e})") from None
    inputs = [TensorSpec(getattr(t, "name", None) or f"input{i}", datatype_of(str(t.dtype)), _dims(t.shape))
              for i, t in enumerate(keras_inputs)]
    out_names = list(getattr(model, "output_names", None) or [])
    if len(out_names) != len(keras_outputs) or len(set(out_names)) != len(out_names):
        out_names = [f"output{i}" for i in range(len(keras_outputs))]
    outputs = [TensorSpec(n, datatype_of(str(t.dtype)), _dims(t.shape)) for n, t in zip(out_names, keras_outputs)]
    import ember
    input_names = [t.name for t in inputs]

    def run(feeds):
        args = [feeds[n] for n in input_names]
        with _EMBER_LOCK, ember.no_grad():
            result = model(args[0] if len(args) == 1 else args, training=False)
            if isinstance(result, dict):
                result = list(result.values())
            elif not isinstance(result, (list, tuple)):
                result = [result]
            arrays = [np.asarray(r.numpy() if hasattr(r, "numpy") else r) for r in result]
        return dict(zip(out_names, arrays))
    return ServedModel(name, version, "ember_keras", inputs, outputs, run, source=path)


def load_model(path, name=None, version="1", *, arch=None, input_shape=None, input_datatype="FP32",
               onnx_backend="auto"):
    """Load one model file as a :class:`ServedModel`, chosen by its suffix (see the module docstring)."""
    name = name or model_name_of(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ember serve: no model file at {path!r}")
    if path.endswith(".onnx"):
        return load_onnx(path, name, version, onnx_backend)
    if path.endswith((".keras", ".h5")):
        return load_keras(path, name, version)
    if path.endswith(".safetensors"):
        return load_checkpoint(path, name, version, arch=arch, input_shape=input_shape,
                               input_datatype=input_datatype)
    raise ValueError(f"ember serve: {path!r} is not a model file this server knows; expected a name ending in "
                     f"{', '.join(SUFFIXES)}")
