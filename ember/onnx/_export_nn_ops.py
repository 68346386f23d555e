"""ONNX converters for ``ember.nn.functional``: activations, linear, convolution, pooling,
normalization, embedding, dropout, resizing, padding and attention.

They join ``_export_ops.OPS`` (same conventions: ``convert(t, out, *op_args)``). Inference
forms only: dropout is the identity when not training, batch norm uses the running statistics
when given them in eval mode.
"""
import math

import numpy as np

from ..autograd.tensor import Tensor
from ._export_ops import OPS, emit, op, operand, shape_dims


def _tuple(v, n):
    if isinstance(v, (tuple, list)):
        return [int(x) for x in v]
    return [int(v)] * n


# -- activations -----------------------------------------------------------------------------------------
def _x(t, x, out):
    return operand(t, x, out._data.dtype)


def _c(t, out, v):
    return t.g.const(np.asarray(v, out._data.dtype))


@op("relu6")
def _relu6(t, out, x, inplace=False):
    emit(t, out, "Clip", [_x(t, x, out), _c(t, out, 0), _c(t, out, 6)])


@op("hardtanh", "hardtanh_")
def _hardtanh(t, out, x, min_val=-1.0, max_val=1.0, inplace=False):
    emit(t, out, "Clip", [_x(t, x, out), _c(t, out, min_val), _c(t, out, max_val)])


@op("leaky_relu", "leaky_relu_")
def _leaky_relu(t, out, x, negative_slope=0.01, inplace=False):
    emit(t, out, "LeakyRelu", [_x(t, x, out)], alpha=float(negative_slope))


@op("elu", "elu_")
def _elu(t, out, x, alpha=1.0, inplace=False):
    emit(t, out, "Elu", [_x(t, x, out)], alpha=float(alpha))


@op("selu", "selu_")
def _selu(t, out, x, inplace=False):
    emit(t, out, "Selu", [_x(t, x, out)], alpha=1.6732632423543772, gamma=1.0507009873554805)


@op("celu", "celu_")
def _celu(t, out, x, alpha=1.0, inplace=False):
    emit(t, out, "Celu", [_x(t, x, out)], alpha=float(alpha))


@op("gelu")
def _gelu(t, out, x, approximate="none"):
    dt = out._data.dtype
    v = _x(t, x, out)
    g = t.g
    if approximate == "tanh":
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        x3 = g.node("Mul", [g.node("Mul", [v, v], dtype=dt), v], dtype=dt)
        inner = g.node("Add", [v, g.node("Mul", [x3, _c(t, out, 0.044715)], dtype=dt)], dtype=dt)
        th = g.node("Tanh", [g.node("Mul", [inner, _c(t, out, math.sqrt(2 / math.pi))], dtype=dt)], dtype=dt)
    else:
        th = g.node("Erf", [g.node("Div", [v, _c(t, out, math.sqrt(2.0))], dtype=dt)], dtype=dt)
    one = g.node("Add", [th, _c(t, out, 1.0)], dtype=dt)
    emit(t, out, "Mul", [g.node("Mul", [v, _c(t, out, 0.5)], dtype=dt), one])


@op("silu", "silu_")
def _silu(t, out, x, inplace=False):
    v = _x(t, x, out)
    emit(t, out, "Mul", [v, t.g.node("Sigmoid", [v], dtype=out._data.dtype)])


@op("mish")
def _mish(t, out, x, inplace=False):
    dt = out._data.dtype
    v = _x(t, x, out)
    emit(t, out, "Mul", [v, t.g.node("Tanh", [t.g.node("Softplus", [v], dtype=dt)], dtype=dt)])


@op("hardsigmoid")
def _hardsigmoid(t, out, x, inplace=False):
    emit(t, out, "HardSigmoid", [_x(t, x, out)], alpha=1.0 / 6, beta=0.5)


