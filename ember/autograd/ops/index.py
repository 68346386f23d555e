"""Indexing: ``x[idx]``, ``x[idx] = v``, gather/scatter, index_select, masked_fill, masked_select, nonzero.

Indexing follows PyTorch (ints, slices with positive steps, None, ..., boolean
masks, integer tensors and lists). The gradient of an index read adds the output
gradient into a zero tensor at the read positions with ``np.add.at``, so an
element read several times gets the sum of its gradients.
"""
import warnings

import numpy as np

from ...backend import dtypes as _dt
from ...backend import meta as _meta
from .. import grad_mode
from ..node import record as _rec
from ..index_grad import IndexGrad
from ..tensor import Tensor
from ._util import out, wrap_dim, numpy_names, MetaArray
from .elementwise import sum_to, where, mul

_gm = grad_mode.state
_BASIC = (int, slice, type(None), type(Ellipsis))



def _is_sequence(obj):
    """What PyTorch reads as a sequence of indices: lists, tuples, ``range``, ``torch.Size``,
    deques, ``array.array``... (not strings, mappings, arrays or tensors)."""
    kind = type(obj)
    return (hasattr(kind, "__getitem__") and hasattr(kind, "__len__")
            and not isinstance(obj, (str, bytes, dict, np.ndarray, Tensor)))


def _index_tuple(idx):
    """The index as a tuple of per-dimension entries. A non-tuple sequence of fewer than 32 entries
    that holds a slice, None, ..., a tensor or another sequence is read as a tuple, with PyTorch's
    deprecation warning (``x[[0, range(2)]]`` is ``x[0, range(2)]``); any other is one index."""
    if isinstance(idx, tuple):
        return idx
    if _is_sequence(idx) and len(idx) < 32 and any(
            i is None or i is Ellipsis or isinstance(i, (slice, Tensor, np.ndarray)) or _is_sequence(i)
            for i in idx):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated; use "
                      "x[tuple(seq)] instead of x[seq]. PyTorch will later read it as a tensor index, "
                      "x[torch.tensor(seq)], which gives an error or a different result", UserWarning,
                      stacklevel=3)
        return tuple(idx)
    return (idx,)


def _sequence_index(seq):
    """A sequence index as a bool or int64 array; as in PyTorch, floats are truncated (``[0.5]`` is ``[0]``)."""
    items = [int(v) if isinstance(v, Tensor) else v for v in seq]
    if not items:
        return np.zeros(0, np.int64)
    a = np.asarray([list(v) if _is_sequence(v) else v for v in items])
    if a.dtype.kind == "f":
        return a.astype(np.int64)
    if a.dtype.kind not in "iub":
        raise TypeError(f"index sequences must hold numbers or bools, got {a.dtype} values")
    return a


def convert_index(idx):
    """Turn an ember index into a NumPy one; returns (index, is_basic)."""
    idx = _index_tuple(idx)
    res, basic = [], True
    for i in idx:
        if isinstance(i, Tensor):
            a = i._data
            if a.dtype.kind not in "iub":
                raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, got {i.dtype}")
            res.append(a)
            basic = False
        elif isinstance(i, slice):
            if i.step is not None and (i.step.item() if isinstance(i.step, Tensor) else i.step) <= 0:
                raise ValueError("step must be greater than zero")
            if any(isinstance(v, Tensor) for v in (i.start, i.stop, i.step)):
                i = slice(*(int(v) if isinstance(v, Tensor) else v for v in (i.start, i.stop, i.step)))
            res.append(i)
        elif isinstance(i, (bool, np.bool_)):
            res.append(i)
            basic = False
        elif isinstance(i, (int, np.integer)):
            res.append(int(i))
        elif i is None or i is Ellipsis:
            res.append(i)
        elif isinstance(i, np.ndarray):
            if i.dtype.kind not in "iub":
                raise IndexError(f"arrays used as indices must hold ints or bools, got {i.dtype}")
            res.append(i)
            basic = False
        elif _is_sequence(i):
            res.append(_sequence_index(i))
            basic = False
        else:
            raise IndexError(f"only integers, slices, None, ..., lists and integer or boolean tensors are valid "
                             f"indices (got {type(i).__name__})")
    return tuple(res), basic


def _frozen(ix):
    """``ix`` with its index arrays copied: a backward keeps the positions the op used even if the index
    tensor is written to in place afterwards (torch raises for that; the gradient here is the op's)."""
    return tuple(np.array(i) if isinstance(i, np.ndarray) else i for i in ix)


