"""Reader and writer of the safetensors format, over NumPy arrays.

A safetensors file is::

    8 bytes      N, the header's length, unsigned little-endian
    N bytes      a UTF-8 JSON object (padded with spaces):
                   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
                    ...,
                    "__metadata__": {"<key>": "<string value>", ...}}     (optional)
    the rest     the byte buffer: each tensor's elements, little-endian, row-major (C order)

``data_offsets`` are relative to the start of the byte buffer; the tensors must cover the
buffer exactly, with no holes and no overlaps. Dtype codes: ``BOOL, U8, I8, I16, U16, F16,
BF16, I32, U32, F32, F64, I64, U64`` (the ``F8_*`` codes are recognised but not readable).
NumPy has no bfloat16 of its own: ``BF16`` tensors are read as ml_dtypes' bfloat16 (``ember.bfloat16``,
the ``bfloat16`` extra) when it is installed, else as float32 (exactly: bfloat16 is the top half of a
float32); bfloat16 arrays are written as ``BF16``. The writer orders tensors by decreasing item size, then name, so every
tensor is aligned to its item size, and pads the header to a multiple of 8 bytes, as the
reference implementation does; the files it writes are read by the ``safetensors`` package.

The API mirrors ``safetensors.numpy``:

>>> import numpy as np
>>> data = save({"weight": np.ones((2, 2), dtype=np.float32)}, metadata={"format": "np"})
>>> load(data)["weight"]
array([[1., 1.],
       [1., 1.]], dtype=float32)
>>> load_metadata(data)
{'format': 'np'}
"""
import json
import os
import struct

import numpy as np

from ember.io.atomic import atomic_write

__all__ = ["SafetensorsError", "save", "save_file", "load", "load_file",
           "load_file_with_metadata", "load_metadata", "read_metadata"]

_DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in _DTYPES.items()}
_UNREADABLE = {"F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"}
_MAX_HEADER = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    """A file is not valid safetensors; the message says where and what is wrong."""


def _dtype_code(array, name):
    if array.dtype.name == "bfloat16":  # ml_dtypes' bfloat16
        return "BF16"
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"safetensors cannot store tensor {name!r} of dtype {array.dtype}; "
                        f"supported: bool, uint8/16/32/64, int8/16/32/64, float16/32/64, bfloat16")
    return code


def _layout(tensors, metadata):
    """The header bytes and the (name, array) list in buffer order."""
    if not isinstance(tensors, dict):
        raise TypeError(f"expected a dict of name -> array, got {type(tensors).__name__}")
    entries = []
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {name!r} ({type(name).__name__})")
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot name a tensor")
        array = np.asarray(value)
        entries.append((name, array, _dtype_code(array, name)))
    entries.sort(key=lambda e: (-e[1].dtype.itemsize, e[0]))
    header = {}
    if metadata is not None:
        bad = {k: v for k, v in metadata.items() if not (isinstance(k, str) and isinstance(v, str))}
        if bad:
            raise TypeError(f"metadata must map str to str, got {bad!r}")
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, array, code in entries:
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, [(e[0], e[1]) for e in entries]


def _little_endian_bytes(array):
    array = np.ascontiguousarray(array)
    if array.dtype.name == "bfloat16":
        array = array.view(np.uint16)
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and not _NATIVE_LITTLE):
        array = array.astype(array.dtype.newbyteorder("<"))
    return array.reshape(-1).view(np.uint8)


_NATIVE_LITTLE = np.little_endian


def _write(f, tensors, metadata):
    header, entries = _layout(tensors, metadata)
    f.write(header)
    for _, array in entries:
        f.write(_little_endian_bytes(array))


def save(tensors, metadata=None):
    """Serialise a ``{name: array}`` dict to safetensors ``bytes``.

    Args:
        tensors (dict[str, numpy.ndarray]): the arrays to store.
        metadata (dict[str, str], optional): stored as ``__metadata__``.
    """
    import io

    buffer = io.BytesIO()
    _write(buffer, tensors, metadata)
    return buffer.getvalue()


def save_file(tensors, filename, metadata=None):
    """Write a ``{name: array}`` dict to ``filename`` (a path or a writable binary file).

    Paths are written atomically (temporary file, fsync, rename).
    """
    if hasattr(filename, "write"):
        _write(filename, tensors, metadata)
        return
    with atomic_write(filename) as f:
        _write(f, tensors, metadata)


def _parse_header(data, source):
    if len(data) < 8:
        raise SafetensorsError(f"{source}: not a safetensors file: expected an 8-byte header "
                               f"length, found {len(data)} bytes in all")
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    if n > _MAX_HEADER:
        raise SafetensorsError(f"{source}: header length {n} exceeds the {_MAX_HEADER}-byte limit "
                               f"(not a safetensors file?)")
    if 8 + n > len(data):
        raise SafetensorsError(f"{source}: header length {n} runs past the end of the data "
                               f"({len(data)} bytes; truncated file?)")
    raw = bytes(data[8:8 + n])
    if not raw.startswith(b"{"):
        raise SafetensorsError(f"{source}: expected the header to be a JSON object starting "
                               f"with '{{', found {raw[:16]!r}")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetensorsError(f"{source}: header is not valid UTF-8 JSON ({exc})") from None
    except RecursionError:
        raise SafetensorsError(f"{source}: header JSON is nested too deeply") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{source}: expected the header to be a JSON object, "
                               f"found {type(header).__name__}")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict)
                                     and all(isinstance(v, str) for v in metadata.values())):
        raise SafetensorsError(f"{source}: __metadata__ must map strings to strings")
    return 8 + n, header, metadata


