"""``skip_init``: build a module without spending time (or random draws) on its parameter initialization.

As torch: the module is built on the meta device (its init functions draw nothing from the default generator)
and then given uninitialized storage on ``device`` (default the CPU) with ``to_empty``; the caller is expected to
load or initialize the values.

>>> import ember
>>> from ember import nn
>>> fc = skip_init(nn.Linear, 4, 2)
>>> fc.weight.shape, fc.weight.device
(ember.Size([2, 4]), device(type='cpu'))
"""
import inspect

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with uninitialized parameters; ``module_cls`` must take ``device=``."""
    from ..module import Module
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    kwargs["device"] = "meta"
    return module_cls(*args, **kwargs).to_empty(device=final_device)
