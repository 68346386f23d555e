"""``torch.xpu``: Intel GPUs, absent here (ember runs on the CPU), reported as a PyTorch built without
XPU does: ``is_available()`` False, ``device_count()`` 0, ``is_initialized()`` False, memory queries 0,
seeding accepted, and the calls that need a device raising ``AssertionError("Torch not compiled with
XPU enabled")``.

>>> is_available(), device_count(), memory_allocated()
(False, 0, 0)
"""
__all__ = ["is_available", "device_count", "is_initialized", "init", "synchronize", "current_device", "set_device",
           "get_device_name", "get_device_properties", "get_device_capability", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "initial_seed", "empty_cache", "memory_allocated", "memory_reserved",
           "max_memory_allocated", "max_memory_reserved", "is_bf16_supported"]


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    """Accepted, as in PyTorch without XPU."""


manual_seed_all = manual_seed


def seed():
    """Accepted (no XPU generator)."""


seed_all = seed


def empty_cache():
    """Nothing to free."""


def memory_allocated(device=None):
    """0, as PyTorch reports without XPU."""
    return 0


memory_reserved = max_memory_allocated = max_memory_reserved = memory_allocated


def _no_xpu(*args, **kwargs):
    raise AssertionError("Torch not compiled with XPU enabled (ember runs on the CPU; check torch.xpu.is_available() "
                         "first)")


init = synchronize = current_device = set_device = get_device_name = get_device_properties = _no_xpu
get_device_capability = initial_seed = _no_xpu
