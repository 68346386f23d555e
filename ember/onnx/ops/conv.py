"""ONNX convolutions, matrix products and pooling: Conv, ConvTranspose, Gemm, MatMul, Einsum,
MaxPool, AveragePool, LpPool and the Global* pools.

Padding follows ONNX: ``pads`` lists all begins then all ends (they may differ), or ``auto_pad``
picks SAME_UPPER/SAME_LOWER (output = ceil(input / stride), the odd pixel at the end or the start)
or VALID. Pools are computed as a reduction over the kernel's strided views of the padded input,
which covers dilation, asymmetric pads and ``ceil_mode`` in any rank with one code path and keeps
the result differentiable.
"""
import itertools

import numpy as np

import ember
import ember.nn.functional as F

from . import register, arr, tensor, is_float


def _spatial_attrs(ctx, x, kernel):
    nd = len(kernel)
    strides = list(ctx.attr("strides") or [1] * nd)
    dil = list(ctx.attr("dilations") or [1] * nd)
    return strides, dil


def _pads(ctx, in_sizes, kernel, strides, dil, ceil_mode=False):
    """(begin, end) pads per spatial dim and the output size, as ONNX defines them."""
    nd = len(kernel)
    auto = ctx.attr("auto_pad", "NOTSET")
    eff = [(k - 1) * d + 1 for k, d in zip(kernel, dil)]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-i // s) for i, s in zip(in_sizes, strides)]
        total = [max((o - 1) * s + e - i, 0) for o, s, e, i in zip(out, strides, eff, in_sizes)]
        if auto == "SAME_UPPER":
            begin = [t // 2 for t in total]
        else:
            begin = [t - t // 2 for t in total]
        end = [t - b for t, b in zip(total, begin)]
        return begin, end, out
    if auto == "VALID":
        begin = end = [0] * nd
    else:
        pads = list(ctx.attr("pads") or [0] * (2 * nd))
        begin, end = pads[:nd], pads[nd:]
    out = []
    for i, b, e, k, s in zip(in_sizes, begin, end, eff, strides):
        span = i + b + e - k
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= i + b:  # the last window must start inside input or begin pad
            o -= 1
        out.append(o)
    return begin, end, out


def _pad_spatial(x, begin, end, value=0.0):
    if not any(begin) and not any(end):
        return x
    if any(p < 0 for p in list(begin) + list(end)):
        from .shape import slice_axis
        for i, (b, e) in enumerate(zip(begin, end)):
            ax = 2 + i
            if b < 0 or e < 0:
                x = slice_axis(x, ax, max(-b, 0), x.shape[ax] - max(-e, 0), 1)
        begin = [max(b, 0) for b in begin]
        end = [max(e, 0) for e in end]
    spec = []
    for b, e in zip(reversed(begin), reversed(end)):
        spec += [b, e]
    return F.pad(x, spec, mode="constant", value=value)


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


@register("Conv")
def conv(ctx, x, w, b=None):
    kernel = list(ctx.attr("kernel_shape") or w.shape[2:])
    nd = len(kernel)
    if nd not in _CONV:
        raise ctx.unsupported(f"{nd}-D convolution")
    strides, dil = _spatial_attrs(ctx, x, kernel)
    begin, end, _ = _pads(ctx, list(x.shape[2:]), kernel, strides, dil)
    groups = ctx.attr("group", 1)
    if begin == end:
        return _CONV[nd](x, w, b, stride=strides, padding=begin, dilation=dil, groups=groups)
    return _CONV[nd](_pad_spatial(x, begin, end), w, b, stride=strides, padding=0,
                     dilation=dil, groups=groups)


@register("ConvTranspose")
def conv_transpose(ctx, x, w, b=None):
    kernel = list(ctx.attr("kernel_shape") or w.shape[2:])
    nd = len(kernel)
    if nd not in _CONV_T:
        raise ctx.unsupported(f"{nd}-D transposed convolution")
    strides, dil = _spatial_attrs(ctx, x, kernel)
    groups = ctx.attr("group", 1)
    out_pad = list(ctx.attr("output_padding") or [0] * nd)
    in_sizes = list(x.shape[2:])
    full = [s * (i - 1) + (k - 1) * d + 1 for s, i, k, d in zip(strides, in_sizes, kernel, dil)]
    out_shape = ctx.attr("output_shape")
    auto = ctx.attr("auto_pad", "NOTSET")
    if out_shape is not None or auto in ("SAME_UPPER", "SAME_LOWER"):
        if out_shape is None:
            out_shape = [i * s for i, s in zip(in_sizes, strides)]
        out_shape = list(out_shape)[-nd:]
        total = [f + op - o for f, op, o in zip(full, out_pad, out_shape)]
        # C's truncating division: a negative total (output larger than the full result) grows the end
        if auto == "SAME_LOWER":
            begin = [t - int(t / 2) for t in total]
        else:
            begin = [int(t / 2) for t in total]
        end = [t - bb for t, bb in zip(total, begin)]
    elif auto == "VALID":
        begin = end = [0] * nd
    else:
        pads = list(ctx.attr("pads") or [0] * (2 * nd))
        begin, end = pads[:nd], pads[nd:]
    y = _CONV_T[nd](x, w, None, stride=strides, padding=0, output_padding=0, groups=groups,
                    dilation=dil)
    # output_padding appends rows that only the bias reaches; pads then crop both ends
    y = _pad_spatial(y, [-bb for bb in begin], [op - e for op, e in zip(out_pad, end)])
    if b is not None:
        y = y + b.reshape(1, -1, *([1] * nd))
    return y


@register("Gemm")
def gemm(ctx, a, b, c=None):
    if ctx.attr("transA", 0):
        a = a.transpose(0, 1)
    if ctx.attr("transB", 0):
        b = b.transpose(0, 1)
    if not is_float(a):
        y = arr(a) @ arr(b) * ctx.attr("alpha", 1.0)
        if c is not None:
            y = y + ctx.attr("beta", 1.0) * arr(c)
        return tensor(y.astype(arr(a).dtype))
    alpha, beta = ctx.attr("alpha", 1.0), ctx.attr("beta", 1.0)
    y = ember.matmul(a, b)
    if alpha != 1.0:
        y = y * alpha
    if c is not None:
        y = y + (c * beta if beta != 1.0 else c)
    return y


@register("MatMul")
def matmul(ctx, a, b):
    if is_float(a):
        return ember.matmul(a, b)
    return tensor(np.matmul(arr(a), arr(b)))


@register("MatMulInteger")
def matmul_integer(ctx, a, b, a_zero=None, b_zero=None):
    x = arr(a).astype(np.int32)
    y = arr(b).astype(np.int32)
    if a_zero is not None:
        az = arr(a_zero).astype(np.int32)
        x = x - (az.reshape(-1, 1) if az.ndim == 1 and az.size > 1 else az)
    if b_zero is not None:
        y = y - arr(b_zero).astype(np.int32)
    return tensor(np.matmul(x, y).astype(np.int32))


@register("Det")
def det(ctx, x):
    return ember.det(x)


@register("Einsum")
def einsum(ctx, *xs):
    eq = ctx.attr("equation").replace(" ", "")
    if all(is_float(x) for x in xs):
        if xs[0].dtype.name == "bfloat16":  # NumPy's einsum refuses ml_dtypes' bfloat16
            return ember.einsum(eq, *[x.to(ember.float32) for x in xs]).to(xs[0].dtype)
        return ember.einsum(eq, *xs)
    return tensor(np.einsum(eq, *[arr(x) for x in xs]))


def _windows(x, kernel, strides, dil, out):
    """Every kernel offset's strided view of the (already padded) input: shape (N, C, *out)."""
    nd = len(kernel)
    for offs in itertools.product(*[range(k) for k in kernel]):
        key = [slice(None), slice(None)]
        for i in range(nd):
            start = offs[i] * dil[i]
            key.append(slice(start, start + (out[i] - 1) * strides[i] + 1, strides[i]))
        yield offs, x[tuple(key)]


def _pool_geometry(ctx, x):
    kernel = list(ctx.attr("kernel_shape"))
    strides = list(ctx.attr("strides") or [1] * len(kernel))
    dil = list(ctx.attr("dilations") or [1] * len(kernel))
    ceil_mode = bool(ctx.attr("ceil_mode", 0))
    in_sizes = list(x.shape[2:])
    begin, end, out = _pads(ctx, in_sizes, kernel, strides, dil, ceil_mode)
    # pad the end further so the last (ceil-mode) window fits
    need = [(o - 1) * s + (k - 1) * d + 1 for o, s, k, d in zip(out, strides, kernel, dil)]
    extra = [max(n - (i + b + e), 0) for n, i, b, e in zip(need, in_sizes, begin, end)]
    return kernel, strides, dil, begin, end, extra, out


@register("MaxPool")
def max_pool(ctx, x):
    kernel, strides, dil, begin, end, extra, out = _pool_geometry(ctx, x)
    if not is_float(x):
        lo = np.iinfo(arr(x).dtype).min
        xp = tensor(np.pad(arr(x), [(0, 0), (0, 0)] + [(b, e + ex) for b, e, ex in zip(begin, end, extra)],
                           constant_values=lo))
    else:
        xp = _pad_spatial(x, begin, [e + ex for e, ex in zip(end, extra)], value=-np.inf)
    want_indices = ctx.n_outputs > 1 and ctx.node.output[1]
    if is_float(x) and not want_indices and len(kernel) in _MAX_POOL:
        # the padding is explicit already, so ember's pooling runs unpadded in floor mode
        y = _MAX_POOL[len(kernel)](xp, kernel, stride=strides, padding=0, dilation=dil)
        key = (slice(None), slice(None)) + tuple(slice(0, o) for o in out)
        return y[key]
    views = list(_windows(xp, kernel, strides, dil, out))
    if not is_float(x):
        y = tensor(np.max(np.stack([arr(v) for _, v in views]), axis=0))
    else:
        y = views[0][1]
        for _, v in views[1:]:
            y = ember.maximum(y, v)
    if not want_indices:
        return y
    # Indices: flat positions in the unpadded input (row-major, or column-major spatially)
    stack = np.stack([arr(v) for _, v in views])
    best = np.argmax(stack, axis=0)
    in_sizes = list(x.shape[2:])
    coords = []
    for i in range(len(kernel)):
        o_idx = np.arange(out[i]).reshape([1, 1] + [-1 if j == i else 1 for j in range(len(kernel))])
        offs_i = np.asarray([offs[i] for offs, _ in views])[best]
        coords.append(o_idx * strides[i] + offs_i * dil[i] - begin[i])
    n, c = x.shape[0], x.shape[1]
    plane = int(np.prod(in_sizes))
    if ctx.attr("storage_order", 0):
        flat, mul = 0, 1
        for i in range(len(kernel)):
            flat = flat + coords[i] * mul
            mul *= in_sizes[i]
    else:
        flat = 0
        for i in range(len(kernel)):
            flat = flat * in_sizes[i] + coords[i]
    base = (np.arange(n).reshape(-1, 1) * c + np.arange(c).reshape(1, -1)) * plane
    flat = flat + base.reshape(n, c, *([1] * len(kernel)))
    return y, tensor(flat.astype(np.int64))


@register("AveragePool")
def average_pool(ctx, x):
    kernel, strides, dil, begin, end, extra, out = _pool_geometry(ctx, x)
    xp = _pad_spatial(x, begin, [e + ex for e, ex in zip(end, extra)])
    total = None
    for _, v in _windows(xp, kernel, strides, dil, out):
        total = v if total is None else total + v
    # the divisor counts input cells (and explicit pads if count_include_pad), never ceil overflow
    mask_in = np.ones([1, 1] + list(x.shape[2:]), dtype=arr(x).dtype if is_float(x) else np.float64)
    if ctx.attr("count_include_pad", 0):
        mask_in = np.pad(mask_in, [(0, 0), (0, 0)] + [(b, e) for b, e in zip(begin, end)], constant_values=1)
        mask = np.pad(mask_in, [(0, 0), (0, 0)] + [(0, ex) for ex in extra])
    else:
        mask = np.pad(mask_in, [(0, 0), (0, 0)] + [(b, e + ex) for b, e, ex in zip(begin, end, extra)])
    count = sum(arr(v) for _, v in _windows(tensor(mask), kernel, strides, dil, out))
    return total / tensor(count.astype(arr(x).dtype))


@register("LpPool")
def lp_pool(ctx, x):
    p = ctx.attr("p", 2)
    kernel, strides, dil, begin, end, extra, out = _pool_geometry(ctx, x)
    xp = _pad_spatial(x, begin, [e + ex for e, ex in zip(end, extra)])
    total = None
    for _, v in _windows(xp, kernel, strides, dil, out):
        t = ember.abs(v) ** p
        total = t if total is None else total + t
    return total ** (1.0 / p)


@register("GlobalAveragePool")
def global_average_pool(ctx, x):
    return x.mean(dim=tuple(range(2, x.dim())), keepdim=True)


@register("GlobalMaxPool")
def global_max_pool(ctx, x):
    return ember.amax(x, dim=tuple(range(2, x.dim())), keepdim=True)


@register("GlobalLpPool")
def global_lp_pool(ctx, x):
    p = ctx.attr("p", 2)
    return (ember.abs(x) ** p).sum(dim=tuple(range(2, x.dim())), keepdim=True) ** (1.0 / p)


@register("CausalConvWithState")
def causal_conv_with_state(ctx, x, w, b=None, past_state=None):
    """Depthwise causal 1-D convolution (x: B, C, L; w: C, 1, k) that carries its last k-1 inputs:
    the input is prefixed with ``past_state`` (zeros if absent), and those trailing k-1 columns of
    the prefixed input are the new state; ``activation`` silu/swish multiplies by sigmoid."""
    c, k = x.shape[1], w.shape[2]
    prefix = past_state if past_state is not None else ember.zeros(x.shape[0], c, k - 1, dtype=x.dtype)
    padded = ember.cat([prefix, x], dim=2)
    y = F.conv1d(padded, w, b, groups=c)
    if ctx.attr("activation", "none") in ("silu", "swish"):
        y = y * ember.sigmoid(y)
    return y, padded[:, :, padded.shape[2] - (k - 1):]
