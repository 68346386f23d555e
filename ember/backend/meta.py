"""Meta arrays: a shape, a dtype and strides, and no data, behind the tensors of PyTorch's ``meta`` device.

A :class:`MetaArray` is an ``ndarray`` subclass viewing one zero element with every stride zero, so a
``(4096, 4096)`` meta weight costs a few bytes. NumPy hands every ufunc call and every dispatched function
that sees one to the subclass (``__array_ufunc__``, ``__array_function__``), which answers with a new meta
array of the result's shape and dtype without computing: ember's ops, written for NumPy arrays, produce meta
results from meta inputs on their own, and the CPU ops pay nothing for it (no check in any op).

A function without a shape rule here runs on the arrays' zero-stride views and its array results become meta
arrays (the values are dropped), so its shapes and dtypes are NumPy's by construction.

``strides`` of a meta array are zero; the strides PyTorch reports (its element strides, kept through
transposes, slices and expands) are :func:`torch_strides`.

>>> a = empty((3, 4), np.float32)
>>> b = a @ empty((4, 5), np.float32) + 1
>>> type(b).__name__, b.shape, b.dtype, b.nbytes <= 4 * 15
('MetaArray', (3, 5), dtype('float32'), True)
>>> torch_strides(a.T)
(1, 4)
"""
import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

__all__ = ["MetaArray", "empty", "is_meta", "like", "torch_strides", "contiguous_strides", "iter_strides"]

_ZERO = {}


def _zero(dtype):
    z = _ZERO.get(dtype)
    if z is None:
        z = _ZERO[dtype] = np.zeros((), dtype)
        z.flags.writeable = False  # shared by every meta array of the dtype
    return z


def empty(shape, dtype, strides=None):
    """A meta array of ``shape`` and ``dtype``; ``strides`` (elements) is what PyTorch would report."""
    dtype = np.dtype(dtype)
    a = np.broadcast_to(_zero(dtype), tuple(int(s) for s in shape)).view(MetaArray)
    if strides is not None:
        a._st = tuple(strides)
    return a


def like(arr, dtype=None):
    """A meta array of ``arr``'s shape (and dtype unless given)."""
    return empty(np.shape(arr), arr.dtype if dtype is None else dtype)


def is_meta(arr):
    return type(arr) is MetaArray


def contiguous_strides(shape):
    st, n = [], 1
    for s in reversed(shape):
        st.append(n)
        n *= max(s, 1)
    return tuple(reversed(st))


def torch_strides(arr):
    """The element strides PyTorch reports for the meta tensor over ``arr``."""
    st = arr._st
    return st if st is not None and len(st) == arr.ndim else contiguous_strides(arr.shape)


def iter_strides(shape, operands):
    """The strides PyTorch's TensorIterator gives a new output of ``shape`` from ``operands`` (arrays, meta or
    not): its dimensions ordered by the operands' strides (the first operand that tells two dimensions apart
    decides; broadcast dimensions tell nothing), then laid out densely. None for the contiguous strides."""
    nd = len(shape)
    strides = []
    for x in operands:
        if isinstance(x, np.ndarray) and 0 < x.ndim <= nd:
            st = torch_strides(x) if type(x) is MetaArray else tuple(s // x.itemsize for s in x.strides)
            # a dimension broadcast from size 1 tells nothing, as a missing one
            st = (0,) * (nd - x.ndim) + tuple(0 if n == 1 and m != 1 else s for s, n, m in
                                              zip(st, x.shape, shape[nd - x.ndim:]))
            strides.append(st)
    if nd < 2 or not strides:
        return None

    def swap(d0, d1):
        for st in strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(nd - 1, -1, -1))   # perm[0] is the fastest-moving dimension
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    if perm == list(range(nd - 1, -1, -1)):
        return None
    out, n = [0] * nd, 1
    for d in perm:
        out[d] = n
        n *= max(shape[d], 1)
    return tuple(out)


