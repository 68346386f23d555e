"""Tensor creation: ``tensor``, ``as_tensor``, ``from_numpy``, ``zeros``, ``ones``, ``full``, ``arange`` ...

Python data takes PyTorch's dtypes: bools -> bool, ints -> int64, floats -> the
default float (float32). NumPy arrays keep their dtype (float64 stays float64).
``device=`` is 'cpu' or 'meta' (tensors with a shape and a dtype and no data, :mod:`ember.backend.meta`);
inside ``with ember.device("meta")`` a call without ``device=`` makes meta tensors.

>>> import ember
>>> ember.tensor([[1, 2], [3, 4]]).dtype
ember.int64
>>> ember.arange(0, 1, 0.25)
tensor([0.0000, 0.2500, 0.5000, 0.7500])
"""
import numpy as np

from .backend import dtypes as _dt
from .backend import float8 as _float8
from .autograd.tensor import Tensor, make, makes_meta as _makes_meta, meta_tensor as _meta_tensor
from .autograd.ops._util import shape_args


def _check_device(device):
    """True when the call makes a meta tensor (see ``ember.autograd.tensor.makes_meta``); raises for a device
    ember does not have."""
    return _makes_meta(device)


def _like_meta(input, device):
    """Whether ``*_like(input, device=device)`` makes a meta tensor: ``device`` says, else ``input``'s device."""
    return input.is_meta if device is None else _makes_meta(device)


def _infer_dtype(data):
    """PyTorch's dtype for nested data: each element's own dtype (a Python bool -> bool, int -> int64,
    float -> the default float, complex -> its complex; NumPy scalars and arrays and tensors keep theirs),
    all of them promoted together by ``promote_types``; no elements at all -> the default float.
    So a list of int32 arrays stays int32, and float32 with float64 arrays gives float64."""
    default = _dt.get_default_dtype()
    result = None
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        if isinstance(v, Tensor):
            d = v.dtype
        elif isinstance(v, (np.ndarray, np.generic)):  # before float: np.float64 is a Python float
            d = _dt.from_numpy(v.dtype)
        elif isinstance(v, bool):
            d = _dt.bool_
        elif isinstance(v, int):
            d = _dt.int64
        elif isinstance(v, float):
            d = default
        elif isinstance(v, complex):
            d = default.to_complex()
        else:
            raise TypeError(f"Could not infer dtype of {type(v).__name__}")
        if d is not result:
            result = d if result is None else _dt.promote_types(result, d)
    return default if result is None else result


def _ragged_error(data, dim=0):
    """torch's error for the first ragged level of the nested list ``data``: ``ValueError: expected sequence
    of length n at dim d (got m)``, or a TypeError where numbers and sequences are mixed."""
    seqs = [isinstance(v, (list, tuple, np.ndarray)) for v in data]
    if any(seqs) and not all(seqs):
        return TypeError(f"not a sequence: the elements at dim {dim + 1} mix numbers and sequences")
    if not any(seqs):
        return None
    n = len(data[0])
    for v in data:
        if len(v) != n:
            return ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {len(v)})")
    for v in data:
        err = None if isinstance(v, np.ndarray) else _ragged_error(v, dim + 1)
        if err is not None:
            return err
    return None


def _to_array(data, dtype):
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, (list, tuple)):
        if any(isinstance(v, Tensor) for v in data):
            data = [v._data if isinstance(v, Tensor) else v for v in data]
        try:
            arr = np.array(data)
        except ValueError:  # NumPy refuses a ragged nested list; say where, as torch does
            raise _ragged_error(data) or ValueError("expected a sequence of equal-length rows") from None
        if arr.dtype == object and not _all_ints(arr):
            raise ValueError("expected a sequence of equal-length rows (a ragged nested sequence cannot be a tensor)")
    else:
        arr = np.array(data)
    if dtype is None:
        if isinstance(data, (np.ndarray, Tensor)) or hasattr(type(data), "__array__"):  # a storage, say
            d = _dt.from_numpy(arr.dtype)
        elif isinstance(data, np.generic):
            d = _dt.from_numpy(arr.dtype)
        else:
            d = _infer_dtype(data)
    else:
        d = _dt.to_dtype(dtype)
    return arr, d


