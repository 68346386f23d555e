"""Utilities over parameters: gradient clipping, flattening parameters to one vector, and
parametrizations (weight norm, spectral norm, ``parametrize.register_parametrization``).

The ``rnn`` submodule (``pack_padded_sequence`` and friends) comes with the sequence-model layers;
it is imported here when present so that ``nn.utils.rnn`` works without an explicit import.
"""
from .clip_grad import clip_grad_norm_, clip_grad_norm, clip_grad_value_, get_total_norm, clip_grads_with_norm_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import parametrize, parametrizations, prune, stateless  # noqa: E402
from .weight_norm import weight_norm, remove_weight_norm, spectral_norm, remove_spectral_norm
from . import fusion, memory_format  # noqa: E402
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .init import skip_init
from .memory_format import convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format

try:
    from . import rnn  # noqa: F401
except ImportError as _e:
    if getattr(_e, "name", None) != __name__ + ".rnn":
        raise

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
           "parameters_to_vector", "vector_to_parameters", "parametrize", "parametrizations", "prune", "stateless",
           "weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm", "fusion", "memory_format",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init",
           "convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]