def _plain(x):
    """``x`` with meta arrays as plain zero-stride views (nested in lists, tuples and dicts too)."""
    if type(x) is MetaArray:
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x) if type(x) in (list, tuple) else x
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _to_meta(r):
    if type(r) is MetaArray and not any(r.strides):
        return r
    if isinstance(r, (np.ndarray, np.generic)):
        return empty(np.shape(r), r.dtype)
    if type(r) in (list, tuple):
        return type(r)(_to_meta(v) for v in r)
    if isinstance(r, tuple) and hasattr(r, "_fields"):  # named tuples (np.linalg's results)
        return type(r)(*(_to_meta(v) for v in r))
    return r


def _strided_probe(arr):
    """A one-byte-element array with ``arr``'s shape and PyTorch strides; views of it (never reads) give the
    strides of the same views of the meta tensor."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), arr.shape, torch_strides(arr))


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) and not isinstance(i, bool)
               for i in items)


def _new_axes(idx, ndim):
    """The result dimensions a basic index inserts (its Nones)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    if not any(i is None for i in items):
        return []
    fill = ndim - sum(1 for i in items if i is not None and i is not Ellipsis)
    out, pos = [], 0
    for i in items:
        if i is None:
            out.append(pos)
            pos += 1
        elif i is Ellipsis:
            pos += fill
            fill = 0
        elif isinstance(i, slice):
            pos += 1
    return out


def _with_strides(r, probe):
    r._st = tuple(probe.strides)
    return r


def _sample(x):
    """A one-element stand-in of ``x`` with its ndim and dtype, for finding a result dtype."""
    return np.ones((1,) * x.ndim, x.dtype) if isinstance(x, np.ndarray) else x


def _outputs(out, results):
    """Return ``out`` (checked against the results' shapes) when given, else the results."""
    if out is None:
        return results[0] if len(results) == 1 else tuple(results)
    for o, r in zip(out, results):
        if o is not None and np.broadcast_shapes(o.shape, r.shape) != o.shape:
            raise ValueError(f"non-broadcastable output operand with shape {o.shape} doesn't match the broadcast "
                             f"shape {r.shape}")
    return out[0] if len(out) == 1 else tuple(out)


def _matmul_shape(a, b):
    if not a or not b:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    a1, b1 = len(a) == 1, len(b) == 1
    a2 = (1,) + a if a1 else a
    b2 = b + (1,) if b1 else b
    if a2[-1] != b2[-2]:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
                         f"(n?,k),(k,m?)->(n?,m?) (size {b2[-2]} is different from {a2[-1]})")
    shape = np.broadcast_shapes(a2[:-2], b2[:-2]) + (a2[-2], b2[-1])
    if a1:
        shape = shape[:-2] + shape[-1:]
    if b1:
        shape = shape[:-1]
    return shape


def _reduced_shape(shape, axis, keepdims):
    axes = tuple(range(len(shape))) if axis is None else normalize_axis_tuple(axis, len(shape))
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape)), axes
    return tuple(s for i, s in enumerate(shape) if i not in axes), axes