@op("hardswish")
def _hardswish(t, out, x, inplace=False):
    v = _x(t, x, out)
    if t.g.opset >= 14:
        return emit(t, out, "HardSwish", [v])
    emit(t, out, "Mul", [v, t.g.node("HardSigmoid", [v], alpha=1.0 / 6, beta=0.5, dtype=out._data.dtype)])


@op("softplus")
def _softplus(t, out, x, beta=1.0, threshold=20.0):
    dt = out._data.dtype
    g = t.g
    v = _x(t, x, out)
    bx = g.node("Mul", [v, _c(t, out, beta)], dtype=dt) if beta != 1 else v
    sp = g.node("Softplus", [bx], dtype=dt)
    if beta != 1:
        sp = g.node("Div", [sp, _c(t, out, beta)], dtype=dt)
    # Above the threshold softplus is the identity (as torch computes it).
    emit(t, out, "Where", [g.node("Greater", [bx, _c(t, out, threshold)], dtype=np.bool_), v, sp])


@op("logsigmoid")
def _logsigmoid(t, out, x):
    dt = out._data.dtype
    v = _x(t, x, out)
    emit(t, out, "Neg", [t.g.node("Softplus", [t.g.node("Neg", [v], dtype=dt)], dtype=dt)])


@op("tanhshrink")
def _tanhshrink(t, out, x):
    v = _x(t, x, out)
    emit(t, out, "Sub", [v, t.g.node("Tanh", [v], dtype=out._data.dtype)])


@op("softshrink")
def _softshrink(t, out, x, lambd=0.5):
    emit(t, out, "Shrink", [_x(t, x, out)], lambd=float(lambd), bias=float(lambd))


@op("hardshrink")
def _hardshrink(t, out, x, lambd=0.5):
    emit(t, out, "Shrink", [_x(t, x, out)], lambd=float(lambd), bias=0.0)


@op("threshold", "threshold_")
def _threshold(t, out, x, threshold, value, inplace=False):
    v = _x(t, x, out)
    emit(t, out, "Where", [t.g.node("Greater", [v, _c(t, out, threshold)], dtype=np.bool_), v, _c(t, out, value)])


@op("glu")
def _glu(t, out, x, dim=-1):
    d = dim % x._data.ndim
    h = x._data.shape[d] // 2
    a, b = t.g.split(t.name(x), [h, h], d)
    emit(t, out, "Mul", [a, t.g.node("Sigmoid", [b], dtype=out._data.dtype)])


@op("prelu")
def _prelu(t, out, x, weight):
    w = t.name(weight)
    nd = x._data.ndim
    if weight._data.size > 1 and nd > 2:
        w = t.g.unsqueeze(w, list(range(1, nd - 1)))
    emit(t, out, "PRelu", [_x(t, x, out), w])