def _check_python_ints(arr, d, data, name="tensor"):
    """Python numbers must fit the target integer dtype, as in PyTorch (NumPy would wrap them).

    PyTorch refuses a value an integer dtype cannot hold ("value cannot be converted to type
    uint8 without overflow") and ints beyond 64 bits ("Overflow when unpacking long long"). An
    unsigned dtype also takes negatives down to -max, which wrap (``tensor(-1, dtype=uint8)`` is
    255). NumPy arrays are not checked: PyTorch casts them, wrapping, too.
    """
    if isinstance(data, (np.ndarray, Tensor, np.generic)) or arr.size == 0:
        return
    # NumPy stores a list holding an int beyond int64 as uint64, float64 or object; PyTorch parses
    # every Python int as int64 and refuses the rest.
    beyond = arr.dtype == np.uint64 and arr.max() > np.iinfo(np.int64).max
    if arr.dtype.kind == "f" and d is _dt.int64 and _infer_dtype(data) is _dt.int64:
        beyond = True
    if arr.dtype == object or beyond:
        raise ValueError(f"{name}(): a value does not fit in 64 bits (Overflow when unpacking long long); "
                         f"got {_extreme(arr)}")
    if d.numpy.kind not in "iu" or arr.dtype.kind not in "iuf":
        return
    info = np.iinfo(d.numpy)
    lo = -int(info.max) if info.min == 0 else int(info.min)
    a_min, a_max = arr.min(), arr.max()
    if a_min < lo or a_max > info.max:
        bad = a_min if a_min < lo else a_max
        raise RuntimeError(f"{name}(): value {bad.item()} cannot be converted to type {d.numpy.name} without "
                           f"overflow (it holds [{lo}, {info.max}])")


def _fill_value(v, d, name):
    """A Python int fill value checked against an integer dtype as ``tensor()`` checks it, then wrapped
    (NumPy refuses ``np.full(2, -1, np.uint8)``; PyTorch gives 255)."""
    if type(v) is int and d.numpy.kind in "iu":
        _check_python_ints(np.array(v), d, v, name)
        return np.array(v).astype(d.numpy)
    return v


def _extreme(arr):
    flat = arr.ravel().tolist()
    return max(flat, key=abs)


def _all_ints(arr):
    # An object array of Python ints holds values beyond 64 bits; the caller reports the overflow.
    return all(type(v) is int for v in arr.ravel().tolist()) if arr.ndim else type(arr.item()) is int


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, NumPy arrays, tensors)."""
    meta = _check_device(device)
    if isinstance(data, Tensor) and data.is_meta:
        return _meta_tensor(data._data.shape, data.dtype if dtype is None else _dt.to_dtype(dtype), requires_grad)
    arr, d = _to_array(data, dtype)
    _check_python_ints(arr, d, data)
    if meta:
        return _meta_tensor(arr.shape, d, requires_grad)
    if d.itemsize == 1 and _float8.is_float8(d.numpy):
        t = make(_float8.cast(np.asarray(arr), d.numpy))
    else:
        t = make(np.array(arr, dtype=d.numpy, copy=True))
    if requires_grad:
        t.requires_grad = True
    return t


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when the dtype already matches."""
    if _check_device(device) and not (isinstance(data, Tensor) and data.is_meta):
        return tensor(data, dtype=dtype, device="meta")
    if isinstance(data, Tensor) and (dtype is None or _dt.to_dtype(dtype) is data.dtype):
        return data
    if isinstance(data, Tensor):
        return data.to(dtype)
    arr, d = _to_array(data, dtype)
    return make(np.asarray(arr, dtype=d.numpy))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad = True
    return t


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray`` (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy(ndarray.dtype)
    return make(ndarray)


def _dtype_or_default(dtype):
    return _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)