def getitem(input, idx):
    x = input
    a = x._data
    ix, basic = convert_index(idx)
    try:
        r = a[ix]
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {tuple(a.shape)})") from None
    if basic:
        if not isinstance(r, np.ndarray):
            # NumPy gives a scalar copy for a full integer index; torch gives a 0-d view (w.grad[0].mul_(10)).
            r = a[(ix if isinstance(ix, tuple) else (ix,)) + (Ellipsis,)]
        t = out(r)
        vc = x._vc
        if vc is None:
            vc = x._vc = [0]
        t._vc = vc
        t._view_of = (x, ix)  # lets an in-place change of this view update x's graph too
    else:
        t = out(r)
    if _gm.enabled and x._rg:
        shape, dtype = a.shape, a.dtype
        ix = _frozen(ix)

        def backward(g):
            if _gm.enabled or g._data.dtype != dtype or dtype.kind == "c":
                return (index_into_zeros(g, ix, basic, shape),)
            # The engine writes this into the one gradient buffer it keeps for x (see index_grad).
            return (IndexGrad(g._data, ix, basic, shape),)
        _rec(t, "SliceBackward0" if basic else "IndexBackward0", backward, (x,))
    return t


def index_into_zeros(g, ix, basic, shape):
    """Zeros of ``shape`` with ``g`` added at ``ix`` (repeated positions accumulate)."""
    z = np.zeros(shape, g._data.dtype) if type(g._data) is not MetaArray else _meta.empty(shape, g._data.dtype)
    if basic:
        z[ix] = g._data
    else:
        np.add.at(z, ix, g._data)
    t = out(z)
    if _gm.enabled and g._rg:
        _rec(t, "IndexPutBackward0", lambda gg: (getitem(gg, ix),), (g,))
    return t


def index_put_new(input, indices, values, accumulate=False):
    """Out-of-place ``x[indices] = values`` (or ``+=`` with accumulate), differentiable in x and values."""
    x = input
    ix, basic = convert_index(indices)
    v = values if isinstance(values, Tensor) else out(np.asarray(values, x._data.dtype))
    r = x._data.copy()
    try:
        if accumulate:
            np.add.at(r, ix, v._data)
        else:
            r[ix] = v._data
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {tuple(v._data.shape)} cannot be broadcast "
                           f"to indexing result of shape {tuple(r[ix].shape)}") from None
    t = out(r)
    if _gm.enabled and (x._rg or v._rg):
        ix = _frozen(ix)

        def backward(g):
            gx = gv = None
            if x._rg:
                if accumulate:
                    gx = g
                else:
                    m = np.ones(r.shape, np.bool_)
                    m[ix] = False
                    gx = mul(g, out(m))
            if v._rg:
                gv = sum_to(getitem(g, ix), v._data.shape)
            return gx, gv
        _rec(t, "IndexPutBackward0", backward, (x, v))
    return t


def setitem(input, idx, value):
    """``x[idx] = value`` in place; when recording, ``x`` becomes the output of an index-put node."""
    x = input
    vt = isinstance(value, Tensor)
    if _gm.enabled and (x._rg or (vt and value._rg)):
        from .inplace import apply_inplace
        return apply_inplace(x, lambda old: index_put_new(old, idx, value))
    ix, _ = convert_index(idx)
    v = value._data if vt else value
    try:
        x._data[ix] = v
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {tuple(np.shape(v))} cannot be broadcast to "
                           f"indexing result of shape {tuple(x._data[ix].shape)}") from None
    x._bump()
    return x


# -- gather / scatter ----------------------------------------------------------------------------------

