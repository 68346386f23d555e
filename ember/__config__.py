"""``torch.__config__``: how this build was made, as environment reports (``collect_env``-style scripts,
``print(torch.__config__.show())``) print it; ember's build is NumPy's.

>>> "NumPy" in show() and "get_num_threads" in parallel_info()
True
"""
import os
import platform

import numpy as np

__all__ = ["show", "parallel_info"]


def show():
    """A description of the build: ember's version, Python's and NumPy's with its BLAS/LAPACK."""
    from .version import __version__
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {}).get("name", "unknown")
        lapack = config.get("Build Dependencies", {}).get("lapack", {}).get("name", "unknown")
    except (TypeError, AttributeError):   # NumPy < 1.25 prints its configuration instead
        blas = lapack = "unknown"
    return (f"ember {__version__} built with:\n"
            f"  - Python {platform.python_version()} ({platform.python_implementation()})\n"
            f"  - NumPy {np.__version__} (BLAS: {blas}, LAPACK: {lapack})\n"
            f"  - CPU only (no CUDA, ROCm, MPS or XPU)\n")


def parallel_info():
    """The thread settings, as ``torch.__config__.parallel_info()`` lists ATen's."""
    from . import get_num_threads
    from .autograd.settings import get_num_interop_threads
    env = "".join(f"\t{name} : {os.environ.get(name, '[not set]')}\n"
                  for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"))
    return (f"ATen/Parallel:\n\tat::get_num_threads() : {get_num_threads()}\n"
            f"\tat::get_num_interop_threads() : {get_num_interop_threads()}\n"
            f"std::thread::hardware_concurrency() : {os.cpu_count()}\n"
            f"Environment variables:\n{env}ATen parallel backend: NumPy (BLAS threads)\n")
