"""Shared helpers of the primitive ops: operand preparation, result wrapping, dims."""
import numpy as np

from ...backend import dtypes as _dt
from ...backend.meta import MetaArray
from ..tensor import Size, Tensor, make, _new

ndarray = np.ndarray
_FROM_NP = _dt._FROM_NP


def out(r):
    """Wrap a NumPy result (ufuncs on 0-d arrays return scalars) as a tensor."""
    t = _new(Tensor)
    t._data = r if type(r) is ndarray or type(r) is MetaArray else np.asarray(r)
    return t


def to_tensor(x, like=None):
    """Make ``x`` a tensor: Python/NumPy scalars take PyTorch's scalar dtypes."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return make(x)
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, (bool, int, float)):
        d = _dt.scalar_dtype(x) if like is None else _dt.promote_scalar(like.dtype, x)
        return make(np.array(x, d.numpy))
    from ...creation import tensor
    return tensor(x)


_INT_RANGE = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
              for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)}


def prep(a, b, name):
    """Return ``(x, y, ta, tb)``: NumPy operands in PyTorch's result dtype and the tensor inputs.

    A Python scalar stays a Python scalar (NumPy treats it as weak, like PyTorch),
    after the tensor is cast when the scalar's category is higher (int tensor * 1.5).
    """
    if isinstance(a, Tensor):
        x = a._data
        if isinstance(b, Tensor):
            y = b._data
            if x.dtype is not y.dtype and x.dtype != y.dtype:
                d = _dt.promote(a, b).numpy
                if ((d.kind == "V" or d.char == "e") and y.ndim == 0 and y.dtype.kind == "f"
                        and name in _FLOAT_SCALAR_OPS):
                    # a 0-d float tensor is a scalar to PyTorch's bfloat16/float16 mul and div: taken unrounded
                    return (x if x.dtype == d else x.astype(d)), y, a, b
                if x.dtype != d:
                    x = x.astype(d)
                if y.dtype != d:
                    y = y.astype(d)
            return x, y, a, b
        if isinstance(b, np.generic):
            b = b.item()
        if isinstance(b, (float, int)):
            if x.dtype.char not in "fdFD" and (isinstance(b, float) or x.dtype.kind == "b" and not isinstance(b, bool)):
                if x.dtype.kind == "V":
                    return x, _bf16_scalar(b, x.dtype, name), a, None
                if x.dtype.char == "e":
                    # PyTorch's float16 mul and div take a Python float unrounded (in float32, the result
                    # rounded once); NumPy would round it to float16 first. The others round it, as NumPy.
                    return x, (np.float32(b) if name in _FLOAT_SCALAR_OPS else b), a, None
                x = x.astype(_dt.promote_scalar(_FROM_NP[x.dtype], b).numpy)
            elif type(b) is int and x.dtype.kind in "iu" and not _INT_RANGE[x.dtype][0] <= b <= _INT_RANGE[x.dtype][1]:
                # PyTorch converts the scalar to the tensor's dtype, wrapping (uint8 + 300 adds 44);
                # NumPy would raise OverflowError instead.
                b = np.array(b).astype(x.dtype)[()]
            return x, b, a, None
        return prep(a, to_tensor(b), name)
    if isinstance(b, Tensor):
        y, x, tb, ta = prep(b, a, name)
        if not isinstance(x, np.ndarray):
            # A scalar first operand becomes a 0-d array of the result dtype, so ops may use .dtype.
            x = np.asarray(x, dtype=y.dtype)
        return x, y, ta, tb
    raise TypeError(f"{name}(): expected at least one Tensor argument, got {type(a).__name__} and "
                    f"{type(b).__name__}")


# The ops whose bfloat16 kernel in PyTorch takes a Python float as it is (in float32, the result rounded
# once); every other op first rounds the scalar to bfloat16.
_FLOAT_SCALAR_OPS = frozenset(("mul", "div"))


def _bf16_scalar(b, bf16, name):
    """A Python float meeting a bfloat16 tensor in op ``name``, as PyTorch's CPU kernels take it. NumPy
    computes a bfloat16 array with a Python float in float32: the op rounds that result (see ``mul``)."""
    if name in _FLOAT_SCALAR_OPS:
        return b
    return np.asarray(b, bf16)[()]


def broadcast_error(name, a, b):
    return RuntimeError(f"{name}: shapes {tuple(np.shape(a))} and {tuple(np.shape(b))} cannot be broadcast "
                        "together")


def wrap_dim(dim, ndim, name="dim"):
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def dims_tuple(dim, ndim):
    """Normalize ``dim`` (None, int, or a sequence) to a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    # A 0-d tensor still takes dim 0 or -1 only, as in PyTorch; its reduction axes are ().
    if isinstance(dim, (int, np.integer)):
        d = wrap_dim(int(dim), ndim)
        return (d,) if ndim > 0 else ()
    dims = tuple(wrap_dim(int(d), ndim) for d in dim)
    if ndim == 0:
        return ()
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {tuple(dim)} appears multiple times in the list of dims")
    return tuple(sorted(dims))


_SHAPE_TUPLES = (tuple, list, Size)


def shape_args(args, name):
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(ember.Size)`` for a shape."""
    # The common forms, Python ints only, need no conversion (a generator of int() costs ~1 us a call).
    ints = args[0] if len(args) == 1 and type(args[0]) in _SHAPE_TUPLES else args
    for s in ints:
        if type(s) is not int:
            break
    else:
        return tuple(ints)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        a = args[0]
        if isinstance(a, Tensor):
            return tuple(int(v) for v in a.tolist())
        args = tuple(a)
    try:
        return tuple(int(s) for s in args)
    except (TypeError, ValueError):
        raise TypeError(f"{name}(): expected a shape as ints, got {args!r}") from None


def numpy_names(namespace, names):
    """Let the functions ``names`` of a module's ``namespace`` also take NumPy's ``axis=`` and ``keepdims=``
    for ``dim=`` and ``keepdim=``, as torch's argument parser does for every native op
    (``P.sum(1, keepdims=True)`` in Karpathy's makemore, ``A.cumsum(axis=0)`` in D2L)."""
    for name in names.split():
        namespace[name] = _with_numpy_names(namespace[name])


def _with_numpy_names(fn):
    def op(*args, **kwargs):
        if kwargs and ("keepdims" in kwargs or "axis" in kwargs):
            for alias, name in (("keepdims", "keepdim"), ("axis", "dim")):
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got multiple values for argument '{name}'")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    op.__name__, op.__qualname__, op.__doc__, op.__module__ = fn.__name__, fn.__qualname__, fn.__doc__, fn.__module__
    op.__wrapped__ = fn
    return op
