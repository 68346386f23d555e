"""ONNX ops that move data without computing on it: reshape, transpose, concat, split, slice,
squeeze, pad, tile, expand, and the constants and shapes that feed them.

Opset differences handled here: ``Split``/``Squeeze``/``Unsqueeze`` take their axes as an
attribute before opset 13 (an input after), ``Slice`` its starts/ends before opset 10, ``Pad`` its
pads before opset 11.
"""
import numpy as np

import ember
import ember.nn.functional as F

from . import register, arr, tensor, ints, axis_of


@register("Constant")
def constant(ctx, *_):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in ctx.attrs:
            v = ctx.attrs[key]
            if key == "value":
                return tensor(np.asarray(v))
            dt = np.float32 if "float" in key else np.int64
            return tensor(np.asarray(v, dtype=dt))
    raise ctx.unsupported(f"attribute {sorted(ctx.attrs)}")


@register("ConstantOfShape")
def constant_of_shape(ctx, shape):
    value = ctx.attr("value")
    value = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)
    return tensor(np.full(ints(shape), value[0], dtype=value.dtype))


@register("Shape")
def shape_(ctx, x):
    dims = list(x.shape)
    start, end = ctx.attr("start", 0), ctx.attr("end", None)
    return tensor(np.asarray(dims[slice(start, end)], dtype=np.int64))


@register("Size")
def size(ctx, x):
    return tensor(np.asarray(int(np.prod(x.shape)), dtype=np.int64))


@register("Reshape")
def reshape(ctx, x, shape=None):
    target = ints(shape) if shape is not None else list(ctx.attr("shape"))
    if not ctx.attr("allowzero", 0):  # 0 copies the input's dimension
        target = [x.shape[i] if d == 0 else d for i, d in enumerate(target)]
    return x.reshape(*target) if target else x.reshape(())


@register("Flatten")
def flatten(ctx, x):
    axis = axis_of(ctx.attr("axis", 1), x.dim())
    lead = int(np.prod(x.shape[:axis]))
    return x.reshape(lead, -1) if x.numel() else x.reshape(lead, int(np.prod(x.shape[axis:])))


@register("Transpose")
def transpose(ctx, x):
    perm = ctx.attr("perm") or list(range(x.dim()))[::-1]
    return x.permute(*perm) if perm else x


@register("Concat")
def concat(ctx, *xs):
    xs = [x for x in xs if x is not None]
    axis = axis_of(ctx.attr("axis"), xs[0].dim())
    if all(x.dtype.is_floating_point for x in xs):
        return ember.cat(xs, dim=axis)
    return tensor(np.concatenate([arr(x) for x in xs], axis=axis))


def _axes_input(ctx, axes_in, attr="axes"):
    if axes_in is not None:
        return ints(axes_in)
    return ctx.attr(attr)


