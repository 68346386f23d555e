"""In-place ops (``add_``, ``mul_``, ``zero_``, ``copy_``, ``x[i] = v`` ...).

Outside recording (``no_grad``, or no input requires grad) they write into the
array with NumPy's ``out=`` and bump the version counter: the fast path that
optimizers and initialisers use. While recording, the result is computed out of
place from a snapshot of the old tensor and copied back into its memory, and the
tensor becomes that op's output in the graph. A saved tensor changed this way is
caught at backward time by its version number.
"""
import numpy as np

from ...backend import meta as _meta
from .. import grad_mode
from ..tensor import Tensor, _new
from ._util import _INT_RANGE

_gm = grad_mode.state


def _check_leaf(x):
    if x._rg and x.grad_fn is None and _gm.enabled:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location. Please clone() the tensor before performing the operation.")


def _check_overlap(a):
    """torch refuses an in-place op on a tensor whose elements share memory (an ``expand`` view; a meta array
    by the strides torch gives it)."""
    if not a.flags.writeable and any(st == 0 and n > 1 for st, n in zip(
            a.strides if type(a) is not _meta.MetaArray else _meta.torch_strides(a), a.shape)):
        raise RuntimeError(_OVERLAP)


def apply_inplace(x, fn):
    """Run ``fn(old)`` (an out-of-place op) and store its result into ``x``'s memory."""
    _check_leaf(x)
    _check_overlap(x._data)
    # The op reads a private copy of the old values: whatever nodes it records (one, or several
    # for a composite op) may save it, and writing the result into x cannot change it.
    old = _new(Tensor)
    old.__dict__.update(x.__dict__)
    old._data = x._data.copy()
    old._vc = [0]
    old._view_of = None
    res = fn(old)
    r = res._data
    if r.shape != x._data.shape:
        raise RuntimeError(f"output with shape {list(x._data.shape)} doesn't match the broadcast shape "
                           f"{list(r.shape)}")
    if r.dtype != x._data.dtype and not np.can_cast(r.dtype, x._data.dtype, "same_kind"):
        raise RuntimeError(f"result type {res.dtype.name} can't be cast to the desired output type "
                           f"{x.dtype.name}")
    node = res.grad_fn
    np.copyto(x._data, r, casting="unsafe")
    x._bump()
    if node is not None:
        x.grad_fn = node
        x._rg = True
        x._out_idx = res._out_idx
        view = x._view_of
        if view is not None:
            _rebase_base(view[0], view[1], x)
    return x


def _rebase_base(base, ix, view):
    """After an in-place change of ``base[ix]`` (a view), make ``base`` the output of an index-put
    of the view's new value, so gradients reach both (PyTorch's CopySlices)."""
    from .index import index_put_new
    if base._rg and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    snap = _new(Tensor)
    snap._data = view._data
    snap.grad_fn = view.grad_fn
    snap._rg = True
    apply_inplace(base, lambda old: index_put_new(old, ix, snap))


def _is_tracked(x, other):
    return _gm.enabled and (x._rg or (isinstance(other, Tensor) and other._rg))


def _fast(x, ufunc, other):
    o = other._data if isinstance(other, Tensor) else other
    kind = x._data.dtype.kind
    # PyTorch writes any integer result into an integer tensor (uint8 *= int64 wraps), and converts an
    # out-of-range Python int to the tensor's dtype first; only float into int is refused.
    integral = kind in "iu" and np.asarray(o).dtype.kind in "iub" and ufunc is not np.true_divide
    casting = "unsafe" if integral else "same_kind"
    if type(o) is int and kind in "iu":
        lo, hi = _INT_RANGE[x._data.dtype]
        if not lo <= o <= hi:
            o = np.array(o).astype(x._data.dtype)[()]
    try:
        ufunc(x._data, o, out=x._data, casting=casting)
    except TypeError:  # NumPy's casting errors subclass TypeError
        raise RuntimeError(f"result type of {ufunc.__name__} can't be cast to the desired output type "
                           f"{x.dtype.name}") from None
    except ValueError:
        _check_overlap(x._data)
        raise RuntimeError(f"output with shape {list(x._data.shape)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(x._data.shape, np.shape(o)))}") from None
    x._bump()
    return x


