"""ONNX ops that select or place elements by index: Gather*, Scatter*, TopK, ArgMax, CumSum ...

Indices are computed in NumPy (ONNX allows negative ones; they count from the end); the data
itself is moved with ember's ``index_select``/``gather``/``scatter`` so gradients reach it.
"""
import numpy as np

import ember

from . import register, arr, tensor, is_float, axis_of


def _norm_index(idx, dim):
    idx = np.asarray(idx).astype(np.int64)
    return np.where(idx < 0, idx + dim, idx)


@register("Gather")
def gather(ctx, x, indices):
    axis = axis_of(ctx.attr("axis", 0), x.dim())
    idx = _norm_index(arr(indices), x.shape[axis])
    shape = tuple(x.shape[:axis]) + idx.shape + tuple(x.shape[axis + 1:])
    if is_float(x):
        out = ember.index_select(x, axis, tensor(idx.reshape(-1)))
        return out.reshape(*shape) if shape else out.reshape(())
    return tensor(np.take(arr(x), idx, axis=axis))


@register("GatherElements")
def gather_elements(ctx, x, indices):
    axis = axis_of(ctx.attr("axis", 0), x.dim())
    idx = _norm_index(arr(indices), x.shape[axis])
    if is_float(x):
        return ember.gather(x, axis, tensor(idx))
    return tensor(np.take_along_axis(arr(x), idx, axis=axis))


def _nd_linear(data_shape, idx, batch_dims):
    """Row numbers into data reshaped to (prod(data_shape[:b+m]), *rest) for GatherND/ScatterND."""
    m = idx.shape[-1]
    lead = data_shape[:batch_dims + m]
    idx = np.where(idx < 0, idx + np.asarray(data_shape[batch_dims:batch_dims + m]), idx)
    batch_shape = idx.shape[:batch_dims]
    grids = np.indices(batch_shape).reshape(batch_dims, *batch_shape) if batch_dims else []
    coords = []
    for d in range(batch_dims):
        g = grids[d].reshape(batch_shape + (1,) * (idx.ndim - 1 - batch_dims))
        coords.append(np.broadcast_to(g, idx.shape[:-1]))
    coords += [idx[..., j] for j in range(m)]
    return np.ravel_multi_index(tuple(coords), lead) if lead else np.zeros(idx.shape[:-1], np.int64)


@register("GatherND")
def gather_nd(ctx, x, indices):
    b = ctx.attr("batch_dims", 0)
    idx = arr(indices).astype(np.int64)
    m = idx.shape[-1]
    rest = tuple(x.shape[b + m:])
    rows = _nd_linear(tuple(x.shape), idx, b)
    flat = x.reshape(-1, *rest) if rest else x.reshape(-1)
    out_shape = idx.shape[:-1] + rest
    if is_float(x):
        out = ember.index_select(flat, 0, tensor(rows.reshape(-1)))
        return out.reshape(*out_shape) if out_shape else out.reshape(())
    return tensor(arr(flat)[rows.reshape(-1)].reshape(out_shape))


_NP_REDUCE = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}


@register("ScatterElements", "Scatter")
def scatter_elements(ctx, x, indices, updates):
    axis = axis_of(ctx.attr("axis", 0), x.dim())
    red = ctx.attr("reduction", "none")
    idx = _norm_index(arr(indices), x.shape[axis])
    if is_float(x) and red in ("none", "add"):
        fn = ember.scatter if red == "none" else ember.scatter_add
        return fn(x, axis, tensor(idx), updates)
    out = arr(x).copy()
    u = arr(updates)
    full = list(np.indices(idx.shape))
    full[axis] = idx
    if red == "none":
        out[tuple(full)] = u
    else:
        _NP_REDUCE[red].at(out, tuple(full), u)
    return tensor(out)


@register("ScatterND")
def scatter_nd(ctx, x, indices, updates):
    red = ctx.attr("reduction", "none")
    idx = arr(indices).astype(np.int64)
    m = idx.shape[-1]
    rest = tuple(x.shape[m:])
    rows = _nd_linear(tuple(x.shape), idx, 0).reshape(-1)
    out = arr(x).copy().reshape((-1,) + rest)
    u = arr(updates).reshape((-1,) + rest)
    if red == "none":
        out[rows] = u
    else:
        _NP_REDUCE[red].at(out, rows, u)
    return tensor(out.reshape(tuple(x.shape)))


@register("OneHot")
def one_hot(ctx, indices, depth, values):
    d = int(arr(depth).reshape(-1)[0])
    idx = arr(indices).astype(np.int64)
    idx = np.where(idx < 0, idx + d, idx)
    off, on = arr(values).reshape(-1)
    axis = axis_of(ctx.attr("axis", -1), idx.ndim + 1)
    hot = np.moveaxis(idx[..., None] == np.arange(d), -1, axis)
    return tensor(np.where(hot, on, off).astype(arr(values).dtype))


