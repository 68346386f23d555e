"""The BLAS thread count behind ``ember.set_num_threads`` / ``ember.get_num_threads``.

NumPy's matrix products run in OpenBLAS, which starts its own worker threads. PyTorch's
``set_num_threads`` sets its intra-op pool; the counterpart here is OpenBLAS's
``openblas_set_num_threads``, found in the library NumPy has loaded (its symbol names differ
between OpenBLAS builds: NumPy's wheels ship ``scipy_openblas`` with a ``64_`` suffix). Setting
it matters more than it seems: on a machine busy with other work, idle OpenBLAS threads spin
while they wait for their partner, and a step of small products can take ten times the CPU time
it takes on one thread. Where no OpenBLAS is found (another BLAS), the count is only recorded and
ember's own kernels (ember.backend.parallel) use it.

``quiet_idle_threads()`` (run once when ember is imported) shortens how long an idle OpenBLAS
thread spins before it sleeps. OpenBLAS's default is 2**28 CPU cycles (about 0.1 s) after every
threaded product, and in that time the spinning thread holds a core that ember's own kernel
threads (convolution, pooling) need: the MNIST CNN's step on 2 threads took 24 ms, more than on
one thread (22 ms); with 2**21 cycles (under 1 ms, still longer than most gaps between the
products of one step, so back-to-back products find their threads awake) it takes 18 ms. Shorter
spins cost the product-heavy steps their threads' wake-ups (same-process A/B, ms a step, spin
2**28 / 2**20 / 2**21 / 2**22: cnn 26.6 / 17.6 / 17.9 / 19.8, gpt 66.1 / 70.2 / 68.2 / 67.6,
transformer 38.2 / 39.3 / 39.1 / 38.7; ``python -m benchmarks.blas_spin_ab``). A user's own
``OPENBLAS_THREAD_TIMEOUT`` is left as it is.
"""
import ctypes
import os

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads")
_state = {"lib": False, "threads": None, "handle": None}
# log2 of the CPU cycles an idle OpenBLAS thread spins before sleeping (OpenBLAS's own default: 28)
_IDLE_SPIN_LOG2 = 21


def openblas():
    """``(setter, getter)`` of the OpenBLAS that NumPy loaded, or ``(None, None)``."""
    if _state["lib"] is not False:
        return _state["lib"]
    import numpy  # noqa: F401  (its BLAS must be loaded to be found)
    found = (None, None)
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    except OSError:
        paths = []
    if not paths:   # not Linux: NumPy's wheels keep their libraries beside the package
        import glob
        here = os.path.dirname(os.path.dirname(numpy.__file__))
        paths = sorted(glob.glob(os.path.join(here, "numpy*libs", "*openblas*")) +
                       glob.glob(os.path.join(here, "scipy_openblas*", "lib", "*openblas*")))
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        if setter is not None:
            setter.argtypes, setter.restype = [ctypes.c_int], None
            if getter is not None:
                getter.argtypes, getter.restype = [], ctypes.c_int
            found = (setter, getter)
            _state["handle"] = lib
            break
    _state["lib"] = found
    return found


def set_num_threads(n):
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")  # PyTorch's words
    setter, _ = openblas()
    if setter is not None:
        setter(n)
    _state["threads"] = n


def get_num_threads():
    if _state["threads"] is None:
        _, getter = openblas()
        _state["threads"] = int(getter()) if getter is not None else (os.cpu_count() or 1)
    return _state["threads"]


def quiet_idle_threads(log2_cycles=_IDLE_SPIN_LOG2):
    """Make idle OpenBLAS threads sleep after ``2**log2_cycles`` cycles of spinning; True if applied.

    OpenBLAS reads the spin time (``OPENBLAS_THREAD_TIMEOUT``) when it starts its threads, so this
    sets the variable, has OpenBLAS read its environment again, restarts its threads and puts the
    environment back. Run it before any other thread computes (at import): a restart under a running
    product would break it. Skipped where the user set the variable or the symbols are missing.
    """
    if any(k in os.environ for k in ("OPENBLAS_THREAD_TIMEOUT", "GOTO_THREAD_TIMEOUT")):
        return False
    if openblas()[0] is None:
        return False
    lib = _state["handle"]
    try:
        read_env, shutdown, init = lib.openblas_read_env, lib.blas_thread_shutdown_, lib.blas_thread_init
    except AttributeError:
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(int(log2_cycles))
    try:
        read_env()
        shutdown()
        init()
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]
        read_env()
    return True
