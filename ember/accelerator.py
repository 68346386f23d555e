"""``ember.accelerator``: PyTorch's device-agnostic accelerator API; ember has none.

So the idiom ``device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"``
picks the CPU.

>>> import ember
>>> ember.accelerator.is_available(), ember.accelerator.current_accelerator(), ember.accelerator.device_count()
(False, None, 0)
"""
import contextlib

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "set_device_index",
           "device_index", "synchronize", "empty_cache"]


def is_available():
    return False


def current_accelerator(check_available=False):
    """None: no accelerator is present."""
    return None


def device_count():
    return 0


def _none(what):
    return RuntimeError(f"ember.accelerator.{what}: cannot access an accelerator device when none is available "
                        f"(ember runs on the CPU)")


def current_device_index():
    raise _none("current_device_index")


current_device_idx = current_device_index


def set_device_index(device):
    raise _none("set_device_index")


set_device_idx = set_device_index


@contextlib.contextmanager
def device_index(device):
    """``with device_index(None):`` is accepted (PyTorch does nothing for None); any device index fails."""
    if device is not None:
        raise _none("device_index")
    yield


def synchronize(device=None):
    """Nothing to wait for on the CPU."""


def empty_cache():
    """Nothing to free on the CPU."""
