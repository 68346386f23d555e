"""The ONNX operator table: one function per ONNX op, written with ember ops so autograd flows.

Each entry takes a :class:`NodeContext` and the node's inputs (ember Tensors, ``None`` for an
omitted optional input, a list of Tensors for an ONNX sequence) and returns a Tensor, or a tuple
or list with one value per output. Float data
goes through ember's differentiable ops (an imported model fine-tunes); shapes, indices and other
integer bookkeeping go through NumPy, where no gradient exists anyway. Ops are grouped one family
per file; each file registers its ops with :func:`register` when this package is imported.

>>> from ember.onnx.ops import OPS
>>> "Conv" in OPS and "LSTM" in OPS
True
"""
import numpy as np

import ember
from ember.backend import dtypes as _dtypes

OPS = {}


def register(*names):
    """Decorator: file ``fn`` under the ONNX op type(s) ``names`` (default domain)."""
    def deco(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return deco


class NodeContext:
    """What an op needs besides its inputs: attributes, the opset in force, the owning module."""

    __slots__ = ("node", "op_type", "name", "attrs", "opset", "module", "run_graph", "n_outputs",
                 "env")

    def __init__(self, node, attrs, opset, module=None, run_graph=None):
        self.node = node
        self.op_type = node.op_type
        self.name = node.name or (node.output[0] if node.output else node.op_type)
        self.attrs = attrs
        self.opset = opset
        self.module = module
        self.run_graph = run_graph
        self.n_outputs = len(node.output)
        self.env = None  # the values in scope while the node runs (subgraphs read it)

    def attr(self, key, default=None):
        return self.attrs.get(key, default)

    @property
    def training(self):
        return bool(self.module is not None and self.module.training)

    def unsupported(self, what):
        return NotImplementedError(
            f"ember.onnx: {self.op_type} node {self.name!r}: {what} is not supported")


def arr(x):
    """The NumPy value of a Tensor (detached), or ``None``."""
    if x is None:
        return None
    if isinstance(x, ember.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def tensor(a, dtype=None):
    """Wrap a NumPy array (or scalar) as an ember Tensor, keeping its dtype."""
    a = np.asarray(a) if dtype is None else np.asarray(a, dtype=dtype)
    if not a.flags.c_contiguous:  # (np.ascontiguousarray would turn a 0-d array into 1-d)
        a = a.copy()
    try:
        return ember.from_numpy(a)
    except TypeError as e:  # float8, int4 ...: no ember dtype to hold them
        raise NotImplementedError(f"ember.onnx: tensors of dtype {a.dtype} are not supported") from e


def ints(x):
    """A 1-D integer input (shape, axes, pads ...) as a list of Python ints."""
    return [int(v) for v in np.asarray(arr(x)).reshape(-1)]


def is_float(x):
    return x.dtype.is_floating_point


def np_dtype(x):
    return np.dtype(x.dtype.numpy)


def to_ember_dtype(np_dt):
    return _dtypes.from_numpy(np.dtype(np_dt))


def needs_grad(*xs):
    return any(isinstance(x, ember.Tensor) and x.requires_grad for x in xs)


def axis_of(axis, rank):
    return axis + rank if axis < 0 else axis


from . import (elementwise, shape, indexing, reduce, conv, normalization, recurrent, resize,  # noqa: E402,F401
               control, attention, loss, quantize, vision, sequence, signal)