def add_(x, other, *, alpha=1):
    from .elementwise import add
    if _is_tracked(x, other):
        return apply_inplace(x, lambda old: add(old, other, alpha=alpha))
    if alpha != 1:
        other = (other._data if isinstance(other, Tensor) else other) * alpha
    return _fast(x, np.add, other)


def sub_(x, other, *, alpha=1):
    from .elementwise import sub, _has_bool
    if _has_bool(x, other) or _is_tracked(x, other):
        return apply_inplace(x, lambda old: sub(old, other, alpha=alpha))
    if alpha != 1:
        other = (other._data if isinstance(other, Tensor) else other) * alpha
    return _fast(x, np.subtract, other)


def mul_(x, other):
    from .elementwise import mul
    if _is_tracked(x, other):
        return apply_inplace(x, lambda old: mul(old, other))
    return _fast(x, np.multiply, other)


def div_(x, other, *, rounding_mode=None):
    from .elementwise import div
    if _is_tracked(x, other) or rounding_mode is not None:
        return apply_inplace(x, lambda old: div(old, other, rounding_mode=rounding_mode))
    return _fast(x, np.true_divide, other)


def addcmul_(x, tensor1, tensor2, *, value=1):
    from .elementwise import add, mul
    if _gm.enabled and (x._rg or tensor1._rg or tensor2._rg):
        return apply_inplace(x, lambda old: add(old, mul(mul(tensor1, tensor2), value)))
    p = tensor1._data * tensor2._data
    if value != 1:
        p *= value
    return _fast(x, np.add, p)


def addcdiv_(x, tensor1, tensor2, *, value=1):
    from .elementwise import add, mul, div
    if _gm.enabled and (x._rg or tensor1._rg or tensor2._rg):
        return apply_inplace(x, lambda old: add(old, mul(div(tensor1, tensor2), value)))
    p = tensor1._data / tensor2._data
    if value != 1:
        p *= value
    return _fast(x, np.add, p)


def zero_(x):
    _check_leaf(x)
    if x._rg and _gm.enabled:
        return fill_(x, 0)
    x._data.fill(0)
    x._bump()
    return x


def fill_(x, value):
    from .elementwise import mul, add
    v = value._data if isinstance(value, Tensor) else value
    if _is_tracked(x, value):
        return apply_inplace(x, lambda old: add(mul(old, 0), value))
    x._data.fill(v)
    x._bump()
    return x


def copy_(x, src, non_blocking=False):
    from .elementwise import add, mul
    if _is_tracked(x, src):
        from .shape import expand
        s = src if isinstance(src, Tensor) else None
        return apply_inplace(x, lambda old: add(mul(old, 0), expand(s, x._data.shape).to(x.dtype)))
    s = src._data if isinstance(src, Tensor) else np.asarray(src)
    try:
        np.copyto(x._data, np.broadcast_to(s, x._data.shape), casting="unsafe")
    except ValueError:
        _check_overlap(x._data)
        raise RuntimeError(f"copy_: the source of shape {tuple(np.shape(s))} does not broadcast to the "
                           f"destination of shape {tuple(x._data.shape)}") from None
    x._bump()
    return x


def make_inplace(fn, name):
    """Build ``x.<name>_(...)`` from an out-of-place op ``fn(x, ...)``."""
    def method(x, *args, **kwargs):
        if _gm.enabled and (x._rg or any(isinstance(a, Tensor) and a._rg for a in args)):
            return apply_inplace(x, lambda old: fn(old, *args, **kwargs))
        r = fn(x, *args, **kwargs)._data
        _check_overlap(x._data)
        if r.shape != x._data.shape:
            raise RuntimeError(f"{name}_: output with shape {list(x._data.shape)} doesn't match the broadcast "
                               f"shape {list(r.shape)}")
        if r.dtype != x._data.dtype and not np.can_cast(r.dtype, x._data.dtype, "same_kind"):
            raise RuntimeError(f"{name}_: result type {r.dtype} can't be cast to the desired output type "
                               f"{x._data.dtype}")
        np.copyto(x._data, r, casting="unsafe")
        x._bump()
        return x
    method.__name__ = name + "_"
    return method
