"""Storage geometry: as_strided, storage_offset, and the ``*_copy`` forms of the view ops.

An ember tensor's storage is the NumPy array its data is a view of (the end of the ``.base``
chain), so ``as_strided`` addresses the same memory PyTorch's would for tensors made by
ember ops. ``x.as_strided(size, stride)`` is a view; its gradient adds the output gradient
into a zero storage and reads back the input's elements.

>>> import ember
>>> ember.arange(6.).as_strided((2, 2), (1, 2))
tensor([[0., 2.],
        [1., 3.]])
"""
__all__ = ["as_strided", "as_strided_scatter", "storage_offset"]

import numpy as np

from .. import grad_mode
from ..node import record as _rec
from ._util import out, shape_args

_gm = grad_mode.state


def _storage(a):
    """The array owning ``a``'s memory and ``a``'s offset in it, in elements."""
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not root.flags.c_contiguous or root.itemsize != a.itemsize:
        return a if a.flags.c_contiguous else None, 0
    off = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return root, off // a.itemsize


def storage_offset(input):
    """The offset of the first element in the underlying storage, in elements."""
    _, off = _storage(input._data)
    return off


def _positions(shape, stride, offset):
    pos = np.full(shape, offset, np.int64)
    for k, (n, s) in enumerate(zip(shape, stride)):
        view = [1] * len(shape)
        view[k] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(view)
    return pos


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with the given ``size``, ``stride`` (in elements) and offset
    (the input's own offset when None)."""
    from .shape import _view_of
    from .index import index_put_new, getitem
    x = input
    a = x._data
    size = shape_args((size,), "as_strided")
    stride = shape_args((stride,), "as_strided")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: size has {len(size)} dims, stride has "
                           f"{len(stride)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    root, off0 = _storage(a)
    if root is None:
        root, off0 = np.ascontiguousarray(a), 0
    off = off0 if storage_offset is None else int(storage_offset)
    need = off + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if need > root.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {off}, and "
                           f"itemsize {a.itemsize} requiring a storage size of {need * a.itemsize} are out of "
                           f"bounds for storage of size {root.size * a.itemsize}")
    flat = root.reshape(-1)
    r = np.lib.stride_tricks.as_strided(flat[off:], size, tuple(s * a.itemsize for s in stride))
    t = _view_of(x, r)
    if _gm.enabled and x._rg:
        in_stride = tuple(s // a.itemsize for s in a.strides)
        pos_in = _positions(a.shape, in_stride, off0)
        pos_out = _positions(size, stride, off)
        n = root.size

        def backward(g):
            z = out(np.zeros(n, g._data.dtype))
            acc = index_put_new(z, (out(pos_out),), g, accumulate=True)
            return (getitem(acc, out(pos_in)),)
        _rec(t, "AsStridedBackward0", backward, (x,))
    return t


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of ``input`` with ``src`` written into the elements ``input.as_strided(size, stride, offset)``
    addresses (which must all belong to ``input``)."""
    from .index import index_put_new
    from .shape import reshape
    a = input._data
    size = shape_args((size,), "as_strided_scatter")
    stride = shape_args((stride,), "as_strided_scatter")
    if tuple(src._data.shape) != size:
        raise RuntimeError(f"as_strided_scatter: expected src to have a size equal to the slice of self. src size "
                           f"= {list(src._data.shape)}, slice size = {list(size)}")
    root, off0 = _storage(a)
    if root is None:
        root, off0 = np.ascontiguousarray(a), 0
    off = off0 if storage_offset is None else int(storage_offset)
    pos_in = _positions(a.shape, tuple(s // a.itemsize for s in a.strides), off0).reshape(-1)
    pos_out = _positions(size, stride, off).reshape(-1)
    where = np.full(max(root.size, int(pos_out.max(initial=0)) + 1), -1, np.int64)
    where[pos_in] = np.arange(pos_in.size)
    flat = where[pos_out]
    if (flat < 0).any():
        raise RuntimeError(f"as_strided_scatter: size {list(size)}, stride {list(stride)} and offset {off} address "
                           f"elements outside the input of shape {tuple(a.shape)}")
    r = index_put_new(reshape(input, (-1,)), (out(flat),), reshape(src, (-1,)))
    return reshape(r, a.shape)


def _copy_variant(fn, name):
    def op(input, *args, **kwargs):
        from .shape import clone
        r = fn(input, *args, **kwargs)
        if isinstance(r, (tuple, list)):
            return type(r)(clone(v) for v in r)
        return clone(r)
    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = f"``{fn.__name__}`` followed by ``clone``: the same values, in new memory."
    return op


def _slice(input, dim=0, start=None, end=None, step=1):
    from .index import getitem
    from ._util import wrap_dim
    d = wrap_dim(dim, input._data.ndim)
    return getitem(input, (slice(None),) * d + (slice(start, end, step),))


def _expand(input, size, *, implicit=False):
    from .shape import expand
    return expand(input, size)


def _alias(input):
    from .shape import _alias as alias
    return alias(input)


def _detach(input):
    return input.detach()


def _build():
    from . import shape as S
    from .shape_more import unfold
    pairs = {"alias_copy": _alias, "as_strided_copy": as_strided, "detach_copy": _detach,
             "diagonal_copy": S.diagonal, "expand_copy": _expand, "narrow_copy": S.narrow,
             "permute_copy": S.permute, "select_copy": S.select, "slice_copy": _slice, "split_copy": S.split,
             "split_with_sizes_copy": S.split, "squeeze_copy": S.squeeze, "t_copy": S.t,
             "transpose_copy": S.transpose, "unbind_copy": S.unbind, "unfold_copy": unfold,
             "unsqueeze_copy": S.unsqueeze, "view_copy": S.view}
    return {k: _copy_variant(v, k) for k, v in pairs.items()}


globals().update(_build())
COPY_VARIANTS = tuple(_build())
__all__ += list(COPY_VARIANTS)
