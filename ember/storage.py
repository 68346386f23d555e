"""``torch.storage``: the flat memory under a tensor, as ``UntypedStorage`` (bytes) and ``TypedStorage``.

``x.untyped_storage()`` is the memory of the NumPy array that ``x``'s data is a view of (the root
of its ``.base`` chain, as ``x.storage_offset()`` counts from), seen as bytes: ``nbytes()``,
``data_ptr()`` (``x.data_ptr() - x.storage_offset() * x.element_size()``), ``s[i]`` (a byte),
``tolist()``. Writing through it (``fill_``, ``copy_``, ``s[i] = v``) writes the tensor's memory.
``x.storage()`` is the same memory as a :class:`TypedStorage` of ``x.dtype`` (PyTorch deprecates
it in favour of ``untyped_storage``). ``UntypedStorage(n)`` is ``n`` fresh zero bytes;
``UntypedStorage.from_file`` memory-maps a file (safetensors loads through it). Not provided:
``_share_filename_`` and the other inter-process hooks.

>>> import ember
>>> x = ember.arange(6.).reshape(2, 3)[:, 1:]
>>> s = x.untyped_storage()
>>> s.nbytes(), s.data_ptr() == x.data_ptr() - x.storage_offset() * x.element_size()
(24, True)
>>> x.storage().tolist()
[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
"""
import os

import numpy as np

from .autograd.ops.strided import _storage
from .autograd.tensor import Tensor, device as _device
from .backend import dtypes as _dt

__all__ = ["UntypedStorage", "TypedStorage"]


class UntypedStorage:
    """Bytes of memory: ``UntypedStorage(n)`` (zeros) or a tensor's (``x.untyped_storage()``)."""

    def __init__(self, size=0, *, device=None):
        if isinstance(size, np.ndarray):
            self._bytes = size
        elif isinstance(size, (bytes, bytearray, list)):
            self._bytes = np.array(bytearray(size), np.uint8)
        else:
            self._bytes = np.zeros(int(size), np.uint8)
        self.device = _device("cpu")

    @classmethod
    def from_file(cls, filename, shared=False, nbytes=0, size=None):
        """The first ``nbytes`` bytes of file ``filename``, memory-mapped: writes reach the file when ``shared``,
        else stay private (copy-on-write), as torch. safetensors' ``load_file`` / ``safe_open`` read through this.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "b.bin")
        >>> _ = open(path, "wb").write(bytes([1, 2, 3, 4]))
        >>> UntypedStorage.from_file(path, shared=False, nbytes=4).tolist()
        [1, 2, 3, 4]
        """
        n = int(nbytes if size is None else size)
        if n == 0:
            return cls(0)
        length = os.path.getsize(filename)
        if length < n:
            raise RuntimeError(f"unable to mmap {n} bytes from file <{filename}>: the file holds {length} bytes")
        return cls(np.memmap(filename, dtype=np.uint8, mode="r+" if shared else "c", shape=(n,)))

    def __array__(self, dtype=None, copy=None):
        # torch.asarray(storage[a:b], dtype=torch.uint8), as safetensors builds each tensor of a file
        return self._bytes if dtype is None else self._bytes.astype(dtype)

    def nbytes(self):
        return int(self._bytes.size)

    size = nbytes
    __len__ = nbytes

    def element_size(self):
        return 1

    def data_ptr(self):
        return int(self._bytes.__array_interface__["data"][0])

    def __getitem__(self, i):
        return int(self._bytes[i]) if isinstance(i, int) else UntypedStorage(self._bytes[i])

    def __setitem__(self, i, value):
        self._bytes[i] = value

    def tolist(self):
        return self._bytes.tolist()

    def fill_(self, value):
        self._bytes[...] = value
        return self

    def copy_(self, src, non_blocking=False):
        if src.nbytes() != self.nbytes():
            raise RuntimeError(f"copy_: storages of {self.nbytes()} and {src.nbytes()} bytes differ in size")
        self._bytes[...] = src._bytes
        return self

    def clone(self):
        return UntypedStorage(self._bytes.copy())

    def cpu(self):
        return self

    def is_shared(self):
        return False

    def share_memory_(self):
        return self

    def is_pinned(self, device="cuda"):
        return False

    @property
    def is_cuda(self):
        return False

    def untyped(self):
        return self

    def __repr__(self):
        return " " + "\n ".join(str(b) for b in self._bytes.tolist()) + \
            f"\n[ember.storage.UntypedStorage(device=cpu) of size {self.nbytes()}]"


class TypedStorage:
    """An :class:`UntypedStorage` read as elements of ``dtype``."""

    is_sparse = False

    def __init__(self, *args, dtype=None, device=None, wrap_storage=None):
        self.dtype = _dt.float32 if dtype is None else dtype
        np_dtype = self.dtype.numpy
        if wrap_storage is not None:
            self._untyped_storage = wrap_storage
        elif args and isinstance(args[0], (list, tuple)):
            self._untyped_storage = UntypedStorage(np.asarray(args[0], np_dtype).view(np.uint8).reshape(-1))
        else:
            n = int(args[0]) if args else 0
            self._untyped_storage = UntypedStorage(n * np.dtype(np_dtype).itemsize)
        self._np_dtype = np.dtype(np_dtype)
        self.device = _device("cpu")

    def _elements(self):
        return self._untyped_storage._bytes.view(self._np_dtype)

    def size(self):
        return self.nbytes() // self.element_size()

    __len__ = size

    def element_size(self):
        return self._np_dtype.itemsize

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def untyped(self):
        return self._untyped_storage

    def tolist(self):
        return self._elements().tolist()

    def __getitem__(self, i):
        return self._elements()[i].item()

    def __setitem__(self, i, value):
        self._elements()[i] = value

    def fill_(self, value):
        self._elements()[...] = value
        return self

    def cpu(self):
        return self

    def is_shared(self):
        return False

    def __repr__(self):
        return " " + "\n ".join(str(v) for v in self.tolist()) + \
            f"\n[ember.storage.TypedStorage(dtype={self.dtype}, device=cpu) of size {self.size()}]"


def _untyped_storage(self):
    root, _ = _storage(self._data)
    if root is None:
        raise RuntimeError("untyped_storage(): this tensor's memory is not one flat array (a NumPy view ember "
                           "cannot map back to its storage)")
    return UntypedStorage(root.reshape(-1).view(np.uint8))


def _typed_storage(self):
    return TypedStorage(dtype=self.dtype, wrap_storage=_untyped_storage(self))


Tensor.untyped_storage = _untyped_storage
Tensor.storage = _typed_storage
