"""``ember.nn.quantized``: the older name of :mod:`ember.ao.nn.quantized` (PyTorch's ``torch.nn.quantized``)."""
from ember.ao.nn.quantized import *  # noqa: F401,F403
from ember.ao.nn.quantized import dynamic, LinearPackedParams  # noqa: F401
