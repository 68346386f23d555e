"""Channels-last convolutions of any rank (1-D, 2-D, 3-D) with grouped kernels, and their transposes.

``conv(x, kernel, bias, strides, padding, dilation, groups)`` for ``x`` ``(N, *spatial, C)`` and
``kernel`` ``(*k, C / groups, F)``::

    y[n, o, g, f] = sum_{t, c} xpad[n, o * stride + t * dilation, g, c] * kernel[t, c, g, f] + bias

computed as one einsum over the stacked window taps (im2col). ``conv_transpose`` is its input
gradient for a ``(*k, F, C)`` kernel (Keras's transposed layout). 'same' padding follows
TensorFlow (output ``ceil(size / stride)``, the odd pixel after); 'causal' pads only the past.
The backward rules are written in NumPy (first-order gradients), beside the forward.
"""
import itertools

import numpy as np

from ...autograd import grad_mode
from ...autograd.node import Node
from ...autograd.ops.conversion import in_float32
from ...autograd.tensor import make
from ..ops.conv import _reduced_float, deconv_output_length, same_padding


def _pads(spatial, kernel, strides, padding, dilation):
    if padding == "valid":
        return [(0, 0)] * len(spatial)
    if padding == "same":
        return [same_padding(s, k, st, d) for s, k, st, d in zip(spatial, kernel, strides, dilation)]
    if padding == "causal":
        return [((kernel[0] - 1) * dilation[0], 0)]
    raise ValueError(f"padding must be 'valid', 'same' or 'causal', got {padding!r}")


def _tap_slices(taps, out, strides, dilation):
    for tap in taps:
        yield (slice(None),) + tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                                     for t, o, s, d in zip(tap, out, strides, dilation))


def _record(t, name, backward, inputs):
    if grad_mode.state.enabled and any(i is not None and i._rg for i in inputs):
        t.grad_fn = Node(name, backward, tuple(inputs), saved=tuple(i for i in inputs if i is not None))
        t._rg = True
    return t


