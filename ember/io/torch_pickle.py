"""Read PyTorch's ``torch.save`` files without unpickling: state dicts, optimizer states and
checkpoint dicts written by real PyTorch load into ember.

A ``torch.save`` file is a zip archive (PyTorch >= 1.6) holding ``<name>/data.pkl``, a pickle of
the saved object in which every tensor is a call
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`` whose
``storage`` is a persistent id ``("storage", torch.FloatStorage, key, "cpu", numel)``, and one
record ``<name>/data/<key>`` of raw bytes per storage (byte order in ``<name>/byteorder``). Older
files (``_use_new_zipfile_serialization=False``) are five pickles in a row (magic number,
protocol 1001, system info, the object, the storage keys) followed by each storage as an int64
element count and its bytes.

The pickles are read by :mod:`ember.io.restricted_pickle`'s own opcode interpreter with the
policy below: besides plain data it accepts exactly the names ``torch.save`` writes for tensors,
parameters, dtypes, ``torch.Size``, ``torch.device``, ``collections.OrderedDict`` and NumPy
scalars, and builds their values itself. Nothing named in the file is ever imported or called,
so a file cannot run code; a file holding anything else (a whole pickled ``nn.Module``, say) is
refused with the name it asked for, as ``torch.load(weights_only=True)`` refuses it.

A tensor comes back as :class:`TorchTensor` (its NumPy array, ``requires_grad``, whether it was
a Parameter); :func:`ember.load` turns those into ember tensors. Views of one storage (a tensor
and its transpose, say) are views of one NumPy array, as they share memory in PyTorch.
bfloat16 storages load as ml_dtypes' bfloat16 (``ember.bfloat16``), or as float32 (exact) without ml_dtypes.

>>> import io, zipfile
>>> is_torch_zip(io.BytesIO(b"not a zip"))
False
"""
import collections
import os
import zipfile

import numpy as np

from ember.io.restricted_pickle import RestrictedPickleError, _make_dtype, _PolicyGlobal, _resolve, load_at

__all__ = ["TorchTensor", "is_torch_file", "is_torch_zip", "load_torch_file", "RestrictedPickleError"]

# torch.<Name>Storage -> the NumPy dtype of its elements (bfloat16 is read as its raw uint16)
_STORAGES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
             "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
             "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
             "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128"}
_DTYPES = {"float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
           "complex64", "complex128", "double", "float", "half", "long", "int", "short", "uint16", "uint32",
           "uint64"}
_REBUILDERS = {"torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
               "torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2"}
_LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
_LEGACY_PROTOCOL = 1001


class TorchTensor:
    """A tensor read from a PyTorch file: ``array`` (NumPy), ``requires_grad``, ``parameter``."""

    __slots__ = ("array", "requires_grad", "parameter")

    def __init__(self, array, requires_grad=False, parameter=False):
        self.array, self.requires_grad, self.parameter = array, requires_grad, parameter


