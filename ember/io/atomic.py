"""Atomic file writes: a reader sees the old file or the whole new one, never a partial one.

The data goes to a temporary file in the destination's directory (same file system, so the
final rename is atomic), is flushed and fsynced, and then ``os.replace`` puts it in place.
On any error the temporary file is removed and the destination is left untouched.

As a plain ``open(path, "wb")`` would, a write keeps an existing destination's permission bits
and writes through a symbolic link to the file it names (the link stays a link). A process
killed mid-write leaves only a hidden ``.NAME.PID.XXXX.tmp`` file, which readers never look at
and the next write to the same destination removes once its writer is gone.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "hello.txt")
>>> with atomic_write(path) as f:
...     _ = f.write(b"hello")
>>> open(path, "rb").read()
b'hello'
"""
import contextlib
import os
import stat
import tempfile

__all__ = ["atomic_write", "write_atomic"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_orphans(directory, base):
    # Temp files of writers that died (SIGKILL, power loss) before they could clean up.
    prefix = "." + base + "."
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            pid = name[len(prefix):].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, name))


@contextlib.contextmanager
def atomic_write(path):
    """Context manager yielding a binary file whose contents replace ``path`` on success."""
    path = os.path.realpath(os.fspath(path))  # through symlinks, to the file they name
    directory, base = os.path.split(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    _remove_orphans(directory, base)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{base}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # mkstemp creates the file 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    # Make the rename itself durable (the directory entry), where the platform allows.
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_atomic(path, data):
    """Write the bytes ``data`` to ``path`` atomically."""
    with atomic_write(path) as f:
        f.write(data)
