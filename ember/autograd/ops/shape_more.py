"""More shape ops: cross, kron, tensordot, trace, diag_embed, block_diag, cartesian_prod, combinations,
tril/triu_indices, vander, h/v/dsplit, column/row/dstack, atleast_3d, unfold, ravel, sum_to_size.

Most are compositions of ember ops (their gradients come from those); ``unfold`` is a
sliding-window view with its own rule (windows' gradients added back where they overlap).

>>> import ember
>>> ember.kron(ember.eye(2), ember.ones(2, 2)).shape
ember.Size([4, 4])
"""
__all__ = ["cross", "kron", "tensordot", "trace", "diag_embed", "diagflat", "block_diag", "cartesian_prod",
           "combinations", "tril_indices", "triu_indices", "vander", "hsplit", "vsplit", "dsplit", "atleast_3d",
           "dstack", "column_stack", "row_stack", "ravel", "sum_to_size", "split_with_sizes", "unfold"]

import itertools

import numpy as np

from .. import grad_mode
from ..node import record as _rec
from ._util import out, wrap_dim, shape_args
from .elementwise import sub, mul, sum_to

_gm = grad_mode.state


def cross(input, other, dim=None):
    """The 3-D cross product along ``dim`` (the first dim of size 3 when None); the inputs broadcast."""
    from .shape import broadcast_tensors, select, stack
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"linalg.cross: expected both inputs to have the same dtype, got {input.dtype} and "
                           f"{other.dtype}")
    if input._data.ndim != other._data.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, got "
                           f"{input._data.ndim} and {other._data.ndim}")
    try:
        a, b = broadcast_tensors(input, other)
    except ValueError:
        raise RuntimeError(f"linalg.cross: the shapes {tuple(input._data.shape)} and {tuple(other._data.shape)} "
                           "cannot be broadcast together") from None
    shape = a._data.shape
    if dim is None:
        dim = next((k for k, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input (shape {tuple(shape)})")
    d = wrap_dim(dim, len(shape))
    if shape[d] != 3 or input._data.shape[d] != 3 or other._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got {input._data.shape[d]} "
                           f"and {other._data.shape[d]}")
    a0, a1, a2 = (select(a, d, k) for k in range(3))
    b0, b1, b2 = (select(b, d, k) for k in range(3))
    return stack([sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)), sub(mul(a0, b1), mul(a1, b0))], d)


