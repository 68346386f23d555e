"""Zero-copy exchange with other array libraries and files: ``frombuffer``, ``from_file``,
``from_dlpack`` and ``to_dlpack``.

``frombuffer(buffer, dtype=...)`` views any object with the buffer protocol (``bytes``,
``bytearray``, ``array.array``, ``mmap``) as a 1-d tensor. ``from_dlpack(x)`` views an object that
speaks DLPack (a PyTorch tensor, a NumPy array, a JAX / CuPy CPU array, or a DLPack capsule) and
``to_dlpack(t)`` hands a tensor's memory to another library: both share memory, no copy.
``from_file(path, shared, size)`` maps ``size`` elements of a binary file (``shared=True``: writes go
to the file, which is created or grown as needed).

>>> import array, ember
>>> frombuffer(array.array("f", [1.0, 2.0]), dtype=ember.float32)
tensor([1., 2.])
"""
import warnings

import numpy as np

from ember.autograd import Tensor
from ember.backend.dtypes import dtype as _dtype_cls
from ember.creation import from_numpy

__all__ = ["frombuffer", "from_file", "from_dlpack", "to_dlpack"]


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-d tensor over ``buffer``'s memory: ``count`` items (``-1``: all) of ``dtype`` from byte
    ``offset``. Writing to the tensor writes to the buffer."""
    if not isinstance(dtype, _dtype_cls):
        raise TypeError(f"frombuffer(): argument 'dtype' must be an ember dtype, not {type(dtype).__name__}")
    try:
        view = memoryview(buffer)
    except TypeError:
        raise TypeError(f"frombuffer(): object of type {type(buffer).__name__} does not implement the buffer "
                        "protocol") from None
    itemsize = np.dtype(dtype.numpy).itemsize
    nbytes = view.nbytes
    if offset < 0 or offset > nbytes or (offset == nbytes and nbytes):
        raise ValueError(f"frombuffer(): offset ({offset} bytes) must be non-negative and no greater than buffer "
                         f"length ({nbytes} bytes) minus 1")
    if count <= 0 and count != -1:
        raise ValueError(f"frombuffer(): count must be -1 or positive, got {count}")
    if count == -1 and (nbytes - offset) % itemsize:
        raise ValueError(f"frombuffer(): buffer length ({nbytes - offset} bytes) after offset ({offset} bytes) must "
                         f"be a multiple of element size ({itemsize})")
    if count > 0 and nbytes - offset < count * itemsize:
        raise ValueError(f"frombuffer(): requested buffer length ({count} * {itemsize} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length ({nbytes} bytes)")
    if view.readonly:
        warnings.warn("The given buffer is not writable, and ember does not support non-writable tensors. Writing "
                      "to this tensor would be undefined behavior.", UserWarning, stacklevel=2)
    array = np.frombuffer(buffer, dtype=dtype.numpy, count=count, offset=offset)
    t = from_numpy(array)
    return t.requires_grad_(True) if requires_grad else t


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None, pin_memory=False):
    """A 1-d tensor of ``size`` elements of ``dtype`` (default float32) mapped from ``filename``:
    with ``shared=True`` changes are written to the file, otherwise they stay in memory."""
    import os
    from ember.backend.dtypes import get_default_dtype
    np_dtype = np.dtype((dtype or get_default_dtype()).numpy)
    nbytes = size * np_dtype.itemsize
    if shared:
        if not os.path.exists(filename) or os.path.getsize(filename) < nbytes:
            with open(filename, "ab") as f:
                f.truncate(nbytes)
    else:
        have = os.path.getsize(filename)
        if have < nbytes:
            raise RuntimeError(f"file <{filename}> size <{have}> is smaller than the required mapping size <{nbytes}>")
    if size == 0:
        return from_numpy(np.zeros(0, np_dtype))
    array = np.memmap(filename, dtype=np_dtype, mode="r+" if shared else "c", shape=(size,))
    return from_numpy(np.asarray(array) if not shared else array)


class _Capsule:
    """A bare DLPack capsule, given the ``__dlpack__`` protocol NumPy's importer expects."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU


def from_dlpack(ext_tensor):
    """A tensor sharing memory with ``ext_tensor`` (any CPU object with ``__dlpack__``, or a capsule)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    source = ext_tensor if hasattr(ext_tensor, "__dlpack__") else _Capsule(ext_tensor)
    if hasattr(ext_tensor, "__dlpack_device__") and ext_tensor.__dlpack_device__()[0] != 1:
        raise RuntimeError(f"from_dlpack: ember tensors live on the CPU; the given object is on DLPack device "
                           f"{ext_tensor.__dlpack_device__()}")
    try:
        array = np.from_dlpack(source)
    except (TypeError, BufferError, RuntimeError) as e:
        raise RuntimeError(f"from_dlpack: cannot import {type(ext_tensor).__name__}: {e}") from None
    return from_numpy(array)


def to_dlpack(tensor):
    """A DLPack capsule of ``tensor``'s memory, for ``torch.from_dlpack`` / ``numpy.from_dlpack`` elsewhere."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack: expected an ember Tensor, got {type(tensor).__name__}")
    if tensor.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    return tensor._data.__dlpack__()
