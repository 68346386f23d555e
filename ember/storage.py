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

__all__ = ["UntypedStorage", "TypedStorage", "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
           "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
           "ComplexFloatStorage", "ComplexDoubleStorage"]


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

    def __iter__(self):
        return iter(self.tolist())

    def __array__(self, dtype=None, copy=None):
        # torch.tensor(storage): the elements, as a 1-d tensor of the storage's dtype
        e = self._elements()
        return e if dtype is None else e.astype(dtype)

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

    def type(self, dtype=None, non_blocking=False):
        """The storage's legacy class name (``"torch.FloatStorage"``)."""
        if dtype is None:
            return f"{_dt.PREFIX[0]}.{_LEGACY_NAME[self.dtype.name]}"
        raise NotImplementedError("TypedStorage.type(dtype): convert the tensor instead (tensor.to(dtype))")

    def __repr__(self):
        return " " + "\n ".join(str(v) for v in self.tolist()) + \
            f"\n[{_dt.PREFIX[0]}.storage.TypedStorage(dtype={self.dtype}, device=cpu) of size {self.size()}]"


_LEGACY_NAME = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
                "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
                "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
                "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}


class _LegacyStorageType(type):
    """The legacy typed storage classes (``torch.FloatStorage`` ...): calling one makes a :class:`TypedStorage`
    of its dtype; ``isinstance(s, torch.FloatStorage)`` is a dtype check, as in PyTorch."""

    @property
    def dtype(cls):
        return _dt.to_dtype(cls._dtype_name)   # bfloat16 resolves (ml_dtypes) only when asked for

    def __instancecheck__(cls, obj):
        return isinstance(obj, TypedStorage) and obj.dtype.name == cls._dtype_name

    def __repr__(cls):
        return f"<class '{_dt.PREFIX[0]}.{cls.__name__}'>"


class _LegacyStorage(metaclass=_LegacyStorageType):
    _dtype_name = None

    def __new__(cls, *args, wrap_storage=None, device=None):
        return TypedStorage(*args, dtype=cls.dtype, wrap_storage=wrap_storage, device=device)

    @classmethod
    def from_buffer(cls, buffer, byte_order="native", count=-1, offset=0):
        """Elements of ``cls``'s dtype read from ``buffer`` (bytes) at byte ``offset``, ``count`` of them (-1: all),
        in ``byte_order`` ("native", "little" or "big")."""
        if byte_order not in ("native", "little", "big"):
            raise ValueError(f"from_buffer: byte_order must be 'native', 'little' or 'big', got {byte_order!r}")
        nd = np.dtype(cls.dtype.numpy)
        if byte_order != "native" and nd.itemsize > 1:
            nd = nd.newbyteorder("<" if byte_order == "little" else ">")
        arr = np.frombuffer(bytes(buffer), dtype=nd, count=count, offset=offset).astype(cls.dtype.numpy)
        return TypedStorage(dtype=cls.dtype, wrap_storage=UntypedStorage(arr.view(np.uint8).reshape(-1)))


def _legacy(dtype_name):
    name = _LEGACY_NAME[dtype_name]
    return _LegacyStorageType(name, (_LegacyStorage,), {"_dtype_name": dtype_name, "__module__": "torch",
                                                        "__doc__": f"Storages of dtype {dtype_name} (legacy "
                                                                   f"``torch.{name}``)."})


FloatStorage, DoubleStorage, HalfStorage, BFloat16Storage = (_legacy(n) for n in ("float32", "float64", "float16",
                                                                                 "bfloat16"))
LongStorage, IntStorage, ShortStorage, CharStorage = (_legacy(n) for n in ("int64", "int32", "int16", "int8"))
ByteStorage, BoolStorage = _legacy("uint8"), _legacy("bool")
ComplexFloatStorage, ComplexDoubleStorage = _legacy("complex64"), _legacy("complex128")
_BY_DTYPE = {c._dtype_name: c for c in (FloatStorage, DoubleStorage, HalfStorage, BFloat16Storage, LongStorage,
                                         IntStorage, ShortStorage, CharStorage, ByteStorage, BoolStorage,
                                         ComplexFloatStorage, ComplexDoubleStorage)}


def _untyped_storage(self):
    root, _ = _storage(self._data)
    if root is None:
        raise RuntimeError("untyped_storage(): this tensor's memory is not one flat array (a NumPy view ember "
                           "cannot map back to its storage)")
    return UntypedStorage(root.reshape(-1).view(np.uint8))


def _typed_storage(self):
    return TypedStorage(dtype=self.dtype, wrap_storage=_untyped_storage(self))


def _storage_type(self):
    """The legacy storage class of this tensor's dtype (``torch.FloatStorage`` for float32)."""
    try:
        return _BY_DTYPE[self.dtype.name]
    except KeyError:
        raise RuntimeError(f"storage_type(): no legacy storage class for {self.dtype}") from None


Tensor.untyped_storage = _untyped_storage
Tensor.storage = _typed_storage
Tensor.storage_type = _storage_type
