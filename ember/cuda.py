"""``ember.cuda``: ember runs on the CPU, so there is no CUDA device.

It exists so the usual device-selection idiom runs unchanged:

>>> import ember as torch
>>> device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
>>> str(device)
'cpu'
"""


class OutOfMemoryError(RuntimeError):
    """PyTorch's out-of-memory error (``torch.OutOfMemoryError`` is ``torch.cuda.OutOfMemoryError``), for the
    ``except torch.cuda.OutOfMemoryError:`` of training scripts; ember itself raises NumPy's MemoryError."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Accepted for portability (there is no CUDA generator)."""


def manual_seed_all(seed):
    """Accepted for portability (there is no CUDA generator)."""


def synchronize(device=None):
    """Nothing to wait for on the CPU."""


def empty_cache():
    """Nothing to free on the CPU."""


def _no_cuda(*args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled (ember runs on the CPU; check "
                         "torch.cuda.is_available() first)")


def memory_allocated(device=None):
    """0: no CUDA memory is in use (as PyTorch reports without CUDA)."""
    return 0


def is_bf16_supported(including_emulation=True):
    """False: no CUDA device (what a CPU-only PyTorch answers), so ``torch.bfloat16 if
    torch.cuda.is_bf16_supported() else torch.float16`` picks float16 as there."""
    return False


memory_reserved = max_memory_allocated = max_memory_reserved = memory_allocated
current_device = get_device_name = get_device_properties = get_device_capability = set_device = _no_cuda
mem_get_info = _no_cuda


# ``torch.cuda.amp`` (deprecated aliases of ``torch.amp``): registered as a submodule so that
# ``from ember.cuda.amp import GradScaler`` imports, although this module is not a package.
def _register_amp():
    import sys
    from .amp import cuda_amp
    sys.modules[__name__ + ".amp"] = cuda_amp
    return cuda_amp


amp = _register_amp()
# An empty package path: ``import torch.cuda.amp`` under ember.compat then asks the import
# finders for the submodule (Python refuses submodules of a module without ``__path__``).
__path__ = []
