"""ONNX linear quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and the
integer products QLinearMatMul, QLinearConv, ConvInteger (8/16-bit integer types).

    quantize:   y = saturate(round_half_even(x / scale) + zero_point)
    dequantize: x = (y - zero_point) * scale

``scale``/``zero_point`` are a scalar, one value per slice along ``axis``, or (``block_size`` > 0)
one per block of that many elements along ``axis``. float8 outputs are rounded and saturated as ONNX's
Cast does (ml_dtypes' types). Formats without an ember dtype (float8_e8m0,
int4 ...) raise NotImplementedError. Integer convolutions run as float64 convolutions, exact for
these sizes, then round back.
"""
import numpy as np

from . import register, arr, tensor
from .elementwise import FLOAT8_MAX, to_float8


def _expand_param(p, x_shape, axis, block):
    """Broadcast a per-tensor / per-axis / blocked scale or zero point against x."""
    p = np.asarray(p)
    rank = len(x_shape)
    if p.ndim == 0 or p.size == 1 and block == 0:
        return p.reshape(())
    axis = axis + rank if axis < 0 else axis
    if block:
        p = np.repeat(p, block, axis=axis)
        return np.take(p, np.arange(x_shape[axis]), axis=axis)
    shape = [1] * rank
    shape[axis] = -1
    return p.reshape(shape)


def _quantize(x, scale, zp, out_dt):
    # the division happens in x's precision, as in ONNX's reference
    q = np.round(x / np.asarray(scale).astype(x.dtype)).astype(np.float64) + zp
    info = np.iinfo(out_dt)
    return np.clip(q, info.min, info.max).astype(out_dt)


def _out_dtype(ctx, zp, default=np.uint8):
    if zp is not None:
        return np.dtype(zp.dtype.numpy)
    if ctx.attr("output_dtype"):
        from .elementwise import onnx_np_dtype
        return onnx_np_dtype(ctx, ctx.attr("output_dtype"))
    return np.dtype(default)


@register("QuantizeLinear")
def quantize_linear(ctx, x, scale, zp=None):
    dt = _out_dtype(ctx, zp)
    axis, block = ctx.attr("axis", 1), ctx.attr("block_size", 0)
    a = arr(x)
    s = _expand_param(arr(scale), a.shape, axis, block)
    if dt.name in FLOAT8_MAX:
        # float8: x / scale + zero point (0 for these types), rounded and saturated as ONNX's Cast does
        z = 0 if zp is None else _expand_param(arr(zp).astype(np.float32), a.shape, axis, block)
        return tensor(to_float8(a / s.astype(a.dtype) + z, dt, ctx.attr("saturate", 1)))
    if dt.kind not in "iu":
        raise ctx.unsupported(f"output type {dt}")
    z = 0 if zp is None else _expand_param(arr(zp).astype(np.float64), a.shape, axis, block)
    return tensor(_quantize(a, s, z, dt))


@register("DequantizeLinear")
def dequantize_linear(ctx, x, scale, zp=None):
    axis, block = ctx.attr("axis", 1), ctx.attr("block_size", 0)
    a = arr(x)
    s = _expand_param(arr(scale), a.shape, axis, block)
    z = 0 if zp is None else _expand_param(arr(zp), a.shape, axis, block)
    out = (a.astype(np.float64) - np.asarray(z, np.float64)) * s.astype(np.float64)
    dt = np.dtype(scale.dtype.numpy)
    if ctx.attr("output_dtype"):
        from .elementwise import onnx_np_dtype
        dt = onnx_np_dtype(ctx, ctx.attr("output_dtype"))
    return tensor(out.astype(dt))


@register("DynamicQuantizeLinear")
def dynamic_quantize_linear(ctx, x):
    a = arr(x).astype(np.float32)
    lo, hi = min(0.0, float(a.min(initial=0))), max(0.0, float(a.max(initial=0)))
    scale = np.float32((hi - lo) / 255.0)
    zp = np.uint8(np.clip(np.round(0 - lo / scale), 0, 255)) if scale else np.uint8(0)
    y = _quantize(a, scale if scale else 1.0, zp, np.uint8)
    return tensor(y), tensor(np.asarray(scale, np.float32)), tensor(np.asarray(zp, np.uint8))


def _deq(x, s, z, axis=1):
    a = arr(x).astype(np.float64)
    return (a - _expand_param(arr(z).astype(np.float64), a.shape, axis, 0)) * \
        _expand_param(arr(s).astype(np.float64), a.shape, axis, 0)


@register("QLinearMatMul")
def qlinear_matmul(ctx, a, a_s, a_z, b, b_s, b_z, y_s, y_z):
    x = _deq(a, a_s, a_z, -2)  # a's per-row params run along its rows, b's along its columns
    w = _deq(b, b_s, b_z, -1)
    y = np.matmul(x, w)
    return tensor(_quantize(y, arr(y_s).astype(np.float64), arr(y_z).astype(np.float64),
                            np.dtype(y_z.dtype.numpy)))


def _conv_float64(ctx, x, w):
    from .conv import conv
    return conv(ctx, tensor(x), tensor(w)).numpy()


@register("ConvInteger")
def conv_integer(ctx, x, w, x_z=None, w_z=None):
    xa = arr(x).astype(np.float64) - (0 if x_z is None else arr(x_z).astype(np.float64))
    wz = 0 if w_z is None else _expand_param(arr(w_z).astype(np.float64), arr(w).shape, 0, 0)
    wa = arr(w).astype(np.float64) - wz
    return tensor(np.round(_conv_float64(ctx, xa, wa)).astype(np.int32))


@register("QLinearConv")
def qlinear_conv(ctx, x, x_s, x_z, w, w_s, w_z, y_s, y_z, b=None):
    xa = _deq(x, x_s, x_z)
    wa = _deq(w, w_s, w_z, 0)
    y = _conv_float64(ctx, xa, wa)
    if b is not None:
        ws = _expand_param(arr(w_s).astype(np.float64), (arr(w).shape[0],), 0, 0)
        bias = arr(b).astype(np.float64) * float(arr(x_s)) * np.asarray(ws)
        y = y + bias.reshape(1, -1, *([1] * (y.ndim - 2)))
    return tensor(_quantize(y, arr(y_s).astype(np.float64), arr(y_z).astype(np.float64),
                            np.dtype(y_z.dtype.numpy)))

