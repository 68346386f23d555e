"""Reader and writer for the IDX format that MNIST and its relatives ship in.

An IDX file is a 4-byte magic number ``0x0000TTNN`` (two zero bytes, a type code ``TT``
and the number of dimensions ``NN``), then ``NN`` big-endian uint32 dimension sizes,
then the elements in row-major order, big-endian. Type codes:

====  =======  ==============
code  type     NumPy dtype
====  =======  ==============
0x08  ubyte    uint8
0x09  byte     int8
0x0B  short    >i2 (int16)
0x0C  int      >i4 (int32)
0x0D  float    >f4 (float32)
0x0E  double   >f8 (float64)
====  =======  ==============

Files may be gzipped; :func:`read_idx` recognises gzip by its own magic bytes, not by
the file name.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
>>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
>>> read_idx(path)
array([3, 1, 4], dtype=uint8)
"""
import gzip
import os
import zlib

import numpy as np

from ember.io.atomic import write_atomic

__all__ = ["IDXError", "read_idx", "write_idx", "IDX_TYPES"]

IDX_TYPES = {
    0x08: ("ubyte", np.dtype(np.uint8)),
    0x09: ("byte", np.dtype(np.int8)),
    0x0B: ("short", np.dtype(">i2")),
    0x0C: ("int", np.dtype(">i4")),
    0x0D: ("float", np.dtype(">f4")),
    0x0E: ("double", np.dtype(">f8")),
}
_CODE_OF = {dt.newbyteorder("="): code for code, (_, dt) in IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A file is not a valid IDX file; the message names the file and what is wrong."""


def _type_list():
    return ", ".join(f"0x{code:02X} ({name})" for code, (name, _) in IDX_TYPES.items())


MAX_BYTES = 16 * 1024 ** 3  # refuse headers that declare more data than this (a corrupt or hostile file)


def _read_bytes(path):
    """The uncompressed bytes of an IDX file, reading no more than its header declares.

    A gzip stream is decompressed incrementally and never past the declared size plus one
    byte, so a small file that inflates to gigabytes (a "gzip bomb") costs nothing."""
    with open(path, "rb") as f:
        gz = f.read(2) == _GZIP_MAGIC
        f.seek(0)
        stream = gzip.GzipFile(fileobj=f) if gz else f
        try:
            head = stream.read(4)
            nd = head[3] if len(head) == 4 else 0
            head += stream.read(4 * nd)
            if len(head) == 4 + 4 * nd and head[:2] == b"\0\0" and head[2] in IDX_TYPES:
                shape = [int.from_bytes(head[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
                need = IDX_TYPES[head[2]][1].itemsize
                for d in shape:
                    need *= d
                if need > MAX_BYTES:
                    raise IDXError(f"{path}: dimensions {tuple(shape)} declare {need} data bytes, more "
                                   f"than the {MAX_BYTES}-byte limit (ember.vision.datasets.idx.MAX_BYTES)")
                return head + stream.read(need + 1)  # parse_idx names truncation or trailing bytes
            return head + stream.read(1 << 20)
        except (EOFError, OSError, zlib.error) as exc:
            raise IDXError(f"{path}: gzip stream is truncated or corrupt ({exc})") from None


def parse_idx(raw, name="<bytes>", *, ndim=None, dtype=None):
    """Parse the bytes of an (uncompressed) IDX file into a NumPy array in native byte order.

    Args:
        raw (bytes): the file's contents.
        name (str): how to call the source in error messages.
        ndim (int, optional): if given, the number of dimensions the file must have.
        dtype (str, optional): if given, the IDX type name the file must have (``'ubyte'``...).

    Raises:
        IDXError: naming ``name``, what was expected and what was found.
    """
    if len(raw) < 4:
        raise IDXError(f"{name}: not an IDX file: expected a 4-byte magic number, "
                       f"found a file of {len(raw)} bytes")
    magic = int.from_bytes(raw[:4], "big")
    code, nd = raw[2], raw[3]
    if raw[0] != 0 or raw[1] != 0:
        raise IDXError(f"{name}: not an IDX file: expected a magic number 0x0000TTNN "
                       f"starting with two zero bytes, found 0x{magic:08X}")
    if code not in IDX_TYPES:
        raise IDXError(f"{name}: unknown IDX type code 0x{code:02X} in magic 0x{magic:08X}; "
                       f"expected one of {_type_list()}")
    type_name, file_dtype = IDX_TYPES[code]
    if dtype is not None and type_name != dtype:
        raise IDXError(f"{name}: expected IDX type {dtype}, found {type_name} "
                       f"(magic 0x{magic:08X})")
    if ndim is not None and nd != ndim:
        raise IDXError(f"{name}: expected a {ndim}-dimensional IDX file, found {nd} "
                       f"dimension(s) (magic 0x{magic:08X})")
    header = 4 + 4 * nd
    if len(raw) < header:
        raise IDXError(f"{name}: header declares {nd} dimension(s), which needs {header} "
                       f"bytes, but the file has only {len(raw)} bytes (truncated)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=nd, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * file_dtype.itemsize
    found = len(raw) - header
    if found != expected:
        problem = "file truncated" if found < expected else "unexpected trailing bytes"
        raise IDXError(f"{name}: dimensions {shape} of type {type_name} need {expected} data "
                       f"bytes, found {found} ({problem})")
    data = np.frombuffer(raw, dtype=file_dtype, offset=header).reshape(shape)
    return data.astype(file_dtype.newbyteorder("="))


def read_idx(path, *, ndim=None, dtype=None):
    """Read an IDX file (gzipped or not) into a NumPy array in native byte order.

    Args:
        path (str or os.PathLike): the file.
        ndim (int, optional): the number of dimensions the file must have.
        dtype (str, optional): the IDX type the file must have: ``'ubyte'``, ``'byte'``,
            ``'short'``, ``'int'``, ``'float'`` or ``'double'``.

    Returns:
        numpy.ndarray: of the shape the header declares, a writable copy.

    Raises:
        IDXError: if the file is not valid IDX, is truncated, or differs from ``ndim``/``dtype``.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "images-idx3-ubyte")
    >>> write_idx(path, np.zeros((2, 28, 28), dtype=np.uint8))
    >>> read_idx(path, ndim=3, dtype="ubyte").shape
    (2, 28, 28)
    """
    path = os.fspath(path)
    return parse_idx(_read_bytes(path), path, ndim=ndim, dtype=dtype)


def encode_idx(array):
    """The bytes of ``array`` as an uncompressed IDX file."""
    array = np.asarray(array)
    code = _CODE_OF.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}; expected one of uint8, int8, "
                        f"int16, int32, float32, float64")
    if array.ndim > 255:
        raise ValueError(f"IDX stores at most 255 dimensions, got an array with {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=IDX_TYPES[code][1]).tobytes()


def write_idx(path, array, *, compress=None):
    """Write ``array`` to ``path`` as an IDX file, atomically.

    Args:
        path (str or os.PathLike): destination; gzipped when it ends in ``.gz``.
        array (array_like): of dtype uint8, int8, int16, int32, float32 or float64.
        compress (bool, optional): force gzip on or off, whatever the file name says.
    """
    path = os.fspath(path)
    data = encode_idx(array)
    if compress if compress is not None else path.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_atomic(path, data)
