"""More indexed writes: index_copy, index_put, index_reduce, put, select/slice/diagonal_scatter.

Each is an out-of-place op (the ``_`` forms in ``methods.py`` write the result back in
place). All but ``index_reduce`` are built on the differentiable ``index_put_new``, so
gradients reach both the input and the values written into it.

>>> import ember
>>> ember.zeros(3).index_copy(0, ember.tensor([2]), ember.tensor([5.0]))
tensor([0., 0., 5.])
"""
__all__ = ["index_copy", "index_put", "put", "select_scatter", "slice_scatter", "diagonal_scatter", "index_reduce",
           "scatter_reduce"]

import numpy as np

from .. import grad_mode
from ..node import record as _rec
from ..tensor import Tensor
from ._util import out, wrap_dim
from .elementwise import mul

_gm = grad_mode.state


def _index_vector(name, index, n, d):
    i = index._data if isinstance(index, Tensor) else np.asarray(index)
    if i.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, got shape {tuple(i.shape)}")
    if i.dtype.kind not in "iu":
        raise IndexError(f"{name}(): Expected a long tensor for index, but got {index.dtype}")
    i = i.reshape(-1)
    if i.size and (i.max() >= n or i.min() < 0):
        raise IndexError(f"{name}(): index {int(i.max() if i.max() >= n else i.min())} is out of bounds for "
                         f"dimension {d} with size {n}")
    return i


def _check_source(name, a, d, i, s):
    want = a.shape[:d] + (i.size,) + a.shape[d + 1:] if a.ndim else (i.size,) if i.size != 1 else ()
    if s.shape != want and not (a.ndim == 0 and s.size == i.size):
        raise RuntimeError(f"{name}(): source of shape {tuple(s.shape)} does not match the expected shape "
                           f"{tuple(want)} (input {tuple(a.shape)}, dim {d}, index of length {i.size})")


def index_copy(input, dim, index, source):
    """``out.select(dim, index[i]) = source.select(dim, i)``; the rest is ``input``."""
    from .index import index_put_new
    a = input._data
    d = wrap_dim(dim, a.ndim)
    i = _index_vector("index_copy", index, a.shape[d] if a.ndim else 1, d)
    _check_source("index_copy", a, d, i, source._data)
    if source._data.dtype != a.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{input.dtype} and (source) {source.dtype}")
    if a.ndim == 0:
        return index_put_new(input, (), source.reshape(()))
    return index_put_new(input, (slice(None),) * d + (out(i),), source)


def index_put(input, indices, values, accumulate=False):
    """``out[indices] = values`` (``+=`` with ``accumulate``, repeated indices adding up); ``indices`` is a
    tuple of index tensors, one per leading dim."""
    from .index import index_put_new
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be a tuple of Tensors, not {type(indices).__name__}")
    if len(indices) > input._data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input._data.ndim} (got {len(indices)})")
    if isinstance(values, Tensor) and values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {input.dtype} for "
                           f"the destination and {values.dtype} for the source.")
    ix = tuple(slice(None) if i is None else i for i in indices)
    return index_put_new(input, ix, values, accumulate)


def put(input, index, source, accumulate=False):
    """``input`` viewed as 1-D gets ``source`` at the flat positions ``index`` (negative ones count back)."""
    from .shape import reshape
    n = input._data.size
    i = index._data.reshape(-1)
    if i.size and (i.max() >= n or i.min() < -n):
        raise IndexError(f"put(): index {int(i.max() if i.max() >= n else i.min())} out of range for tensor of "
                         f"{n} elements")
    if source._data.size != i.size:
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source._data.size}, index.numel() = {i.size}")
    flat = index_put(reshape(input, (-1,)), (out(i),), reshape(source, (-1,)), accumulate)
    return reshape(flat, input._data.shape)


def _scatter_into(name, input, src, ix):
    from .index import index_put_new
    want = input._data[ix].shape
    if tuple(src._data.shape) != want:
        raise RuntimeError(f"{name}: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(want)}")
    return index_put_new(input, ix, src)


