"""Tracing a model for ONNX export: run it once and record each ember op it calls as ONNX nodes.

During an export every public ember function (``ember.*``, ``ember.nn.functional.*``, the
primitive ops of ``ember.autograd.ops``), every ``Tensor`` method and ``nn.Module.__call__``
are swapped for wrappers, wherever a module holds a reference to them (found by identity in
``sys.modules`` and in the model's modules), and put back afterwards. A wrapper called at the
top level (not from inside another recorded op) with a traced input

* runs the real op (the trace computes the real values, as ``torch.onnx``'s tracer does),
* and, when the op has a converter (``_export_ops.OPS``, ``_export_modules.MODULES``),
  appends the ONNX nodes for it and names the result; inner ops run unrecorded;
* with no converter, it runs the op at the top level, so that its own ember calls are
  recorded (a composite op decomposes); if its result is still unnamed, the op is unsupported
  and the export stops, naming the op and the layer (``model.encoder.0 (Linear)``).

Tensors with no traced input (parameters, buffers, constants built in ``forward``) become
initializers. Traced arrays are marked (an ``ndarray`` subclass NumPy carries through most
operations), so a tensor computed from the inputs by raw NumPy work the tracer did not see
is refused instead of being frozen into the graph as a constant.
"""
import sys
import types

import numpy as np

from ..autograd.tensor import Tensor, Size, make
from ._export_graph import Dim, ExportError, is_dim


class TracedArray(np.ndarray):
    """Marks the data of a traced tensor: NumPy functions and ufuncs given one return marked arrays."""

    def __array_function__(self, func, types, args, kwargs):
        return _mark(super().__array_function__(func, types, args, kwargs))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = tuple(i.view(np.ndarray) if isinstance(i, TracedArray) else i for i in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, TracedArray) else o for o in kwargs["out"])
        return _mark(getattr(ufunc, method)(*plain, **kwargs))


def _mark(r):
    if type(r) is np.ndarray:
        return r.view(TracedArray)
    if isinstance(r, tuple):
        return tuple(_mark(x) for x in r)
    if isinstance(r, list):
        return [_mark(x) for x in r]
    return r


def tainted(arr):
    """Whether ``arr`` is (a view of) the data of a traced tensor."""
    while isinstance(arr, np.ndarray):
        if isinstance(arr, TracedArray):
            return True
        arr = arr.base
    return False


_current = [None]


def current():
    return _current[0]


def _is_public_function(v):
    return isinstance(v, (types.FunctionType, types.BuiltinFunctionType)) and \
        (getattr(v, "__module__", "") or "").startswith("ember") and not v.__name__.startswith("_")


_REGISTRY = None
# Module paths whose public functions the tracer wraps.
_SOURCES = ("ember", "ember.creation", "ember.random", "ember.functional", "ember.nn.functional", "ember.linalg",
            "ember.special")
_SKIP = {"is_tensor", "is_grad_enabled", "set_grad_enabled", "no_grad", "enable_grad", "get_default_dtype",
         "set_default_dtype", "manual_seed", "seed", "is_floating_point", "is_complex", "numel", "compile",
         "inference_mode", "is_inference_mode_enabled", "promote_types", "result_type", "can_cast",
         "is_nonzero", "typename", "save", "load"}


def _registry():
    """``id(function) -> (function, op name)`` for every function the tracer wraps (built once)."""
    global _REGISTRY
    if _REGISTRY is not None and _REGISTRY[0] == ("ember.keras" in sys.modules):
        return _REGISTRY[1]
    import importlib
    import pkgutil
    reg = {}
    mods = []
    for pkg in ("ember.autograd.ops", "ember.functional"):
        p = importlib.import_module(pkg)
        mods.append(p)
        for info in pkgutil.iter_modules(p.__path__):
            try:
                mods.append(importlib.import_module(f"{pkg}.{info.name}"))
            except ImportError:
                continue
    for name in _SOURCES:
        try:
            mods.append(importlib.import_module(name))
        except ImportError:
            continue
    for m in mods:
        for k, v in list(vars(m).items()):
            if k.startswith("_") or not _is_public_function(v) or k in _SKIP:
                continue
            reg.setdefault(id(v), (v, v.__name__))
    # Keras's ops (channels-last pooling ...), when ember.keras is loaded: named "keras.<op>".
    for name, m in list(sys.modules.items()):
        if m is None or not name.startswith("ember.keras.ops") and name != "ember.keras.activations":
            continue
        for k, v in list(vars(m).items()):
            if not k.startswith("_") and _is_public_function(v) and v.__module__.startswith("ember.keras"):
                reg.setdefault(id(v), (v, "keras." + v.__name__))
    nd = sys.modules.get("ember.keras.layers._conv_nd")     # the N-d channels-last kernels of Conv1D/3D layers
    for k in ("conv", "conv_transpose"):
        v = getattr(nd, k, None)
        if v is not None:
            reg.setdefault(id(v), (v, "keras.nd." + k))
    _REGISTRY = ("ember.keras" in sys.modules, reg)
    return reg


