"""``ember.cpu`` (``torch.cpu``): the CPU, ember's only device.

>>> import ember
>>> ember.cpu.is_available(), ember.cpu.device_count()
(True, 1)
"""
from . import amp


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """Nothing to wait for: CPU ops finish before they return."""


__all__ = ["amp", "is_available", "device_count", "current_device", "synchronize"]
