"""Dynamically quantized modules (``torch.ao.nn.quantized.dynamic``): int8 weights, float activations
quantized on the fly."""
from .linear import Linear
from .rnn import GRU, LSTM, PackedParameter  # noqa: F401

__all__ = ["GRU", "Linear", "LSTM"]
