"""``keras.ops`` array creation, shape manipulation, indexing and products (matmul, einsum, ...).

Creation ops default to ``floatx`` (``arange`` takes Keras's promoted dtype of its arguments);
``take``/``take_along_axis`` wrap negative indices; products of ints compute in float and cast
back to Keras's result dtype, as Keras's PyTorch backend does.

>>> from ember.keras import ops
>>> ops.arange(3).dtype, ops.linspace(0, 1, 3).tolist()
(ember.int32, [0.0, 0.5, 1.0])
>>> ops.einsum("ij,jk->ik", ops.ones((2, 3)), ops.ones((3, 1))).tolist()
[[3.0], [3.0]]
"""
import builtins

import numpy as np

from ... import functional as _F
from ... import creation as _C
from ...autograd import ops as _E
from ...autograd.tensor import Tensor, make
from .core import cast, convert_to_tensor as _T
from .dtypes import floatx, result_type, standardize_dtype, to_ember_dtype


def _name(x):
    return standardize_dtype(x.dtype)


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _ed(dtype):
    return to_ember_dtype(dtype or floatx())


def zeros(shape, dtype=None):
    return _C.zeros(_shape(shape), dtype=_ed(dtype))


def ones(shape, dtype=None):
    return _C.ones(_shape(shape), dtype=_ed(dtype))


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    fill = _T(fill_value, dtype or floatx())
    shape = _shape(shape)
    if fill.ndim:
        return _E.clone(_E.broadcast_to(fill, shape))
    return _E.mul(_C.ones(shape, dtype=fill.dtype), fill) if fill._rg else make(np.full(shape, fill._data))


def zeros_like(x, dtype=None):
    x = _T(x)
    return _C.zeros(tuple(x.shape), dtype=to_ember_dtype(dtype or x.dtype))


def ones_like(x, dtype=None):
    x = _T(x)
    return _C.ones(tuple(x.shape), dtype=to_ember_dtype(dtype or x.dtype))


def empty_like(x, dtype=None):
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None):
    x = _T(x)
    return full(tuple(x.shape), fill_value, dtype or x.dtype)


def array(x, dtype=None):
    return _T(x, dtype)


def copy(x):
    return _E.clone(_T(x))


def identity(n, dtype=None):
    return _C.eye(int(n), dtype=_ed(dtype))