# Tensor attributes never wrapped: conversions to Python, metadata, autograd plumbing.
_METHOD_SKIP = {"__init__", "__repr__", "__str__", "__array__", "__hash__", "__len__", "__bool__", "__float__",
                "__int__", "__index__", "__format__", "__deepcopy__", "__reduce_ex__", "__iter__", "numpy", "item",
                "tolist", "backward", "register_hook", "register_post_accumulate_grad_hook", "retain_grad",
                "requires_grad_", "data_ptr", "dim", "ndimension", "numel", "nelement", "stride", "is_contiguous",
                "element_size", "is_floating_point", "size", "_bump", "_share_vc", "__getattr__", "__setattr__",
                "__getattribute__", "__new__", "__init_subclass__", "__class_getitem__", "__dir__", "__sizeof__",
                "__reduce__", "__setstate__", "__getstate__", "__copy__", "__contains__", "is_complex",
                "is_leaf", "__array_function__", "__array_ufunc__", "__array_wrap__", "__torch_function__"}
# Tensor operators -> the op name their converter has.
_DUNDER = {"__add__": "add", "__radd__": "radd", "__sub__": "sub", "__rsub__": "rsub", "__mul__": "mul",
           "__rmul__": "rmul", "__truediv__": "div", "__rtruediv__": "rdiv", "__pow__": "pow", "__rpow__": "rpow",
           "__matmul__": "matmul", "__rmatmul__": "rmatmul", "__neg__": "neg", "__pos__": "positive",
           "__abs__": "abs", "__getitem__": "getitem", "__setitem__": "setitem", "__eq__": "eq", "__ne__": "ne",
           "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__iadd__": "add_", "__isub__": "sub_",
           "__imul__": "mul_", "__itruediv__": "div_", "__invert__": "invert", "__and__": "and_", "__or__": "or_",
           "__floordiv__": "floor_divide", "__rfloordiv__": "rfloor_divide", "__mod__": "remainder",
           "__rand__": "and_", "__ror__": "or_", "__xor__": "xor_", "__rxor__": "xor_",
           "__rmod__": "rremainder"}


# Ops without converters that may return constants from traced arguments (a new tensor from data).
_MAKES_CONSTANTS = {"new_tensor", "tensor", "as_tensor", "asarray", "from_numpy"}