class TorchDtype:
    """A ``torch.<dtype>`` named in the file (``name`` as in ember, ``"float32"``)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class TorchDevice(str):
    """A ``torch.device`` in the file, as its string (``"cpu"``, ``"cuda:0"``)."""


class _Storage:
    __slots__ = ("key", "dtype", "numel", "array")

    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel, self.array = key, dtype, numel, None


class _TensorStub:
    """A tensor whose storage bytes come later (legacy files store them after the pickle)."""

    __slots__ = ("storage", "offset", "size", "stride", "requires_grad", "parameter")

    def __init__(self, storage, offset, size, stride, requires_grad):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad, self.parameter = requires_grad, False


def _ints(value, what):
    if not isinstance(value, tuple) or not all(type(v) is int for v in value):
        raise RestrictedPickleError(f"a tensor's {what} must be a tuple of ints, got {value!r}")
    return value


class _Policy:
    def __init__(self, source):
        self.source = source
        self.storages = {}

    def accepts(self, module, name):
        full = f"{module}.{name}"
        if full in _REBUILDERS or full in ("collections.OrderedDict", "torch.Size", "torch.device",
                                           "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
                                           "builtins.set", "builtins.frozenset", "builtins.complex"):
            return True
        if module == "torch" and (name in _STORAGES or name in _DTYPES):
            return True
        return module == "torch.nn.parameter" and name == "Parameter" or module == "torch" and name == "Tensor"

    def persistent(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] in ("storage", b"storage")):
            raise RestrictedPickleError(f"{self.source}: unknown persistent id {str(pid)[:80]}")
        kind, key, numel = pid[1], pid[2], pid[4]
        name = getattr(kind, "name", "").rpartition(".")[2]
        if not (isinstance(kind, _PolicyGlobal) and name in _STORAGES):
            raise RestrictedPickleError(f"{self.source}: a storage of unknown type {getattr(kind, 'name', kind)!r}")
        key = key.decode() if isinstance(key, bytes) else str(key)
        if type(numel) is not int or numel < 0:
            raise RestrictedPickleError(f"{self.source}: storage {key} has a bad element count {numel!r}")
        dtype = _STORAGES[name]
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(key, dtype, numel)
        elif storage.dtype != dtype:
            raise RestrictedPickleError(f"{self.source}: storage {key} is read as both {storage.dtype} and {dtype}")
        return storage

    def call(self, name, args):
        if name in ("torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor"):
            if len(args) < 4 or not isinstance(args[0], _Storage) or type(args[1]) is not int:
                raise RestrictedPickleError(f"{self.source}: malformed {name} arguments")
            requires_grad = bool(args[4]) if len(args) > 4 else False
            return _TensorStub(args[0], args[1], _ints(args[2], "size"), _ints(args[3], "stride"), requires_grad)
        if name in ("torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"):
            if len(args) < 2 or not isinstance(args[0], _TensorStub):
                raise RestrictedPickleError(f"{self.source}: malformed {name} arguments")
            args[0].requires_grad, args[0].parameter = bool(args[1]), True
            return args[0]
        if name == "torch._tensor._rebuild_from_type_v2":
            # (rebuild function, tensor type, its arguments, state): only plain tensors and
            # Parameters, through the rebuilders above.
            if (len(args) < 3 or not isinstance(args[0], _PolicyGlobal) or args[0].name not in _REBUILDERS
                    or args[0].name == name or not isinstance(args[2], tuple)):
                raise RestrictedPickleError(f"{self.source}: malformed {name} arguments")
            kind = getattr(args[1], "name", None)
            if kind not in ("torch.Tensor", "torch.nn.parameter.Parameter"):
                raise RestrictedPickleError(f"{self.source}: refusing a tensor subclass ({kind}) in {name}")
            out = self.call(args[0].name, args[2])
            if not isinstance(out, _TensorStub):
                raise RestrictedPickleError(f"{self.source}: {name} did not rebuild a tensor")
            out.parameter = out.parameter or kind == "torch.nn.parameter.Parameter"
            return out
        if name == "collections.OrderedDict":
            if args not in ((), ([],)):
                raise RestrictedPickleError(f"{self.source}: OrderedDict is only rebuilt empty, then filled")
            return collections.OrderedDict()
        if name == "torch.Size":
            if len(args) != 1:
                raise RestrictedPickleError(f"{self.source}: malformed torch.Size arguments")
            return tuple(_ints(tuple(args[0]), "torch.Size"))
        if name == "torch.device":
            if not args or not isinstance(args[0], str) or (len(args) > 1 and type(args[1]) is not int):
                raise RestrictedPickleError(f"{self.source}: malformed torch.device arguments")
            return TorchDevice(args[0] if len(args) == 1 else f"{args[0]}:{args[1]}")
        if name.endswith("multiarray.scalar"):
            if len(args) != 2 or not isinstance(args[1], bytes):
                raise RestrictedPickleError(f"{self.source}: malformed NumPy scalar")
            dtype = _resolve(args[0])
            if not isinstance(dtype, np.dtype) or dtype.hasobject or len(args[1]) != dtype.itemsize:
                raise RestrictedPickleError(f"{self.source}: malformed NumPy scalar")
            return np.frombuffer(args[1], dtype=dtype)[0]
        if name in ("builtins.set", "builtins.frozenset"):
            items = args[0] if args else []
            if not isinstance(items, (list, tuple)):
                raise RestrictedPickleError(f"{self.source}: malformed {name} arguments")
            return (set if name == "builtins.set" else frozenset)(items)
        if name == "builtins.complex":
            if not all(isinstance(a, (int, float)) for a in args):
                raise RestrictedPickleError(f"{self.source}: malformed complex")
            return complex(*args)
        # Storage types, dtypes, torch.Tensor and Parameter are names, not things to call.
        raise RestrictedPickleError(f"{self.source}: refusing to call {name}")

    def build(self, target, state):
        if isinstance(target, _TensorStub):
            return True  # tensor state (hooks, extra attributes): not part of the values
        if isinstance(target, collections.OrderedDict) and isinstance(state, dict):
            return True  # a state_dict's _metadata (its modules' versions): ember does not use it
        return False


def _finish(value, policy, depth=0):
    """Replace the tensor stubs and names in ``value`` now that every storage has its bytes."""
    if depth > 200:
        raise RestrictedPickleError(f"{policy.source}: data nested too deeply")
    if isinstance(value, _TensorStub):
        return TorchTensor(_view(value, policy.source), value.requires_grad, value.parameter)
    if isinstance(value, _PolicyGlobal):
        return _name(value.name, policy.source)
    if isinstance(value, collections.OrderedDict):
        return collections.OrderedDict((k, _finish(v, policy, depth + 1)) for k, v in value.items())
    if isinstance(value, dict):
        return {k: _finish(v, policy, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_finish(v, policy, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_finish(v, policy, depth + 1) for v in value)
    return value


def _name(full, source):
    module, _, name = full.rpartition(".")
    if module == "torch" and name in _DTYPES:
        return TorchDtype(name)
    raise RestrictedPickleError(f"{source}: the name {full} stands alone in the data")


def _view(stub, source):
    storage = stub.storage
    if storage.array is None:
        raise RestrictedPickleError(f"{source}: storage {storage.key} has no data")
    base = storage.array
    if any(s < 0 for s in stub.size) or any(s < 0 for s in stub.stride) or stub.offset < 0:
        raise RestrictedPickleError(f"{source}: a tensor with negative size, stride or offset")
    if 0 not in stub.size:
        last = stub.offset + sum((n - 1) * s for n, s in zip(stub.size, stub.stride))
        if last >= base.size:
            raise RestrictedPickleError(f"{source}: a tensor of size {stub.size} and stride {stub.stride} at "
                                        f"offset {stub.offset} reaches past its storage of {base.size} elements")
    item = base.itemsize
    return np.lib.stride_tricks.as_strided(base[stub.offset:] if base.size else base, shape=stub.size,
                                           strides=[s * item for s in stub.stride], writeable=False)


def _storage_array(raw, dtype, numel, key, source, big_endian=False):
    np_dtype = np.dtype("uint16") if dtype == "bfloat16" else _make_dtype(dtype) if dtype != "bool" else np.dtype(bool)
    if len(raw) != numel * np_dtype.itemsize:
        raise RestrictedPickleError(f"{source}: storage {key} holds {len(raw)} bytes, expected "
                                    f"{numel} x {np_dtype.itemsize}")
    arr = np.frombuffer(raw, dtype=np_dtype.newbyteorder(">") if big_endian else np_dtype)
    if big_endian:
        arr = arr.astype(np_dtype)
    if dtype == "bfloat16":
        from .safetensors import _bfloat16
        arr = _bfloat16(arr)
    return arr


def is_torch_zip(f):
    """True when ``f`` (a path or a seekable binary file) is a zip with a ``data.pkl`` record."""
    try:
        with zipfile.ZipFile(f) as z:
            return any(n.endswith("/data.pkl") or n == "data.pkl" for n in z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        if hasattr(f, "seek"):
            f.seek(0)


def _is_legacy(head):
    # the first pickle is the magic number: PROTO 2, LONG1 of 10 bytes, the number, STOP
    return head[:4] == b"\x80\x02\x8a\x0a" and int.from_bytes(head[4:14], "little") == _LEGACY_MAGIC


def is_torch_file(f):
    """True when ``f`` is a ``torch.save`` file (zip or legacy format)."""
    if is_torch_zip(f):
        return True
    if hasattr(f, "read"):
        head = f.read(16)
        f.seek(0)
    else:
        with open(f, "rb") as fh:
            head = fh.read(16)
    return _is_legacy(head)


def _load_zip(f, source):
    with zipfile.ZipFile(f) as z:
        names = z.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
        prefix = pkl[:-len("data.pkl")]
        big = prefix + "byteorder" in names and z.read(prefix + "byteorder").strip() == b"big"
        policy = _Policy(source)
        data = z.read(pkl)
        value, end = load_at(data, 0, policy)
        for key, storage in policy.storages.items():
            record = f"{prefix}data/{key}"
            if record not in names:
                raise RestrictedPickleError(f"{source}: the archive has no record {record}")
            storage.array = _storage_array(z.read(record), storage.dtype, storage.numel, key, source, big)
    return _finish(value, policy)


def _load_legacy(data, source):
    policy = _Policy(source)
    magic, pos = load_at(data, 0)
    protocol, pos = load_at(data, pos)
    if magic != _LEGACY_MAGIC or protocol != _LEGACY_PROTOCOL:
        raise RestrictedPickleError(f"{source}: not a PyTorch legacy checkpoint (protocol {protocol})")
    sys_info, pos = load_at(data, pos)
    little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True)
    value, pos = load_at(data, pos, policy)
    keys, pos = load_at(data, pos)
    if not isinstance(keys, list):
        raise RestrictedPickleError(f"{source}: malformed storage key list")
    for key in keys:
        key = key.decode() if isinstance(key, bytes) else str(key)
        storage = policy.storages.get(key)
        if storage is None:
            raise RestrictedPickleError(f"{source}: storage {key} is listed but never used")
        if pos + 8 > len(data):
            raise RestrictedPickleError(f"{source}: truncated at storage {key}")
        numel = int.from_bytes(data[pos:pos + 8], "little" if little else "big")
        size = numel * (2 if storage.dtype == "bfloat16" else np.dtype(storage.dtype).itemsize)
        raw = data[pos + 8:pos + 8 + size]
        storage.numel = numel
        storage.array = _storage_array(raw, storage.dtype, numel, key, source, not little)
        pos += 8 + size
    return _finish(value, policy)


def load_torch_file(f):
    """The object in the ``torch.save`` file ``f`` (a path or a binary file), tensors as
    :class:`TorchTensor`; :class:`RestrictedPickleError` for anything it may not build."""
    source = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    if is_torch_zip(f):
        return _load_zip(f, source)
    if hasattr(f, "read"):
        data = f.read()
    else:
        with open(f, "rb") as fh:
            data = fh.read()
    if not _is_legacy(data[:16]):
        raise RestrictedPickleError(f"{source}: not a PyTorch checkpoint (neither its zip nor its legacy format)")
    return _load_legacy(data, source)
