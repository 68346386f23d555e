"""``keras.ops`` core: conversion, casting, control flow, slicing and scatter, over ember tensors.

Every op accepts ember tensors, NumPy arrays and Python scalars and returns ember tensors.
Conversion follows Keras's PyTorch backend: a Python ``float`` becomes ``float32`` (``floatx``),
an ``int`` ``int32``, a NumPy array keeps its dtype, a list takes Keras's promoted dtype of its
items. Control flow runs eagerly in Python, so gradients flow through every branch taken.

>>> from ember.keras import ops
>>> ops.convert_to_tensor([1, 2]).dtype, ops.convert_to_tensor(1.5).dtype
(ember.int32, ember.float32)
>>> ops.scan(lambda c, x: (c + x, c * x), 0.0, ops.arange(1.0, 4.0))[0].item()
6.0
"""
import builtins

import numpy as np

from ... import creation as _C
from ...autograd import grad_mode, ops as _E
from ...autograd.function import Function
from ...autograd.tensor import Tensor, make
from ...backend import dtypes as _dt
from .dtypes import result_type, standardize_dtype, to_ember_dtype

_py_slice = builtins.slice


def _flatten(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for t in tree for leaf in _flatten(t)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _flatten(tree[k])]
    return [tree]


def _pack_as(structure, flat):
    it = iter(flat)

    def build(s):
        if isinstance(s, (list, tuple)):
            items = [build(t) for t in s]
            return type(s)(*items) if hasattr(s, "_fields") else type(s)(items)
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        return next(it)
    return build(structure)


def _map_structure(fn, *trees):
    flats = [_flatten(t) for t in trees]
    return _pack_as(trees[0], [fn(*leaves) for leaves in zip(*flats)])


def _is_nested(x):
    return isinstance(x, (list, tuple, dict))


def _leaf_dtype(v):
    if isinstance(v, (bool, int, float)):
        return type(v)
    return getattr(v, "dtype", type(v))


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """An ember tensor of ``x`` (``keras.ops.convert_to_tensor``); ``dtype`` casts it."""
    if sparse:
        raise ValueError("convert_to_tensor: `sparse=True` is not supported by ember")
    if ragged:
        raise ValueError("convert_to_tensor: `ragged=True` is not supported by ember")
    if isinstance(x, Tensor):
        return x if dtype is None else cast(x, dtype)
    if isinstance(x, (bool, int, float, np.generic)) and not isinstance(x, np.ndarray):
        if isinstance(x, np.generic):
            return make(np.asarray(x, to_ember_dtype(dtype or x.dtype).numpy))
        if dtype is None:
            if isinstance(x, bool):
                dtype = "bool"
            elif isinstance(x, int):
                dtype = "int64" if not -2 ** 31 <= x < 2 ** 31 else "int32"
            else:
                dtype = "float32"
        return make(np.asarray(x, to_ember_dtype(dtype).numpy))
    if isinstance(x, (list, tuple)) and any(isinstance(e, Tensor) for e in _flatten(x)):
        return _E.stack([convert_to_tensor(e) for e in x]) if dtype is None else \
            cast(_E.stack([convert_to_tensor(e) for e in x]), dtype)
    if isinstance(x, (list, tuple)):
        leaves = _flatten(x)
        if dtype is None:
            dtype = result_type(*[_leaf_dtype(v) for v in leaves]) if leaves else "float32"
        a = np.array(x)
    else:
        a = np.asarray(x)
        if dtype is None:
            dtype = a.dtype
    return make(np.ascontiguousarray(a.astype(to_ember_dtype(dtype).numpy, copy=False)))


def convert_to_numpy(x):
    """A NumPy array of ``x`` (detached)."""
    if isinstance(x, (list, tuple)):
        return np.array([convert_to_numpy(e) for e in x])
    if isinstance(x, Tensor):
        return x._data.copy()
    return np.array(x)


def is_tensor(x):
    return isinstance(x, Tensor)


def shape(x):
    """The static shape of ``x`` as a tuple of ints."""
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def dtype(x):
    """Keras's dtype name of ``x`` (``'float32'`` ...)."""
    return standardize_dtype(convert_to_tensor(x).dtype)


def cast(x, dtype):
    """``x`` as ``dtype``; float -> int truncates toward zero, and the gradient flows to float inputs."""
    d = to_ember_dtype(dtype)
    x = convert_to_tensor(x)
    return x if x.dtype is d else _E.to(x, d)


