"""The flag the ops read to learn whether an autocast region casts (``ember.amp.autocast`` sets it), and the
casts PyTorch's CPU autocast applies to the arguments of the ops of its two lists.

An op of the ``lower_precision_fp`` list starts with ``if active.cpu: return run_lower(op, ...)``; one of
the ``fp32`` list with ``run_fp32``: one attribute read (~20 ns) outside a region.
"""
from ..backend import dtypes as _dt


class _Active:
    """What the ops read on their hot path (one attribute, ~20 ns): whether a CPU region casts, and to what."""
    __slots__ = ("cpu", "dtype")

    def __init__(self):
        self.cpu = False
        self.dtype = None


active = _Active()


def _cast_args(args, kwargs, eligible, to):
    from .ops.conversion import _cast
    from .tensor import Tensor

    def cast(v):
        if isinstance(v, Tensor):
            d = v.dtype
            return _cast(v, to) if d is not to and d.name in eligible else v
        if isinstance(v, (list, tuple)) and any(isinstance(e, Tensor) for e in v):
            return type(v)(cast(e) for e in v)
        return v
    return [cast(a) for a in args], {k: cast(v) for k, v in kwargs.items()}


def _run_cast(fn, args, kwargs, eligible, to):
    args, kwargs = _cast_args(args, kwargs, eligible, to)
    on, active.cpu = active.cpu, False  # the op's inner ops are not cast again (PyTorch excludes its key)
    try:
        return fn(*args, **kwargs)
    finally:
        active.cpu = on


def run_lower(fn, *args, **kwargs):
    """``fn`` (an op of PyTorch's CPU ``lower_precision_fp`` list) with its float32 and float16 tensor
    arguments cast to the region's dtype."""
    to = active.dtype
    return _run_cast(fn, args, kwargs, ("float32", "float16", "bfloat16"), to)


def run_fp32(fn, *args, **kwargs):
    """``fn`` (an op of PyTorch's CPU ``fp32`` list) with its bfloat16 and float16 tensor arguments cast to
    float32."""
    return _run_cast(fn, args, kwargs, ("float16", "bfloat16"), _dt.float32)