@register("NonZero")
def non_zero(ctx, x):
    return tensor(np.asarray(np.nonzero(arr(x)), dtype=np.int64).reshape(arr(x).ndim, -1))


@register("TopK")
def top_k(ctx, x, k):
    kk = int(arr(k).reshape(-1)[0]) if k is not None else ctx.attr("k")
    axis = axis_of(ctx.attr("axis", -1), x.dim())
    a = arr(x)
    key = -a if ctx.attr("largest", 1) else a
    if a.dtype.kind == "u" and ctx.attr("largest", 1):
        key = -a.astype(np.int64)
    # ONNX: among equal values the lower index comes first, hence the stable sort
    order = np.argsort(key, axis=axis, kind="stable")
    idx = np.take(order, np.arange(kk), axis=axis)
    values = ember.gather(x, axis, tensor(idx)) if is_float(x) else tensor(np.take_along_axis(a, idx, axis))
    return values, tensor(idx.astype(np.int64))


def _arg(np_fn):
    def op(ctx, x):
        a = arr(x)
        axis = axis_of(ctx.attr("axis", 0), a.ndim)
        if ctx.attr("select_last_index", 0):
            flipped = np.flip(a, axis)
            out = a.shape[axis] - 1 - np_fn(flipped, axis=axis)
        else:
            out = np_fn(a, axis=axis)
        if ctx.attr("keepdims", 1):
            out = np.expand_dims(out, axis)
        return tensor(out.astype(np.int64))
    return op


register("ArgMax")(_arg(np.argmax))
register("ArgMin")(_arg(np.argmin))


def _cumulative(em_fn, np_fn, identity):
    def op(ctx, x, axis):
        ax = axis_of(int(arr(axis).reshape(-1)[0]), x.dim())
        rev, excl = ctx.attr("reverse", 0), ctx.attr("exclusive", 0)
        if is_float(x):
            y = ember.flip(x, [ax]) if rev else x
            if excl:  # shift by one along the axis, filling with the identity
                n = y.shape[ax]
                fill = ember.full_like(ember.narrow(y, ax, 0, 1), identity)
                y = ember.cat([fill, ember.narrow(y, ax, 0, n - 1)], dim=ax) if n > 1 else fill
            y = em_fn(y, dim=ax)
            return ember.flip(y, [ax]) if rev else y
        a = arr(x)
        y = np.flip(a, ax) if rev else a
        if excl:
            pad = [(0, 0)] * a.ndim
            pad[ax] = (1, 0)
            y = np.take(np.pad(y, pad, constant_values=identity), np.arange(a.shape[ax]), axis=ax)
        y = np_fn(y, axis=ax).astype(a.dtype)
        return tensor(np.flip(y, ax) if rev else y)
    return op


register("CumSum")(_cumulative(ember.cumsum, np.cumsum, 0))
register("CumProd")(_cumulative(ember.cumprod, np.cumprod, 1))


@register("Compress")
def compress(ctx, x, condition):
    cond = arr(condition).astype(bool)
    axis = ctx.attr("axis")
    if axis is None:
        flat = x.reshape(-1)
        keep = np.nonzero(cond)[0]
        return ember.index_select(flat, 0, tensor(keep)) if is_float(x) else tensor(arr(flat)[keep])
    ax = axis_of(axis, x.dim())
    keep = np.nonzero(cond[:x.shape[ax]])[0]
    return ember.index_select(x, ax, tensor(keep)) if is_float(x) else tensor(np.take(arr(x), keep, ax))


@register("ReverseSequence")
def reverse_sequence(ctx, x, sequence_lens):
    b_ax, t_ax = ctx.attr("batch_axis", 1), ctx.attr("time_axis", 0)
    a = arr(x)
    lens = arr(sequence_lens)
    idx = np.indices(a.shape)
    t = idx[t_ax]
    L = np.expand_dims(lens, [i for i in range(a.ndim) if i != b_ax]).astype(np.int64)
    L = np.broadcast_to(L.reshape([a.shape[b_ax] if i == b_ax else 1 for i in range(a.ndim)]), a.shape)
    src = np.where(t < L, L - 1 - t, t)
    idx[t_ax] = src
    if is_float(x):
        return ember.gather(x, t_ax, tensor(src))
    return tensor(a[tuple(idx)])





@register("Unique")
def unique(ctx, x):
    a = arr(x)
    axis = ctx.attr("axis")
    ax = None if axis is None else (axis + a.ndim if axis < 0 else axis)
    y, first, inverse, counts = np.unique(a, return_index=True, return_inverse=True,
                                          return_counts=True, axis=ax)
    if not ctx.attr("sorted", 1):  # order of first occurrence instead
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        y = np.take(y, order, axis=0 if ax is None else ax)
        first, counts, inverse = first[order], counts[order], rank[inverse.reshape(-1)]
    return (tensor(y), tensor(first.astype(np.int64)), tensor(inverse.reshape(-1).astype(np.int64)),
            tensor(counts.astype(np.int64)))
