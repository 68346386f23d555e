"""The array library behind ember: NumPy. The one place another array library would plug in."""
import numpy as np

# Tensor math follows IEEE 754 silently, as PyTorch's does: log(-1) is nan and 1/0 is inf
# without a warning on every such element. NumPy's error state is the user's (it is global to
# the thread), so instead of changing it, ember ignores the floating-point RuntimeWarnings that
# NumPy attributes to ember's own code; the user's own NumPy calls warn as before.
import warnings as _warnings

_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

from . import dtypes
from . import platform as _platform

# Keep freed large arrays in the heap for the next training step instead of handing them
# back to the OS (each fresh page costs a fault): the MNIST CNN step goes from about 20 ms to
# 13 ms on 2 cores. One glibc setting for the process; EMBER_KEEP_FREED_MEMORY=0 turns it off.
import os as _os

if _os.environ.get("EMBER_KEEP_FREED_MEMORY", "1") != "0":
    _platform.keep_freed_memory()

# Idle OpenBLAS threads spin for 0.1 s after each threaded product and take the cores ember's kernel
# threads need (the CNN step on 2 threads: 26.6 -> 17.9 ms); make them sleep sooner (ember.backend.threads).
if _os.environ.get("EMBER_QUIET_BLAS_THREADS", "1") != "0":
    from . import threads as _threads
    _threads.quiet_idle_threads()

__all__ = ["np", "dtypes"]
