"""Quantized modules (``torch.ao.nn.quantized``): what ``convert`` swaps in for float layers.

They take and return quantized tensors (quint8 activations, int8 weights) and compute in integers
as PyTorch's x86 (fbgemm) kernels do; ``dynamic`` holds the float-in, float-out versions.
"""
from .activation import Dropout, ReLU6
from .conv import Conv1d, Conv2d
from .functional_modules import FloatFunctional, FXFloatFunctional, QFunctional
from .linear import Linear, LinearPackedParams  # noqa: F401
from .quantize_modules import DeQuantize, Quantize
from . import dynamic

__all__ = ["Conv1d", "Conv2d", "DeQuantize", "Dropout", "ReLU6", "FloatFunctional", "FXFloatFunctional", "Linear",
           "QFunctional", "Quantize", "dynamic"]
