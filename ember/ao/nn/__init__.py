"""``ember.ao.nn``: quantized (``quantized``, ``quantized.dynamic``), fused (``intrinsic``) and
quantization-aware-training (``qat``) modules, named as ``torch.ao.nn``'s."""
import importlib as _importlib


def __getattr__(name):
    if name in ("quantized", "intrinsic", "qat"):
        return _importlib.import_module("." + name, __name__)
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
