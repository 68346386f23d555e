"""Integer arithmetic of the quantized layers, emulating fbgemm (PyTorch's x86 CPU kernels) in NumPy.

A quantized linear or convolution sums exact integer products
``acc = sum((x_q - x_zp) * (w_q - w_zp))`` (done here in float64, exact for 8-bit operands), then
requantizes in float32 as fbgemm's ``ReQuantizeOutput`` does:

    raw = float(acc) + bias / (x_scale * w_scale)
    y_q = clamp(nearbyint(raw * (x_scale * w_scale / y_scale)) + y_zp, qmin, qmax)

(``qmin`` is ``y_zp`` when a ReLU is fused). Dynamic quantization instead picks the input's
qparams from its min and max (``choose_quantization_params`` with ``reduce_range``), and returns
float ``float(acc) * (x_scale * w_scale) + bias``.
"""
import numpy as np

from ....autograd import quantized as _q
from ....autograd.tensor import Tensor
from ....backend import qdtypes as _qd

f32 = np.float32


def as_quantized(x, who):
    """``x`` as a QuantizedTensor, or an error naming the module that needed one."""
    if isinstance(x, _q.QuantizedTensor):
        return x
    kind = f"a float tensor of dtype {x.dtype}" if isinstance(x, Tensor) else type(x).__name__
    raise RuntimeError(f"{who} expects a quantized input (from QuantStub / torch.quantize_per_tensor), got {kind}. "
                       "Between quantized modules use the tensor's methods (x.reshape, x.flatten, x.view) or "
                       "modules, which keep the quantization parameters.")


def centered(x):
    """``x_q - x_zp`` as float64 (exact), per tensor."""
    return x._data.astype(np.float64) - float(x._zp)


def weight_parts(w):
    """(centred integer weights float64, per-output-channel scales float32) of a quantized weight."""
    q = w._data.astype(np.float64)
    n = q.shape[0]
    if w._axis is None:
        return q - float(w._zp), np.full(n, f32(w._scale), np.float32)
    if w._axis != 0:
        raise RuntimeError(f"quantized weights must be quantized per output channel (axis 0), got axis {w._axis}")
    zps = w._zps.astype(np.float64).reshape((-1,) + (1,) * (q.ndim - 1))
    return q - zps, w._scales.astype(np.float32)


def requantize(acc, x_scale, w_scales, bias, out_scale, out_zp, out_dtype, relu=False, channel_axis=-1):
    """fbgemm's requantization of int32 accumulators ``acc`` (channels on ``channel_axis``)."""
    shape = [1] * acc.ndim
    shape[channel_axis] = -1
    act_w = (f32(x_scale) * w_scales).astype(np.float32).reshape(shape)
    raw = acc.astype(np.float32)
    if bias is not None:
        raw = raw + (np.asarray(bias, np.float32).reshape(shape) / act_w)
    mult = (act_w / f32(out_scale)).astype(np.float32)
    qmin, qmax = _qd.RANGE[out_dtype]
    q = np.rint(raw * mult) + out_zp
    q = np.clip(q, out_zp if relu else qmin, qmax)
    return _q.from_qparams(q, out_dtype, out_scale, out_zp)


def linear_acc(xc, wc):
    """Accumulators of ``x @ w.T`` over the last axis (exact)."""
    return xc @ wc.T


def conv2d_acc(xc, wc, stride, padding, dilation, groups):
    """Accumulators of a 2-d convolution of centred input (N, C, H, W) with centred weights (O, C/g, kh, kw)."""
    ph, pw = padding
    if ph or pw:
        xc = np.pad(xc, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # the input zero point: 0 once centred
    n, c, h, w = xc.shape
    o, cg, kh, kw = wc.shape
    sh, sw = stride
    dh, dw = dilation
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s = xc.strides
    win = np.lib.stride_tricks.as_strided(
        xc, (n, c, oh, ow, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw), writeable=False)
    og = o // groups
    outs = []
    for g in range(groups):
        part = win[:, g * cg:(g + 1) * cg]
        outs.append(np.einsum("nchwij,ocij->nohw", part, wc[g * og:(g + 1) * og], optimize=True))
    return outs[0] if groups == 1 else np.concatenate(outs, axis=1)


def dynamic_input(x, reduce_range):
    """Quantize a float input to quint8 with qparams from its own min and max, as fbgemm's dynamic ops do."""
    a = x._data.astype(np.float32, copy=False)
    lo = float(a.min()) if a.size else 0.0
    hi = float(a.max()) if a.size else 0.0
    qmax = 127 if reduce_range else 255
    scale, zp = _q.choose_quantization_params(lo, hi, 0, qmax)
    q = _q.quantize_array(a, scale, zp, 0, 255)
    return q.astype(np.float64) - zp, scale


def dynamic_output(acc, x_scale, w_scales, bias):
    """fbgemm's ReQuantizeForFloat: ``float(acc) * (x_scale * w_scale) + bias``, in float32."""
    out = acc.astype(np.float32) * (f32(x_scale) * w_scales).astype(np.float32)
    if bias is not None:
        out = out + np.asarray(bias, np.float32)
    return out


def float_of(t):
    return None if t is None else (t._data if isinstance(t, Tensor) else np.asarray(t)).astype(np.float32)