def _check_entry(source, name, info, buffer_size):
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
        raise SafetensorsError(f"{source}: tensor {name!r}: expected an object with dtype, shape "
                               f"and data_offsets, found {info!r}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if code in _UNREADABLE:
        raise SafetensorsError(f"{source}: tensor {name!r} has dtype {code}, which ember cannot "
                               f"represent")
    if code not in _DTYPES and code != "BF16":
        raise SafetensorsError(f"{source}: tensor {name!r} has unknown dtype {code!r}")
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise SafetensorsError(f"{source}: tensor {name!r}: shape must be a list of "
                               f"non-negative ints, found {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(isinstance(o, int) for o in offsets) and 0 <= offsets[0] <= offsets[1]):
        raise SafetensorsError(f"{source}: tensor {name!r}: data_offsets must be [begin, end] "
                               f"with 0 <= begin <= end, found {offsets!r}")
    need = 2 if code == "BF16" else _DTYPES[code].itemsize
    for d in shape:  # Python ints: a hostile shape cannot overflow into a small product
        need *= d
    if offsets[1] - offsets[0] != need:
        raise SafetensorsError(f"{source}: tensor {name!r} of dtype {code} and shape {shape} "
                               f"needs {need} bytes, but data_offsets {offsets} span "
                               f"{offsets[1] - offsets[0]}")
    if offsets[1] > buffer_size:
        raise SafetensorsError(f"{source}: tensor {name!r} ends at byte {offsets[1]} of the data "
                               f"buffer, which has only {buffer_size} bytes (truncated file?)")


def _check_coverage(source, header, buffer_size):
    # The spec forbids holes and overlaps, so a file cannot smuggle extra content.
    spans = sorted((info["data_offsets"][0], info["data_offsets"][1], name)
                   for name, info in header.items())
    position = 0
    for begin, end, name in spans:
        if begin != position:
            kind = "overlaps the previous tensor" if begin < position else "leaves a hole before it"
            raise SafetensorsError(f"{source}: tensor {name!r} starts at byte {begin}, expected "
                                   f"{position}: it {kind}")
        position = end
    if position != buffer_size:
        raise SafetensorsError(f"{source}: tensors cover {position} bytes, but the data buffer "
                               f"has {buffer_size} (trailing bytes)")


def _decode(data, source):
    start, header, metadata = _parse_header(data, source)
    buffer_size = len(data) - start
    for name, info in header.items():
        _check_entry(source, name, info, buffer_size)
    _check_coverage(source, header, buffer_size)
    if not isinstance(data, bytearray):
        data = bytearray(data)  # arrays over a bytearray are writable, with no further copy
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if info["dtype"] == "BF16":
            halves = np.frombuffer(data, dtype="<u2", count=(end - begin) // 2,
                                   offset=start + begin)
            array = _bfloat16(halves).reshape(shape)
        else:
            dt = _DTYPES[info["dtype"]]
            count = (end - begin) // dt.itemsize
            array = np.frombuffer(data, dtype=dt, count=count, offset=start + begin).reshape(shape)
            if not array.dtype.isnative:
                array = array.astype(dt.newbyteorder("="))
            elif (start + begin) % dt.itemsize:
                array = array.copy()
        out[name] = array
    return out, metadata


def _bfloat16(halves):
    """``BF16`` words as ml_dtypes' bfloat16 (a copy), or as float32 without ml_dtypes."""
    try:
        import ml_dtypes
    except ImportError:
        return (halves.astype(np.uint32) << 16).view(np.float32)
    return halves.astype(np.uint16).view(ml_dtypes.bfloat16)


def _read_all(filename):
    """The whole file, read only after its header has been checked against the file's size:
    a corrupt or hostile length field cannot make ember allocate or read past the file."""
    if hasattr(filename, "read"):
        return bytearray(filename.read()), getattr(filename, "name", "<file>")
    path = os.fspath(filename)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) == 8:
            (n,) = struct.unpack("<Q", head)
            if n <= _MAX_HEADER and 8 + n <= size:
                head += f.read(n)
                start, header, _ = _parse_header(head, path)
                for name, info in header.items():
                    _check_entry(path, name, info, size - start)
                _check_coverage(path, header, size - start)
        data = bytearray(size)
        data[:len(head)] = head
        view = memoryview(data)[len(head):]
        while len(view):
            got = f.readinto(view)
            if not got:
                break
            view = view[got:]
        if len(view):  # the file shrank while being read
            del data[size - len(view):]
        return data, path


def load(data):
    """Deserialise safetensors ``bytes`` into a ``{name: numpy.ndarray}`` dict (header order)."""
    return _decode(data, "<bytes>")[0]


def load_metadata(data):
    """The ``__metadata__`` dict of safetensors ``bytes``, or None when there is none."""
    return _parse_header(data, "<bytes>")[2]


def load_file(filename):
    """Read a safetensors file (a path or a readable binary file) into ``{name: ndarray}``.

    Raises:
        SafetensorsError: naming the file and what is wrong, for invalid or truncated files.
    """
    data, source = _read_all(filename)
    return _decode(data, source)[0]


def load_file_with_metadata(filename):
    """Like :func:`load_file`, returning ``(tensors, metadata)``."""
    data, source = _read_all(filename)
    return _decode(data, source)


def read_metadata(filename):
    """Read only the header's ``__metadata__`` (or None) of a safetensors file path."""
    path = os.fspath(filename)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) == 8:
            (n,) = struct.unpack("<Q", head)
            head += f.read(min(n, _MAX_HEADER + 1))
    return _parse_header(head, path)[2]
