"""Utilities under PyTorch's names: ``ember.utils.data`` is the data-loading package;
``ember.utils.checkpoint`` (activation checkpointing), ``ember.utils.tensorboard`` (``SummaryWriter``),
``ember.utils.dlpack`` and ``ember.utils.hooks`` load on first use. :func:`swap_tensors` swaps two tensors'
contents in place."""
import importlib as _importlib
import weakref as _weakref

from ember.utils import data

__all__ = ["data", "checkpoint", "tensorboard", "dlpack", "hooks", "swap_tensors"]


def __getattr__(name):
    if name in ("checkpoint", "tensorboard", "dlpack", "hooks"):
        return _importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")


def swap_tensors(t1, t2):
    """Give ``t1`` everything ``t2`` holds and the reverse, keeping each object's identity: the data, the Python
    attributes (``requires_grad``, ``grad``, ``grad_fn`` ...) and the class (a Parameter and a plain tensor trade
    places), as ``torch.utils.swap_tensors``. A tensor something holds a weak reference to cannot be swapped.

    >>> import ember
    >>> a, b = ember.tensor([1.0, 2.0], requires_grad=True), ember.tensor([3.0])
    >>> swap_tensors(a, b)
    >>> a, b.requires_grad
    (tensor([3.]), True)
    """
    from ember.autograd.tensor import Tensor
    for name, t in (("t1", t1), ("t2", t2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"swap_tensors: {name} must be a Tensor, got {type(t).__name__}")
        if _weakref.getweakrefcount(t):
            raise RuntimeError(f"Cannot swap {name} because it has weakref associated with it")
    t1._data, t2._data = t2._data, t1._data
    d1, d2 = dict(t1.__dict__), dict(t2.__dict__)
    t1.__dict__.clear()
    t1.__dict__.update(d2)
    t2.__dict__.clear()
    t2.__dict__.update(d1)
    if type(t1) is not type(t2):
        t1.__class__, t2.__class__ = type(t2), type(t1)