class Tracer:
    """The state of one export trace (see the module doc)."""

    def __init__(self, graph, model, dyn_sizes, ops, modules):
        self.g = graph
        self.ops = ops
        self.modules = modules
        from ._export_keras import MODULES_BY_NAME
        self.modules_by_name = MODULES_BY_NAME
        self.names = {}               # id(tensor) -> value name
        self._keep = []               # the tensors named above (ids stay unique while alive)
        self.params = {}              # id(tensor) / id(ndarray) -> (qualified name, tensor)
        self.param_names = {}         # id(tensor) -> initializer name already made
        self.depth = 0
        self.stack = []
        self.dyn_sizes = set(dyn_sizes)
        self.module_names = {}
        self._undo = []
        if model is not None and hasattr(model, "named_modules"):
            for qn, m in model.named_modules():
                self.module_names.setdefault(id(m), qn)
            for qn, p in list(model.named_parameters()) + list(model.named_buffers()):
                if p is None:
                    continue
                self.params.setdefault(id(p), (qn, p))
                self.params.setdefault(id(p._data), (qn, p))
        self.model = model

    # -- values -----------------------------------------------------------------------------------
    def set(self, t, name):
        """Name ``t`` (a Tensor): it is now the graph value ``name``; its data is marked traced."""
        self.names[id(t)] = name
        self._keep.append(t)
        self.g.dtypes.setdefault(name, t._data.dtype)
        if type(t._data) is not TracedArray and isinstance(t._data, np.ndarray):
            t._data = t._data.view(TracedArray)
        return name

    def traced(self, t):
        return isinstance(t, Tensor) and id(t) in self.names

    def name(self, t, dtype=None):
        """The graph value of a tensor, a parameter (initializer) or a constant (Python number, array)."""
        if isinstance(t, Tensor):
            n = self.names.get(id(t))
            if n is not None:
                return n
            n = self.param_names.get(id(t))
            if n is not None:
                return n
            hit = self.params.get(id(t)) or self.params.get(id(t._data))
            if hit is not None:
                n = self.g.initializer(np.asarray(t._data).view(np.ndarray), hit[0])
                self.param_names[id(t)] = n
                self._keep.append(t)
                return n
            if tainted(t._data):
                raise ExportError(
                    f"{self.where()}: a tensor of shape {tuple(t._data.shape)} was computed from the inputs by "
                    "an operation the ONNX exporter does not trace (NumPy work on Tensor._data, or an ember "
                    "function without an ONNX converter); rewrite it with ember ops")
            arr = np.asarray(t._data)
            if dtype is not None and arr.dtype != np.dtype(dtype):
                arr = arr.astype(dtype)
            return self.g.const(arr, dtype=arr.dtype)
        if is_dim(t):
            return self.g.squeeze(self.g.dim(t), [0], dtype=np.int64) if dtype is None \
                else self.g.cast(self.g.squeeze(self.g.dim(t), [0], dtype=np.int64), dtype)
        if isinstance(t, np.ndarray):
            return self.g.const(t if dtype is None else t.astype(dtype))
        return self.g.const(np.asarray(t, dtype=dtype if dtype is not None else None))

    def where(self):
        """The layer being traced, as ``model.encoder.0 (Linear)``."""
        if not self.stack:
            return "model"
        m = self.stack[-1]
        qn = self.module_names.get(id(m))
        path = "model" + (f".{qn}" if qn else "") if qn is not None else "model.<submodule>"
        return f"{path} ({type(m).__name__})"

    def any_traced(self, obj):
        if isinstance(obj, Tensor):
            return id(obj) in self.names or tainted(obj._data)
        if is_dim(obj):
            return True
        if isinstance(obj, (tuple, list)):
            return any(self.any_traced(o) for o in obj)
        if isinstance(obj, dict):
            return any(self.any_traced(o) for o in obj.values())
        return False

    def all_named(self, obj):
        """Whether every tensor in a result is a graph value (or not computed from the inputs)."""
        if isinstance(obj, Tensor):
            return id(obj) in self.names or not tainted(obj._data)
        if isinstance(obj, (tuple, list)):
            return all(self.all_named(o) for o in obj)
        if isinstance(obj, dict):
            return all(self.all_named(o) for o in obj.values())
        return True

    def _some_graph_value(self, obj):
        if isinstance(obj, Tensor):
            return id(obj) in self.names or id(obj) in self.params or id(obj._data) in self.params
        if isinstance(obj, (tuple, list)):
            return any(self._some_graph_value(o) for o in obj)
        if isinstance(obj, dict):
            return any(self._some_graph_value(o) for o in obj.values())
        return False

    # -- recording ----------------------------------------------------------------------------------
    def call_op(self, key, orig, args, kwargs):
        if self.depth or not (self.any_traced(args) or self.any_traced(kwargs)):
            return orig(*args, **kwargs)
        conv = self.ops.get(key)
        if conv is None and (key.endswith("_") or key == "setitem") and args and self.any_traced(args[0]):
            raise ExportError(f"{self.where()}: the in-place op {key!r} on a traced tensor is not supported by the "
                              "ONNX exporter (the graph would miss the write); use an out-of-place op")
        if conv is None:
            out = orig(*args, **kwargs)
            if not _has_tensor(out) or (self.all_named(out) and (key in _MAKES_CONSTANTS or
                                                                  self._some_graph_value(out))):
                return out
            raise ExportError(f"{self.where()}: the op {key!r} is not supported by the ONNX exporter")
        self.depth += 1
        try:
            out = orig(*args, **kwargs)
        finally:
            self.depth -= 1
        try:
            conv(self, out, *args, **kwargs)
        except ExportError:
            raise
        except NotImplementedError as e:
            raise ExportError(f"{self.where()}: the op {key!r} {e}") from None
        return out

    def call_module(self, orig, module, args, kwargs):
        if self.depth:
            return orig(module, *args, **kwargs)
        self.stack.append(module)
        try:
            conv = None
            for cls in type(module).__mro__:
                conv = self.modules.get(cls) or self.modules_by_name.get(f"{cls.__module__}.{cls.__qualname__}")
                if conv is not None:
                    break
            if conv is None or not (self.any_traced(args) or self.any_traced(kwargs)):
                out = orig(module, *args, **kwargs)
                if conv is None and _has_tensor(out) and self.any_traced((args, kwargs)) and \
                        not self._some_graph_value(out):
                    raise ExportError(f"{self.where()}: its output was computed outside the ops the ONNX exporter "
                                      "traces (NumPy work on Tensor._data, or a private helper), so it would be "
                                      "frozen into the graph as a constant; this layer is not supported")
                return out
            self.depth += 1
            try:
                out = orig(module, *args, **kwargs)
            finally:
                self.depth -= 1
            try:
                conv(self, module, out, *args, **kwargs)
            except NotImplementedError as e:
                raise ExportError(f"{self.where()}: {e}") from None
            return out
        finally:
            self.stack.pop()

    # -- patching -------------------------------------------------------------------------------------
    def _set(self, obj, name, value, is_dict=False):
        if is_dict:
            self._undo.append((obj, name, obj[name], True))
            obj[name] = value
        else:
            self._undo.append((obj, name, obj.__dict__[name] if isinstance(obj, type) else getattr(obj, name),
                               False))
            setattr(obj, name, value)

    def install(self):
        reg = _registry()
        wrappers = {fid: _wrap_function(f, key) for fid, (f, key) in reg.items()}
        for mod in list(sys.modules.values()):
            try:
                d = vars(mod)
            except TypeError:
                continue
            hits = [(k, wrappers[id(v)]) for k, v in list(d.items()) if id(v) in wrappers and reg[id(v)][0] is v]
            for k, w in hits:
                self._set(d, k, w, is_dict=True)
        if self.model is not None and hasattr(self.model, "modules"):
            for m in self.model.modules():
                for k, v in list(vars(m).items()):
                    if id(v) in wrappers and reg[id(v)][0] is v:
                        self._set(vars(m), k, wrappers[id(v)], is_dict=True)
            seen = set()
            for m in self.model.modules():
                for cls in type(m).__mro__:
                    if cls in seen or cls is object:
                        continue
                    seen.add(cls)
                    for k, v in list(vars(cls).items()):
                        f = v.__func__ if isinstance(v, staticmethod) else v
                        if id(f) in wrappers and reg[id(f)][0] is f:
                            w = wrappers[id(f)]
                            self._set(cls, k, staticmethod(w) if isinstance(v, staticmethod) else w)
        for k, v in list(vars(Tensor).items()):
            if k in _METHOD_SKIP or not callable(v) or isinstance(v, (type, staticmethod, classmethod, property)):
                continue
            if k.startswith("__") and k not in _DUNDER:
                continue
            self._set(Tensor, k, _wrap_function(v, _DUNDER.get(k, k)))
        self._set(Tensor, "shape", property(_shape))
        self._set(Tensor, "size", _size)
        from ..nn.module import Module
        orig_call = Module.__dict__["__call__"]

        def module_call(module, *args, **kwargs):
            t = _current[0]
            if t is None:
                return orig_call(module, *args, **kwargs)
            return t.call_module(orig_call, module, args, kwargs)
        self._set(Module, "__call__", module_call)
        _current[0] = self

    def uninstall(self):
        _current[0] = None
        for obj, name, value, is_dict in reversed(self._undo):
            if is_dict:
                obj[name] = value
            else:
                setattr(obj, name, value)
        self._undo = []
        for t in self._keep:
            if isinstance(t, Tensor) and type(t._data) is TracedArray:
                t._data = t._data.view(np.ndarray)