def saturate_cast(x, dtype):
    """Cast with clipping to ``dtype``'s range first, so large values saturate instead of wrapping."""
    d = to_ember_dtype(dtype)
    x = convert_to_tensor(x)
    if d.is_floating_point:
        lo, hi = np.finfo(d.numpy).min, np.finfo(d.numpy).max
    elif d is _dt.bool_:
        return cast(x, d)
    else:
        lo, hi = np.iinfo(d.numpy).min, np.iinfo(d.numpy).max
    if x.is_floating_point():
        fi = np.finfo(x._data.dtype)
        lo, hi = builtins.max(float(lo), float(fi.min)), builtins.min(float(hi), float(fi.max))
        if not d.is_floating_point and float(np.asarray(hi, x._data.dtype)) > hi:
            # The int bound rounds up in this float type: use the largest float below it, so the cast cannot wrap.
            hi = float(np.nextafter(np.asarray(hi, x._data.dtype), np.asarray(0, x._data.dtype)))
    elif x.dtype.name == "bool":
        return cast(x, d)
    else:
        ii = np.iinfo(x._data.dtype)
        lo, hi = builtins.max(int(lo), ii.min), builtins.min(int(hi), ii.max)
    return cast(_E.clamp(x, lo, hi), d)


def stop_gradient(variable):
    """``variable`` detached from the graph: no gradient flows through it."""
    return convert_to_tensor(variable).detach()


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)`` with ``index`` clipped into range."""
    i = int(convert_to_tensor(index).item())
    return branches[builtins.min(builtins.max(i, 0), len(branches) - 1)](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most ``maximum_iterations`` times)."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    state = tuple(_map_structure(convert_to_tensor, s) for s in state)
    n = 0
    while (maximum_iterations is None or n < maximum_iterations) and bool(cond(*state)):
        state = body(*state)
        state = tuple(state) if isinstance(state, (list, tuple)) else (state,)
        n += 1
    return state if is_tuple else state[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``jax.lax.scan``: ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns ``(carry, stacked ys)``."""
    if not callable(f):
        raise TypeError(f"scan: `f` should be a callable. Received: f={f}")
    if xs is None and length is None:
        raise ValueError("scan: got no `xs` to scan over and `length` not provided.")
    xs_flat = [] if xs is None else [convert_to_tensor(v) for v in _flatten(xs)]
    n = int(length) if length is not None else xs_flat[0].shape[0]
    carry = _map_structure(convert_to_tensor, init)
    ys = []
    steps = range(n - 1, -1, -1) if reverse else range(n)
    for i in steps:
        x = None if xs is None else (_pack_as(xs, [v[i] for v in xs_flat]) if _is_nested(xs) else xs_flat[0][i])
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys = ys[::-1]
    if not ys:
        return carry, None
    if ys[0] is None:
        ys = [_map_structure(_E.zeros_like, carry) for _ in ys]
    return carry, _map_structure(lambda *leaves: _E.stack([convert_to_tensor(v) for v in leaves]), *ys)


def map(f, xs):
    """``stack([f(x) for x in xs])`` over the leading axis (nested outputs stacked leaf by leaf)."""
    return scan(lambda _, x: ((), f(x)), (), xs)[1]


