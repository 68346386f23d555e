"""Tensor methods of PyTorch's older or rarer API, bound onto :class:`Tensor` on import:
``new`` (the legacy constructor), ``as_subclass``, ``output_nr``, ``name``, ``set_``, ``is_set_to``,
``const_data_ptr``, ``dim_order``, ``nonzero_static``, ``is_distributed`` and ``module_load``.

* ``x.new(*sizes)`` is an uninitialized tensor of ``x``'s dtype, ``x.new(data)`` one holding
  ``data`` (a list or a tensor of ``x``'s dtype), ``x.new()`` an empty one.
* ``x.as_subclass(cls)`` is ``x`` viewed as an instance of the Tensor subclass ``cls`` (same data).
* ``x.output_nr`` is which output of ``x.grad_fn`` ``x`` is (0 for leaves).
* ``x.name`` is None (PyTorch's named-tensor slot of an unnamed tensor; read-only).
* ``x.set_(src)`` makes ``x`` share ``src``'s memory, shape and strides (``x.set_()``: empty);
  ``x.is_set_to(y)`` tells whether the two do.
* ``x.dim_order()`` lists the dims from outermost to innermost in memory (by decreasing stride).
* ``x.nonzero_static(size=n, fill_value=-1)``: ``nonzero()`` cut or padded to ``n`` rows.
* ``x.hash_tensor(dim=None)``: the xor of the elements' 64-bit patterns, as ``uint64``.
* ``x.share_memory_()`` returns ``x`` (NumPy memory needs no move to be seen by forked workers).

>>> import ember
>>> ember.ones(2).new([1, 2])
tensor([1., 2.])
"""
import numpy as np

from .tensor import Tensor, _new, make

__all__ = ["nonzero_static", "is_distributed", "hash_tensor"]


def _legacy_new(self, *args, device=None):
    dt = self._data.dtype
    if not args:
        return make(np.empty((0,), dt))
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other._data.dtype != dt:
            raise TypeError(f"new(): expected a tensor of dtype {self.dtype} (the tensor's own), got {other.dtype}")
        return make(other._data)
    if len(args) == 1 and isinstance(args[0], (list, tuple)) and not all(isinstance(a, int) for a in args[0]):
        return make(np.array(args[0], dtype=dt))
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        sizes = tuple(args[0])
        if type(args[0]) is list:  # a list of ints is data; torch.Size / tuple is a shape
            return make(np.array(args[0], dtype=dt))
    elif all(isinstance(a, (int, np.integer)) for a in args):
        sizes = tuple(int(a) for a in args)
    else:
        raise TypeError(f"new(): expected sizes (ints), a data list or a tensor, got {args!r}")
    return make(np.empty(sizes, dt))


def _as_subclass(self, cls):
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"as_subclass: cls must be a subclass of Tensor, got {cls!r}")
    out = _new(cls)
    out.__dict__.update(self.__dict__)
    out._data = self._data
    return out


def _output_nr(self):
    return getattr(self, "_out_idx", 0) if self.grad_fn is not None else 0


def _set(self, source=None, storage_offset=None, size=None, stride=None):
    if source is None:
        self._data = np.empty((0,), self._data.dtype)
    elif isinstance(source, Tensor):
        if size is not None or storage_offset not in (None, 0) or stride is not None:
            raise RuntimeError("set_: ember supports set_(tensor) and set_(), not storage offsets, sizes or strides")
        self._data = source._data
    else:
        raise TypeError(f"set_: expected a Tensor source, got {type(source).__name__}")
    self._bump()
    return self


def _is_set_to(self, tensor):
    a, b = self._data, tensor._data
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and a.shape == b.shape
            and a.strides == b.strides and a.dtype == b.dtype)


def _const_data_ptr(self):
    return self.data_ptr()


def _dim_order(self, *, ambiguity_check=False):
    strides = self._data.strides
    order = sorted(range(self._data.ndim), key=lambda d: (-strides[d], d))
    if ambiguity_check:
        shape = self._data.shape
        if any(s == 1 for s in shape) or len(set(strides)) != len(strides):
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of the "
                               "given memory formats.")
    return tuple(order)


def nonzero_static(input, *, size, fill_value=-1):
    """The indices of ``input``'s non-zero elements (``(size, input.ndim)``), cut to or padded with
    ``fill_value`` up to ``size`` rows."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")
    idx = np.argwhere(input._data)[:size]
    out = np.full((size, input._data.ndim), fill_value, np.int64)
    out[:len(idx)] = idx
    return make(out)


def is_distributed(input):
    """False: ember tensors are never sharded across processes."""
    return False


def _module_load(self, other, assign=False):
    # How load_state_dict (with swapping) turns a state-dict value into the tensor to swap in.
    if assign:
        return other.detach()
    from .grad_mode import no_grad
    with no_grad():
        self.copy_(other)
    return self.detach()


def hash_tensor(input, dim=None, *, keepdim=False, mode=0):
    """A ``uint64`` hash of ``input`` (over ``dim``, or all dims): the xor of its elements, each
    upcast to float64 (floating inputs) or int64 and read as 64 bits."""
    if mode != 0:
        raise RuntimeError(f"hash_tensor: only mode=0 (xor reduction) is supported, got {mode}")
    x = input._data
    if dim is None and x.size == 0:
        raise RuntimeError("hash_tensor: Expected reduction dim to be specified for input.numel() == 0. Specify "
                           "the reduction dim with the 'dim' argument.")
    dims = tuple(range(x.ndim)) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    dims = tuple(d % max(x.ndim, 1) for d in dims)
    for d in dims:
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"hash_tensor: Expected reduction dim {d} to have non-zero size.")
    wide = x.astype(np.float64) if x.dtype.kind == "f" else x.astype(np.int64)
    bits = np.ascontiguousarray(wide).view(np.uint64)
    out = np.bitwise_xor.reduce(bits, axis=dims, keepdims=keepdim) if x.ndim else bits
    return make(np.asarray(out, dtype=np.uint64))


def _share_memory_(self):
    # NumPy memory is shared with forked workers already (copy-on-write pages, as PyTorch's
    # shared tensors are under fork); nothing to move. It is marked, so is_shared() says True as torch's does.
    self._marked_shared = True
    return self


def _is_shared(self):
    """True after ``share_memory_()``, as PyTorch's CPU tensors answer."""
    return self.__dict__.get("_marked_shared", False)


Tensor.new = _legacy_new
Tensor.share_memory_ = _share_memory_
Tensor.is_shared = _is_shared
Tensor.hash_tensor = hash_tensor
Tensor.set_ = _set
Tensor.is_set_to = _is_set_to
Tensor.const_data_ptr = _const_data_ptr
Tensor.dim_order = _dim_order
Tensor.nonzero_static = lambda self, *, size, fill_value=-1: nonzero_static(self, size=size, fill_value=fill_value)
Tensor.is_distributed = is_distributed
Tensor.module_load = _module_load
Tensor.as_subclass = _as_subclass
Tensor.output_nr = property(_output_nr, doc="Which output of ``grad_fn`` this tensor is (0 for leaves).")
Tensor.name = property(lambda self: None, doc="None: ember has no named tensors.")
