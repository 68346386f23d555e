"""Tensor-only helpers: apply_/map_/map2_ (Python callables per element), resize_as_, new_empty_strided,
fill_diagonal_, and the list of in-place forms of the reduction, index and product ops.

>>> import ember
>>> ember.tensor([1.0, 2.0]).apply_(lambda v: v * 10)
tensor([10., 20.])
"""

__all__ = ["index_put_", "addmv_", "as_strided_", "resize_as_", "unsafe_chunk", "unsafe_split",
           "unsafe_split_with_sizes", "empty_strided"]
import numpy as np

from .. import grad_mode
from ._util import out, shape_args
from ..tensor import makes_meta

_gm = grad_mode.state

# Methods ``x.<name>_(...)`` made from the out-of-place op of the same name (methods.py binds them).
INPLACE_FORMS = ("cumsum", "cumprod", "index_copy", "index_put", "index_reduce", "put", "renorm", "addr",
                 "addbmm", "addmm", "addmv", "baddbmm", "scatter_reduce")


def _no_grad_inplace(x, name):
    if _gm.enabled and x._rg:
        raise RuntimeError(f"{name} is only implemented on CPU tensors that do not require grad (a Python "
                           "callable has no gradient)")


def apply_(input, callable):
    """Replace each element ``v`` by ``callable(v)`` (a Python function, run element by element)."""
    _no_grad_inplace(input, "apply_")
    a = input._data
    a[...] = np.asarray([callable(v) for v in a.reshape(-1).tolist()], dtype=a.dtype).reshape(a.shape)
    input._bump()
    return input


def map_(input, tensor, callable):
    """``self[i] = callable(self[i], tensor[i])`` with ``tensor`` broadcast to ``self``."""
    _no_grad_inplace(input, "map_")
    a = input._data
    b = np.broadcast_to(tensor._data, a.shape)
    r = np.asarray([callable(u, v) for u, v in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist())], a.dtype)
    a[...] = r.reshape(a.shape)
    input._bump()
    return input


def map2_(input, x, y, callable):
    """``self[i] = callable(self[i], x[i], y[i])`` with ``x`` and ``y`` broadcast to ``self``."""
    _no_grad_inplace(input, "map2_")
    a = input._data
    b = np.broadcast_to(x._data, a.shape).reshape(-1).tolist()
    c = np.broadcast_to(y._data, a.shape).reshape(-1).tolist()
    r = np.asarray([callable(u, v, w) for u, v, w in zip(a.reshape(-1).tolist(), b, c)], a.dtype)
    a[...] = r.reshape(a.shape)
    input._bump()
    return input


def resize_as_(input, the_template, memory_format=None):
    """Resize to ``the_template``'s shape (the first elements kept, new ones repeated from the start)."""
    input._data = np.resize(input._data, the_template._data.shape)
    input._bump()
    return input


def new_empty_strided(input, size, stride, *, dtype=None, device=None, requires_grad=False, **kw):
    """An uninitialized (here zero) tensor of ``size`` laid out with ``stride`` (in elements)."""
    from ...backend import dtypes as _dt
    from .strided import as_strided
    size = shape_args((size,), "new_empty_strided")
    stride = shape_args((stride,), "new_empty_strided")
    d = input._data.dtype if dtype is None else _dt.to_dtype(dtype).numpy
    if input.is_meta if device is None else makes_meta(device):
        from ...backend import meta as _meta
        t = out(_meta.empty(size, d, stride))
        return t.requires_grad_(True) if requires_grad else t
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    t = as_strided(out(np.zeros(n, d)), size, stride, 0)
    if requires_grad:
        t.requires_grad_(True)
    return t


def fill_diagonal_(input, fill_value, wrap=False):
    """Fill the main diagonal (all dims equal index) with ``fill_value``; ``wrap`` restarts it every
    ``ncols + 1`` rows of a tall matrix, as NumPy's ``fill_diagonal``."""
    from .inplace import apply_inplace
    a = input._data
    if a.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got {a.ndim}")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got "
                           f"{tuple(a.shape)}")
    mask = np.zeros(a.shape, bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    if _gm.enabled and input._rg:
        from .index import masked_fill
        return apply_inplace(input, lambda old: masked_fill(old, out(mask), fill_value))
    a[mask] = fill_value
    input._bump()
    return input


def index_put_(input, indices, values, accumulate=False):
    """``input[indices] = values`` (``+=`` with ``accumulate``) in place."""
    return input.index_put_(indices, values, accumulate)


def addmv_(input, mat, vec, *, beta=1, alpha=1):
    """``input = beta * input + alpha * mat @ vec`` in place."""
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def as_strided_(input, size, stride, storage_offset=None):
    """Make ``input`` the ``as_strided`` view of its own storage."""
    return input.as_strided_(size, stride, storage_offset)


def unsafe_chunk(input, chunks, dim=0):
    from .shape import chunk
    return chunk(input, chunks, dim)


def unsafe_split(tensor, split_size_or_sections, dim=0):
    from .shape import split
    return split(tensor, split_size_or_sections, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    from .shape import split
    return split(input, list(split_sizes), dim)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialized (here zero) tensor of ``size`` laid out with ``stride`` (in elements)."""
    from ...backend import dtypes as _dt
    base = out(np.zeros((), _dt.get_default_dtype().numpy if dtype is None else _dt.to_dtype(dtype).numpy))
    return new_empty_strided(base, size, stride, device="meta" if makes_meta(device) else "cpu",
                             requires_grad=requires_grad)