class MetaArray(np.ndarray):
    """An array with no data (see the module docstring); never read its values."""

    _st = None  # PyTorch's strides when they are not the contiguous ones (a transposed or sliced view)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "at":
            return None
        out = out if out is None or isinstance(out, tuple) else (out,)
        kw = {k: v for k, v in kwargs.items() if k != "where"}
        with np.errstate(all="ignore"):
            if method == "__call__" and (ufunc.signature is None or ufunc is np.matmul):
                shapes = [np.shape(x) for x in inputs]
                shape = np.broadcast_shapes(*shapes) if ufunc.signature is None else _matmul_shape(*shapes)
                r = ufunc(*(_sample(x) for x in inputs), **kw)
            elif method in ("reduce", "accumulate"):
                a = inputs[0]
                if method == "reduce":
                    shape, axes = _reduced_shape(a.shape, kw.get("axis", 0), kw.get("keepdims", False))
                    if ufunc.identity is None and "initial" not in kw and any(a.shape[i] == 0 for i in axes):
                        raise ValueError(f"zero-size array to reduction operation {ufunc.__name__} which has no "
                                         f"identity")
                else:
                    shape = a.shape
                r = getattr(ufunc, method)(_sample(a), *inputs[1:], **kw)
            elif method == "outer":
                shape = np.shape(inputs[0]) + np.shape(inputs[1])
                r = ufunc(*(_sample(x) for x in inputs), **kw)
            else:  # reduceat, other generalized ufuncs: NumPy's shapes from a run on the zero-stride views
                r = getattr(ufunc, method)(*_plain(inputs), **_plain(kw))
                return _outputs(out, [_to_meta(v) for v in (r if isinstance(r, tuple) else (r,))])
        st = iter_strides(shape, inputs) if method == "__call__" and ufunc.signature is None else None
        results = [empty(shape, v.dtype, st) for v in (r if isinstance(r, tuple) else (r,))]
        return _outputs(out, results)

    def __array_function__(self, func, types, args, kwargs):
        rule = _RULES.get(func)
        if rule is not None:
            return rule(*args, **kwargs)
        if func in _WRITERS:
            return None if type(args[0]) is MetaArray else func(*_plain(args), **_plain(kwargs))
        out = kwargs.pop("out", None)
        with np.errstate(all="ignore"):
            r = func(*_plain(args), **_plain(kwargs))
        if out is not None:
            return out
        return _to_meta(r)

    # -- methods whose NumPy versions would allocate or lose the strides ---------------------------------
    def __getitem__(self, idx):
        if _is_basic(idx):
            r = super().__getitem__(idx)
            if type(r) is not MetaArray:  # a NumPy scalar: every index was an integer
                return empty((), self.dtype)
            r = _with_strides(r, _strided_probe(self)[idx])
            new = _new_axes(idx, self.ndim)
            if new:  # an inserted axis: torch's unsqueeze stride (the next dimension's extent)
                st = list(r._st)
                for i in reversed(new):
                    st[i] = st[i + 1] * r.shape[i + 1] if i + 1 < r.ndim else 1
                r._st = tuple(st)
            return r
        items = idx if isinstance(idx, tuple) else (idx,)
        if any(isinstance(i, np.ndarray) and i.dtype == bool and i.ndim for i in items):
            _nonzero(None)  # a mask's selection has a data-dependent shape
        return _to_meta(self.view(np.ndarray)[_plain(idx)])

    def __setitem__(self, idx, value):
        pass

    def fill(self, value):
        pass

    def copy(self, order="K"):
        """A new meta array; ``order="K"`` (the default here) keeps the layout, as torch's ``clone``."""
        return empty(self.shape, self.dtype, iter_strides(self.shape, (self,)) if order == "K" else None)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        if not copy and np.dtype(dtype) == self.dtype:
            return self
        return empty(self.shape, dtype)

    def transpose(self, *axes):
        return _with_strides(super().transpose(*axes), _strided_probe(self).transpose(*axes))

    @property
    def T(self):
        return self.transpose()

    @property
    def mT(self):
        return np.swapaxes(self, -1, -2)

    def swapaxes(self, a, b):
        return np.swapaxes(self, a, b)

    def reshape(self, *shape, order="C", copy=None):
        return _reshape(self, shape[0] if len(shape) == 1 else shape)

    def ravel(self, order="C"):
        return _reshape(self, -1)

    def flatten(self, order="C"):
        return empty((self.size,), self.dtype)

    def view(self, *args, **kwargs):
        if args and isinstance(args[0], type) and args[0] is not MetaArray:
            return super().view(*args, **kwargs)
        if args and not isinstance(args[0], type) or "dtype" in kwargs:
            dtype = np.dtype(args[0] if args else kwargs["dtype"])
            if dtype.itemsize != self.itemsize:
                shape = self.shape[:-1] + (self.shape[-1] * self.itemsize // dtype.itemsize,)
                return empty(shape, dtype)
            return empty(self.shape, dtype, self._st)
        return super().view(*args, **kwargs)

    def __repr__(self):
        return f"MetaArray(shape={self.shape}, dtype={self.dtype})"

    __str__ = __repr__

    def tobytes(self, order="C"):
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")


def _reshape(a, shape, order="C", copy=None):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    r = np.ndarray.reshape(a.view(np.ndarray), shape).view(MetaArray)
    if a._st is None:
        return r
    try:
        return _with_strides(r, np.ndarray.reshape(_strided_probe(a), shape, copy=False))
    except ValueError:  # not a view of PyTorch's strides: PyTorch's reshape copies (contiguous)
        return r


def _transpose(a, axes=None):
    return a.transpose(axes) if type(a) is MetaArray else np.transpose(a, axes)


def _swapaxes(a, axis1, axis2):
    if type(a) is not MetaArray:
        return np.swapaxes(a, axis1, axis2)
    r = np.ndarray.swapaxes(a, axis1, axis2)
    return _with_strides(r, _strided_probe(a).swapaxes(axis1, axis2))


def _moveaxis(a, source, destination):
    src = normalize_axis_tuple(source, a.ndim)
    dst = normalize_axis_tuple(destination, a.ndim)
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _transpose(a, order)


def _broadcast_to(a, shape, subok=False):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if type(a) is not MetaArray:
        return np.broadcast_to(a, shape, subok=subok)
    r = np.broadcast_to(a.view(np.ndarray), shape).view(MetaArray)
    return _with_strides(r, np.broadcast_to(_strided_probe(a), shape))


def _expand_dims(a, axis):
    axes = normalize_axis_tuple(axis, a.ndim + (len(axis) if isinstance(axis, (tuple, list)) else 1))
    shape = iter(a.shape)
    return _reshape(a, [1 if i in axes else next(shape) for i in range(a.ndim + len(axes))])


def _squeeze(a, axis=None):
    axes = [i for i, s in enumerate(a.shape) if s == 1] if axis is None else normalize_axis_tuple(axis, a.ndim)
    return a[tuple(0 if i in axes else slice(None) for i in range(a.ndim))]


def _result_dtype(arrays):
    return np.result_type(*(x.dtype if isinstance(x, np.ndarray) else x for x in arrays))


def _concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    if axis is None:
        arrays = [np.ravel(x) for x in arrays]
        axis = 0
    shapes = [np.shape(x) for x in arrays]
    nd = len(shapes[0])
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    ax = normalize_axis_tuple(axis, nd)[0]
    for i, s in enumerate(shapes[1:], 1):
        if len(s) != nd:
            raise ValueError(f"all the input array dimensions except for the concatenation axis must match exactly, "
                             f"but along dimension 0, the array at index 0 has {nd} dimension(s) and the array at "
                             f"index {i} has {len(s)} dimension(s)")
        for d in range(nd):
            if d != ax and s[d] != shapes[0][d]:
                raise ValueError(f"all the input array dimensions except for the concatenation axis must match "
                                 f"exactly, but along dimension {d}, the array at index 0 has size {shapes[0][d]} and "
                                 f"the array at index {i} has size {s[d]}")
    shape = list(shapes[0])
    shape[ax] = sum(s[ax] for s in shapes)
    r = empty(shape, dtype if dtype is not None else _result_dtype(arrays))
    return r if out is None else out


def _stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    shapes = {np.shape(x) for x in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    shape = list(shapes.pop())
    ax = normalize_axis_tuple(axis, len(shape) + 1)[0]
    shape.insert(ax, len(arrays))
    r = empty(shape, dtype if dtype is not None else _result_dtype(arrays))
    return r if out is None else out


def _einsum(*operands, out=None, **kwargs):
    """The output shape read off the subscripts (each letter's size from the operands); nothing is computed."""
    if not isinstance(operands[0], str):  # the interleaved (array, sublist, ...) form
        with np.errstate(all="ignore"):
            return _to_meta(np.einsum(*_plain(operands), **kwargs))
    spec, arrays = operands[0].replace(" ", ""), operands[1:]
    ins, arrow, res = spec.partition("->")
    terms = ins.split(",")
    sizes, ell = {}, ()
    for term, x in zip(terms, arrays):
        shape = np.shape(x)
        if "..." in term:
            head, tail = term.split("...")
            n = len(shape) - len(head) - len(tail)
            ell = np.broadcast_shapes(ell, shape[len(head):len(head) + n])
            letters = list(head) + [None] * n + list(tail)
        else:
            letters = list(term)
        if len(letters) != len(shape):
            raise ValueError(f"einstein sum subscripts string contains too many subscripts for operand "
                             f"{terms.index(term)}")
        for c, s in zip(letters, shape):
            if c is None:
                continue
            if sizes.get(c, s) != s and 1 not in (s, sizes[c]):
                raise ValueError(f"operands could not be broadcast together with remapped shapes: size {s} of "
                                 f"subscript '{c}' does not match {sizes[c]}")
            sizes[c] = max(sizes.get(c, s), s) if 1 in (s, sizes.get(c, s)) else s
    if not arrow:
        letters = "".join(sorted(c for c in set(ins) if c.isalpha() and ins.count(c) == 1))
        res = ("..." if "..." in ins else "") + letters
    head, _, tail = res.partition("...")
    shape = tuple(sizes[c] for c in head) + (ell if "..." in res else ()) + tuple(sizes[c] for c in tail)
    dtype = kwargs.get("dtype") or _result_dtype(arrays)
    r = empty(shape, dtype)
    return r if out is None else out


def _dot(a, b, out=None):
    sa, sb = np.shape(a), np.shape(b)
    if not sa or not sb:
        shape = sa or sb
    elif len(sb) == 1:
        if sa[-1] != sb[0]:
            raise ValueError(f"shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1}) != {sb[0]} (dim 0)")
        shape = sa[:-1]
    else:
        if sa[-1] != sb[-2]:
            raise ValueError(f"shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1}) != {sb[-2]} "
                             f"(dim {len(sb) - 2})")
        shape = sa[:-1] + sb[:-2] + sb[-1:]
    r = empty(shape, _result_dtype((a, b)))
    return r if out is None else out


def _where(condition, *xy):
    if not xy:
        raise NotImplementedError("The register_meta function for torch.nonzero() raises unimplemented by default, "
                                  "as a correct data-independent implementation does not exist.")
    return empty(np.broadcast_shapes(*(np.shape(v) for v in (condition,) + xy)), _result_dtype(xy))


def _nonzero(*args, **kwargs):
    raise NotImplementedError("The register_meta function for torch.nonzero() raises unimplemented by default, "
                              "as a correct data-independent implementation does not exist.")


def _copy(a, order="K", subok=False):
    return a.copy(order) if type(a) is MetaArray else np.copy(a, order)


def _like(fill):
    def rule(prototype, *args, dtype=None, order="K", subok=True, shape=None, **kwargs):
        return empty(np.shape(prototype) if shape is None else shape, prototype.dtype if dtype is None else dtype)
    return rule


_RULES = {np.transpose: _transpose, np.swapaxes: _swapaxes, np.moveaxis: _moveaxis, np.reshape: _reshape,
          np.ravel: lambda a, order="C": _reshape(a, -1), np.broadcast_to: _broadcast_to,
          np.expand_dims: _expand_dims, np.squeeze: _squeeze, np.concatenate: _concatenate, np.stack: _stack,
          np.einsum: _einsum, np.dot: _dot, np.where: _where, np.nonzero: _nonzero, np.argwhere: _nonzero,
          np.flatnonzero: _nonzero, np.copy: _copy, np.empty_like: _like(None), np.zeros_like: _like(0),
          np.ones_like: _like(1), np.full_like: lambda a, fill_value, *args, **kw: _like(fill_value)(a, **kw)}
_WRITERS = {np.copyto, np.putmask, np.place, np.put, np.put_along_axis, np.fill_diagonal}
