"""``ember.quantization``: the older name of :mod:`ember.ao.quantization` (PyTorch's ``torch.quantization``)."""
from ember.ao.quantization import *  # noqa: F401,F403
from ember.ao.quantization import __all__ as _all  # noqa: F401
from ember.ao.quantization import observer, fake_quantize, qconfig, stubs, fuse_modules as _fm  # noqa: F401
