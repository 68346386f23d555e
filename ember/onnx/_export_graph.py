"""The graph an export builds: ONNX nodes, initializers and values, plus symbolic sizes.

:class:`Graph` hands out value names and collects ``onnx.NodeProto`` s, initializers (the
model's parameters and the constants the trace met) and the graph's inputs and outputs.
Its helpers (``reduce``, ``unsqueeze``, ``const`` ...) hide the differences between opsets
13-21 (where an attribute became an input).

:class:`Dim` is an ``int`` that remembers where it came from: ``x.shape[0]`` of a traced
tensor whose first axis is dynamic. Arithmetic on it gives more ``Dim`` s, so a reshape to
``(B * T, -1)`` becomes a shape computed from ``Shape(x)`` in the graph instead of the
number seen while tracing.
"""
import numpy as np


class ExportError(RuntimeError):
    """A model (or an op in it) that the ONNX exporter cannot express."""


class Dim(int):
    """An ``int`` that stands for a size read from a traced tensor (see the module doc).

    ``expr`` is ``("shape", value_name, axis)`` or ``(op, a, b)`` with ``op`` one of
    ``add sub mul floordiv`` and ``a``, ``b`` ints or Dims.
    """

    def __new__(cls, value, expr):
        d = int.__new__(cls, int(value))
        d.expr = expr
        return d

    def _bin(self, op, other, fn, swap=False):
        if not isinstance(other, (int, np.integer)) or isinstance(other, bool):
            return fn(int(self), other) if not swap else fn(other, int(self))
        a, b = (other, self) if swap else (self, other)
        return Dim(fn(int(a), int(b)), (op, a, int(b) if not isinstance(b, Dim) else b))

    def __add__(self, o):
        return self._bin("add", o, lambda a, b: a + b)

    def __radd__(self, o):
        return self._bin("add", o, lambda a, b: a + b, True)

    def __sub__(self, o):
        return self._bin("sub", o, lambda a, b: a - b)

    def __rsub__(self, o):
        return self._bin("sub", o, lambda a, b: a - b, True)

    def __mul__(self, o):
        return self._bin("mul", o, lambda a, b: a * b)

    def __rmul__(self, o):
        return self._bin("mul", o, lambda a, b: a * b, True)

    def __floordiv__(self, o):
        return self._bin("floordiv", o, lambda a, b: a // b)

    def __rfloordiv__(self, o):
        return self._bin("floordiv", o, lambda a, b: a // b, True)

    def __neg__(self):
        return Dim(-int(self), ("mul", self, -1))

    def __pos__(self):
        return self

    def __hash__(self):
        return int.__hash__(self)

    def __eq__(self, other):
        return int(self) == other

    def __repr__(self):
        return repr(int(self))


def is_dim(v):
    return isinstance(v, Dim)


def onnx_dtype(np_dtype):
    """The ``onnx.TensorProto`` type code of a NumPy dtype."""
    from onnx import helper
    return helper.np_dtype_to_tensor_dtype(np.dtype(np_dtype))


class Graph:
    """Nodes, initializers and names of one export (``opset`` is the default domain's version)."""

    def __init__(self, opset):
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self.dtypes = {}          # value name -> numpy dtype
        self._used = set()
        self._consts = {}         # (dtype, shape, bytes) -> name, for small constants
        self._counter = 0
        self._dims = {}           # id(Dim expr) cache -> value name

    # -- names -----------------------------------------------------------------------------------
    def fresh(self, hint="v"):
        hint = hint.replace("/", ".") or "v"
        name = hint
        while name in self._used:
            self._counter += 1
            name = f"{hint}_{self._counter}"
        self._used.add(name)
        return name

    def reserve(self, name):
        self._used.add(name)
        return name

    # -- building --------------------------------------------------------------------------------
    def node(self, op, inputs, n_out=1, name_hint=None, dtype=None, domain="", **attrs):
        """Append a node; returns its output name (or a list of names when ``n_out > 1``)."""
        from onnx import helper
        outs = [self.fresh(name_hint or op.lower()) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op, [i if i is not None else "" for i in inputs], outs,
                                           name=self.fresh(f"/{op}_node"), domain=domain, **attrs))
        if dtype is not None:
            for o in outs:
                self.dtypes[o] = np.dtype(dtype)
        return outs if n_out > 1 else outs[0]

    def initializer(self, array, name):
        from onnx import numpy_helper
        array = np.array(array, order="C", copy=True).view(np.ndarray)
        name = self.reserve(name) if name not in self._used else self.fresh(name)
        self.initializers.append(numpy_helper.from_array(array, name))
        self.dtypes[name] = array.dtype
        return name

    def const(self, value, dtype=None):
        """A constant (initializer) holding ``value``; small ones are shared."""
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.float64 and dtype is None and not isinstance(value, np.ndarray):
            arr = arr.astype(np.float32)
        key = None
        if arr.size <= 16:
            key = (arr.dtype.str, arr.shape, arr.tobytes())
            if key in self._consts:
                return self._consts[key]
        name = self.initializer(arr, "const")
        if key is not None:
            self._consts[key] = name
        return name

    def ints(self, values):
        return self.const(np.asarray(list(values), np.int64))

    # -- opset-dependent helpers ------------------------------------------------------------------
    def unsqueeze(self, x, axes, dtype=None):
        return self.node("Unsqueeze", [x, self.ints(axes)], dtype=dtype or self.dtypes.get(x))

    def squeeze(self, x, axes=None, dtype=None):
        ins = [x] if axes is None else [x, self.ints(axes)]
        return self.node("Squeeze", ins, dtype=dtype or self.dtypes.get(x))

    def reduce(self, op, x, axes, keepdims, dtype=None):
        """``op`` in ReduceSum/Mean/Max/Min/Prod/L2...: axes as an input from opset 18 (13 for ReduceSum)."""
        dt = dtype or self.dtypes.get(x)
        if axes is None:
            return self.node(op, [x], keepdims=int(keepdims), dtype=dt)
        axes = [int(a) for a in axes]
        if op == "ReduceSum" or self.opset >= 18:
            return self.node(op, [x, self.ints(axes)], keepdims=int(keepdims), dtype=dt)
        return self.node(op, [x], axes=axes, keepdims=int(keepdims), dtype=dt)

    def split(self, x, sizes, axis):
        return self.node("Split", [x, self.ints(sizes)], n_out=len(sizes), axis=int(axis),
                         dtype=self.dtypes.get(x)) if len(sizes) > 1 else [self.node("Identity", [x],
                                                                                 dtype=self.dtypes.get(x))]

    def cast(self, x, np_dtype):
        np_dtype = np.dtype(np_dtype)
        if self.dtypes.get(x) == np_dtype:
            return x
        return self.node("Cast", [x], to=onnx_dtype(np_dtype), dtype=np_dtype)

    def slice(self, x, starts, ends, axes, steps=None):
        ins = [x, self._vec(starts), self._vec(ends), self.ints(axes)]
        if steps is not None:
            ins.append(self.ints(steps))
        return self.node("Slice", ins, dtype=self.dtypes.get(x))

    def _vec(self, values):
        """A 1-D int64 input from ints and Dims (a Concat of the Dims' graph values when any is symbolic)."""
        values = list(values)
        if not any(is_dim(v) for v in values):
            return self.ints(values)
        parts = [self.dim(v) if is_dim(v) else self.ints([v]) for v in values]
        return parts[0] if len(parts) == 1 else self.node("Concat", parts, axis=0, dtype=np.int64)

    shape_vec = _vec

    def dim(self, d):
        """The 1-element int64 value of a Dim."""
        key = _expr_key(d.expr)
        got = self._dims.get(key)
        if got is not None:
            return got
        e = d.expr
        if e[0] == "shape":
            _, value, axis = e
            if self.opset >= 15:
                out = self.node("Shape", [value], start=axis, end=axis + 1, dtype=np.int64)
            else:
                out = self.node("Gather", [self.node("Shape", [value], dtype=np.int64), self.ints([axis])], axis=0,
                                dtype=np.int64)
        else:
            op, a, b = e
            va = self.dim(a) if is_dim(a) else self.ints([a])
            vb = self.dim(b) if is_dim(b) else self.ints([b])
            onnx_op = {"add": "Add", "sub": "Sub", "mul": "Mul", "floordiv": "Div"}[op]
            out = self.node(onnx_op, [va, vb], dtype=np.int64)
        self._dims[key] = out
        return out


def _expr_key(e):
    if isinstance(e, tuple):
        return tuple(_expr_key(x.expr) if is_dim(x) else x for x in e)
    return e