def select_scatter(input, src, dim, index):
    """``input`` with ``src`` written into ``input.select(dim, index)``."""
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select_scatter(): index {index} out of range for tensor of size "
                         f"{tuple(input._data.shape)} at dimension {d}")
    return _scatter_into("select_scatter", input, src, (slice(None),) * d + (index,))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with ``src`` written into ``input[..., start:end:step, ...]`` (along ``dim``)."""
    d = wrap_dim(dim, input._data.ndim)
    if step <= 0:
        raise RuntimeError(f"slice step must be positive, got {step}")
    return _scatter_into("slice_scatter", input, src, (slice(None),) * d + (slice(start, end, step),))


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with ``src`` written into its (dim1, dim2) diagonal at ``offset``."""
    from .shape import movedim, _diag_positions
    from .index import index_put_new
    a = input._data
    d1, d2 = wrap_dim(dim1, a.ndim), wrap_dim(dim2, a.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    want = np.diagonal(a, offset, d1, d2).shape
    if tuple(src._data.shape) != want:
        raise RuntimeError(f"diagonal_scatter: expected src to have a size equal to the diagonal of self. src "
                           f"size = {list(src._data.shape)}, diagonal size = {list(want)}")
    xm = movedim(input, (d1, d2), (-2, -1))
    rows, cols = _diag_positions(a.shape[d1], a.shape[d2], offset)
    ym = index_put_new(xm, (Ellipsis, out(rows), out(cols)), src)
    return movedim(ym, (-2, -1), (d1, d2))


# -- index_reduce ----------------------------------------------------------------------------------------

_REDUCE_INIT = {"prod": 1.0, "amax": -np.inf, "amin": np.inf, "mean": 0.0}


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Combine ``source.select(dim, i)`` into ``out.select(dim, index[i])`` with ``reduce``: 'prod', 'mean',
    'amax' or 'amin' (``include_self`` also counts the input's own value). First-order gradients: an
    amax/amin gradient is shared evenly among the tied values, as PyTorch does."""
    x, s = input, source
    a = x._data
    if reduce not in _REDUCE_INIT:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                           f"{reduce}.")
    d = wrap_dim(dim, a.ndim)
    i = _index_vector("index_reduce", index, a.shape[d], d)
    _check_source("index_reduce", a, d, i, s._data)
    i = np.where(i < 0, i + a.shape[d], i)
    r = np.moveaxis(a.copy(), d, 0)
    sm = np.moveaxis(s._data.astype(a.dtype, copy=False), d, 0)
    hit = np.zeros(a.shape[d], bool)
    hit[i] = True
    if not include_self:
        r[hit] = _REDUCE_INIT[reduce] if a.dtype.kind == "f" else (
            {"amax": np.iinfo(a.dtype).min, "amin": np.iinfo(a.dtype).max}.get(reduce, _REDUCE_INIT[reduce]))
    cnt = np.zeros(a.shape[d], np.int64)
    np.add.at(cnt, i, 1)
    cnt_self = cnt + (1 if include_self else 0)
    if reduce == "prod":
        np.multiply.at(r, i, sm)
    elif reduce == "amax":
        np.maximum.at(r, i, sm)
    elif reduce == "amin":
        np.minimum.at(r, i, sm)
    else:
        np.add.at(r, i, sm)
        c = np.maximum(cnt_self, 1).reshape((-1,) + (1,) * (r.ndim - 1))
        r = np.where(hit.reshape(c.shape), r / c if a.dtype.kind == "f" else r // c, r).astype(a.dtype)
    res = np.moveaxis(r, 0, d)
    t = out(np.ascontiguousarray(res))
    if _gm.enabled and (x._rg or s._rg):
        ws, wsrc = _index_reduce_weights(a, sm, r, i, d, hit, cnt_self, reduce, include_self)

        def backward(g):
            from .index import index_select
            gx = mul(g, out(ws)) if x._rg else None
            gs = mul(index_select(g, d, out(i)), out(wsrc)) if s._rg else None
            return gx, gs
        _rec(t, "IndexReduceBackward0", backward, (x, s))
    return t


def _index_reduce_weights(a, sm, r, i, d, hit, cnt_self, reduce, include_self):
    """d out / d self and d out[index[k]] / d source[k] (moved back to their dims)."""
    am = np.moveaxis(a, d, 0)
    shape1 = (-1,) + (1,) * (am.ndim - 1)
    hitb = hit.reshape(shape1)
    rs = r[i]                                   # the result each source slice went into
    if reduce == "mean":
        c = np.maximum(cnt_self, 1).reshape(shape1).astype(a.dtype)
        ws = np.where(hitb, (1.0 / c) if include_self else 0.0, 1.0) * np.ones_like(am)
        wsrc = np.broadcast_to(1.0 / c[i], sm.shape)
    elif reduce in ("amax", "amin"):
        eq_self = (am == r) & hitb & include_self
        eq_src = sm == rs
        ties = eq_self.astype(a.dtype)
        np.add.at(ties, i, eq_src.astype(a.dtype))
        ties = np.maximum(ties, 1)
        ws = np.where(hitb, eq_self / ties, 1.0)
        wsrc = eq_src / ties[i]
    else:
        # The product of the other factors, exact when factors are zero.
        nz_self = np.where(am == 0, 1, am) if include_self else np.ones_like(am)
        prod_nz = np.where(hitb, nz_self, am).copy()
        zeros = ((am == 0) & hitb & include_self).astype(np.int64)
        np.multiply.at(prod_nz, i, np.where(sm == 0, 1, sm))
        np.add.at(zeros, i, (sm == 0).astype(np.int64))

        def others(v, z_here, prod_grp, z_grp):
            return np.where(z_here, np.where(z_grp == 1, prod_grp, 0), np.where(z_grp > 0, 0,
                                                                                prod_grp / np.where(v == 0, 1, v)))
        ws = np.where(hitb, others(am, am == 0, prod_nz, zeros) if include_self else 0.0, 1.0)
        wsrc = others(sm, sm == 0, prod_nz[i], zeros[i])
    return (np.ascontiguousarray(np.moveaxis(np.asarray(ws, a.dtype), 0, d)),
            np.ascontiguousarray(np.moveaxis(np.asarray(wsrc, a.dtype), 0, d)))


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``out[..., index[i], ...] = reduce(out[..., index[i], ...], src[i])`` along ``dim`` with ``reduce`` one of
    'sum', 'prod', 'mean', 'amax', 'amin'; differentiable in input and src for every reduction.

    The scatter is an ``index_reduce`` over the flattened input at the flat positions ``index`` addresses,
    so it shares that op's gradient rules (amax/amin share the gradient evenly among tied values)."""
    from .index import _check_gather, _full_index, getitem, scatter_add, scatter
    from .shape import reshape
    a = input._data
    idx = index._data
    d = wrap_dim(dim, a.ndim)
    _check_gather("scatter_reduce", a, d, idx)
    if reduce == "sum":
        if include_self:
            return scatter_add(input, dim, index, src)
        return scatter_add(scatter(input, dim, index, value=0.0), dim, index, src)
    if reduce not in _REDUCE_INIT:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if a.ndim == 0:
        return index_reduce(reshape(input, (1,)), 0, out(np.zeros(idx.size, np.int64)), reshape(src, (-1,))[:idx.size],
                            reduce, include_self=include_self).reshape(())
    fi = list(np.broadcast_arrays(*_full_index(idx, d)))
    flat = np.ravel_multi_index(tuple(fi), a.shape).reshape(-1).astype(np.int64)
    part = getitem(src, tuple(slice(0, s) for s in idx.shape)) if src._data.shape != idx.shape else src
    if part._data.dtype != a.dtype:
        part = part.to(input.dtype)
    r = index_reduce(reshape(input, (-1,)), 0, out(flat), reshape(part, (-1,)), reduce, include_self=include_self)
    return reshape(r, a.shape)
