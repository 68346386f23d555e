"""dtype conversion: ``to``, ``float``, ``double``, ``half``, ``long``, ``int``, ``bool``, ``type_as``.

A conversion between floating dtypes is differentiable (the gradient is cast
back); a conversion to an integer or bool dtype ends the graph, as in PyTorch.
"""
import builtins

import numpy as np

from ...backend import dtypes as _dt
from ...backend import float8 as _float8
from ...backend.half import to_half
from .. import grad_mode
from ..node import Node
from ..tensor import Tensor, device as _device, require_cpu as _require_cpu
from ...backend import meta as _meta
from ._util import out

_gm = grad_mode.state


def _cast(x, d, copy=False):
    a = x._data
    if a.dtype == d.numpy and not copy:
        return x
    if a.dtype.kind == "c" and not d.is_complex:
        # PyTorch warns and keeps the real part; NumPy's ComplexWarning says the same less clearly.
        import warnings
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=3)
        a = a.real
    if d.itemsize == 1 and _float8.is_float8(d.numpy):
        t = out(_float8.cast(a, d.numpy))
    else:
        t = out(to_half(a) if d.itemsize == 2 and d.numpy.char == "e" else a.astype(d.numpy))
    if _gm.enabled and x._rg and (d.is_floating_point or d.is_complex):
        src = x.dtype
        t.grad_fn = Node("ToCopyBackward0", lambda g: (_cast_grad(g, src),), (x,))
        t._rg = True
    return t


def _cast_grad(g, d):
    """A gradient in the input's dtype; a complex gradient of a real input keeps its real part."""
    if g._data.dtype.kind == "c" and not d.is_complex:
        from .complex_numbers import real
        return _cast(real(g), d)
    return _cast(g, d)


def to(input, *args, **kwargs):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; the devices are the CPU and meta (a
    CPU tensor moved to meta keeps its shape and dtype; a meta tensor has no data to move to the CPU)."""
    d = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    dev = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in args:
        if isinstance(a, Tensor):
            d = a.dtype
            dev = a.device
        elif isinstance(a, _dt.dtype) or builtins.type(a).__name__ == "dtype" or a in (builtins.float, builtins.int,
                                                                                       builtins.bool, builtins.complex):
            d = a
        elif isinstance(a, (str, _device)):
            dev = a
        elif a is None or isinstance(a, builtins.bool):
            pass
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if dev is not None:
        if _device(dev).type == "meta":
            if not input.is_meta:
                input = _to_meta(input)
        else:
            _require_cpu(dev)  # raises for anything but the CPU
            if input.is_meta:
                raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    if d is None:
        return input.clone() if copy else input
    return _cast(input, _dt.to_dtype(d), copy)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "bfloat16": "BFloat16Tensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
               "uint8": "ByteTensor", "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}


def type(input, dtype=None, non_blocking=False):
    """``t.type()`` is PyTorch's type string (``"torch.FloatTensor"``: programs compare it);
    ``t.type(dtype)`` casts, ``dtype`` a dtype, a legacy class (``torch.LongTensor``) or its name."""
    if dtype is None:
        return "torch." + _TYPE_NAMES.get(input.dtype.name, "Tensor")
    if isinstance(dtype, str) and dtype.rpartition(".")[2] in _TYPE_NAMES.values():
        dtype = next(k for k, v in _TYPE_NAMES.items() if v == dtype.rpartition(".")[2])
    return _cast(input, _dt.to_dtype(getattr(dtype, "dtype", dtype)))


def float(input, memory_format=None):
    return _cast(input, _dt.float32)


def double(input, memory_format=None):
    return _cast(input, _dt.float64)


def half(input, memory_format=None):
    return _cast(input, _dt.float16)


def bfloat16(input, memory_format=None):
    """A bfloat16 copy (needs ml_dtypes, the ``bfloat16`` extra)."""
    return _cast(input, _dt.to_dtype("bfloat16"))


def long(input, memory_format=None):
    return _cast(input, _dt.int64)


def int(input, memory_format=None):
    return _cast(input, _dt.int32)


def short(input, memory_format=None):
    return _cast(input, _dt.int16)


def char(input, memory_format=None):
    return _cast(input, _dt.int8)


def byte(input, memory_format=None):
    return _cast(input, _dt.uint8)


def bool(input, memory_format=None):
    return _cast(input, _dt.bool_)


def type_as(input, other):
    return _cast(input, other.dtype)


def _to_meta(x):
    """``x.to("meta")``: a meta tensor of ``x``'s shape and dtype, in the graph when ``x`` requires grad."""
    t = out(_meta.like(x._data))
    if _gm.enabled and x._rg:
        t.grad_fn = Node("ToCopyBackward0", lambda g: (to(g, "cpu"),), (x,))
        t._rg = True
    return t


def cpu(input, memory_format=None):
    if input.is_meta:
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    return input


def cuda(input, device=None, non_blocking=False):
    raise RuntimeError("ember runs on the CPU only; there is no CUDA device")


def pin_memory(input, device=None):
    """As PyTorch without an accelerator: pinned memory needs one, so this raises."""
    raise RuntimeError("Cannot access accelerator device when none is available.")


def is_pinned(input, device=None):
    """False: CPU tensors are never pinned without an accelerator."""
    return False


def record_stream(input, stream):
    """As PyTorch for a CPU tensor: the op exists only for accelerator streams, so this raises."""
    raise NotImplementedError("Could not run 'aten::record_stream' with arguments from the 'CPU' backend.")


def view_as_dtype(input, dtype):
    d = _dt.to_dtype(dtype)
    return out(input._data.view(d.numpy))


def in_float32(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` for bfloat16 or float16 tensors as PyTorch's CPU kernels compute them: each
    bfloat16/float16 tensor argument (also inside a list or tuple) upcast to float32, ``fn`` run in float32,
    and each float32 tensor it returns rounded once to the first such argument's dtype.

    The casts are differentiable, so the gradient also runs in float32 and is rounded once, as PyTorch's
    fused backward kernels (``softmax_backward_data``, ``native_layer_norm_backward`` ...) do. Ops call this
    only from the branch where their input is not float32, so float32 pays nothing for it. For float16 it is
    also the fast path: NumPy has no float16 BLAS (a 128x784x128 float16 matmul takes 26 ms, 0.3 ms in
    float32 with the two casts).
    """
    low = []

    def up(v):
        if isinstance(v, Tensor):
            if v._data.dtype.kind == "V" or v._data.dtype.char == "e":
                low.append(v.dtype)
                return _cast(v, _dt.float32)
            return v
        if isinstance(v, (list, tuple)) and builtins.any(isinstance(e, Tensor) for e in v):
            return builtins.type(v)(up(e) for e in v)
        return v

    args = [up(a) for a in args]
    kwargs = {k: up(v) for k, v in kwargs.items()}
    r = fn(*args, **kwargs)
    if not low:
        return r
    lowp = low[0]

    def down(v):
        if isinstance(v, Tensor):
            return _cast(v, lowp) if v._data.dtype == np.float32 else v
        if isinstance(v, tuple):
            items = [down(e) for e in v]
            return builtins.type(v)(*items) if hasattr(v, "_fields") else builtins.type(v)(items)
        return v
    return down(r)
