"""Channels-last (NHWC) convolutions: the ops behind ``Conv1D``/``Conv2D``,
``DepthwiseConv2D``, ``SeparableConv2D`` and ``Conv2DTranspose``.

Keras keeps images as ``(batch, height, width, channels)`` and kernels as
``(kh, kw, in, out)``, and pads 'same' as TensorFlow does (the odd pixel after).

* :func:`conv2d` runs ember's ``functional.conv2d`` (NCHW) on permuted views, so Keras
  layers share ember's convolution kernels (and their threading).
* :func:`depthwise_conv2d` and :func:`conv2d_transpose` are channels-last kernels of their
  own: the padded input viewed with ``as_strided`` as ``(N, Ho, Wo, kh, kw, C)`` windows,
  one einsum/GEMM, and a backward pass that adds the window gradients back with one
  strided add per kernel tap. They have first-order gradients only.

>>> import ember
>>> x = ember.ones(1, 4, 4, 1)
>>> k = ember.ones(3, 3, 1, 2)
>>> conv2d(x, k).shape
ember.Size([1, 2, 2, 2])
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import functional as _F
from ...autograd import grad_mode
from ...autograd.node import Node
from ...autograd.ops.conversion import in_float32
from ...autograd.tensor import make

_gm = grad_mode.state


def _pair(v, n=2):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    return v if len(v) == n else v * n if len(v) == 1 else v


def same_padding(size, k, stride, dilation):
    """TensorFlow's 'same' padding: ``out = ceil(size / stride)``, the odd pixel goes after."""
    eff = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def conv_output_length(size, k, padding, stride, dilation=1):
    """Keras's output length of a convolution or pooling window along one axis (None stays None)."""
    if size is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding == "same":
        return -(-size // stride)
    if padding == "causal":
        return (size - 1) // stride + 1
    return (size - eff) // stride + 1


def _pads(H, W, kh, kw, strides, padding, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return same_padding(H, kh, strides[0], dilation[0]), same_padding(W, kw, strides[1], dilation[1])
        if padding == "causal":
            return (0, 0), ((kw - 1) * dilation[1], 0)
        raise ValueError(f"padding must be 'valid', 'same' or 'causal', got {padding!r}")
    return tuple(padding[0]), tuple(padding[1])


def _patches(xp, Ho, Wo, kh, kw, sh, sw, dh, dw):
    """The (N, Ho, Wo, kh, kw, C) window view of the padded NHWC array ``xp`` (no copy)."""
    N, _, _, C = xp.shape
    s = xp.strides
    return as_strided(xp, (N, Ho, Wo, kh, kw, C), (s[0], s[1] * sh, s[2] * sw, s[1] * dh, s[2] * dw, s[3]),
                      writeable=False)


def _col2im(dview, shape_p, kh, kw, sh, sw, dh, dw):
    """Add ``dview`` (N, Ho, Wo, kh, kw, C) back into a zero (N, Hp, Wp, C) array: one strided add per tap."""
    dxp = np.zeros(shape_p, dview.dtype)
    Ho, Wo = dview.shape[1], dview.shape[2]
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (Ho - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (Wo - 1) + 1, sw)
            dxp[:, rows, cols, :] += dview[:, :, :, i, j, :]
    return dxp


def _pad(x, ph, pw, value=0.0):
    if ph == (0, 0) and pw == (0, 0):
        return x
    return np.pad(x, ((0, 0), ph, pw, (0, 0)), constant_values=value)


def _crop(a, ph, pw):
    H, W = a.shape[1], a.shape[2]
    return a[:, ph[0]:H - ph[1], pw[0]:W - pw[1], :]


def _record(t, name, backward, inputs):
    t.grad_fn = Node(name, backward, inputs, ())
    t._rg = True
    return t


def _reduced_float(*tensors):
    """Whether a tensor is bfloat16 (ml_dtypes' NumPy kind 'V': NumPy's einsum refuses it and its matmul gives
    float32) or float16 (NumPy has no float16 BLAS: ~100x slower than float32), so these kernels run it as
    PyTorch's CPU kernels do, in float32 rounded once (``in_float32``)."""
    for t in tensors:
        if t is not None and t._data.dtype.char not in "fd":
            if t._data.dtype.kind == "V" or t._data.dtype.char == "e":
                return True
    return False


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """NHWC convolution: x ``(N, H, W, C)``, kernel ``(kh, kw, C, out)``, bias ``(out,)``.

    ``out[n, h, w, o] = b[o] + sum_{i, j, c} xp[n, h*sh + i*dh, w*sw + j*dw, c] * K[i, j, c, o]``
    where ``xp`` is ``x`` padded for ``padding`` ('valid', 'same' or 'causal' on the width).
    Runs ember's NCHW ``functional.conv2d`` on permuted views (TensorFlow's asymmetric 'same'
    padding applied first), so channels-last layers share ember's convolution kernels.
    """
    a, K = x._data, kernel._data
    if a.ndim != 4 or a.shape[3] != K.shape[2]:
        raise ValueError(f"conv2d: expected an input (batch, height, width, {K.shape[2]}), got shape {a.shape}")
    if a.dtype != K.dtype:
        x = x.to(K.dtype)
    kh, kw = K.shape[0], K.shape[1]
    strides, dilation = _pair(strides), _pair(dilation_rate)
    ph, pw = _pads(a.shape[1], a.shape[2], kh, kw, strides, padding, dilation)
    if a.shape[1] + sum(ph) < (kh - 1) * dilation[0] + 1 or a.shape[2] + sum(pw) < (kw - 1) * dilation[1] + 1:
        raise ValueError(f"conv2d: the input {a.shape[1:3]} is smaller than the kernel {(kh, kw)} "
                         f"(padding={padding!r}, dilation={dilation})")
    xc = x.permute(0, 3, 1, 2)
    if ph[0] == ph[1] and pw[0] == pw[1]:
        pad = (ph[0], pw[0])
    else:
        xc = _F.pad(xc, (pw[0], pw[1], ph[0], ph[1]))
        pad = 0
    y = _F.conv2d(xc, kernel.permute(3, 2, 0, 1), bias, strides, pad, dilation)
    return y.permute(0, 2, 3, 1)


def depthwise_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """NHWC depthwise convolution: kernel ``(kh, kw, C, multiplier)``, output channels ``C * multiplier``
    ordered ``c * multiplier + m`` (TensorFlow's order)."""
    if _reduced_float(x, kernel):
        return in_float32(depthwise_conv2d, x, kernel, bias, strides, padding, dilation_rate)
    a, K = x._data, kernel._data
    if a.ndim != 4 or a.shape[3] != K.shape[2]:
        raise ValueError(f"depthwise_conv2d: expected an input (batch, height, width, {K.shape[2]}), "
                         f"got shape {a.shape}")
    kh, kw, C, M = K.shape
    sh, sw = _pair(strides)
    dh, dw = _pair(dilation_rate)
    N, H, W, _ = a.shape
    ph, pw = _pads(H, W, kh, kw, (sh, sw), padding, (dh, dw))
    xp = _pad(a.astype(K.dtype, copy=False), ph, pw)
    Ho = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    Wo = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    view = _patches(xp, Ho, Wo, kh, kw, sh, sw, dh, dw)
    y = np.einsum("nhwijc,ijcm->nhwcm", view, K, optimize=True).reshape(N, Ho, Wo, C * M)
    if bias is not None:
        y = y + bias._data
    t = make(np.ascontiguousarray(y))
    rx, rk, rb = x._rg, kernel._rg, bias is not None and bias._rg
    if _gm.enabled and (rx or rk or rb):
        def backward(g):
            g5 = g._data.reshape(N, Ho, Wo, C, M)
            gx = gk = gb = None
            if rk:
                gk = make(np.einsum("nhwijc,nhwcm->ijcm", view, g5, optimize=True))
            if rb:
                gb = make(g._data.reshape(-1, C * M).sum(0))
            if rx:
                dview = np.einsum("nhwcm,ijcm->nhwijc", g5, K, optimize=True)
                dxp = _col2im(dview, xp.shape, kh, kw, sh, sw, dh, dw)
                gx = make(np.ascontiguousarray(_crop(dxp, ph, pw)))
            return gx, gk, gb
        _record(t, "KerasDepthwiseConv2dBackward", backward, (x, kernel, bias))
    return t


def deconv_output_length(size, k, padding, output_padding=None, stride=1, dilation=1):
    """Keras's output length of a transposed convolution along one axis."""
    if size is None:
        return None
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return size * stride + max(k - stride, 0) if padding == "valid" else size * stride
    pad = k // 2 if padding == "same" else 0
    return (size - 1) * stride + k - 2 * pad + output_padding


def _same_crop_left(k, d, output_padding):
    """What Keras cuts from the start of the full transposed output for 'same' with an explicit output_padding:
    ``e - 1 - min(p // 2 + p % 2, e - 1)`` with ``p = e + e % 2 - 2 + output_padding`` (its JAX rule, which its torch
    backend follows too), e the dilated kernel size."""
    e = (k - 1) * d + 1
    p = e + e % 2 - 2 + output_padding
    return e - 1 - min(p // 2 + p % 2, e - 1)


def conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """NHWC transposed convolution (the gradient of :func:`conv2d` with respect to its input).

    kernel ``(kh, kw, out, in)`` as Keras stores it; output size from :func:`deconv_output_length`.
    """
    if _reduced_float(x, kernel):
        return in_float32(conv2d_transpose, x, kernel, bias, strides, padding, output_padding, dilation_rate)
    a, K = x._data, kernel._data
    if a.ndim != 4 or a.shape[3] != K.shape[3]:
        raise ValueError(f"conv2d_transpose: expected an input (batch, height, width, {K.shape[3]}), "
                         f"got shape {a.shape}")
    kh, kw, O, C = K.shape
    sh, sw = _pair(strides)
    dh, dw = _pair(dilation_rate)
    op = (None, None) if output_padding is None else _pair(output_padding)
    N, H, W, _ = a.shape
    Lh = deconv_output_length(H, kh, padding, op[0], sh, dh)
    Lw = deconv_output_length(W, kw, padding, op[1], sw, dw)
    Hf, Wf = (H - 1) * sh + (kh - 1) * dh + 1, (W - 1) * sw + (kw - 1) * dw + 1
    # The conv2d whose input gradient this is has input size L and output size H; its padding:
    pth = max((H - 1) * sh + (kh - 1) * dh + 1 - Lh, 0) // 2 if padding == "same" else 0
    ptw = max((W - 1) * sw + (kw - 1) * dw + 1 - Lw, 0) // 2 if padding == "same" else 0
    if output_padding is not None and padding == "same":
        pth, ptw = _same_crop_left(kh, dh, op[0]), _same_crop_left(kw, dw, op[1])
    Km = K.reshape(kh * kw * O, C)
    a2 = a.astype(K.dtype, copy=False).reshape(-1, C)
    cols = (a2 @ Km.T).reshape(N, H, W, kh, kw, O)
    Hb, Wb = max(Hf, pth + Lh), max(Wf, ptw + Lw)
    full = _col2im(cols, (N, Hb, Wb, O), kh, kw, sh, sw, dh, dw)
    y = full[:, pth:pth + Lh, ptw:ptw + Lw, :]
    if bias is not None:
        y = y + bias._data
    t = make(np.ascontiguousarray(y))
    rx, rk, rb = x._rg, kernel._rg, bias is not None and bias._rg
    if _gm.enabled and (rx or rk or rb):
        def backward(g):
            gfull = np.zeros((N, Hb, Wb, O), K.dtype)
            gfull[:, pth:pth + Lh, ptw:ptw + Lw, :] = g._data
            gcols = _patches(gfull, H, W, kh, kw, sh, sw, dh, dw).reshape(N * H * W, kh * kw * O)
            gx = make((gcols @ Km).reshape(N, H, W, C)) if rx else None
            gk = make((gcols.T @ a2).reshape(K.shape)) if rk else None
            gb = make(g._data.reshape(-1, O).sum(0)) if rb else None
            return gx, gk, gb
        _record(t, "KerasConv2dTransposeBackward", backward, (x, kernel, bias))
    return t


def fans(shape):
    """Keras's (fan_in, fan_out) of a weight shape: kernels are (..., in, out)."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    rf = math.prod(shape[:-2])
    return shape[-2] * rf, shape[-1] * rf
