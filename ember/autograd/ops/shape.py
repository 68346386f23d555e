"""Shape ops: reshape/view, permute, transpose, squeeze, expand, cat, stack, split, flip, roll, tril ...

Ops that NumPy can do without copying return views that share memory (and the
version counter) with their input, as PyTorch's views do. Every gradient is the
inverse rearrangement of the output gradient.
"""
import numpy as np

from .. import grad_mode
from ..node import record as _rec
from ..tensor import Tensor
from ._util import out, wrap_dim, shape_args, dims_tuple, numpy_names, MetaArray
from .elementwise import sum_to, expand_to

_gm = grad_mode.state



def _view_of(x, arr):
    """A result that shares ``x``'s memory shares its version counter too."""
    t = out(arr)
    vc = x._vc
    if vc is None:
        vc = x._vc = [0]
    t._vc = vc
    return t


def _infer(shape, numel, name, src):
    # The common case: no -1 and the sizes already multiply to numel (one loop, no list copy).
    known = 1
    for s in shape:
        if s < 0:
            break
        known *= s
    else:
        if known == numel:
            return tuple(shape)
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"{name}: shape '{list(shape)}' is invalid for input of size {numel} "
                           f"(input shape {tuple(src)})")
    return tuple(shape)


def reshape(input, *sizes, shape=None):
    # torch's parser also takes the sizes as one keyword argument: x.reshape(shape=(2, 3)).
    shape = sizes if shape is None else (shape,)
    x = input
    a = x._data
    shape = _infer(shape_args(shape, "reshape"), a.size, "reshape", a.shape)
    if shape == a.shape:
        r = a
    else:
        r = a.reshape(shape)
    t = _view_of(x, r) if r.base is not None or r is a else out(r)
    if _gm.enabled and x._rg:
        old = a.shape
        _rec(t, "ReshapeAlias" if r is not a else "ViewBackward0", lambda g: (reshape(g, old),), (x,))
    return t


def view(input, *shape, size=None, dtype=None):
    """``x.view(*shape)`` (a view with another shape) or ``x.view(dtype)`` / ``x.view(dtype=...)`` (the same bytes
    read as another dtype, as safetensors' loader calls it)."""
    if dtype is not None:
        if shape or size is not None:
            raise TypeError("view() takes either a shape or dtype=, not both")
        shape = (dtype,)
    if size is not None:
        shape = (size,)
    x = input
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)) and \
            not hasattr(shape[0], "__iter__"):
        from .conversion import view_as_dtype
        return view_as_dtype(x, shape[0])
    a = x._data
    shape = _infer(shape_args(shape, "view"), a.size, "view", a.shape)
    r = a.view()
    try:
        r.shape = shape
    except AttributeError:
        raise RuntimeError(f"view size is not compatible with input tensor's size and stride (at least one "
                           f"dimension spans across two contiguous subspaces): input shape {tuple(a.shape)}, "
                           f"requested {shape}. Use .reshape(...) instead.") from None
    t = _view_of(x, r)
    if _gm.enabled and x._rg:
        old = a.shape
        _rec(t, "ViewBackward0", lambda g: (reshape(g, old),), (x,))
    return t


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    if getattr(input, "is_quantized", False):  # torch.flatten(x_q, 1) between quantized modules keeps the qparams
        return input.flatten(start_dim, end_dim)
    a = input._data
    s = wrap_dim(start_dim, a.ndim)
    e = wrap_dim(end_dim, a.ndim)
    if a.ndim == 0:
        return reshape(input, (1,))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, a.shape[:s] + (-1 if a.size else int(np.prod(a.shape[s:e + 1])),) + a.shape[e + 1:])


def unflatten(input, dim, sizes):
    a = input._data
    d = wrap_dim(dim, a.ndim)
    sizes = tuple(sizes)
    return reshape(input, a.shape[:d] + sizes + a.shape[d + 1:])


def permute(input, *order, dims=None):
    dims = order if dims is None else (dims,)
    x = input
    a = x._data
    dims = shape_args(dims, "permute")
    if len(dims) != a.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {a.ndim} is not "
                           f"equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, a.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {dims} for a {a.ndim}-d tensor)")
    t = _view_of(x, a.transpose(dims))
    if _gm.enabled and x._rg:
        inv = tuple(np.argsort(dims))
        _rec(t, "PermuteBackward0", lambda g: (permute(g, inv),), (x,))
    return t


