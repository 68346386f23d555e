"""``ember.backends.quantized``: the quantized engine PyTorch programs select (``torch.backends.quantized.engine``).

ember's quantized kernels compute in NumPy as fbgemm does on x86, whichever engine is named;
the default and the list answer as PyTorch 2.13's x86 CPU build.

>>> import ember
>>> ember.backends.quantized.engine
'x86'
"""
import sys
import types

supported_engines = ["qnnpack", "onednn", "x86", "fbgemm"]


class _QuantizedModule(types.ModuleType):
    _engine = "x86"

    @property
    def engine(self):
        return self._engine

    @engine.setter
    def engine(self, value):
        name = str(value).lower()
        if name not in supported_engines + ["none"]:
            raise RuntimeError(f"quantized engine {value} is not supported (supported: {supported_engines})")
        type(self)._engine = name


sys.modules[__name__].__class__ = _QuantizedModule