def conv(x, kernel, bias=None, strides=1, padding="valid", dilation=1, groups=1):
    """Grouped N-d convolution of channels-last ``x`` with a ``(*k, C / groups, F)`` kernel."""
    if _reduced_float(x, kernel):
        return in_float32(conv, x, kernel, bias, strides, padding, dilation, groups)
    a, K = x._data, kernel._data
    rank = K.ndim - 2
    if a.ndim != rank + 2:
        raise ValueError(f"conv: expected a rank-{rank + 2} input (batch, *spatial, channels), got shape {a.shape}")
    ks, cg, F = K.shape[:rank], K.shape[-2], K.shape[-1]
    C = a.shape[-1]
    if C != cg * groups:
        raise ValueError(f"conv: the kernel expects {cg * groups} input channels ({cg} x groups={groups}), got "
                         f"input shape {a.shape}")
    strides, dilation = _n(strides, rank), _n(dilation, rank)
    N, spatial = a.shape[0], a.shape[1:-1]
    pads = _pads(spatial, ks, strides, padding, dilation)
    ap = np.pad(a, [(0, 0)] + list(pads) + [(0, 0)]) if any(p != (0, 0) for p in pads) else a
    out = [(p - (k - 1) * d - 1) // s + 1 for p, k, s, d in zip(ap.shape[1:-1], ks, strides, dilation)]
    if min(out) <= 0:
        raise ValueError(f"conv: the input shape {a.shape} is too small for a kernel of size {ks} "
                         f"(dilation {dilation}) with padding {padding!r}")
    taps = list(itertools.product(*[range(k) for k in ks]))
    cols = np.stack([ap[sl] for sl in _tap_slices(taps, out, strides, dilation)], -2)   # (N, *O, T, C)
    M = N * int(np.prod(out))
    cols = cols.reshape(M, len(taps), groups, cg).astype(K.dtype, copy=False)
    Kg = K.reshape(len(taps), cg, groups, F // groups)
    y = np.einsum("mtgc,tcgf->mgf", cols, Kg, optimize=True).reshape((N, *out, F))
    if bias is not None:
        y = y + bias._data
    t = make(np.ascontiguousarray(y))

    def backward(g):
        gm = g._data.reshape(M, groups, F // groups)
        gx = gk = gb = None
        if x._rg:
            gcols = np.einsum("mgf,tcgf->mtgc", gm, Kg, optimize=True).reshape((N, *out, len(taps), C))
            dxp = np.zeros(ap.shape, K.dtype)
            for i, sl in enumerate(_tap_slices(taps, out, strides, dilation)):
                dxp[sl] += gcols[..., i, :]
            crop = (slice(None),) + tuple(slice(p[0], p[0] + s) for p, s in zip(pads, spatial))
            gx = make(np.ascontiguousarray(dxp[crop]).astype(a.dtype, copy=False))
        if kernel._rg:
            gk = make(np.einsum("mtgc,mgf->tcgf", cols, gm, optimize=True).reshape(K.shape))
        if bias is not None and bias._rg:
            gb = make(g._data.reshape(-1, F).sum(0))
        return gx, gk, gb
    return _record(t, "KerasConvNdBackward", backward, (x, kernel, bias))


def conv_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation=1):
    """N-d transposed convolution of channels-last ``x`` with a ``(*k, F, C)`` kernel (Keras's layout); each
    output length is ``keras.ops``' ``deconv_output_length``."""
    if _reduced_float(x, kernel):
        return in_float32(conv_transpose, x, kernel, bias, strides, padding, output_padding, dilation)
    a, K = x._data, kernel._data
    rank = K.ndim - 2
    if a.ndim != rank + 2 or a.shape[-1] != K.shape[-1]:
        raise ValueError(f"conv_transpose: expected an input (batch, *spatial, {K.shape[-1]}) of rank {rank + 2}, "
                         f"got shape {a.shape}")
    ks, F, C = K.shape[:rank], K.shape[-2], K.shape[-1]
    strides, dilation = _n(strides, rank), _n(dilation, rank)
    ops_ = [None] * rank if output_padding is None else _n(output_padding, rank)
    N, spatial = a.shape[0], a.shape[1:-1]
    lengths = [deconv_output_length(s, k, padding, o, st, d)
               for s, k, o, st, d in zip(spatial, ks, ops_, strides, dilation)]
    full = [(s - 1) * st + (k - 1) * d + 1 for s, k, st, d in zip(spatial, ks, strides, dilation)]
    if padding == "same":
        if output_padding is not None:
            starts = [((k - 1) * d + 1) // 2 for k, d in zip(ks, dilation)]
        else:
            starts = [max(f - L, 0) // 2 for f, L in zip(full, lengths)]
    else:
        starts = [0] * rank
    buf = [max(f, s + L) for f, s, L in zip(full, starts, lengths)]
    taps = list(itertools.product(*[range(k) for k in ks]))
    Km = K.reshape(len(taps), F, C)
    a2 = a.astype(K.dtype, copy=False).reshape(-1, C)
    cols = np.einsum("mc,tfc->mtf", a2, Km, optimize=True).reshape((N, *spatial, len(taps), F))
    fullarr = np.zeros((N, *buf, F), K.dtype)
    slices = list(_tap_slices(taps, spatial, strides, dilation))
    for i, sl in enumerate(slices):
        fullarr[sl] += cols[..., i, :]
    crop = (slice(None),) + tuple(slice(s, s + L) for s, L in zip(starts, lengths))
    y = fullarr[crop]
    if bias is not None:
        y = y + bias._data
    t = make(np.ascontiguousarray(y))

    def backward(g):
        gfull = np.zeros((N, *buf, F), K.dtype)
        gfull[crop] = g._data
        gcols = np.stack([gfull[sl] for sl in slices], -2).reshape(-1, len(taps), F)
        gx = make(np.einsum("mtf,tfc->mc", gcols, Km, optimize=True).reshape(a.shape).astype(a.dtype)) \
            if x._rg else None
        gk = make(np.einsum("mtf,mc->tfc", gcols, a2, optimize=True).reshape(K.shape)) if kernel._rg else None
        gb = make(g._data.reshape(-1, F).sum(0)) if bias is not None and bias._rg else None
        return gx, gk, gb
    return _record(t, "KerasConvTransposeNdBackward", backward, (x, kernel, bias))


def _n(v, n):
    return (int(v),) * n if isinstance(v, (int, np.integer)) else tuple(int(i) for i in v)