def eye(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    return make(np.eye(int(N), int(M), int(k or 0), dtype=_ed(dtype).numpy))


def tri(N, M=None, k=0, dtype=None):
    return make(np.tri(int(N), int(M or N), int(k), dtype=_ed(dtype).numpy))


def tril(x, k=0):
    return _E.tril(_T(x), int(k))


def triu(x, k=0):
    return _E.triu(_T(x), int(k))


def _dtype_of(v):
    return getattr(v, "dtype", type(v))


def arange(start, stop=None, step=None, dtype=None):
    if dtype is None:
        dtype = result_type(*[_dtype_of(v) for v in (start, stop, step) if v is not None])
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    s = [v.item() if isinstance(v, Tensor) else v for v in (start, stop, step)]
    return make(np.arange(s[0], s[1], s[2]).astype(to_ember_dtype(dtype).numpy))


def _spaced(start, stop, num, endpoint, dtype):
    dtype = dtype or result_type(_dtype_of(start), _dtype_of(stop), float)
    d = to_ember_dtype(dtype)
    a, b = _T(start, "float64"), _T(stop, "float64")
    num = int(num)
    div = (num - 1) if endpoint else num
    steps = make(np.arange(num, dtype=np.float64) / builtins.max(div, 1)).reshape(-1, *([1] * a.ndim))
    if num == 1:
        steps = make(np.zeros((1,) + (1,) * a.ndim))
    return a, b, steps, d


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (array endpoints give one row per step)."""
    a, b, steps, d = _spaced(start, stop, num, endpoint, dtype)
    y = _E.add(a.unsqueeze(0), _E.mul(steps, _E.sub(b, a).unsqueeze(0)))
    if endpoint and num > 1:
        y = _E.cat([y[:-1], b.unsqueeze(0)], 0)
    if axis != 0:
        y = _E.movedim(y, 0, axis)
    y = cast(y, d)
    if retstep:
        step = _E.div(_E.sub(b, a), (num - 1) if endpoint else num) if num > 1 or not endpoint else \
            make(np.asarray(np.nan))
        return y, cast(step, d)
    return y


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    a, b, steps, d = _spaced(start, stop, num, endpoint, dtype)
    y = _E.add(a.unsqueeze(0), _E.mul(steps, _E.sub(b, a).unsqueeze(0)))
    if axis != 0:
        y = _E.movedim(y, 0, axis)
    return cast(_E.pow(make(np.asarray(float(base))), y), d)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    dtype = dtype or result_type(_dtype_of(start), _dtype_of(stop), float)
    a, b = _T(start, "float64"), _T(stop, "float64")
    y = logspace(_E.log10(_E.abs(a)), _E.log10(_E.abs(b)), num, endpoint, 10, "float64", axis)
    return cast(_E.mul(y, _E.sign(a)), dtype)


def reshape(x, newshape):
    return _E.reshape(_T(x), _shape(newshape))


def ravel(x):
    return _E.reshape(_T(x), (-1,))


def transpose(x, axes=None):
    x = _T(x)
    return _E.permute(x, tuple(range(x.ndim))[::-1] if axes is None else tuple(int(a) for a in axes))


def swapaxes(x, axis1, axis2):
    return _E.transpose(_T(x), int(axis1), int(axis2))


def moveaxis(x, source, destination):
    return _E.movedim(_T(x), source, destination)


def expand_dims(x, axis):
    x = _T(x)
    axes = [axis] if isinstance(axis, int) else list(axis)
    n = x.ndim + len(axes)
    for a in sorted(a % n for a in axes):
        x = _E.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    x = _T(x)
    if axis is None:
        return _E.squeeze(x)
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: cannot squeeze axis {a} of size {x.shape[a]} (shape {tuple(x.shape)})")
    return _E.reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in {a % x.ndim for a in axes}))


def broadcast_to(x, shape):
    return _E.broadcast_to(_T(x), _shape(shape))


def _tensors(xs):
    return [_T(x) for x in xs]


def concatenate(xs, axis=0):
    xs = _tensors(xs)
    if axis is None:
        xs, axis = [x.reshape(-1) for x in xs], 0
    return _E.cat(xs, int(axis))


def stack(x, axis=0):
    return _E.stack(_tensors(x), int(axis))


def hstack(xs):
    return _E.hstack(_tensors(xs))


def vstack(xs):
    return _E.vstack(_tensors(xs))


def dstack(xs):
    out = []
    for x in _tensors(xs):
        out.append(x.reshape(1, -1, 1) if x.ndim <= 1 else x.unsqueeze(-1) if x.ndim == 2 else x)
    return _E.cat(out, 2)


def append(x1, x2, axis=None):
    x1, x2 = _T(x1), _T(x2)
    if axis is None:
        return _E.cat([x1.reshape(-1), x2.reshape(-1)], 0)
    return _E.cat([x1, x2], int(axis))


def _sections(x, indices_or_sections, axis):
    if isinstance(indices_or_sections, (int, np.integer)):
        return int(indices_or_sections)
    return [int(i) for i in np.asarray(indices_or_sections._data if isinstance(indices_or_sections, Tensor)
                                         else indices_or_sections).reshape(-1)]


def split(x, indices_or_sections, axis=0):
    x = _T(x)
    s = _sections(x, indices_or_sections, axis)
    if isinstance(s, int) and x.shape[axis] % s:
        raise ValueError(f"Received indices_or_sections={s} (interpreted as a number of sections) and "
                         f"axis={axis}, but input dimension x.shape[{axis}]={x.shape[axis]} is not divisible by "
                         f"{s}. Full input shape: x.shape={tuple(x.shape)}")
    return list(_E.tensor_split(x, s, int(axis)))


def array_split(x, indices_or_sections, axis=0):
    x = _T(x)
    return list(_E.tensor_split(x, _sections(x, indices_or_sections, axis), int(axis)))


def hsplit(x, indices_or_sections):
    x = _T(x)
    return split(x, indices_or_sections, 0 if x.ndim == 1 else 1)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, 2)


def tile(x, repeats):
    if isinstance(repeats, Tensor):
        repeats = tuple(int(r) for r in repeats.tolist())
    if isinstance(repeats, int):
        repeats = (repeats,)
    return _E.tile(_T(x), tuple(repeats))


def repeat(x, repeats, axis=None):
    x = _T(x)
    if isinstance(repeats, Tensor):
        repeats = repeats.tolist()
    if isinstance(repeats, (list, tuple)):
        repeats = make(np.asarray(repeats, np.int64))
    return _E.repeat_interleave(x, repeats, dim=axis)


def roll(x, shift, axis=None):
    return _E.roll(_T(x), shift, dims=axis)


def rot90(array, k=1, axes=(0, 1)):
    x = _T(array)
    if x.ndim < 2:
        raise ValueError(f"Input array must have at least 2 dimensions. Received: array.ndim={x.ndim}")
    return _E.rot90(x, int(k), tuple(axes))


def flip(x, axis=None):
    x = _T(x)
    axes = tuple(range(x.ndim)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    return _E.flip(x, axes)


def fliplr(x):
    return _E.fliplr(_T(x))


def flipud(x):
    return _E.flipud(_T(x))


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad with ``pad_width`` ``[(before, after), ...]`` per axis; mode 'constant', 'reflect' or 'symmetric'."""
    x = _T(x)
    if constant_values is not None and mode != "constant":
        raise ValueError("Argument `constant_values` can only be provided when `mode == 'constant'`. "
                         f"Received: mode={mode}")
    pw = np.broadcast_to(np.asarray(pad_width, np.int64).reshape(-1, 2) if np.ndim(pad_width) else
                         np.full((1, 2), pad_width), (x.ndim, 2)) if np.size(pad_width) != 2 * x.ndim else \
        np.asarray(pad_width, np.int64).reshape(x.ndim, 2)
    if mode == "constant":
        flat = [int(v) for pair in pw[::-1] for v in pair]
        return _F.pad(x, flat, mode="constant", value=0 if constant_values is None else constant_values)
    if mode not in ("reflect", "symmetric", "edge", "wrap"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'symmetric', 'edge' or 'wrap', got {mode!r}")
    idx = [np.arange(-b, n + a) for (b, a), n in zip(pw, x.shape)]
    out = x
    for ax, (ix, n) in enumerate(zip(idx, x.shape)):
        if mode == "reflect":
            period = 2 * (n - 1) if n > 1 else 1
            m = np.mod(ix, period)
            src = np.where(m >= n, period - m, m)
        elif mode == "symmetric":
            m = np.mod(ix, 2 * n)
            src = np.where(m >= n, 2 * n - 1 - m, m)
        elif mode == "edge":
            src = np.clip(ix, 0, n - 1)
        else:
            src = np.mod(ix, n)
        out = _E.index_select(out, ax, make(src.astype(np.int64)))
    return out


def _wrap_indices(indices, n):
    ix = _T(indices)._data.astype(np.int64)
    return make(np.where(ix < 0, ix + n, ix))


def take(x, indices, axis=None):
    x = _T(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = int(axis) % x.ndim
    ix = _wrap_indices(indices, x.shape[axis])
    out = _E.index_select(x, axis, ix.reshape(-1))
    return out.reshape(*x.shape[:axis], *ix.shape, *x.shape[axis + 1:])


def take_along_axis(x, indices, axis=None):
    x = _T(x)
    ix = _wrap_indices(indices, x.shape[axis] if axis is not None else x.numel())
    if axis is None:
        return _E.take_along_dim(x.reshape(-1), ix.reshape(-1), 0)
    axis = axis % x.ndim   # axis=-1: x.shape[axis + 1:] would be the whole shape
    shape = list(np.broadcast_shapes(tuple(x.shape[:axis]) + (1,) + tuple(x.shape[axis + 1:]),
                                     tuple(ix.shape[:axis]) + (1,) + tuple(ix.shape[axis + 1:])))
    xs, ishape = list(shape), list(shape)
    xs[axis], ishape[axis] = x.shape[axis], ix.shape[axis]
    return _E.gather(_E.broadcast_to(x, tuple(xs)), axis, _E.broadcast_to(ix, tuple(ishape)))


def where(condition, x1=None, x2=None):
    condition = _T(condition, "bool")
    if x1 is None and x2 is None:
        return make(np.stack(np.nonzero(condition._data)).astype(np.int64).reshape(condition.ndim, -1))
    if x1 is None or x2 is None:
        raise ValueError("where: `x1` and `x2` must be given together")
    return _E.where(condition, _T(x1), _T(x2))


def select(condlist, choicelist, default=0):
    """``choicelist[i]`` where ``condlist[i]`` is the first true condition, else ``default``."""
    out = _T(default)
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = _E.where(_T(c), _T(v), out)
    return out


def get_item(x, key):
    return _T(x)[key]


def isin(x1, x2, assume_unique=False, invert=False):
    x1, x2 = _T(x1), _T(x2)
    r = np.isin(x1._data, x2._data, invert=invert)
    return make(r)


def meshgrid(*x, indexing="xy"):
    return list(_E.meshgrid(*_tensors(x), indexing=indexing))


def size(x):
    """The number of elements (an int64 scalar tensor, as Keras's PyTorch backend gives)."""
    return make(np.asarray(int(np.prod(_T(x).shape)), np.int64))


def ndim(x):
    return _T(x).ndim


def unravel_index(indices, shape):
    ix = _T(indices)
    return tuple(make(i.astype(ix._data.dtype)) for i in np.unravel_index(ix._data, _shape(shape)))


def view(x, dtype=None):
    """The same bytes read as ``dtype``."""
    x = _T(x)
    return make(x._data.view(to_ember_dtype(dtype).numpy))


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` mapped over the leading axis of its tensor arguments (broadcast first), results stacked."""
    def wrapped(*args):
        ts = [_T(a) for a in args]
        shape = np.broadcast_shapes(*[tuple(t.shape) for t in ts])
        if not shape:
            return pyfunc(*ts)
        ts = [_E.broadcast_to(t, shape) for t in ts]
        return _E.stack([wrapped(*[t[i] for t in ts]) for i in range(shape[0])])
    return wrapped


def _float_product(x1, x2):
    x1, x2 = _T(x1), _T(x2)
    res = result_type(x1.dtype, x2.dtype)
    comp = result_type(res, float)
    if comp == "float16":
        comp = "float32"
    return cast(x1, comp), cast(x2, comp), res


def matmul(x1, x2):
    x1, x2 = _T(x1), _T(x2)
    a, b = _name(x1), _name(x2)
    res = "int32" if a == b == "int8" else result_type(x1.dtype, x2.dtype)
    comp = floatx() if res == "bool" else "float32" if res == "float16" else res
    return cast(_E.matmul(cast(x1, comp), cast(x2, comp)), res)


def dot(x1, x2):
    a, b, res = _float_product(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return cast(_E.mul(a, b), res)
    if b.ndim > 2:
        # NumPy's dot: the last axis of a with the second-to-last of b.
        return cast(tensordot(a, b, ([a.ndim - 1], [b.ndim - 2])), res)
    return cast(_E.matmul(a, b), res)


def vdot(x1, x2):
    a, b, res = _float_product(x1, x2)
    return cast(_E.sum(_E.mul(a.reshape(-1), b.reshape(-1))), res)


def inner(x1, x2):
    a, b, res = _float_product(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return cast(_E.mul(a, b), res)
    return cast(tensordot(a, b, ([a.ndim - 1], [b.ndim - 1])), res)


def outer(x1, x2):
    x1, x2 = _T(x1), _T(x2)
    return _E.mul(x1.reshape(-1, 1), x2.reshape(1, -1))


def tensordot(x1, x2, axes=2):
    a, b, res = _float_product(x1, x2)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(a.ndim - int(axes), a.ndim)), list(range(int(axes)))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, int) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, int) else list(ax_b)
    ax_a, ax_b = [x % a.ndim for x in ax_a], [x % b.ndim for x in ax_b]
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [i for i in range(b.ndim) if i not in ax_b]
    k = int(np.prod([a.shape[i] for i in ax_a]))
    am = _E.permute(a, free_a + ax_a).reshape(-1, k)
    bm = _E.permute(b, ax_b + free_b).reshape(k, -1)
    out = _E.matmul(am, bm).reshape(*[a.shape[i] for i in free_a], *[b.shape[i] for i in free_b])
    return cast(out, res)


def _einsum_diagonals(subscripts, ops_):
    """Take the diagonal of every operand with a repeated index (``'ii->'``), so ember's einsum sees none."""
    lhs, arrow, rhs = subscripts.replace(" ", "").partition("->")
    terms = lhs.split(",")
    for k, (term, op) in enumerate(zip(terms, ops_)):
        while "." not in term and len(set(term)) < len(term):
            c = next(c for c in term if term.count(c) > 1)
            i = term.index(c)
            j = term.index(c, i + 1)
            op = _E.diagonal(op, 0, i, j)
            term = term[:i] + term[i + 1:j] + term[j + 1:] + c
        terms[k], ops_[k] = term, op
    if not arrow:
        letters = sorted(c for c in set(lhs.replace(",", "")) if lhs.replace(",", "").count(c) == 1)
        rhs = "".join(letters)
    return ",".join(terms) + "->" + rhs, ops_


def einsum(subscripts, *operands, **kwargs):
    ops_ = _tensors(operands)
    subscripts, ops_ = _einsum_diagonals(subscripts, ops_)
    if all(_name(o) == "int8" for o in ops_):
        return cast(_E.einsum(subscripts, *[cast(o, "int32") for o in ops_]), "int32")
    d = ops_[0].dtype
    for o in ops_[1:]:
        d = _E.add(make(np.zeros((1,), d.numpy)), make(np.zeros((1,), o._data.dtype))).dtype
    return _E.einsum(subscripts, *[cast(o, d) for o in ops_])


def kron(x1, x2):
    x1, x2 = _T(x1), _T(x2)
    n = builtins.max(x1.ndim, x2.ndim)
    a = x1.reshape((1,) * (n - x1.ndim) + tuple(x1.shape))
    b = x2.reshape((1,) * (n - x2.ndim) + tuple(x2.shape))
    inter_a = [s for d in a.shape for s in (d, 1)]
    inter_b = [s for d in b.shape for s in (1, d)]
    return _E.mul(a.reshape(inter_a), b.reshape(inter_b)).reshape(*[p * q for p, q in zip(a.shape, b.shape)])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (2-vectors have a zero third component) along ``axis`` (default last)."""
    if axisa != -1 or axisb != -1 or axisc != -1:
        raise ValueError("cross: only `axis` is supported (as Keras's PyTorch backend); got "
                         f"axisa={axisa}, axisb={axisb}, axisc={axisc}")
    x1, x2 = _T(x1), _T(x2)
    d = result_type(x1.dtype, x2.dtype)
    ax = -1 if axis is None else int(axis)
    a, b = _E.movedim(cast(x1, d), ax, -1), _E.movedim(cast(x2, d), ax, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(f"cross: both inputs need size 3 along axis {ax}, got {tuple(x1.shape)} and "
                         f"{tuple(x2.shape)}")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c = _E.stack([_E.sub(_E.mul(a1, b2), _E.mul(a2, b1)), _E.sub(_E.mul(a2, b0), _E.mul(a0, b2)),
                  _E.sub(_E.mul(a0, b1), _E.mul(a1, b0))], -1)
    return _E.movedim(c, -1, ax)


def diff(a, n=1, axis=-1):
    """The ``n``-th forward difference along ``axis``."""
    x = _T(a)
    for _ in range(int(n)):
        m = x.shape[axis]
        x = _E.sub(_E.narrow(x, axis, 1, m - 1), _E.narrow(x, axis, 0, m - 1)) if _name(x) != "bool" else \
            _E.ne(_E.narrow(x, axis, 1, m - 1), _E.narrow(x, axis, 0, m - 1))
    return x


def vander(x, N=None, increasing=False):
    x = _T(x)
    N = x.shape[0] if N is None else int(N)
    p = make(np.arange(N) if increasing else np.arange(N - 1, -1, -1))
    return cast(_E.pow(x.reshape(-1, 1), cast(p, x.dtype)), result_type(x.dtype))


def diag(x, k=0):
    return _E.diag(_T(x), int(k))


def diagflat(x, k=0):
    return _E.diag(_T(x).reshape(-1), int(k))


def diagonal(x, offset=0, axis1=0, axis2=1):
    return _E.diagonal(_T(x), int(offset), int(axis1), int(axis2))


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences (NumPy's ``correlate``), modes 'valid', 'same', 'full'."""
    x1, x2 = _T(x1), _T(x2)
    d = result_type(x1.dtype, x2.dtype)
    d = "float64" if d == "int64" else d if d in ("bfloat16", "float16", "float64") else "float32"
    a, v = cast(x1, d), cast(x2, d)
    n, m = a.shape[-1], v.shape[-1]
    full_ = _F.conv1d(a.reshape(1, 1, n), v.reshape(1, 1, m), padding=m - 1).reshape(-1)
    if mode == "full":
        return full_
    if mode == "valid":
        length = builtins.max(n, m) - builtins.min(n, m) + 1
    elif mode == "same":
        length = n
    else:
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")
    start = (full_.shape[0] - length) // 2
    return full_[start:start + length]


def _window(values):
    return make(np.asarray(values, np.float32))


def bartlett(x):
    return _window(np.bartlett(int(x)))


def blackman(x):
    n = int(x)
    # torch's periodic=False window equals NumPy's (up to rounding of the tiny end values).
    return _window(np.clip(np.blackman(n), 0, None) if n > 1 else np.ones(n))


def hamming(x):
    return _window(np.hamming(int(x)))


def hanning(x):
    return _window(np.hanning(int(x)))


def kaiser(x, beta):
    return _window(np.kaiser(int(x), float(beta)))


def slogdet(x):
    """``(sign, log|det|)`` of square matrices."""
    from . import linalg
    return linalg._slogdet(_T(x))