def _full_index(idx, dim):
    """Index arrays that address ``a[..., idx[...], ...]`` position by position along ``dim``."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[dim] = idx
    return tuple(grids)


def _check_gather(name, a, dim, idx):
    if idx.ndim != a.ndim and not (a.ndim == 0 and idx.ndim <= 1):
        raise RuntimeError(f"{name}(): Index tensor must have the same number of dimensions as input tensor "
                           f"(input {tuple(a.shape)}, index {tuple(idx.shape)})")
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {_dt.from_numpy(idx.dtype)}")
    for d in range(idx.ndim):
        if d != dim and idx.shape[d] > a.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(idx.shape)} to be "
                               f"smaller than self {list(a.shape)} apart from dimension {dim}")
    # Negative indices do not wrap here, as in PyTorch: a -1 is a bug in the caller's index arithmetic.
    if idx.size and (idx.max() >= a.shape[dim] or idx.min() < 0):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise RuntimeError(f"{name}(): index {bad} is out of bounds for dimension {dim} with size "
                           f"{a.shape[dim]}")


def gather(input, dim, index, *, sparse_grad=False):
    x = input
    a = x._data
    idx = index._data
    d = wrap_dim(dim, a.ndim)
    _check_gather("gather", a, d, idx)
    t = out(a[_full_index(idx, d)])
    if _gm.enabled and x._rg:
        shape = a.shape
        _rec(t, "GatherBackward0", lambda g: (scatter_into_zeros(g, d, idx, shape),), (x,))
    return t


def scatter_into_zeros(g, dim, idx, shape):
    z = np.zeros(shape, g._data.dtype) if type(g._data) is not MetaArray else _meta.empty(shape, g._data.dtype)
    np.add.at(z, _full_index(idx, dim), g._data)
    t = out(z)
    if _gm.enabled and g._rg:
        _rec(t, "ScatterAddBackward0", lambda gg: (gather(gg, dim, out(idx)),), (g,))
    return t


def _src_part(src, idx, self_shape=None, dim=None):
    """The part of ``src`` the index addresses (its leading ``idx.shape``); torch's RuntimeError when ``src`` is
    smaller than the index in some dimension (NumPy's broadcast ValueError before)."""
    if np.ndim(src) == idx.ndim and any(i > n for i, n in zip(idx.shape, np.shape(src))):
        where = "" if self_shape is None else f" to be no larger than self {list(self_shape)} apart from dimension {dim} and"
        raise RuntimeError(f"Expected index {list(idx.shape)}{where} to be no larger size than src "
                           f"{list(np.shape(src))}")
    return src[tuple(slice(0, s) for s in idx.shape)]


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """``out[..., index[i], ...] = src[i]`` along ``dim``; ``reduce='add'`` or ``'multiply'`` combine instead."""
    x = input
    a = x._data
    idx = index._data
    d = wrap_dim(dim, a.ndim)
    if src is None:
        src = value
    if reduce == "add":
        return scatter_add(input, dim, index, src if isinstance(src, Tensor) else out(np.full(idx.shape, src, a.dtype)))
    _check_gather("scatter", a, d, idx)
    st = isinstance(src, Tensor)
    s = _src_part(src._data, idx, a.shape, dim) if st else src
    r = a.copy()
    fi = _full_index(idx, d)
    if reduce == "multiply":
        np.multiply.at(r, fi, s)
    else:
        r[fi] = s
    t = out(r)
    if _gm.enabled and (x._rg or (st and src._rg)):
        def backward(g):
            gx = gs = None
            if x._rg:
                m = np.ones(a.shape, np.bool_)
                m[fi] = False
                gx = mul(g, out(m))
            if st and src._rg:
                gs = _pad_to(gather(g, d, index), src._data.shape)
            return gx, gs
        _rec(t, "ScatterBackward0", backward, (x, src if st else None))
    return t


def _pad_to(g, shape):
    if g._data.shape == tuple(shape):
        return g
    z = np.zeros(shape, g._data.dtype) if type(g._data) is not MetaArray else _meta.empty(shape, g._data.dtype)
    sl = tuple(slice(0, s) for s in g._data.shape)
    return index_put_new(out(z), sl, g)


def scatter_add(input, dim, index, src):
    x = input
    a = x._data
    idx = index._data
    d = wrap_dim(dim, a.ndim)
    _check_gather("scatter_add", a, d, idx)
    r = a.copy()
    np.add.at(r, _full_index(idx, d), _src_part(src._data, idx, a.shape, d).astype(a.dtype, copy=False))
    t = out(r)
    if _gm.enabled and (x._rg or src._rg):
        def backward(g):
            gx = g if x._rg else None
            gs = _pad_to(gather(g, d, index), src._data.shape) if src._rg else None
            return gx, gs
        _rec(t, "ScatterAddBackward0", backward, (x, src))
    return t


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``reduce`` in 'sum', 'prod', 'mean', 'amax', 'amin' (forward only for prod/amax/amin/mean)."""
    if reduce == "sum":
        if include_self:
            return scatter_add(input, dim, index, src)
        m = scatter(input, dim, index, value=0.0)
        return scatter_add(m, dim, index, src)
    a = input._data.copy()
    idx = index._data
    d = wrap_dim(dim, a.ndim)
    fi = _full_index(idx, d)
    s = _src_part(src._data, idx, a.shape, d)
    if not include_self:
        a[fi] = {"prod": 1, "amax": -np.inf, "amin": np.inf, "mean": 0}[reduce]
    if reduce == "prod":
        np.multiply.at(a, fi, s)
    elif reduce == "amax":
        np.maximum.at(a, fi, s)
    elif reduce == "amin":
        np.minimum.at(a, fi, s)
    elif reduce == "mean":
        cnt = np.zeros(a.shape, np.int64)
        np.add.at(cnt, fi, 1)
        np.add.at(a, fi, s)
        cnt += 1 if include_self else 0
        a = np.where(cnt > 0, a / np.maximum(cnt, 1), a).astype(a.dtype)
    else:
        raise RuntimeError(f"scatter_reduce: reduce argument must be one of sum, prod, mean, amax, amin; got {reduce}")
    return out(a)


def index_select(input, dim, index):
    x = input
    a = x._data
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got shape {tuple(idx.shape)}")
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return getitem(x, ()) if idx.size else x
    _check_vector_index("index_select", idx, a.shape[d], d)
    t = out(np.take(a, idx.reshape(-1), axis=d))
    if _gm.enabled and x._rg:
        shape = a.shape
        _rec(t, "IndexSelectBackward0", lambda g: (index_add_zeros(g, d, idx.reshape(-1), shape),), (x,))
    return t


def index_add_zeros(g, d, idx, shape):
    z = np.zeros(shape, g._data.dtype) if type(g._data) is not MetaArray else _meta.empty(shape, g._data.dtype)
    np.add.at(np.moveaxis(z, d, 0), idx, np.moveaxis(g._data, d, 0))
    t = out(z)
    if _gm.enabled and g._rg:
        _rec(t, "IndexAddBackward0", lambda gg: (index_select(gg, d, out(idx)),), (g,))
    return t


def _check_vector_index(name, idx, n, d):
    """Indices along one dimension must lie in [0, n): PyTorch does not wrap negatives in
    index_select/index_add."""
    if idx.size and (idx.max() >= n or idx.min() < 0):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"{name}(): index out of range in self (index {bad}, size {n} at dim {d})")


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source[k]`` added into slice ``index[k]`` along ``dim``, one source slice at
    a time onto ``input``'s own values (as torch: a repeated index accumulates in order, in ``input``'s
    dtype, which ``source`` must share). Gradient: ``g`` for ``input``, ``alpha * g[index]`` for ``source``."""
    x, a, idx = input, input._data, index._data
    if source._data.dtype != a.dtype:
        from .pointwise import _name_of
        raise RuntimeError(f"index_add_(): self ({_name_of(a)}) and source ({_name_of(source._data)}) must have "
                           f"the same scalar type")
    d = wrap_dim(dim, a.ndim)
    _check_index_add(a, d, idx, source._data)
    src = source._data if alpha == 1 else source._data * np.asarray(alpha, a.dtype)
    r = a.copy()
    if a.ndim:
        np.add.at(np.moveaxis(r, d, 0), idx.reshape(-1), np.moveaxis(src, d, 0))
    else:
        r += src
    t = out(r)
    if _gm.enabled and (x._rg or source._rg):
        flat = idx.reshape(-1)

        def backward(g):
            gs = None
            if source._rg:
                gs = index_select(g, d, out(flat)) if a.ndim else g.expand(source._data.shape)
                gs = gs if alpha == 1 else mul(gs, alpha)
                if tuple(gs._data.shape) != source._data.shape:
                    from .shape import reshape
                    gs = reshape(gs, source._data.shape)
            return (g if x._rg else None), gs
        _rec(t, "IndexAddBackward0", backward, (x, source))
    return t


def _check_index_add(a, d, idx, src):
    """torch's checks, in its order and words: a vector index, ``source`` shaped as ``self`` but for ``dim``,
    one index per slice of ``source``, every index within ``self.size(dim)``."""
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"Long and size: {list(idx.shape)}")
    if src.ndim != a.ndim or any(n != m for k, (n, m) in enumerate(zip(a.shape, src.shape)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(a.shape)} source.shape = {list(src.shape)}")
    n_src = src.shape[d] if src.ndim else 1
    if idx.size != n_src:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({n_src}), for dim: {d}")
    size = a.shape[d] if a.ndim else 1
    bad = idx[(idx < 0) | (idx >= size)] if idx.size else idx
    if bad.size:  # torch's 1-D kernel and its n-D kernel word this differently
        if a.ndim <= 1:
            raise IndexError(f"index_add(): index out of range in self (index {int(bad[0])}, size {size} at dim {d})")
        raise RuntimeError(f"index_add(): index {int(bad[0])} is out of bounds for dimension {d} with size {size}")


def index_fill(input, dim, index, value):
    d = wrap_dim(dim, input._data.ndim)
    m = np.zeros(input._data.shape[d], np.bool_)
    m[index._data] = True
    shape = [1] * input._data.ndim
    shape[d] = -1
    return masked_fill(input, out(m.reshape(shape)), value)


def masked_fill(input, mask, value):
    x = input
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_dt.from_numpy(m.dtype)}")
    vt = isinstance(value, Tensor)
    if vt and value._data.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    v = value._data if vt else value
    a = x._data
    try:
        r = np.where(m, np.asarray(v, dtype=a.dtype), a)
    except ValueError:
        raise RuntimeError(f"masked_fill: the mask of shape {tuple(m.shape)} does not broadcast to the tensor of "
                           f"shape {tuple(a.shape)}") from None
    # Out of place, the input and the mask broadcast together, as in PyTorch (masked_fill_ needs the
    # mask to fit the tensor, which apply_inplace checks).
    t = out(r)
    if _gm.enabled and (x._rg or (vt and value._rg)):
        def backward(g):
            gx = sum_to(where(out(m), 0.0, g), a.shape) if x._rg else None
            gv = None
            if vt and value._rg:
                from .reduce import sum as _sum
                gv = _sum(where(out(np.broadcast_to(m, r.shape)), g, 0.0))
            return gx, gv
        _rec(t, "MaskedFillBackward0", backward, (x, value if vt else None))
    return t