def _has_tensor(obj):
    if isinstance(obj, Tensor):
        return True
    if isinstance(obj, (tuple, list)):
        return any(_has_tensor(o) for o in obj)
    if isinstance(obj, dict):
        return any(_has_tensor(o) for o in obj.values())
    return False


def _wrap_function(orig, key):
    def traced_op(*args, **kwargs):
        t = _current[0]
        if t is None:
            return orig(*args, **kwargs)
        return t.call_op(key, orig, args, kwargs)
    traced_op.__wrapped__ = orig
    traced_op.__name__ = getattr(orig, "__name__", key)
    return traced_op


def _sym_shape(t, self):
    s = self._data.shape
    name = t.names.get(id(self)) if not t.depth and t.dyn_sizes else None
    if name is None:
        return s
    return tuple(Dim(n, ("shape", name, i)) if n in t.dyn_sizes else n for i, n in enumerate(s))


def _shape(self):
    t = _current[0]
    return Size(self._data.shape if t is None else _sym_shape(t, self))


def _size(self, dim=None):
    t = _current[0]
    s = self._data.shape if t is None else _sym_shape(t, self)
    if dim is None:
        return Size(s)
    nd = len(s)
    if dim < -max(nd, 1) or dim >= max(nd, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(nd, 1)}, {max(nd, 1) - 1}], "
                         f"but got {dim})")
    return s[dim]


def input_tensor(arr):
    """A fresh tensor over (a traced view of) ``arr`` for the trace to start from."""
    return make(np.asarray(arr).view(TracedArray))
