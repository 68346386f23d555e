"""``skip_init``: build a module without spending time on its parameter initialization.

PyTorch builds it on the meta device and allocates uninitialized memory; ember (CPU only) builds
it normally, which gives parameters of the same shapes, dtypes and names (their values are
unspecified either way: the caller is expected to load or initialize them).

>>> from ember import nn
>>> skip_init(nn.Linear, 4, 2).weight.shape
ember.Size([2, 4])
"""
import inspect

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` whose parameters the caller will set."""
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
