"""``ember.ao`` (``torch.ao``): architecture optimization; here, quantization (``ao.quantization``, ``ao.nn``)."""
import importlib as _importlib


def __getattr__(name):
    if name in ("quantization", "nn"):
        return _importlib.import_module("." + name, __name__)
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