def _new(arr, requires_grad):
    t = make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def new_shape(shape):
    """``shape`` for a new tensor: torch's RuntimeError for a negative size (NumPy's is a ValueError)."""
    for d in shape:
        if d < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: {list(shape)}")
    return shape


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    # torch's parser also takes the sizes as one keyword argument: torch.zeros(size=(2, 3)).
    size = sizes if size is None else (size,)
    shape = new_shape(shape_args(size, "zeros"))
    if _check_device(device):
        return _meta_tensor(shape, _dtype_or_default(dtype), requires_grad)
    return _new(np.zeros(shape, _dtype_or_default(dtype).numpy), requires_grad)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    size = sizes if size is None else (size,)
    shape = new_shape(shape_args(size, "ones"))
    if _check_device(device):
        return _meta_tensor(shape, _dtype_or_default(dtype), requires_grad)
    return _new(np.ones(shape, _dtype_or_default(dtype).numpy), requires_grad)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None):
    size = sizes if size is None else (size,)
    shape = new_shape(shape_args(size, "empty"))
    if _check_device(device):
        return _meta_tensor(shape, _dtype_or_default(dtype), requires_grad)
    return _new(np.empty(shape, _dtype_or_default(dtype).numpy), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None):
    meta = _check_device(device)
    if not isinstance(fill_value, (Tensor, bool, int, float, complex, np.generic)):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    if dtype is None:
        fv = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
        dtype = _dt.scalar_dtype(fv)
    size = new_shape((size,) if isinstance(size, (int, np.integer)) else tuple(size))
    d = _dt.to_dtype(dtype)
    if meta:
        return _meta_tensor(size, d, requires_grad)
    return _new(np.full(size, _fill_value(fill_value, d, "full"), d.numpy), requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d = input.dtype if dtype is None else _dt.to_dtype(dtype)
    if _like_meta(input, device):
        return _meta_tensor(input._data.shape, d, requires_grad)
    return _new(np.zeros(input._data.shape, d.numpy), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d = input.dtype if dtype is None else _dt.to_dtype(dtype)
    if _like_meta(input, device):
        return _meta_tensor(input._data.shape, d, requires_grad)
    return _new(np.ones(input._data.shape, d.numpy), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d = input.dtype if dtype is None else _dt.to_dtype(dtype)
    if _like_meta(input, device):
        return _meta_tensor(input._data.shape, d, requires_grad)
    return _new(np.empty(input._data.shape, d.numpy), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d = input.dtype if dtype is None else _dt.to_dtype(dtype)
    if _like_meta(input, device):
        return _meta_tensor(input._data.shape, d, requires_grad)
    return _new(np.full(input._data.shape, _fill_value(fill_value, d, "full_like"), d.numpy), requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Values from ``start`` up to (not including) ``end``; int64 unless an argument is a float."""
    meta = _check_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = _dt.get_default_dtype() if any(isinstance(v, (float, np.floating)) for v in vals) else _dt.int64
    d = _dt.to_dtype(dtype)
    s, e, st = vals
    n = int(np.ceil((e - s) / st))
    if n < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign (start={s}, end={e}, step={st})")
    if meta:
        return _meta_tensor((n,), d, requires_grad)
    # Compute in float64 as start + i * step, so float ranges match PyTorch's values.
    arr = (s + np.arange(n, dtype=np.float64) * st) if d.is_floating_point else np.arange(s, e, st)
    return _new(arr.astype(d.numpy), requires_grad)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    d = _dtype_or_default(dtype)
    n = int(np.floor((end - start) / step)) + 1
    if _check_device(device):
        return _meta_tensor((n,), d, requires_grad)
    return _new((start + np.arange(n) * step).astype(d.numpy), requires_grad)


def _linspace_values(start, end, steps, np_dtype):
    """PyTorch's CPU linspace kernel, value for value, in ``np_dtype`` (float32 or float64).

    ``step = (end - start) / (steps - 1)`` in the dtype; the first half counts up from the start,
    ``start + step * i``, the second half down from the end, ``end - step * (steps - 1 - i)``, so
    both end points are exact and the middle of a symmetric range is (nearly) zero. PyTorch's
    vectorized kernel fuses each multiply-add (one rounding), which a ``longdouble`` evaluation
    reproduces: exact for float32 (its 24-bit step times an index fits the 64-bit mantissa), and
    for float64 equal except in rare last-bit cases."""
    s, e = np_dtype(start), np_dtype(end)
    if steps == 1:
        return np.array([s], np_dtype)
    step = (e - s) / np_dtype(steps - 1)
    wide = np.longdouble
    i = np.arange(steps)
    up = wide(s) + wide(step) * i.astype(wide)
    down = wide(e) - wide(step) * (steps - 1 - i).astype(wide)
    return np.where(i < steps // 2, up, down).astype(np_dtype)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    meta = _check_device(device)
    d = _dtype_or_default(dtype)
    if dtype is None and any(isinstance(v, complex) for v in (start, end)):
        d = _dt.to_dtype("complex128" if d.numpy == np.float64 else "complex64")  # as PyTorch infers it
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if meta:
        return _meta_tensor((steps,), d, requires_grad)
    if np.dtype(d.numpy) in (np.float32, np.float64):
        with np.errstate(over="ignore", invalid="ignore"):
            return _new(_linspace_values(float(start), float(end), steps, np.dtype(d.numpy).type), requires_grad)
    return _new(np.linspace(start, end, steps).astype(d.numpy), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    d = _dtype_or_default(dtype)
    if _check_device(device):
        return _meta_tensor((int(steps),), d, requires_grad)
    return _new(np.logspace(start, end, int(steps), base=base).astype(d.numpy), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None):
    meta = _check_device(device)
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    if meta:
        return _meta_tensor((n, n if m is None else m), _dtype_or_default(dtype), requires_grad)
    return _new(np.eye(n, m, dtype=_dtype_or_default(dtype).numpy), requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    if _check_device(device):
        return _meta_tensor((), _dtype_or_default(dtype), requires_grad)
    return _new(np.array(s, _dtype_or_default(dtype).numpy), requires_grad)