def transpose(input, dim0, dim1):
    x = input
    a = x._data
    d0, d1 = wrap_dim(dim0, a.ndim), wrap_dim(dim1, a.ndim)
    if a.ndim == 0:
        return x
    t = _view_of(x, np.swapaxes(a, d0, d1))
    if _gm.enabled and x._rg:
        _rec(t, "TransposeBackward0", lambda g: (transpose(g, d0, d1),), (x,))
    return t


swapaxes = swapdims = transpose


def t(input):
    a = input._data
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return transpose(input, 0, 1) if a.ndim == 2 else input


def movedim(input, source, destination):
    a = input._data
    if isinstance(source, int):
        source, destination = (source,), (destination,)
    src = [wrap_dim(s, a.ndim) for s in source]
    dst = [wrap_dim(d, a.ndim) for d in destination]
    if a.ndim == 0:
        return input
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, tuple(order))


moveaxis = movedim


def squeeze(input, dim=None):
    x = input
    a = x._data
    if dim is None:
        axes = tuple(i for i, s in enumerate(a.shape) if s == 1)
    else:
        axes = tuple(i for i in dims_tuple(dim, a.ndim) if a.ndim and a.shape[i] == 1)
    if not axes:
        return _view_of(x, a) if not x._rg else _alias(x)
    return reshape(x, tuple(s for i, s in enumerate(a.shape) if i not in axes))


def _alias(x):
    t = _view_of(x, x._data)
    if _gm.enabled and x._rg:
        _rec(t, "AliasBackward0", lambda g: (g,), (x,))
    return t


def unsqueeze(input, dim):
    a = input._data
    d = wrap_dim(dim, a.ndim + 1)
    return reshape(input, a.shape[:d] + (1,) + a.shape[d:])


