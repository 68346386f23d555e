"""Atomic file writes: a reader sees the old file or the whole new one, never a partial one.

The data goes to a temporary file in the destination's directory (same file system, so the
final rename is atomic), is flushed and fsynced, and then ``os.replace`` puts it in place.
On any error the temporary file is removed and the destination is left untouched.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "hello.txt")
>>> with atomic_write(path) as f:
...     _ = f.write(b"hello")
>>> open(path, "rb").read()
b'hello'
"""
import contextlib
import os
import tempfile

__all__ = ["atomic_write", "write_atomic"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path):
    """Context manager yielding a binary file whose contents replace ``path`` on success."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file 0600; give it the mode a plain open() would have.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path, data):
    """Write the bytes ``data`` to ``path`` atomically."""
    with atomic_write(path) as f:
        f.write(data)
