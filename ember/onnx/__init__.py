"""``ember.onnx``: export ember models to ONNX and load ONNX models back as ``nn.Module``.

``export`` follows ``torch.onnx.export``'s signature; ``load`` returns a module that runs and
trains in ember. Both need the ``onnx`` extra (``pip install "ember[onnx]"``), imported only
when they are called, so ``import ember`` stays NumPy-only.
"""
import importlib

__all__ = ["export", "load", "TrainingMode", "is_in_onnx_export", "OnnxExporterError"]

# public name -> the module that defines it (imported on first use)
_LAZY = {"export": "exporter", "load": "importer"}
_LAZY.update(dict.fromkeys(("TrainingMode", "is_in_onnx_export", "OnnxExporterError", "ExportError"), "exporter"))


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ember.onnx' has no attribute {name!r}")