def kron(input, other):
    """The Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other``."""
    from .shape import reshape
    a, b = input._data, other._data
    n = max(a.ndim, b.ndim)
    sa = (1,) * (n - a.ndim) + a.shape
    sb = (1,) * (n - b.ndim) + b.shape
    x = reshape(input, tuple(v for s in sa for v in (s, 1)))
    y = reshape(other, tuple(v for s in sb for v in (1, s)))
    return reshape(mul(x, y), tuple(p * q for p, q in zip(sa, sb)))


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` dims of ``a`` with the first ``dims`` of ``b``, or the listed dims
    ``dims = ([a dims], [b dims])``."""
    from .shape import permute, reshape
    from .linalg import matmul
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        if hasattr(dims, "_data"):
            dims = dims.tolist()
        da, db = dims
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
    if len(da) != len(db):
        raise RuntimeError(f"both dimension lists should have same length, got {len(da)} and {len(db)}")
    da = [wrap_dim(d, na) for d in da]
    db = [wrap_dim(d, nb) for d in db]
    for x, y in zip(da, db):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a._data.shape[x]} in "
                               f"dim {x} and second has size {b._data.shape[y]} in dim {y}")
    fa = [d for d in range(na) if d not in da]
    fb = [d for d in range(nb) if d not in db]
    k = int(np.prod([a._data.shape[d] for d in da]))
    A = reshape(permute(a, tuple(fa + da)), (-1, k))
    B = reshape(permute(b, tuple(db + fb)), (k, -1))
    return reshape(matmul(A, B), tuple(a._data.shape[d] for d in fa) + tuple(b._data.shape[d] for d in fb))


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    from .shape import diagonal
    from .reduce import sum as _sum
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    return _sum(diagonal(input))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) diagonals (at ``offset``) hold the last dim of ``input``; zeros elsewhere."""
    from .shape import diag_embed as _embed
    a = input._data
    n = a.ndim + 1
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = (a.shape[-1] if a.ndim else 1) + abs(offset)
    rest = list(a.shape[:-1])
    shape = []
    for k in range(n):
        shape.append(m if k in (d1, d2) else rest.pop(0))
    return _embed(input if a.ndim else input.reshape(1), offset, d1, d2, tuple(shape))


def diagflat(input, offset=0):
    """The flattened input on the ``offset`` diagonal of a square matrix."""
    from .shape import reshape, diag
    return diag(reshape(input, (-1,)), offset)


def block_diag(*tensors):
    """A block-diagonal matrix of the inputs (0-d as 1x1, 1-d as a row)."""
    from .shape import cat, reshape
    from ...backend import dtypes as _dt
    mats = []
    for k, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {k} has "
                               f"{t._data.ndim} dimensions")
        mats.append(reshape(t, (1, 1)) if t._data.ndim == 0 else reshape(t, (1, -1)) if t._data.ndim == 1 else t)
    if not mats:
        return out(np.zeros((0, 0), _dt.get_default_dtype().numpy))
    dt = mats[0].dtype
    for m in mats[1:]:
        dt = _dt.promote_types(dt, m.dtype)
    mats = [m if m.dtype is dt else m.to(dt) for m in mats]
    cols = sum(m._data.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m._data.shape
        parts = [out(np.zeros((r, left), dt.numpy)), m, out(np.zeros((r, cols - left - c), dt.numpy))]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D input, as rows of an (N1*N2*..., k) tensor."""
    from .shape import meshgrid, stack, reshape
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-D input (as ``itertools.combinations``), as rows."""
    from .index import index_select
    from .shape import reshape
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return out(np.zeros((0,), input._data.dtype))
    n = input._data.shape[0]
    fn = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(fn(range(n), r)), np.int64).reshape(-1, r)
    if r == 1:
        return reshape(index_select(input, 0, out(idx.reshape(-1))), (-1, 1))
    return reshape(index_select(input, 0, out(idx.reshape(-1))), (-1, r))


def _tri_indices(row, col, offset, dtype, upper):
    from ...backend import dtypes as _dt
    rows, cols = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    d = np.int64 if dtype is None else _dt.to_dtype(dtype).numpy
    return out(np.stack([rows, cols]).astype(d).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the lower triangle (``j <= i + offset``) of a row x col matrix, row-major."""
    return _tri_indices(row, col, offset, dtype, False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the upper triangle (``j >= i + offset``) of a row x col matrix, row-major."""
    return _tri_indices(row, col, offset, dtype, True)


def _powers(x, n, increasing):
    """``x[..., None] ** [0, 1, ..., n-1]`` (reversed unless ``increasing``) as a product chain."""
    from .shape import stack
    from .elementwise import mul as _mul
    cols = []
    cur = None
    for k in range(n):
        if k == 0:
            cur = out(np.ones(x._data.shape, x._data.dtype))
            cols.append(cur)
            continue
        cur = x if k == 1 else _mul(cur, x)
        cols.append(cur)
    if not increasing:
        cols = cols[::-1]
    if not cols:
        return out(np.zeros(x._data.shape + (0,), x._data.dtype))
    return stack(cols, -1)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D ``x``: column j is ``x ** (N - 1 - j)`` (``x ** j`` if increasing)."""
    if x._data.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor, got {x._data.ndim} dimensions")
    n = x._data.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError(f"N must be non-negative, got {n}")
    return _powers(x, n, increasing)


def _split_dim(name, input, sections, dim, min_ndim):
    from .shape import tensor_split
    a = input._data
    if a.ndim < min_ndim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_ndim} dimension, but got a tensor "
                           f"with {a.ndim} dimensions!")
    if isinstance(sections, (int, np.integer)):
        n = a.shape[dim]
        if sections == 0 or n % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {n} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for 1-D inputs)."""
    return _split_dim("hsplit", input, indices_or_sections, 0 if input._data.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 (at least 2-D inputs)."""
    return _split_dim("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """Split along dim 2 (at least 3-D inputs)."""
    return _split_dim("dsplit", input, indices_or_sections, 2, 3)


def atleast_3d(*tensors):
    """View each input with at least 3 dims: 0-d as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1)."""
    from .shape import reshape, _each_tensor

    def one(x):
        s = x._data.shape
        return reshape(x, (1, 1, 1) if len(s) == 0 else (1, s[0], 1) if len(s) == 1 else s + (1,) if len(s) == 2 else s)
    return _each_tensor(one, tensors)


def dstack(tensors):
    """Stack along dim 2 after ``atleast_3d``."""
    from .shape import cat
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    """Stack 0-d/1-d inputs as columns (``(n,)`` becomes ``(n, 1)``) and 2-D ones as they are, along dim 1."""
    from .shape import cat, reshape
    return cat([reshape(t, (-1, 1)) if t._data.ndim <= 1 else t for t in tensors], 1)


def row_stack(tensors):
    from .shape import vstack
    return vstack(tensors)


def ravel(input):
    """A 1-D contiguous tensor of the elements (a view when possible)."""
    from .shape import reshape
    return reshape(input, (-1,))


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size``, which it must broadcast from (the reverse of ``expand``)."""
    size = shape_args(size, "sum_to_size")
    a = input._data
    try:
        ok = np.broadcast_shapes(size, a.shape) == a.shape and len(size) <= a.ndim
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, a.shape))}}}.")
    return sum_to(input, size)


def split_with_sizes(input, split_sizes, dim=0):
    from .shape import split
    return split(input, list(split_sizes), dim)


# -- sliding windows ------------------------------------------------------------------------------------

def unfold(input, dimension, size, step):
    """All windows of ``size`` elements, ``step`` apart, along ``dimension``: that dim becomes the window
    count ``(n - size) // step + 1`` and a new last dim of ``size`` holds each window. A view."""
    from .shape import _view_of
    x = input
    a = x._data
    d = wrap_dim(dimension, a.ndim) if a.ndim else 0
    n = a.shape[d] if a.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if a.ndim == 0:
        return _view_of(x, a.reshape(1))
    w = np.lib.stride_tricks.sliding_window_view(a, size, axis=d, writeable=a.flags.writeable)
    w = w[(slice(None),) * d + (slice(None, None, step),)]
    t = _view_of(x, w)
    if _gm.enabled and x._rg:
        shape = a.shape
        _rec(t, "UnfoldBackward0", lambda g: (_unfold_backward(g, shape, d, size, step),), (x,))
    return t


def _unfold_backward(g, shape, d, size, step):
    """Add each window's gradient back at the positions it was taken from."""
    z = np.zeros(shape, g._data.dtype)
    gd = g._data
    nwin = gd.shape[d]
    for k in range(size):
        sl = (slice(None),) * d + (slice(k, k + step * (nwin - 1) + 1, step),)
        z[sl] += gd[..., k]
    t = out(z)
    if _gm.enabled and g._rg:
        _rec(t, "UnfoldBackwardBackward0", lambda gg: (unfold(gg, d, size, step),), (g,))
    return t
