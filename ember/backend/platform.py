"""A process-wide memory setting that makes NumPy training steps much faster (call once at import).

``keep_freed_memory()``
    glibc returns freed blocks above its mmap threshold to the OS, so every large
    array of a training step is fresh memory and pays a page fault per page on first
    write. Raising the mmap and trim thresholds keeps freed memory in the heap for
    the next step's arrays (PyTorch's allocators cache memory for the same reason).
    (The MNIST CNN's training step on 2 cores: 19-20 ms -> 13 ms.)

It returns whether it was applied (None when there is no glibc) and never raises.
"""
import ctypes


def keep_freed_memory(mmap_threshold=32 << 20, trim_threshold=1 << 30, top_pad=64 << 20):
    """Let glibc reuse freed large blocks instead of returning them to the OS; True if set."""
    try:
        # glibc's soname; ctypes.util.find_library would import subprocess and run ldconfig (6 ms of import)
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return None
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    ok = mallopt(M_MMAP_THRESHOLD, mmap_threshold) and mallopt(M_TRIM_THRESHOLD, trim_threshold) \
        and mallopt(M_TOP_PAD, top_pad)
    return bool(ok)
