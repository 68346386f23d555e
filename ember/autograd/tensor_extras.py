"""Tensor methods of PyTorch's older or rarer API, bound onto :class:`Tensor` on import:
``new`` (the legacy constructor), ``as_subclass``, ``output_nr`` and ``name``.

* ``x.new(*sizes)`` is an uninitialized tensor of ``x``'s dtype, ``x.new(data)`` one holding
  ``data`` (a list or a tensor of ``x``'s dtype), ``x.new()`` an empty one.
* ``x.as_subclass(cls)`` is ``x`` viewed as an instance of the Tensor subclass ``cls`` (same data).
* ``x.output_nr`` is which output of ``x.grad_fn`` ``x`` is (0 for leaves).
* ``x.name`` is None (PyTorch's named-tensor slot of an unnamed tensor; read-only).

>>> import ember
>>> ember.ones(2).new([1, 2])
tensor([1., 2.])
"""
import numpy as np

from .tensor import Tensor, _new, make

__all__ = []


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


Tensor.new = _legacy_new
Tensor.as_subclass = _as_subclass
Tensor.output_nr = property(_output_nr, doc="Which output of ``grad_fn`` this tensor is (0 for leaves).")
Tensor.name = property(lambda self: None, doc="None: ember has no named tensors.")