def vectorized_map(function, elements):
    """``function`` applied to each slice of ``elements`` along axis 0, results stacked (a Python loop)."""
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of the associative binary ``f`` along ``axis`` (sequential; same result as JAX's tree)."""
    if not callable(f):
        raise TypeError(f"associative_scan: `f` should be a callable. Received: f={f}")
    flat = [convert_to_tensor(e) for e in _flatten(elems)]
    n = flat[0].shape[axis]
    if any(e.shape[axis] != n for e in flat[1:]):
        raise ValueError("associative_scan: inputs must have the same size along `axis`, got "
                         f"{[tuple(e.shape) for e in flat]}")
    order = range(n - 1, -1, -1) if reverse else range(n)
    acc, outs = None, []
    for i in order:
        cur = [_E.select(e, axis, i).unsqueeze(axis) for e in flat]
        acc = cur if acc is None else _flatten(f(_pack_as(elems, acc), _pack_as(elems, cur)) if not reverse
                                               else f(_pack_as(elems, cur), _pack_as(elems, acc)))
        acc = [convert_to_tensor(a) for a in acc]
        outs.append(acc)
    if reverse:
        outs = outs[::-1]
    return _pack_as(elems, [_E.cat([o[j] for o in outs], axis) for j in range(len(flat))])


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis`` as a list."""
    return list(_E.unbind(convert_to_tensor(x), axis))


def slice(inputs, start_indices, shape):
    """``inputs[start:start + shape]`` along every axis."""
    inputs = convert_to_tensor(inputs)
    starts = [int(s) for s in np.asarray(convert_to_numpy(start_indices)).reshape(-1)]
    sizes = [int(s) for s in np.asarray(convert_to_numpy(shape)).reshape(-1)]
    return inputs[tuple(_py_slice(s, s + n) for s, n in zip(starts, sizes))]


def slice_update(inputs, start_indices, updates):
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates`` (differentiable in both)."""
    inputs, updates = convert_to_tensor(inputs), convert_to_tensor(updates)
    starts = [int(s) for s in np.asarray(convert_to_numpy(start_indices)).reshape(-1)]
    idx = tuple(_py_slice(s, s + n) for s, n in zip(starts, updates.shape))
    out = _E.clone(inputs)
    out[idx] = cast(updates, inputs.dtype)
    return out


def _index_tuple(indices):
    ix = np.asarray(convert_to_numpy(indices)).astype(np.int64)
    return ix.reshape(-1, ix.shape[-1])


def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (``(..., k)`` index tuples); duplicates add."""
    values = convert_to_tensor(values)
    ix = _index_tuple(indices)
    shape = tuple(int(s) for s in shape)
    vals = values.reshape(ix.shape[0], *shape[ix.shape[1]:])
    zeros = _C.zeros_like(values.reshape(-1)[:1].reshape(()).expand(*shape))
    return _E.index_put_new(zeros, tuple(make(ix[:, k]) for k in range(ix.shape[1])), vals, accumulate=True)


def scatter_update(inputs, indices, updates, reduction=None):
    """A copy of ``inputs`` with ``updates`` written at ``indices`` (reduction None, 'add', 'max', 'min', 'mul')."""
    inputs = convert_to_tensor(inputs)
    updates = cast(updates, inputs.dtype)
    ix = _index_tuple(indices)
    keys = tuple(make(ix[:, k]) for k in range(ix.shape[1]))
    if reduction is None:
        return _E.index_put_new(inputs, keys, updates)
    if reduction == "add":
        return _E.index_put_new(inputs, keys, updates, accumulate=True)
    if reduction not in ("max", "min", "mul"):
        raise ValueError(f"scatter_update: unsupported reduction {reduction!r}; expected None, 'add', 'max', "
                         "'min' or 'mul'")
    out = inputs
    for i in range(ix.shape[0]):
        key = tuple(int(v) for v in ix[i])
        cur = out[key]
        new = _E.maximum(cur, updates[i]) if reduction == "max" else \
            _E.minimum(cur, updates[i]) if reduction == "min" else cur * updates[i]
        out = _E.clone(out)
        out[key] = new
    return out


def custom_gradient(f):
    """Decorate ``f(*args) -> (y, grad_fn)`` so that ``grad_fn(*upstream)`` (or ``grad_fn(*upstream, upstream=)``)
    gives the gradients of the tensor inputs, as ``keras.ops.custom_gradient`` does."""
    def wrapped(*args, **kwargs):
        tensors = [a for a in args if isinstance(a, Tensor)]
        holder = {}

        class _Custom(Function):
            @staticmethod
            def forward(ctx, *inputs):
                with grad_mode.no_grad():
                    call = list(args)
                    k = 0
                    for j, a in enumerate(call):
                        if isinstance(a, Tensor):
                            call[j] = inputs[k].detach()
                            k += 1
                    y, grad_fn = f(*call, **kwargs)
                holder["grad_fn"] = grad_fn
                return y

            @staticmethod
            def backward(ctx, *upstream):
                fn = holder["grad_fn"]
                try:
                    grads = fn(*upstream)
                except TypeError:
                    grads = fn(*upstream, upstream=upstream[0] if len(upstream) == 1 else upstream)
                grads = grads if isinstance(grads, (list, tuple)) else (grads,)
                return tuple(None if g is None else convert_to_tensor(g) for g in grads)
        return _Custom.apply(*tensors)
    return wrapped