@register("Split")
def split(ctx, x, split_in=None):
    axis = axis_of(ctx.attr("axis", 0), x.dim())
    sizes = ints(split_in) if split_in is not None else ctx.attr("split")
    n = ctx.n_outputs
    if not sizes:
        dim = x.shape[axis]
        num = ctx.attr("num_outputs", n)
        chunk = -(-dim // num)  # ceil: the last chunk is the smaller one (opset 18)
        sizes = [min(chunk, dim - i * chunk) for i in range(num)]
    return tuple(ember.split(x, list(sizes), dim=axis))


@register("Squeeze")
def squeeze(ctx, x, axes=None):
    axes = _axes_input(ctx, axes)
    if axes is None:
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    axes = sorted(axis_of(a, x.dim()) for a in axes)
    shape = [d for i, d in enumerate(x.shape) if i not in axes]
    return x.reshape(*shape) if shape else x.reshape(())


@register("Unsqueeze")
def unsqueeze(ctx, x, axes=None):
    axes = _axes_input(ctx, axes)
    rank = x.dim() + len(axes)
    axes = sorted(axis_of(a, rank) for a in axes)
    shape, it = [], iter(x.shape)
    for i in range(rank):
        shape.append(1 if i in axes else next(it))
    return x.reshape(*shape)


def slice_axis(x, axis, start, end, step):
    """``x`` sliced along ``axis`` as Python's ``start:end:step`` (negative steps included)."""
    idx = range(*slice(start, end, step).indices(x.shape[axis]))
    if step > 0:
        key = [slice(None)] * x.dim()
        key[axis] = slice(idx.start, idx.stop, idx.step)
        return x[tuple(key)]
    return ember.index_select(x, axis, tensor(np.asarray(list(idx), dtype=np.int64)))


def _clamp_index(v, dim):
    # ONNX clamps starts/ends to int64 limits; Python slices accept any int
    return int(max(min(v, 2**62), -2**62))


@register("Slice")
def slice_(ctx, x, starts=None, ends=None, axes=None, steps=None):
    if ctx.opset < 10:
        starts, ends = ctx.attr("starts"), ctx.attr("ends")
        axes, steps = ctx.attr("axes"), None
    else:
        starts, ends = ints(starts), ints(ends)
        axes = ints(axes) if axes is not None else None
        steps = ints(steps) if steps is not None else None
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    out = x
    for a, s, e, st in zip(axes, starts, ends, steps):
        out = slice_axis(out, axis_of(a, x.dim()), _clamp_index(s, 0), _clamp_index(e, 0), st)
    return out


@register("Expand")
def expand(ctx, x, shape):
    target = ints(shape)
    shape_out = list(np.broadcast_shapes(tuple(x.shape), tuple(target)))
    if x.dtype.is_floating_point:
        return x.expand(*shape_out) if shape_out else x
    return tensor(np.broadcast_to(arr(x), shape_out).copy())


@register("Tile")
def tile(ctx, x, repeats):
    reps = ints(repeats)
    if x.dtype.is_floating_point:
        return x.repeat(*reps)
    return tensor(np.tile(arr(x), reps))


@register("Pad")
def pad(ctx, x, pads=None, value=None, axes=None):
    mode = ctx.attr("mode", "constant")
    if ctx.opset < 11:
        pads, cval = list(ctx.attr("pads")), ctx.attr("value", 0.0)
    else:
        pads = ints(pads)
        cval = 0 if value is None or value.numel() == 0 else arr(value).item()
    rank = x.dim()
    axes = list(range(rank)) if axes is None else [axis_of(a, rank) for a in ints(axes)]
    n = len(axes)
    before = dict(zip(axes, pads[:n]))
    after = dict(zip(axes, pads[n:]))
    if not x.dtype.is_floating_point:
        width = [(before.get(i, 0), after.get(i, 0)) for i in range(rank)]
        a = arr(x)
        if mode == "constant":
            return tensor(np.pad(a, width, constant_values=cval))
        return tensor(np.pad(a, width, mode={"reflect": "reflect", "edge": "edge",
                                              "wrap": "wrap"}[mode]))
    out = x
    # negative pads crop
    for i in range(rank):
        b, e = before.get(i, 0), after.get(i, 0)
        if b < 0 or e < 0:
            out = slice_axis(out, i, max(-b, 0), out.shape[i] - max(-e, 0), 1)
    spec = []
    for i in reversed(range(rank)):
        spec += [max(before.get(i, 0), 0), max(after.get(i, 0), 0)]
    if not any(spec):
        return out
    if mode == "constant":
        return F.pad(out, spec, mode="constant", value=cval)
    # ember's reflect/replicate/circular pad the trailing dims only, so move padded axes last
    padded = [i for i in range(rank) if before.get(i, 0) > 0 or after.get(i, 0) > 0]
    rest = [i for i in range(rank) if i not in padded]
    perm = rest + padded
    y = out.permute(*perm) if perm != list(range(rank)) else out
    lead = y.shape[:len(rest)]
    y = y.reshape(1, -1, *y.shape[len(rest):])
    spec = []
    for i in reversed(padded):
        spec += [max(before.get(i, 0), 0), max(after.get(i, 0), 0)]
    em_mode = {"reflect": "reflect", "edge": "replicate", "wrap": "circular"}[mode]
    y = F.pad(y, spec, mode=em_mode)
    y = y.reshape(*lead, *y.shape[2:])
    inv = list(np.argsort(perm))
    return y.permute(*inv) if perm != list(range(rank)) else y


@register("Dropout")
def dropout(ctx, x, ratio=None, training_mode=None):
    p = ctx.attr("ratio", 0.5) if ratio is None else float(arr(ratio).item())
    # without a training_mode input the node follows the module: model.train() turns dropout on
    train = bool(arr(training_mode).item()) if training_mode is not None else ctx.training
    if train and p > 0:
        seed = ctx.attr("seed")
        # a seeded node draws like ONNX's reference (NumPy's legacy generator), else from ember's
        u = np.random.RandomState(seed).uniform(0, 1.0, tuple(x.shape)) if seed is not None \
            else arr(ember.rand(*x.shape, dtype=ember.float64))
        keep = u >= p
        out = x * tensor(keep.astype(np.dtype(x.dtype.numpy))) * (1.0 / (1.0 - p))
        mask = tensor(keep)
    else:
        out, mask = x, tensor(np.ones(tuple(x.shape), dtype=bool))
    return (out, mask) if ctx.n_outputs > 1 else out


@register("Range")
def range_(ctx, start, limit, delta):
    s, l, d = (arr(v).reshape(-1)[0] for v in (start, limit, delta))
    n = max(int(np.ceil((l - s) / d)), 0)
    return tensor((s + np.arange(n) * d).astype(s.dtype))


@register("DepthToSpace")
def depth_to_space(ctx, x):
    b = ctx.attr("blocksize")
    n, c, h, w = x.shape
    if ctx.attr("mode", "DCR") == "DCR":
        y = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
    else:
        y = x.reshape(n, c // (b * b), b, b, h, w).permute(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // (b * b), h * b, w * b)


@register("SpaceToDepth")
def space_to_depth(ctx, x):
    b = ctx.attr("blocksize")
    n, c, h, w = x.shape
    if ctx.attr("mode", "DCR") == "CRD":
        y = x.reshape(n, c, h // b, b, w // b, b).permute(0, 1, 3, 5, 2, 4)
        return y.reshape(n, c * b * b, h // b, w // b)
    y = x.reshape(n, c, h // b, b, w // b, b).permute(0, 3, 5, 1, 2, 4)
    return y.reshape(n, c * b * b, h // b, w // b)


@register("Trilu")
def trilu(ctx, x, k=None):
    k = 0 if k is None else int(arr(k).item())
    upper = ctx.attr("upper", 1)
    if x.dtype.is_floating_point:
        return ember.triu(x, k) if upper else ember.tril(x, k)
    a = arr(x)
    return tensor(np.triu(a, k) if upper else np.tril(a, k))


@register("EyeLike")
def eye_like(ctx, x):
    from .elementwise import onnx_np_dtype
    dt = onnx_np_dtype(ctx, ctx.attr("dtype")) if "dtype" in ctx.attrs else arr(x).dtype
    return tensor(np.eye(x.shape[0], x.shape[1], k=ctx.attr("k", 0), dtype=dt))
