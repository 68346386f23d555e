"""Run independent pieces of a kernel on several threads.

NumPy's copies and ufunc loops and BLAS all release the GIL, so the chunks of a
convolution (or the slices of a pooling pass) run truly in parallel on Python
threads. Each piece then calls BLAS single-threaded, as otherwise OpenBLAS would
start its own threads inside each of ours: ``run`` sets OpenBLAS to one thread for
the whole parallel section and puts the count back when every piece has finished.
(Setting it per piece with ``openblas_set_num_threads_local`` raced: that setting is
not private to the calling thread in NumPy's OpenBLAS, so a piece could restore the
other's count and leave the process on one BLAS thread, or run a product on two,
which rounds differently. Same seed, different weights in one run out of three.)
Without OpenBLAS (another BLAS), the pieces run one after the other.

The thread count is ``ember.get_num_threads()`` capped at the CPU count.
"""
import os
import threading

import numpy as np

from . import threads as _threads

_state = {"pool": None, "size": 0}
_local = threading.local()


_CPUS = os.cpu_count() or 1


def workers():
    """How many threads a kernel may use (1 when threads cannot keep BLAS single-threaded)."""
    n = max(1, min(int(_threads.get_num_threads()), _CPUS))
    if n > 1 and _threads.openblas()[0] is None:
        return 1
    return n


def _pool(n):
    # A forked child (a DataLoader worker) inherits the pool object but not its threads: start anew.
    if _state["size"] < n or _state.get("pid") != os.getpid():
        if _state["pool"] is not None and _state.get("pid") == os.getpid():
            _state["pool"].shutdown(wait=False)
        from concurrent.futures import ThreadPoolExecutor    # on first use: it imports logging (4 ms)
        _state["pool"] = ThreadPoolExecutor(n, thread_name_prefix="ember-kernel")
        _state["size"] = n
        _state["pid"] = os.getpid()
    return _state["pool"]


def run(fn, pieces):
    """``[fn(*p) for p in pieces]``, the pieces spread over threads (the caller's thread runs the first)."""
    if len(pieces) <= 1 or _state.get("active"):
        return [fn(*p) for p in pieces]     # one piece, or inside another parallel section
    setter = _threads.openblas()[0]
    blas_threads = _threads.get_num_threads()
    pool = _pool(len(pieces) - 1)
    if setter is not None:
        setter(1)
    _state["active"] = True
    try:
        futures = [pool.submit(fn, *p) for p in pieces[1:]]
        try:
            first = fn(*pieces[0])
        finally:
            rest = [f.result() for f in futures]
    finally:
        _state["active"] = False
        if setter is not None:
            setter(blas_threads)
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


def run_blocks(fn, args, blocks, min_blocks=4):
    """``fn(*args, blocks)``, or with ``min_blocks`` or more blocks and several threads, ``fn(*args, part)`` for
    one contiguous run of the blocks per thread. For elementwise and row-wise kernels over cache-sized blocks
    (gelu, softmax, cross-entropy): each block is computed by the same passes whatever the split, so the
    result has the same bits on any thread count."""
    n = workers() if len(blocks) >= min_blocks else 1
    if n == 1:
        fn(*args, blocks)
        return
    run(fn, [tuple(args) + (blocks[i:j],) for i, j in split(len(blocks), n)])