@op("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "dropout_")
def _dropout(t, out, x, p=0.5, training=True, inplace=False):
    if training and p > 0:
        raise NotImplementedError("in training mode: export with training=TrainingMode.EVAL (the default)")
    if out is x:
        return
    t.set(out, t.g.node("Identity", [t.name(x)], dtype=out._data.dtype))


# -- linear ----------------------------------------------------------------------------------------------
@op("linear")
def _linear(t, out, x, weight, bias=None):
    dt = out._data.dtype
    g = t.g
    if x._data.ndim == 2:
        ins = [_x(t, x, out), operand(t, weight, dt)] + ([operand(t, bias, dt)] if bias is not None else [])
        if weight._data.ndim == 2:
            return emit(t, out, "Gemm", ins, transB=1)
    wt = g.node("Transpose", [operand(t, weight, dt)], perm=[1, 0], dtype=dt) if weight._data.ndim == 2 \
        else operand(t, weight, dt)
    y = g.node("MatMul", [_x(t, x, out), wt], dtype=dt)
    if bias is None:
        return t.set(out, y)
    emit(t, out, "Add", [y, operand(t, bias, dt)])


@op("bilinear")
def _bilinear(t, out, x1, x2, weight, bias=None):
    # y_k = x1 W_k x2 + b_k  ==  einsum('bi,kij,bj->bk')
    dt = out._data.dtype
    y = t.g.node("Einsum", [_x(t, x1, out), operand(t, weight, dt), _x(t, x2, out)], equation="...i,kij,...j->...k",
                 dtype=dt)
    if bias is None:
        return t.set(out, y)
    emit(t, out, "Add", [y, operand(t, bias, dt)])


# -- convolution -------------------------------------------------------------------------------------------
def _conv(n):
    def convert(t, out, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        dt = out._data.dtype
        k = list(weight._data.shape[2:])
        strides, dil = _tuple(stride, n), _tuple(dilation, n)
        if isinstance(padding, str):
            if padding == "valid":
                pads = [0] * (2 * n)
            else:
                total = [d * (kk - 1) for d, kk in zip(dil, k)]
                pads = [tt // 2 for tt in total] + [tt - tt // 2 for tt in total]
        else:
            p = _tuple(padding, n)
            pads = p + p
        ins = [_x(t, x, out), operand(t, weight, dt)] + ([operand(t, bias, dt)] if bias is not None else [])
        xv = ins[0]
        if x._data.ndim == n + 1:     # unbatched
            ins[0] = t.g.unsqueeze(xv, [0], dtype=dt)
            y = t.g.node("Conv", ins, kernel_shape=k, strides=strides, pads=pads, dilations=dil, group=int(groups),
                         dtype=dt)
            return t.set(out, t.g.squeeze(y, [0], dtype=dt))
        emit(t, out, "Conv", ins, kernel_shape=k, strides=strides, pads=pads, dilations=dil, group=int(groups))
    return convert


OPS["conv1d"], OPS["conv2d"], OPS["conv3d"] = _conv(1), _conv(2), _conv(3)


def _conv_transpose(n):
    def convert(t, out, x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        dt = out._data.dtype
        k = list(weight._data.shape[2:])
        p = _tuple(padding, n)
        ins = [_x(t, x, out), operand(t, weight, dt)] + ([operand(t, bias, dt)] if bias is not None else [])
        if x._data.ndim == n + 1:
            raise NotImplementedError("on an unbatched input")
        emit(t, out, "ConvTranspose", ins, kernel_shape=k, strides=_tuple(stride, n), pads=p + p,
             dilations=_tuple(dilation, n), group=int(groups), output_padding=_tuple(output_padding, n))
    return convert


OPS["conv_transpose1d"], OPS["conv_transpose2d"], OPS["conv_transpose3d"] = (_conv_transpose(1), _conv_transpose(2),
                                                                            _conv_transpose(3))


def _im2col_weight(c, kh, kw, dt):
    """The (C*kh*kw, C, kh, kw) 0/1 kernel whose convolution is im2col (rows ordered channel, row, column)."""
    w = np.zeros((c * kh * kw, c, kh, kw), dt)
    for ch in range(c):
        for i in range(kh):
            for j in range(kw):
                w[(ch * kh + i) * kw + j, ch, i, j] = 1
    return w


@op("unfold")
def _unfold(t, out, x, kernel_size, dilation=1, padding=0, stride=1):
    # im2col as a convolution with 0/1 kernels, then (N, C*kh*kw, Ho, Wo) -> (N, C*kh*kw, L).
    if x._data.ndim != 4:
        raise NotImplementedError("on an unbatched input")
    dt = out._data.dtype
    kh, kw = _tuple(kernel_size, 2)
    p = _tuple(padding, 2)
    w = t.g.const(_im2col_weight(x._data.shape[1], kh, kw, dt))
    y = t.g.node("Conv", [t.name(x), w], kernel_shape=[kh, kw], strides=_tuple(stride, 2), pads=p + p,
                 dilations=_tuple(dilation, 2), dtype=dt)
    emit(t, out, "Reshape", [y, t.g.ints([0, 0, -1])])


@op("fold")
def _fold(t, out, x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    # col2im: the transposed convolution of the same 0/1 kernels sums the overlapping blocks.
    if x._data.ndim != 3:
        raise NotImplementedError("on an unbatched input")
    dt = out._data.dtype
    kh, kw = _tuple(kernel_size, 2)
    (dh, dw), (ph, pw), (sh, sw) = _tuple(dilation, 2), _tuple(padding, 2), _tuple(stride, 2)
    H, W = _tuple(output_size, 2)
    ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    c = out._data.shape[1]
    y = t.g.node("Reshape", [t.name(x), t.g.ints([0, 0, ho, wo])], dtype=dt)
    w = t.g.const(_im2col_weight(c, kh, kw, dt))
    # output_shape pins the size the strided transposed convolution would otherwise round down.
    emit(t, out, "ConvTranspose", [y, w], kernel_shape=[kh, kw], strides=[sh, sw], pads=[ph, pw, ph, pw],
         dilations=[dh, dw], output_shape=[H, W])


# -- pooling --------------------------------------------------------------------------------------------------
def _batched(t, x, out, n, build):
    """Run ``build(value)`` on a batched value (adds and removes the batch axis of an unbatched input)."""
    dt = out._data.dtype
    v = t.name(x)
    if x._data.ndim == n + 1:
        y = build(t.g.unsqueeze(v, [0], dtype=dt))
        return t.set(out, t.g.squeeze(y, [0], dtype=dt))
    t.set(out, build(v))


def _max_pool(n):
    def convert(t, out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        if return_indices:
            raise NotImplementedError("with return_indices=True is not supported")
        k = _tuple(kernel_size, n)
        s = _tuple(stride, n) if stride not in (None, [], ()) else k
        p = _tuple(padding, n)
        _batched(t, x, out, n, lambda v: t.g.node("MaxPool", [v], kernel_shape=k, strides=s, pads=p + p,
                                                  dilations=_tuple(dilation, n), ceil_mode=int(bool(ceil_mode)),
                                                  dtype=out._data.dtype))
    return convert


OPS["max_pool1d"], OPS["max_pool2d"], OPS["max_pool3d"] = _max_pool(1), _max_pool(2), _max_pool(3)


def _avg_pool(n):
    def convert(t, out, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                divisor_override=None):
        if divisor_override is not None:
            raise NotImplementedError("with divisor_override is not supported")
        k = _tuple(kernel_size, n)
        s = _tuple(stride, n) if stride not in (None, [], ()) else k
        p = _tuple(padding, n)
        include = int(bool(count_include_pad))
        if ceil_mode:
            if any(p):
                raise NotImplementedError("with ceil_mode=True and padding is not supported (ONNX counts the "
                                          "padding of the last windows differently)")
            # Without padding torch divides a window running past the end by its elements inside the input.
            include = 0
        _batched(t, x, out, n, lambda v: t.g.node("AveragePool", [v], kernel_shape=k, strides=s, pads=p + p,
                                                  count_include_pad=include, ceil_mode=int(bool(ceil_mode)),
                                                  dtype=out._data.dtype))
    return convert


OPS["avg_pool1d"], OPS["avg_pool2d"], OPS["avg_pool3d"] = _avg_pool(1), _avg_pool(2), _avg_pool(3)


def _adaptive(n, kind):
    def convert(t, out, x, output_size, return_indices=False):
        if return_indices:
            raise NotImplementedError("with return_indices=True is not supported")
        ins = list(x._data.shape[-n:])
        outs = list(out._data.shape[-n:])
        dt = out._data.dtype
        if all(o == 1 for o in outs):
            return _batched(t, x, out, n, lambda v: t.g.node("Global" + kind + "Pool", [v], dtype=dt))
        if any(i % o for i, o in zip(ins, outs)):
            return _batched(t, x, out, n, lambda v: _adaptive_bins(t, v, ins, outs, kind, dt))
        k = [i // o for i, o in zip(ins, outs)]
        _batched(t, x, out, n, lambda v: t.g.node(kind + "Pool", [v], kernel_shape=k, strides=k, dtype=dt))
    return convert


def _adaptive_bins(t, v, ins, outs, kind, dt):
    """Adaptive pooling of uneven bins (``[floor(i * n / m), ceil((i + 1) * n / m))``), one spatial axis at a time:
    the mean (or max) over a box is the mean (max) along one axis of the means (maxima) along the others."""
    g = t.g
    op_ = "ReduceMean" if kind == "Average" else "ReduceMax"
    for a, (n_in, n_out) in enumerate(zip(ins, outs)):
        axis = 2 + a
        parts = []
        for i in range(n_out):
            lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
            parts.append(g.reduce(op_, g.slice(v, [lo], [hi], [axis]), [axis], True, dtype=dt))
        v = parts[0] if len(parts) == 1 else g.node("Concat", parts, axis=axis, dtype=dt)
    return v


for _n in (1, 2, 3):
    OPS[f"adaptive_avg_pool{_n}d"] = _adaptive(_n, "Average")
    OPS[f"adaptive_max_pool{_n}d"] = _adaptive(_n, "Max")


def _lp_pool(n):
    def convert(t, out, x, norm_type, kernel_size, stride=None, ceil_mode=False):
        k = _tuple(kernel_size, n)
        s = _tuple(stride, n) if stride is not None else k
        if ceil_mode:
            raise NotImplementedError("with ceil_mode=True is not supported")
        _batched(t, x, out, n, lambda v: t.g.node("LpPool", [v], kernel_shape=k, strides=s, p=int(norm_type),
                                                  dtype=out._data.dtype))
    return convert


OPS["lp_pool1d"], OPS["lp_pool2d"] = _lp_pool(1), _lp_pool(2)


# -- normalization --------------------------------------------------------------------------------------------
def _ones(t, n, dt):
    return t.g.const(np.ones(n, dt))


def _zeros(t, n, dt):
    return t.g.const(np.zeros(n, dt))


def _stats_norm(t, x, axes, eps, dt):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance)."""
    g = t.g
    v = t.name(x)
    m = g.reduce("ReduceMean", v, axes, True, dtype=dt)
    d = g.node("Sub", [v, m], dtype=dt)
    var = g.reduce("ReduceMean", g.node("Mul", [d, d], dtype=dt), axes, True, dtype=dt)
    return g.node("Div", [d, g.node("Sqrt", [g.node("Add", [var, g.const(np.asarray(eps, dt))], dtype=dt)],
                                    dtype=dt)], dtype=dt)


def _channel_affine(t, y, weight, bias, nd, dt):
    g = t.g
    axes = list(range(1, nd - 1))
    if weight is not None:
        w = operand(t, weight, dt)
        y = g.node("Mul", [y, g.unsqueeze(w, axes, dtype=dt) if axes else w], dtype=dt)
    if bias is not None:
        b = operand(t, bias, dt)
        y = g.node("Add", [y, g.unsqueeze(b, axes, dtype=dt) if axes else b], dtype=dt)
    return y


@op("batch_norm")
def _batch_norm(t, out, x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
                eps=1e-5):
    dt = out._data.dtype
    c = x._data.shape[1]
    if training or running_mean is None:
        axes = [0] + list(range(2, x._data.ndim))
        y = _stats_norm(t, x, axes, eps, dt)
        return t.set(out, _channel_affine(t, y, weight, bias, x._data.ndim, dt))
    ins = [t.name(x), operand(t, weight, dt) if weight is not None else _ones(t, c, dt),
           operand(t, bias, dt) if bias is not None else _zeros(t, c, dt),
           operand(t, running_mean, dt), operand(t, running_var, dt)]
    emit(t, out, "BatchNormalization", ins, epsilon=float(eps))


@op("instance_norm")
def _instance_norm(t, out, x, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                   momentum=0.1, eps=1e-5):
    dt = out._data.dtype
    c = x._data.shape[1]
    if not use_input_stats:
        return _batch_norm(t, out, x, running_mean, running_var, weight, bias, False, momentum, eps)
    ins = [t.name(x), operand(t, weight, dt) if weight is not None else _ones(t, c, dt),
           operand(t, bias, dt) if bias is not None else _zeros(t, c, dt)]
    emit(t, out, "InstanceNormalization", ins, epsilon=float(eps))


@op("layer_norm")
def _layer_norm(t, out, x, normalized_shape, weight=None, bias=None, eps=1e-5):
    dt = out._data.dtype
    k = len(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else 1
    shape = list(x._data.shape[-k:])
    if t.g.opset >= 17:
        ins = [t.name(x), operand(t, weight, dt) if weight is not None else t.g.const(np.ones(shape, dt))]
        if bias is not None:
            ins.append(operand(t, bias, dt))
        return emit(t, out, "LayerNormalization", ins, axis=-k, epsilon=float(eps))
    nd = x._data.ndim
    y = _stats_norm(t, x, list(range(nd - k, nd)), eps, dt)
    if weight is not None:
        y = t.g.node("Mul", [y, operand(t, weight, dt)], dtype=dt)
    if bias is not None:
        y = t.g.node("Add", [y, operand(t, bias, dt)], dtype=dt)
    t.set(out, y)


@op("rms_norm")
def _rms_norm(t, out, x, normalized_shape, weight=None, eps=None):
    dt = out._data.dtype
    g = t.g
    k = len(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else 1
    nd = x._data.ndim
    eps = float(np.finfo(dt).eps) if eps is None else eps
    v = t.name(x)
    ms = g.reduce("ReduceMean", g.node("Mul", [v, v], dtype=dt), list(range(nd - k, nd)), True, dtype=dt)
    y = g.node("Div", [v, g.node("Sqrt", [g.node("Add", [ms, g.const(np.asarray(eps, dt))], dtype=dt)], dtype=dt)],
               dtype=dt)
    if weight is not None:
        y = g.node("Mul", [y, operand(t, weight, dt)], dtype=dt)
    t.set(out, y)


@op("group_norm")
def _group_norm(t, out, x, num_groups, weight=None, bias=None, eps=1e-5):
    dt = out._data.dtype
    g = t.g
    dims = shape_dims(t, x)
    grouped = g.node("Reshape", [t.name(x), g.shape_vec([dims[0], int(num_groups), -1])], dtype=dt)
    m = g.reduce("ReduceMean", grouped, [2], True, dtype=dt)
    d = g.node("Sub", [grouped, m], dtype=dt)
    var = g.reduce("ReduceMean", g.node("Mul", [d, d], dtype=dt), [2], True, dtype=dt)
    y = g.node("Div", [d, g.node("Sqrt", [g.node("Add", [var, g.const(np.asarray(eps, dt))], dtype=dt)], dtype=dt)],
               dtype=dt)
    y = g.node("Reshape", [y, g.node("Shape", [t.name(x)], dtype=np.int64)], dtype=dt)
    t.set(out, _channel_affine(t, y, weight, bias, x._data.ndim, dt))


def lrn_sums(t, x, window, dt):
    """The windowed sums of squares ``sum_{c' in window(c)} x_c'^2`` for the 0/1 ``window`` matrix (C, C)."""
    g = t.g
    v = t.name(x)
    sq = g.node("Mul", [v, v], dtype=dt)
    s = g.node("Einsum", [g.const(window.astype(dt)), sq], equation="dc,nc...->nd...", dtype=dt)
    return s


@op("local_response_norm")
def _lrn(t, out, x, size, alpha=1e-4, beta=0.75, k=1.0):
    # torch's window for channel c: [c - size // 2, c + (size - 1) // 2], averaged over size channels.
    dt = out._data.dtype
    g = t.g
    C = x._data.shape[1]
    c = np.arange(C)
    window = ((c[None, :] >= c[:, None] - size // 2) & (c[None, :] <= c[:, None] + (size - 1) // 2)).astype(dt)
    s = lrn_sums(t, x, window, dt)
    scale = g.node("Add", [g.node("Mul", [s, g.const(np.asarray(alpha / size, dt))], dtype=dt),
                           g.const(np.asarray(k, dt))], dtype=dt)
    emit(t, out, "Div", [t.name(x), g.node("Pow", [scale, g.const(np.asarray(beta, dt))], dtype=dt)])


@op("normalize")
def _normalize(t, out, x, p=2.0, dim=1, eps=1e-12, out_=None):
    dt = out._data.dtype
    g = t.g
    op_ = {2: "ReduceL2", 1: "ReduceL1"}.get(p)
    if op_ is None:
        raise NotImplementedError(f"with p={p}")
    n = g.reduce(op_, t.name(x), [dim % x._data.ndim], True, dtype=dt)
    emit(t, out, "Div", [t.name(x), g.node("Max", [n, g.const(np.asarray(eps, dt))], dtype=dt)])


# -- embedding, resizing, padding -----------------------------------------------------------------------------
@op("embedding")
def _embedding(t, out, input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
               sparse=False):
    if max_norm is not None:
        raise NotImplementedError("with max_norm (renormalizes the weight in place) is not supported")
    emit(t, out, "Gather", [t.name(weight), operand(t, input, np.int64)], axis=0)


@op("embedding_bag")
def _embedding_bag(t, out, input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                   mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    if input._data.ndim != 2 or offsets is not None or per_sample_weights is not None or max_norm is not None \
            or padding_idx is not None:
        raise NotImplementedError("is exported for 2-D bags only (no offsets, per_sample_weights, max_norm, "
                                  "padding_idx)")
    rows = t.g.node("Gather", [t.name(weight), operand(t, input, np.int64)], axis=0, dtype=out._data.dtype)
    op_ = {"mean": "ReduceMean", "sum": "ReduceSum", "max": "ReduceMax"}[mode]
    t.set(out, t.g.reduce(op_, rows, [1], False, dtype=out._data.dtype))


@op("one_hot")
def _one_hot(t, out, x, num_classes=-1):
    if num_classes < 0:
        num_classes = out._data.shape[-1]
    emit(t, out, "OneHot", [operand(t, x, np.int64), t.g.const(np.asarray(num_classes, np.int64)),
                            t.g.const(np.asarray([0, 1], out._data.dtype))], axis=-1)


@op("interpolate", "upsample", "upsample_nearest", "upsample_bilinear")
def _interpolate(t, out, x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None, antialias=False):
    g = t.g
    dt = out._data.dtype
    nd = x._data.ndim - 2
    if mode == "area":
        return OPS[f"adaptive_avg_pool{nd}d"](t, out, x, size)
    if mode in ("nearest",):
        kw = dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    elif mode == "nearest-exact":
        kw = dict(mode="nearest", coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_ceil")
    else:
        kw = dict(mode="cubic" if mode == "bicubic" else "linear",
                  coordinate_transformation_mode="align_corners" if align_corners else "pytorch_half_pixel")
        if mode == "bicubic":
            kw["cubic_coeff_a"] = -0.75
    if scale_factor is not None and not recompute_scale_factor:
        sf = [float(s) for s in (scale_factor if isinstance(scale_factor, (tuple, list)) else [scale_factor] * nd)]
        scales = g.const(np.asarray([1.0, 1.0] + sf, np.float32))
        name = g.node("Resize", [t.name(x), "", scales], dtype=dt, **kw)
    else:
        dims = shape_dims(t, x)
        sizes = g.shape_vec(dims[:2] + list(out._data.shape[2:]))
        name = g.node("Resize", [t.name(x), "", "", sizes], dtype=dt, **kw)
    t.set(out, name)


@op("pixel_shuffle")
def _pixel_shuffle(t, out, x, upscale_factor):
    if x._data.ndim != 4:
        raise NotImplementedError("on a non-4-D input")
    emit(t, out, "DepthToSpace", [t.name(x)], blocksize=int(upscale_factor), mode="CRD")


@op("pixel_unshuffle")
def _pixel_unshuffle(t, out, x, downscale_factor):
    # (N, C, H*r, W*r) -> (N, C, H, r, W, r) -> (N, C, r, r, H, W) -> (N, C*r*r, H, W)
    r = int(downscale_factor)
    dt = out._data.dtype
    n, c, h, w = shape_dims(t, x)
    g = t.g
    y = g.node("Reshape", [t.name(x), g.shape_vec([n, c, h // r, r, w // r, r])], dtype=dt)
    y = g.node("Transpose", [y], perm=[0, 1, 3, 5, 2, 4], dtype=dt)
    emit(t, out, "Reshape", [y, g.shape_vec([n, c * r * r, h // r, w // r])])


@op("channel_shuffle", "native_channel_shuffle")
def _channel_shuffle(t, out, x, groups):
    dt = out._data.dtype
    dims = shape_dims(t, x)
    g = t.g
    c = dims[1]
    y = g.node("Reshape", [t.name(x), g.shape_vec([dims[0], int(groups), c // groups] + dims[2:])], dtype=dt)
    nd = len(dims) + 1
    y = g.node("Transpose", [y], perm=[0, 2, 1] + list(range(3, nd)), dtype=dt)
    emit(t, out, "Reshape", [y, g.node("Shape", [t.name(x)], dtype=np.int64)])


@op("pad")
def _pad(t, out, x, pad, mode="constant", value=None):
    nd = x._data.ndim
    pad = [int(p) for p in pad]
    begins, ends = [0] * nd, [0] * nd
    for i in range(len(pad) // 2):
        begins[nd - 1 - i] = pad[2 * i]
        ends[nd - 1 - i] = pad[2 * i + 1]
    onnx_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    if onnx_mode == "wrap" and t.g.opset < 19:
        raise NotImplementedError("with mode='circular' needs opset_version >= 19")
    ins = [t.name(x), t.g.ints(begins + ends)]
    if mode == "constant":
        ins.append(t.g.const(np.asarray(0 if value is None else value, out._data.dtype)))
    emit(t, out, "Pad", ins, mode=onnx_mode)


# -- attention ---------------------------------------------------------------------------------------------
def _swap_last(t, v, dt, ndim=4):
    return t.g.node("Transpose", [v], perm=list(range(ndim - 2)) + [ndim - 1, ndim - 2], dtype=dt)


def additive_mask(t, mask, dt):
    """The graph value of an attention mask as an additive float mask (True / nonzero bool = masked out)."""
    if isinstance(mask, Tensor) and mask._data.dtype == np.bool_:
        m = operand(t, mask, np.bool_)
        return t.g.node("Where", [m, t.g.const(np.asarray(-np.inf, dt)), t.g.const(np.asarray(0, dt))], dtype=dt)
    return operand(t, mask, dt)


@op("scaled_dot_product_attention")
def _sdpa(t, out, query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    if enable_gqa:
        raise NotImplementedError("with enable_gqa=True is not supported")
    dt = out._data.dtype
    g = t.g
    nd = query._data.ndim
    L, S = query._data.shape[-2], key._data.shape[-2]
    scale = 1.0 / math.sqrt(query._data.shape[-1]) if scale is None else scale
    mask = None
    if is_causal:
        mask = g.const(np.where(np.tril(np.ones((L, S), bool)), 0, -np.inf).astype(dt))
    elif attn_mask is not None:
        if isinstance(attn_mask, Tensor) and attn_mask._data.dtype == np.bool_:
            # torch's sdpa: True = take part in attention.
            m = operand(t, attn_mask, np.bool_)
            mask = g.node("Where", [m, g.const(np.asarray(0, dt)), g.const(np.asarray(-np.inf, dt))], dtype=dt)
        else:
            mask = operand(t, attn_mask, dt)
    s = g.node("MatMul", [operand(t, query, dt), _swap_last(t, operand(t, key, dt), dt, nd)], dtype=dt)
    s = g.node("Mul", [s, g.const(np.asarray(scale, dt))], dtype=dt)
    if mask is not None:
        s = g.node("Add", [s, mask], dtype=dt)
    w = g.node("Softmax", [s], axis=-1, dtype=dt)
    emit(t, out, "MatMul", [w, operand(t, value, dt)])