def masked_select(input, mask):
    from .shape import expand
    m = mask._data
    shape = np.broadcast_shapes(input._data.shape, m.shape)
    xb = expand(input, shape) if input._data.shape != shape else input
    return getitem(xb, out(np.broadcast_to(m, shape)))


def masked_scatter(input, mask, source):
    m = np.broadcast_to(mask._data, input._data.shape)
    n = int(m.sum())
    from .shape import reshape
    src = getitem(reshape(source, (-1,)), slice(0, n))
    return index_put_new(input, out(m), src)


def take_along_dim(input, indices, dim=None):
    from .shape import reshape, expand
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    a, i = input._data, indices._data
    d = wrap_dim(dim, a.ndim)
    shape_a = list(np.broadcast_shapes(tuple(s for k, s in enumerate(a.shape) if k != d),
                                       tuple(s for k, s in enumerate(i.shape) if k != d)))
    sa = shape_a[:d] + [a.shape[d]] + shape_a[d:]
    si = shape_a[:d] + [i.shape[d]] + shape_a[d:]
    return gather(expand(input, sa), d, expand(indices, si))


def take(input, index):
    """Elements of the flattened ``input`` at ``index``; unlike index_select, negatives count from the end."""
    from .shape import reshape
    n = input._data.size
    i = index._data
    if i.size and (i.max() >= n or i.min() < -n):
        bad = int(i.min()) if i.min() < -n else int(i.max())
        raise IndexError(f"take(): out of range: tried to access index {bad} on a tensor of {n} elements.")
    if i.size and i.min() < 0:
        index = out(np.where(i < 0, i + n, i))
    return reshape(index_select(reshape(input, (-1,)), 0, reshape(index, (-1,))), i.shape)


def nonzero(input, *, as_tuple=False):
    a = input._data
    if as_tuple:
        if a.ndim == 0:
            return (out(np.zeros(int(bool(a)), np.int64)),)
        return tuple(out(v.astype(np.int64)) for v in np.nonzero(a))
    return out(np.argwhere(a).astype(np.int64))


def argwhere(input):
    return nonzero(input)


def one_hot(tensor, num_classes=-1):
    a = tensor._data
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor, got {tensor.dtype}")
    if num_classes == -1:
        num_classes = int(a.max()) + 1 if a.size else 0
    if a.size and (a.min() < 0 or a.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got values in "
                           f"[{int(a.min())}, {int(a.max())}]")
    r = np.zeros(a.shape + (num_classes,), np.int64)
    np.put_along_axis(r, a[..., None].astype(np.int64), 1, axis=-1)
    return out(r)


numpy_names(globals(), "index_select gather")
