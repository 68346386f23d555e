"""``torch.mps``: Apple's Metal backend, absent here (ember runs on the CPU), reported as PyTorch does
on a machine without it: ``is_available()`` False, ``device_count()`` 0, seeding accepted, and the
calls that need the device raising PyTorch's ``RuntimeError``.

>>> is_available(), device_count()
(False, 0)
"""
__all__ = ["is_available", "device_count", "synchronize", "manual_seed", "seed", "get_rng_state", "set_rng_state",
           "empty_cache", "current_allocated_memory", "driver_allocated_memory", "recommended_max_memory",
           "set_per_process_memory_fraction"]


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Accepted, as in PyTorch without MPS (there is no MPS generator)."""


def seed():
    """Accepted (no MPS generator)."""


def _no_mps(what):
    def fail(*args, **kwargs):
        raise RuntimeError(f"Cannot execute {what}() without MPS backend.")
    fail.__name__ = what
    return fail


synchronize = _no_mps("deviceSynchronize")
current_allocated_memory = _no_mps("getCurrentAllocatedMemory")
driver_allocated_memory = _no_mps("getDriverAllocatedMemory")
recommended_max_memory = _no_mps("getRecommendedMaxMemory")
empty_cache = _no_mps("emptyCache")
set_per_process_memory_fraction = _no_mps("setMemoryFraction")
get_rng_state = _no_mps("getRNGState")
set_rng_state = _no_mps("setRNGState")