def expand(input, *sizes, size=None):
    if size is not None:
        sizes = (size,)
    x = input
    a = x._data
    sizes = shape_args(sizes, "expand")
    if len(sizes) < a.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({a.ndim})")
    lead = len(sizes) - a.ndim
    shape = tuple(a.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i in range(a.ndim):
        if a.shape[i] != 1 and a.shape[i] != shape[i + lead]:
            raise RuntimeError(f"The expanded size of the tensor ({shape[i + lead]}) must match the existing "
                               f"size ({a.shape[i]}) at non-singleton dimension {i + lead}. Target sizes: "
                               f"{list(sizes)}. Tensor sizes: {list(a.shape)}")
    if not x._rg or not _gm.enabled:
        return _view_of(x, np.broadcast_to(a, shape))
    return expand_to(x, shape)


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    from ..tensor import Size
    return Size(np.broadcast_shapes(*shapes))


def contiguous(input, memory_format=None):
    a = input._data
    if a.flags.c_contiguous:
        return input
    if type(a) is MetaArray and input.is_contiguous():  # zero strides: contiguous by its PyTorch strides
        return input
    x = input
    t = out(np.ascontiguousarray(a) if type(a) is not MetaArray else a.copy("C"))
    if _gm.enabled and x._rg:
        _rec(t, "CloneBackward0", lambda g: (g,), (x,))
    return t


def clone(input, memory_format=None):
    x = input
    t = out(x._data.copy())
    if _gm.enabled and x._rg:
        _rec(t, "CloneBackward0", lambda g: (g,), (x,))
    return t


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")   # torch's type
    if getattr(tensors[0], "is_quantized", False):  # as torch: the first tensor's qparams, the others requantized
        from ..quantized import cat_quantized
        return cat_quantized(tensors, dim)
    # Legacy behaviour kept by PyTorch: 1-D empty tensors are skipped.
    arrays = [t._data for t in tensors]
    ref = next((a for a in arrays if not (a.ndim == 1 and a.size == 0)), arrays[0])
    d = wrap_dim(dim, ref.ndim)
    keep = [i for i, a in enumerate(arrays) if not (a.ndim == 1 and a.size == 0) or a is ref]
    for i in keep:
        a = arrays[i]
        if a.ndim != ref.ndim:
            raise RuntimeError(f"cat(): tensors must have the same number of dimensions: got {ref.ndim} and "
                               f"{a.ndim} (tensor {i})")
        for k in range(ref.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise RuntimeError(f"cat(): sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {a.shape[k]} for tensor number {i} in the list "
                                   f"(shapes {[tuple(arrays[j].shape) for j in keep]})")
    from ...backend import dtypes as _dt
    dt = tensors[keep[0]].dtype
    for i in keep[1:]:
        if tensors[i].dtype is not dt:
            dt = _dt.promote_types(dt, tensors[i].dtype)
    arrs = [arrays[i] if arrays[i].dtype == dt.numpy else arrays[i].astype(dt.numpy) for i in keep]
    t = out(np.concatenate(arrs, axis=d))
    ins = tuple(tensors[i] for i in keep)
    if _gm.enabled and any(x._rg for x in ins):
        sizes = [a.shape[d] for a in arrs]

        def backward(g):
            res, start = [], 0
            for s, x in zip(sizes, ins):
                res.append(narrow(g, d, start, s) if x._rg else None)
                start += s
            return tuple(res)
        _rec(t, "CatBackward0", backward, ins)
    return t


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                               f"{list(x._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(s0) + 1)
    return cat([unsqueeze(x, d) for x in tensors], d)


def hstack(tensors):
    tensors = [atleast_1d(x) for x in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(x) for x in tensors], 0)


def _each_tensor(fn, tensors):
    """torch's atleast_*d calling forms: one tensor -> a tensor; several, or one list/tuple -> a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


def atleast_1d(*tensors):
    """Each input with at least one dim (a 0-d tensor becomes shape (1,))."""
    return _each_tensor(lambda x: reshape(x, (1,)) if x._data.ndim == 0 else x, tensors)


def atleast_2d(*tensors):
    """Each input with at least two dims: 0-d as (1, 1), (n,) as (1, n)."""
    def one(x):
        a = x._data
        return reshape(x, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else x
    return _each_tensor(one, tensors)


def narrow(input, dim, start, length):
    from .index import getitem
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if start < 0:
        start += n
    if not (0 <= start and start + length <= n and length >= 0):
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def select(input, dim, index):
    from .index import getitem
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {tuple(input._data.shape)} "
                         f"at dimension {d}")
    return getitem(input, (slice(None),) * d + (index,))


def split(tensor, split_size_or_sections, dim=0):
    a = tensor._data
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        if s <= 0 and n > 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
        sizes = [min(s, n - i) for i in range(0, n, s)] if n else [0]
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if builtin_sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {d}), but got split_sizes={sizes}")
    res, start = [], 0
    for s in sizes:
        res.append(narrow(tensor, d, start, s))
        start += s
    return tuple(res)


builtin_sum = sum


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[wrap_dim(dim, input._data.ndim)]
    size = -(-n // chunks) if n else 0
    if size == 0:
        return split(input, 1, dim) if n else (input,)
    return split(input, size, dim)


def tensor_split(input, indices_or_sections, dim=0):
    a = input._data
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
    else:
        idx = [0] + list(indices_or_sections) + [n]
        sizes = [max(0, min(b, n) - min(a_, n)) for a_, b in zip(idx[:-1], idx[1:])]
    return split(input, sizes, dim)


def unbind(input, dim=0):
    a = input._data
    d = wrap_dim(dim, a.ndim)
    return tuple(select(input, d, i) for i in range(a.shape[d]))


def flip(input, *dims, **kwargs):
    # torch.flip(x, dims=(3,)) and x.flip(dims=...) name the argument; x.flip(1, 2) spreads it.
    if "dims" in kwargs and not dims:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    x = input
    a = x._data
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = tuple(dims[0])
    axes = dims_tuple(dims, a.ndim)
    t = out(np.flip(a, axes).copy() if axes else a.copy())
    if _gm.enabled and x._rg:
        _rec(t, "FlipBackward0", lambda g: (flip(g, axes),), (x,))
    return t


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    x = input
    a = x._data
    if dims is not None:
        n_shifts = len(shifts) if isinstance(shifts, (tuple, list)) else 1
        n_dims = len(dims) if isinstance(dims, (tuple, list)) else 1
        if n_shifts != n_dims:  # NumPy would roll every dim by the one shift
            raise RuntimeError(f"shifts and dimensions must align. shifts: {n_shifts}, dims:{n_dims}")
        dims = wrap_dim(dims, a.ndim) if isinstance(dims, int) else tuple(wrap_dim(d, a.ndim) for d in dims)
    t = out(np.roll(a, shifts, dims))
    if _gm.enabled and x._rg:
        neg = tuple(-s for s in shifts) if isinstance(shifts, (tuple, list)) else -shifts
        _rec(t, "RollBackward0", lambda g: (roll(g, neg, dims),), (x,))
    return t


def rot90(input, k=1, dims=(0, 1)):
    x = input
    t = out(np.rot90(x._data, k, dims).copy())
    if _gm.enabled and x._rg:
        _rec(t, "Rot90Backward0", lambda g: (rot90(g, -k, dims),), (x,))
    return t


def _tri(x, diagonal, upper):
    a = x._data
    if a.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions")
    t = out(np.triu(a, diagonal) if upper else np.tril(a, diagonal))
    if _gm.enabled and x._rg:
        _rec(t, "TriuBackward0" if upper else "TrilBackward0", lambda g: (_tri(g, diagonal, upper),), (x,))
    return t


def tril(input, diagonal=0):
    return _tri(input, diagonal, False)


def triu(input, diagonal=0):
    return _tri(input, diagonal, True)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along dim i (NumPy's ``tile``), as ``Tensor.repeat`` does."""
    x = input
    a = x._data
    sizes = shape_args(sizes, "repeat")
    if len(sizes) < a.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           f"of tensor (got {len(sizes)} and {a.ndim})")
    t = out(np.tile(a, sizes))
    if _gm.enabled and x._rg:
        lead = len(sizes) - a.ndim
        src = (1,) * lead + a.shape

        def backward(g):
            inter = []
            for r, s in zip(sizes, src):
                inter += [r, s]
            gg = reshape(g, tuple(inter))
            from .reduce import sum as _sum
            gg = _sum(gg, tuple(range(0, 2 * len(sizes), 2)))
            return (reshape(gg, a.shape),)
        _rec(t, "RepeatBackward0", backward, (x,))
    return t


