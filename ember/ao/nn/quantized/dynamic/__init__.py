"""Dynamically quantized modules (``torch.ao.nn.quantized.dynamic``): int8 weights, float activations
quantized on the fly."""
from .linear import Linear
from .rnn import LSTM, PackedParameter

__all__ = ["Linear", "LSTM"]
_ = PackedParameter
