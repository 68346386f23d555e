"""Run independent pieces of a kernel on several threads.

NumPy's copies and ufunc loops and BLAS all release the GIL, so the chunks of a
convolution (or the slices of a pooling pass) run truly in parallel on Python
threads. Each piece then calls BLAS single-threaded, as otherwise OpenBLAS would
start its own threads inside each of ours; OpenBLAS's per-thread setting
(``openblas_set_num_threads_local``) does that without touching other threads.
Without that function (another BLAS), the pieces run one after the other.

The thread count is ``ember.get_num_threads()`` capped at the CPU count.
"""
import ctypes
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_state = {"pool": None, "size": 0, "setter": False}
_local = threading.local()


def _blas_local_threads():
    """OpenBLAS's ``openblas_set_num_threads_local`` as loaded by NumPy, or None."""
    if _state["setter"] is not False:
        return _state["setter"]
    fn = None
    try:
        # NumPy (imported at the top) has loaded its BLAS.
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line and ".so" in line}
        for p in sorted(paths):
            lib = ctypes.CDLL(p)
            if hasattr(lib, "openblas_set_num_threads_local"):
                fn = lib.openblas_set_num_threads_local
                fn.argtypes = [ctypes.c_int]
                fn.restype = ctypes.c_int
                break
    except (OSError, ValueError, AttributeError):
        fn = None
    _state["setter"] = fn
    return fn


def workers():
    """How many threads a kernel may use (1 when threads cannot keep BLAS single-threaded)."""
    try:
        from .. import get_num_threads
        n = get_num_threads()
    except ImportError:
        n = 1
    n = max(1, min(int(n), os.cpu_count() or 1))
    if n > 1 and _blas_local_threads() is None:
        return 1
    return n


def _single_blas(fn, args):
    setter = _blas_local_threads()
    if setter is None:
        return fn(*args)
    prev = setter(1)
    try:
        return fn(*args)
    finally:
        setter(prev if prev > 0 else 0)


def _pool(n):
    # A forked child (a DataLoader worker) inherits the pool object but not its threads: start anew.
    if _state["size"] < n or _state.get("pid") != os.getpid():
        if _state["pool"] is not None and _state.get("pid") == os.getpid():
            _state["pool"].shutdown(wait=False)
        _state["pool"] = ThreadPoolExecutor(n, thread_name_prefix="ember-kernel")
        _state["size"] = n
        _state["pid"] = os.getpid()
    return _state["pool"]


def run(fn, pieces):
    """``[fn(*p) for p in pieces]``, the pieces spread over threads (the caller's thread runs the first)."""
    if len(pieces) <= 1:
        return [fn(*p) for p in pieces]
    pool = _pool(len(pieces) - 1)
    futures = [pool.submit(_single_blas, fn, p) for p in pieces[1:]]
    try:
        first = _single_blas(fn, pieces[0])
    finally:
        rest = [f.result() for f in futures]
    return [first] + rest


def split(n, parts):
    """``parts`` contiguous (start, stop) ranges covering ``range(n)``, as equal as possible."""
    parts = max(1, min(parts, n))
    step, extra = divmod(n, parts)
    out, start = [], 0
    for i in range(parts):
        stop = start + step + (1 if i < extra else 0)
        out.append((start, stop))
        start = stop
    return out


def scratch(tag, n, dtype):
    """A reusable 1-D work array of ``n`` elements for this thread (contents undefined).

    Kernels keep their large temporaries here between calls: a fresh multi-megabyte array
    costs a page fault per 4 KiB page on first write, often more than the work done in it.
    """
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    dtype = np.dtype(dtype)
    key = (tag, dtype)
    b = bufs.get(key)
    if b is None or b.size < n:
        b = bufs[key] = np.empty(max(n, 1), dtype)
    return b[:n]
