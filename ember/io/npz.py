"""Read ``.npz`` archives (NumPy's zip of ``.npy`` files) without ever unpickling.

Numeric members are read by NumPy with ``allow_pickle=False``. A member whose header says
``dtype=object`` (the ragged sequences of Keras's ``imdb.npz`` and ``reuters.npz``) holds a
pickle of the array; it is read by :mod:`ember.io.restricted_pickle`, which builds only plain
data and NumPy arrays and refuses anything else, and the result must match the shape the
header announced.

>>> import io, numpy as np
>>> buffer = io.BytesIO()
>>> np.savez(buffer, x=np.arange(3))
>>> load_npz(buffer)["x"]
array([0, 1, 2])
"""
import io
import zipfile
import zlib

import numpy as np

from .restricted_pickle import RestrictedPickleError, loads

__all__ = ["load_npz", "read_npy"]


def _format():
    return np.lib.format


def read_npy(data, source="<npy>"):
    """The array in one ``.npy`` file's bytes (object arrays through the restricted reader)."""
    fmt = _format()
    fp = io.BytesIO(data)
    try:
        version = fmt.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fp)
        elif version in ((2, 0), (3, 0)):
            # 3.0 differs from 2.0 only in the header's text encoding (UTF-8 for latin-1)
            shape, fortran, dtype = fmt.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as e:  # NumPy's header parser also raises SyntaxError and tokenize errors
        raise ValueError(f"{source}: not a valid .npy file ({type(e).__name__}: {e})") from None
    if not dtype.hasobject:
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count * dtype.itemsize > len(data) - fp.tell():
            raise ValueError(f"{source}: the header announces a {dtype} array of shape {shape} "
                             f"({count * dtype.itemsize} bytes) but the file holds {len(data) - fp.tell()} "
                             "bytes of data")
        fp.seek(0)
        return fmt.read_array(fp, allow_pickle=False)
    try:
        array = loads(data[fp.tell():])
    except RestrictedPickleError as e:
        raise ValueError(f"{source}: the object array could not be read as plain data ({e})") from None
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape) or array.dtype != dtype:
        got = f"{array.dtype} array of shape {array.shape}" if isinstance(array, np.ndarray) else \
            type(array).__name__
        raise ValueError(f"{source}: the header announces a {dtype} array of shape {tuple(shape)} but the data "
                         f"holds a {got}")
    return array


def load_npz(file, max_member_bytes=1 << 32):
    """``{name: array}`` for every ``.npy`` member of the ``.npz`` ``file`` (a path or binary file).

    Args:
        file: path or binary file object of the archive.
        max_member_bytes (int): refuse a member whose uncompressed size is larger (checked
            from the zip directory before reading).
    """
    source = file if isinstance(file, str) else getattr(file, "name", "<npz>")
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{source}: not an .npz archive ({e})") from None
    out = {}
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            if info.file_size > max_member_bytes:
                raise ValueError(f"{source}: member {info.filename} is {info.file_size} bytes uncompressed, above "
                                 f"the limit of {max_member_bytes}")
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as e:
                raise ValueError(f"{source}: member {info.filename} is corrupted ({e})") from None
            out[info.filename[:-4]] = read_npy(data, f"{source}:{info.filename}")
    return out
