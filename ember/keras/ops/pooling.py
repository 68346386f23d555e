"""Channels-last (NHWC) max and average pooling, Keras's semantics.

Windows are viewed with ``as_strided`` as ``(N, Ho, Wo, ph*pw, C)``. 'same' padding
pads max pooling with -inf and makes average pooling divide by the number of real
(unpadded) pixels in each window, as TensorFlow does. The gradient of max pooling
goes to the first maximum of each window. Fused NumPy kernels, first-order gradients.

>>> import ember
>>> max_pool2d(ember.arange(16.).reshape(1, 4, 4, 1), 2).flatten().tolist()
[5.0, 7.0, 13.0, 15.0]
"""
import numpy as np

from ...autograd import grad_mode
from ...autograd.node import Node
from ...autograd.tensor import make
from .conv import _col2im, _crop, _pad, _pads, _pair, _patches

_gm = grad_mode.state


def _windows(a, pool_size, strides, padding, fill):
    ph_, pw_ = _pair(pool_size)
    sh, sw = _pair(strides if strides is not None else pool_size)
    N, H, W, C = a.shape
    ph, pw = _pads(H, W, ph_, pw_, (sh, sw), padding, (1, 1))
    xp = _pad(a, ph, pw, fill)
    Ho = (xp.shape[1] - ph_) // sh + 1
    Wo = (xp.shape[2] - pw_) // sw + 1
    if Ho <= 0 or Wo <= 0:
        raise ValueError(f"pooling: the input {a.shape[1:3]} is smaller than the pool size {(ph_, pw_)}")
    view = _patches(xp, Ho, Wo, ph_, pw_, sh, sw, 1, 1)
    return view, xp.shape, (ph, pw), (ph_, pw_, sh, sw, Ho, Wo)


def _tap(a, i, j, sh, sw, Ho, Wo):
    return a[:, i:i + sh * (Ho - 1) + 1:sh, j:j + sw * (Wo - 1) + 1:sw, :]


def max_pool2d(x, pool_size, strides=None, padding="valid"):
    """``out[n, h, w, c] = max`` over the window of ``x`` (N, H, W, C); strides default to the pool size.

    One pass per window tap over output-sized arrays (a running maximum); the backward pass
    sends each gradient to the first tap that holds the maximum.
    """
    a = x._data
    if a.ndim != 4:
        raise ValueError(f"max_pool2d: expected a 4-D input (batch, height, width, channels), got shape {a.shape}")
    kh, kw = _pair(pool_size)
    sh, sw = _pair(strides if strides is not None else pool_size)
    N, H, W, C = a.shape
    ph, pw = _pads(H, W, kh, kw, (sh, sw), padding, (1, 1))
    xp = _pad(a, ph, pw, -np.inf)
    Ho = (xp.shape[1] - kh) // sh + 1
    Wo = (xp.shape[2] - kw) // sw + 1
    if Ho <= 0 or Wo <= 0:
        raise ValueError(f"max_pool2d: the input {a.shape[1:3]} is smaller than the pool size {(kh, kw)}")
    y = np.array(_tap(xp, 0, 0, sh, sw, Ho, Wo))
    for t in range(1, kh * kw):
        np.maximum(y, _tap(xp, t // kw, t % kw, sh, sw, Ho, Wo), out=y)
    out = make(y)
    if _gm.enabled and x._rg:
        shape_p = xp.shape

        def backward(g):
            gd = g._data
            dxp = np.zeros(shape_p, gd.dtype)
            free = np.ones(y.shape, bool)
            first = np.empty(y.shape, bool)
            disjoint = sh >= kh and sw >= kw
            for t in range(kh * kw):
                i, j = t // kw, t % kw
                np.equal(_tap(xp, i, j, sh, sw, Ho, Wo), y, out=first)
                np.logical_and(first, free, out=first)
                np.logical_xor(free, first, out=free)
                if disjoint:
                    np.multiply(gd, first, out=_tap(dxp, i, j, sh, sw, Ho, Wo))
                else:
                    _tap(dxp, i, j, sh, sw, Ho, Wo)[...] += gd * first
            return (make(np.ascontiguousarray(_crop(dxp, ph, pw))),)
        out.grad_fn = Node("KerasMaxPool2dBackward", backward, (x,), ())
        out._rg = True
    return out


def avg_pool2d(x, pool_size, strides=None, padding="valid"):
    """Mean over each window of ``x`` (N, H, W, C), padding excluded from the count."""
    a = x._data
    if a.ndim != 4:
        raise ValueError(f"avg_pool2d: expected a 4-D input (batch, height, width, channels), got shape {a.shape}")
    view, shape_p, pads, (kh, kw, sh, sw, Ho, Wo) = _windows(a, pool_size, strides, padding, 0.0)
    N, C = a.shape[0], a.shape[3]
    s = view.sum(axis=(3, 4))
    if padding == "same" and pads != ((0, 0), (0, 0)):
        ones = np.ones((1, a.shape[1], a.shape[2], 1), a.dtype)
        cview, *_ = _windows(ones, pool_size, strides, padding, 0.0)
        count = cview.sum(axis=(3, 4))
    else:
        count = np.full((1, 1, 1, 1), kh * kw, a.dtype)
    t = make((s / count).astype(a.dtype, copy=False))
    if _gm.enabled and x._rg:
        def backward(g):
            gd = (g._data / count).astype(a.dtype, copy=False)
            d = np.broadcast_to(gd[:, :, :, None, None, :], (N, Ho, Wo, kh, kw, C))
            dxp = _col2im(d, shape_p, kh, kw, sh, sw, 1, 1)
            return (make(np.ascontiguousarray(_crop(dxp, *pads))),)
        t.grad_fn = Node("KerasAvgPool2dBackward", backward, (x,), ())
        t._rg = True
    return t