def tile(input, dims):
    a = input._data
    dims = tuple(dims)
    if len(dims) < a.ndim:
        dims = (1,) * (a.ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats, dim=None):
    from .index import index_select
    x = input
    if dim is None:
        x = reshape(x, (-1,))
        dim = 0
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d]
    reps = repeats._data if isinstance(repeats, Tensor) else repeats
    if np.ndim(reps) == 1 and np.size(reps) not in (1, n):
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{np.size(reps)} and input.size({d}) = {n}")
    idx = np.repeat(np.arange(n), reps)
    return index_select(x, d, out(idx))


def _diag_positions(n1, n2, offset):
    k = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    rows = np.arange(k) + (0 if offset >= 0 else -offset)
    return rows, rows + offset


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The (dim1, dim2) diagonal at ``offset``, in the last dim. Over the last two dims (a matrix's
    diagonal, the common case) it is a view, as PyTorch's: ``x.diagonal().add_(eps)`` changes ``x``
    (and, while recording, ``x``'s graph); other dim pairs give a copy."""
    x = input
    a = x._data
    d1, d2 = wrap_dim(dim1, a.ndim), wrap_dim(dim2, a.ndim)
    v = np.diagonal(a, offset, d1, d2)
    if d2 == d1 + 1 == a.ndim - 1 and a.flags.writeable:
        v.flags.writeable = True   # NumPy hands out the view read-only; its memory is a's
        t = _view_of(x, v)
        rows, cols = _diag_positions(a.shape[d1], a.shape[d2], offset)
        t._view_of = (x, (Ellipsis, rows, cols))
    else:
        t = out(v.copy())
    if _gm.enabled and x._rg:
        def backward(g):
            return (diag_embed(g, offset, d1, d2, a.shape),)
        _rec(t, "DiagonalBackward0", backward, (x,))
    return t


def diag_embed(g, offset, d1, d2, shape):
    """Place ``g`` (diagonals in its last dim) on the (d1, d2) diagonal of a zero tensor of ``shape``."""
    z = np.zeros(shape, g._data.dtype) if type(g._data) is not MetaArray else np.zeros_like(g._data, shape=shape)
    zm = np.moveaxis(z, (d1, d2), (-2, -1))
    rows, cols = _diag_positions(zm.shape[-2], zm.shape[-1], offset)
    zm[..., rows, cols] = g._data
    t = out(z)
    if _gm.enabled and g._rg:
        _rec(t, "DiagEmbedBackward0", lambda gg: (diagonal(gg, offset, d1, d2),), (g,))
    return t


def diag(input, diagonal=0):
    """A 1-D input becomes the diagonal of a square matrix; a 2-D input gives its diagonal."""
    a = input._data
    if a.ndim == 1:
        n = a.shape[0] + abs(diagonal)
        return diag_embed(input, diagonal, 0, 1, (n, n))
    if a.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
    return globals()["diagonal"](input, diagonal, 0, 1)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = tuple(t._data.size for t in tensors)
    res = []
    for i, x in enumerate(tensors):
        s = [1] * len(tensors)
        s[i] = -1
        res.append(expand(reshape(x, tuple(s)), shape))
    if indexing == "xy" and len(tensors) >= 2:
        res = [transpose(r, 0, 1) for r in res]
    return tuple(res)


numpy_names(globals(), "squeeze unsqueeze cat concat concatenate stack chunk unbind narrow select")
