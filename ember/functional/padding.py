"""``pad``: constant, reflect, replicate and circular padding, with PyTorch's argument order.

``pad`` lists (left, right) amounts starting from the last dimension:
``(left_W, right_W, top_H, bottom_H, ...)``. A negative amount removes that many
entries instead.

Constant padding writes the input into a filled array; its gradient is the
matching crop, which is constant padding with the amounts negated, so the op is
its own gradient's gradient. The other modes gather each padded dimension through
an index array (``reflect``: mirror without repeating the edge, ``replicate``:
repeat the edge, ``circular``: wrap around); their gradient adds each output's
gradient back to the entry it was read from (one slice add for the interior plus
one per padded position, never ``np.add.at``).

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.tensor([[[1.0, 2.0, 3.0]]])
>>> F.pad(x, (2, 1), mode="reflect")
tensor([[[3., 2., 1., 2., 3., 2.]]])
>>> F.pad(x, (1, 1), value=9.0)
tensor([[[9., 1., 2., 3., 9.]]])
"""
import numpy as np

from ..autograd import grad_mode
from ..autograd.node import Node
from ..autograd.tensor import Tensor, _new
from ..backend import meta as _meta
from ..backend.meta import MetaArray as _MetaArray

__all__ = ["pad"]

_gm = grad_mode.state


def _wrap(arr):
    t = _new(Tensor)
    t._data = arr
    return t


def _record(t, name, fn, inputs):
    t.grad_fn = Node(name, fn, inputs, ())
    t._rg = True
    return t


# -- constant ------------------------------------------------------------------------------------------

def _constant_pad(x, pads, value):
    """``pads``: one (left, right) pair per dimension, first dimension first."""
    a = x._data
    out_shape = tuple(s + l + r for s, (l, r) in zip(a.shape, pads))
    if any(s < 0 for s in out_shape):
        raise RuntimeError(f"pad: the padding {pads} gives a negative size {out_shape} for input of shape "
                           f"{tuple(a.shape)}")
    y = np.empty(out_shape, a.dtype) if type(a) is not _MetaArray else _meta.empty(out_shape, a.dtype)
    dst, src = [], []
    for s, (l, r) in zip(a.shape, pads):
        dst.append(slice(max(l, 0), max(l, 0) + max(0, s - max(-l, 0) - max(-r, 0))))
        src.append(slice(max(-l, 0), s - max(-r, 0)))
    if any(l > 0 or r > 0 for l, r in pads):
        y.fill(value)
    y[tuple(dst)] = a[tuple(src)]
    t = _wrap(y)
    if _gm.enabled and x._rg:
        neg = [(-l, -r) for l, r in pads]
        _record(t, "ConstantPadNdBackward0", lambda g: (_constant_pad(g, neg, 0),), (x,))
    return t


# -- index-gather modes (reflect, replicate, circular) ------------------------------------------------

def _source_index(size, left, right, mode):
    """For each output position of one padded dimension, the input position it copies."""
    i = np.arange(-left, size + right, dtype=np.int64)
    if mode == "reflect":
        i = np.abs(i)
        return np.where(i >= size, 2 * (size - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    # circular: a negative amount crops first; the positive ones then wrap around what is left.
    start, stop = max(-left, 0), size - max(-right, 0)
    return start + np.arange(-max(left, 0), stop - start + max(right, 0), dtype=np.int64) % (stop - start)


def _take(x, axis, idx, size):
    """``y = take(x, idx, axis)``; its gradient is :func:`_take_adjoint`."""
    t = _wrap(np.take(x._data, idx, axis=axis))
    if _gm.enabled and x._rg:
        _record(t, "IndexBackward0", lambda g: (_take_adjoint(g, axis, idx, size),), (x,))
    return t


def _take_adjoint(g, axis, idx, size):
    """Sum ``g`` back along ``axis``: output position ``o`` adds into input position ``idx[o]``."""
    if type(g._data) is _MetaArray:  # the meta device: the shape, no sums
        shape = list(g._data.shape)
        shape[axis] = size
        return _wrap(_meta.empty(shape, g._data.dtype))
    gd = np.moveaxis(g._data, axis, 0)
    r = np.zeros((size,) + gd.shape[1:], gd.dtype)
    # The interior is one run where idx[o] = idx[o0] + (o - o0): one slice add; the padded positions
    # (a few per side) are added one by one.
    steps = np.flatnonzero(np.diff(idx) != 1)
    bounds = np.concatenate(([0], steps + 1, [idx.size]))
    runs = np.diff(bounds)
    k = int(np.argmax(runs)) if runs.size else 0
    o0, o1 = (int(bounds[k]), int(bounds[k + 1])) if runs.size else (0, 0)
    if o1 > o0:
        r[idx[o0]:idx[o0] + (o1 - o0)] += gd[o0:o1]
    for o in list(range(o0)) + list(range(o1, idx.size)):
        r[idx[o]] += gd[o]
    t = _wrap(np.moveaxis(r, 0, axis))
    if _gm.enabled and g._rg:
        _record(t, "IndexAddBackward0", lambda gg: (_take(gg, axis, idx, idx.size),), (g,))
    return t


_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``; ``pad`` = (left, right) amounts from the last dimension backwards.

    Args:
        pad: a sequence of ``2 * k`` ints padding the last ``k`` dimensions (negative amounts crop).
        mode: ``'constant'`` (fill with ``value``, default 0), ``'reflect'``, ``'replicate'`` or
            ``'circular'``. The last three pad the last 1, 2 or 3 dimensions of an input with 1 or 2
            more dimensions (batch and channel); reflect needs each amount < that dimension's size,
            circular at most its size.
    """
    x = input
    a = x._data
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > a.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {a.ndim}")
    # (left, right) per padded dimension, first dimension first.
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(k)][::-1]
    if mode == "constant":
        pads = [(0, 0)] * (a.ndim - k) + pairs
        return _constant_pad(x, pads, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if k not in (1, 2, 3) or a.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {a.ndim}D input tensor.\n"
                                  + _SUPPORTED)
    first = a.ndim - k
    if any(s == 0 for s in a.shape[first:]) or (a.ndim == k + 2 and a.shape[1] == 0):
        raise RuntimeError(f"pad ({mode}): expected an input with non-zero sizes in the padded and channel "
                           f"dimensions, but got input of size {list(a.shape)}")
    t = x
    for d, (l, r) in zip(range(first, a.ndim), pairs):
        size = a.shape[d]
        if mode == "reflect" and (l >= size or r >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({l}, {r}) at dimension {d} of input {list(a.shape)}")
        if mode == "circular" and (l > size or r > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if size + l + r < 0:
            raise RuntimeError(f"pad: the padding ({l}, {r}) gives a negative size at dimension {d} of input "
                               f"{list(a.shape)}")
        if l == 0 and r == 0:
            continue
        t = _take(t, d, _source_index(size, l, r, mode), size)
    return t
