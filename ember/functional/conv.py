"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d``, ``unfold``, ``fold``.

All of them run on the NumPy kernels of :mod:`ember.functional._conv_kernels`
(im2col + one BLAS product per chunk of samples; 1-D ops are 2-D ops on images
of height 1). Their gradients are three ops that refer to one another, so
gradients of any order are exact (a gradient penalty through a convolution works):

* ``conv(x, w)``:             dx = conv_transpose(g, w),   dw = conv_weight(x, g)
* ``conv_transpose(x, w)``:   dx = conv(g, w),             dw = conv_weight(g, x)
* ``conv_weight(x, g)``:      dx = conv_transpose(g, G),   dg = conv(x, G)

When the backward pass does not record (the usual ``loss.backward()``), each rule
calls the NumPy kernels directly instead.

>>> import ember
>>> import ember.nn.functional as F
>>> x = ember.ones(1, 1, 4, 4)
>>> F.conv2d(x, ember.ones(1, 1, 3, 3)).shape
ember.Size([1, 1, 2, 2])
>>> F.conv2d(x, ember.ones(2, 1, 3, 3), padding="same").shape
ember.Size([1, 2, 4, 4])
"""
import numpy as np

from ..autograd import grad_mode
from ..autograd import op_hooks as _hooks
from ..autograd.node import Node
from ..autograd.tensor import Tensor, _new
from ..autograd.ops import squeeze, unsqueeze, sum as _sum
from ..autograd.autocast_state import active as _autocast, run_lower
from ..autograd.ops.conversion import in_float32
from . import _conv_kernels as K

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]

_gm = grad_mode.state


def _wrap(arr):
    t = _new(Tensor)
    t._data = arr
    return t


def _record(t, name, fn, inputs, saved):
    t.grad_fn = Node(name, fn, inputs, saved)
    t._rg = True
    return t


def _needs(*ts):
    if not _gm.enabled:
        return False
    for t in ts:
        if t is not None and t._rg:
            return True
    return False


# -- the three differentiable kernels ----------------------------------------------------------------

def _bias_grad(g):
    return _sum(g, (0, 2, 3))


def _conv(x, w, b, geo):
    """``conv2d`` on a planned geometry ``geo`` (inputs already 4-D and checked)."""
    y = _wrap(K.conv_forward(x._data, w._data, None if b is None else b._data, geo))
    if _needs(x, w, b):
        rx, rw, rb = x._rg, w._rg, b is not None and b._rg

        def backward(g):
            if not _gm.enabled:
                dx, dw, db = K.conv_backward(g._data, x._data if rw else None, w._data if rx else None, geo,
                                             rx, rw, rb)
                return (_wrap(dx) if rx else None, _wrap(dw) if rw else None, _wrap(db) if rb else None)
            return (_conv_t(g, w, None, geo) if rx else None, _conv_w(x, g, geo) if rw else None,
                    _bias_grad(g) if rb else None)
        _record(y, "ConvolutionBackward0", backward, (x, w, b), (x, w))
    if _hooks.observers:
        _hooks.convolution(x._data.shape, w._data.shape, y, False, (_gm.enabled and x._rg, _gm.enabled and w._rg))
    return y


def _conv_t(x, w, b, geo):
    """The transposed convolution: the input gradient of the convolution ``geo`` (x has its output's shape)."""
    y = _wrap(K.conv_transpose_forward(x._data, w._data, None if b is None else b._data, geo))
    if _needs(x, w, b):
        rx, rw, rb = x._rg, w._rg, b is not None and b._rg

        def backward(g):
            if not _gm.enabled:
                gd = g._data
                dx = _wrap(K.conv_forward(gd, w._data, None, geo)) if rx else None
                dw = _wrap(K.conv_backward(x._data, gd, None, geo, False, True, False)[1]) if rw else None
                return dx, dw, (_wrap(gd.sum(axis=(0, 2, 3))) if rb else None)
            return (_conv(g, w, None, geo) if rx else None, _conv_w(g, x, geo) if rw else None,
                    _bias_grad(g) if rb else None)
        _record(y, "ConvolutionBackward0", backward, (x, w, b), (x, w))
    if _hooks.observers:
        _hooks.convolution(x._data.shape, w._data.shape, y, True, (_gm.enabled and x._rg, _gm.enabled and w._rg))
    return y


def _conv_w(x, gy, geo):
    """The weight gradient of the convolution ``geo`` with input ``x`` and output gradient ``gy``."""
    dw = _wrap(K.conv_backward(gy._data, x._data, None, geo, False, True, False)[1])
    if _needs(x, gy):
        rx, rg = x._rg, gy._rg

        def backward(g):
            if not _gm.enabled:
                gd = g._data
                dx = _wrap(K.conv_transpose_forward(gy._data, gd, None, geo)) if rx else None
                dg = _wrap(K.conv_forward(x._data, gd, None, geo)) if rg else None
                return dx, dg
            return (_conv_t(gy, g, None, geo) if rx else None, _conv(x, g, None, geo) if rg else None)
        _record(dw, "ConvolutionBackwardBackward0", backward, (x, gy), (x, gy))
    return dw


# -- argument handling ---------------------------------------------------------------------------------

def _tuple(v, n, name):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {v}")
    return v


def _check_float(name, x, w, b):
    """Check the dtypes; True for bfloat16 and float16, which the caller then computes in float32
    (``in_float32``), as PyTorch's CPU convolution accumulates them in float32 and rounds the output once
    (forward and backward; for float16 it is also the fast path, NumPy having no float16 BLAS)."""
    if x._data.dtype.char not in "fd":
        if ((x._data.dtype.kind == "V" or x._data.dtype.char == "e") and w._data.dtype == x._data.dtype
                and (b is None or b._data.dtype == w._data.dtype)):
            return True
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"{name}: expected a floating point input, got {x.dtype}; convert it with .float()")
    if w._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}: input type ({x.dtype}) and weight type ({w.dtype}) should be the same; "
                           "convert the input with .to(weight.dtype) or the layer with .to(input.dtype)")
    if b is not None and b._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}: input type ({x.dtype}) and bias type ({b.dtype}) should be the same")


def _same_padding(k, d):
    total = d * (k - 1)
    return total // 2, total - total // 2


def _positive_kernel(name, ks):
    # A zero-size kernel sums over nothing; PyTorch refuses it rather than return an undefined output.
    if any(k <= 0 for k in ks):
        raise RuntimeError(f"{name}: kernel size should be greater than zero, but got kernel size "
                           f"{tuple(int(k) for k in ks)}")


def _conv_geom(name, xs, ws, b, stride, padding, dilation, groups, nd, itemsize):
    """Check a convolution's arguments (PyTorch's messages) and plan it; shapes are 4-D (1-D ops have H == 1)."""
    N, C, H, W = xs
    Cout, Cg, kh, kw = ws
    shown_x = list(xs) if nd == 2 else [N, C, W]
    shown_w = list(ws) if nd == 2 else [Cout, Cg, kw]
    _positive_kernel(name, ws[2:] if nd == 2 else ws[3:])
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if Cout % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size {shown_w} instead")
    if C != Cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {shown_w}, expected input{shown_x} to have "
                           f"{Cg * groups} channels, but got {C} channels instead")
    if b is not None and tuple(b._data.shape) != (Cout,):
        raise RuntimeError(f"Given weight of size {shown_w}, expected bias to be 1-dimensional with {Cout} "
                           f"elements, but got bias of size {list(b._data.shape)} instead")
    if isinstance(padding, str):
        if padding == "valid":
            pad = (0, 0, 0, 0)
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pad = _same_padding(kh, dilation[0]) + _same_padding(kw, dilation[1])
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
    else:
        ph, pw = padding
        if ph < 0 or pw < 0:
            raise RuntimeError("negative padding is not supported")
        pad = (ph, ph, pw, pw)
    geo = K.ConvGeom(N, C, H, W, Cout, kh, kw, stride, pad, dilation, groups, itemsize=itemsize)
    if geo.Ho <= 0 or geo.Wo <= 0:
        hp = (geo.Hp, geo.Wp) if nd == 2 else (geo.Wp,)
        ek = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1) if nd == 2 else (dilation[1] * (kw - 1) + 1,)
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, hp))}). Kernel size: "
                           f"({' x '.join(map(str, ek))}). Kernel size can't be greater than actual input size")
    return geo


def _batched(name, x, nd, what="input"):
    """PyTorch accepts an unbatched input (one dimension fewer); return (x with a batch dim, was_unbatched)."""
    n = x._data.ndim
    if n == nd + 2:
        return x, False
    if n == nd + 1:
        return unsqueeze(x, 0), True
    raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) {what} to {name}, but got "
                       f"{what} of size: {list(x._data.shape)}")


# -- public ops ----------------------------------------------------------------------------------------

def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation: ``out[n, o] = bias[o] + sum_c weight[o, c] * input[n, c]`` (sliding).

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in / groups, kH, kW)``.
        bias: ``(C_out)`` or None.
        stride, dilation: int or (h, w).
        padding: int, (h, w), ``'valid'`` (none) or ``'same'`` (output as large as the input; stride 1 only;
            an odd total padding puts the extra row/column at the bottom/right).
        groups: split the channels into this many independent convolutions.

    Output ``H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1`` (same for W).
    """
    if _autocast.cpu:
        return run_lower(conv2d, input, weight, bias, stride, padding, dilation, groups)
    x, unb = _batched("conv2d", input, 2)
    if _check_float("conv2d", x, weight, bias):
        return in_float32(conv2d, input, weight, bias, stride, padding, dilation, groups)
    w = weight
    if w._data.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (C_out, C_in/groups, kH, kW), got weight of size "
                           f"{list(w._data.shape)}")
    stride, dilation = _tuple(stride, 2, "stride"), _tuple(dilation, 2, "dilation")
    padding = padding if isinstance(padding, str) else _tuple(padding, 2, "padding")
    geo = _conv_geom("conv2d", x._data.shape, w._data.shape, bias, stride, padding, dilation, groups, 2,
                     x._data.itemsize)
    y = _conv(x, w, bias, geo)
    return squeeze(y, 0) if unb else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over ``(N, C_in, L)`` (or unbatched ``(C_in, L)``) with weight ``(C_out, C_in/groups, k)``.

    Arguments as :func:`conv2d`, each an int (or a 1-tuple); output
    ``L_out = floor((L + 2 * padding - dilation * (k - 1) - 1) / stride) + 1``.
    """
    if _autocast.cpu:
        return run_lower(conv1d, input, weight, bias, stride, padding, dilation, groups)
    x, unb = _batched("conv1d", input, 1)
    if _check_float("conv1d", x, weight, bias):
        return in_float32(conv1d, input, weight, bias, stride, padding, dilation, groups)
    if weight._data.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3-D weight (C_out, C_in/groups, k), got weight of size "
                           f"{list(weight._data.shape)}")
    (s,), (d,) = _tuple(stride, 1, "stride"), _tuple(dilation, 1, "dilation")
    padding = padding if isinstance(padding, str) else (0,) + _tuple(padding, 1, "padding")
    N, C, L = x._data.shape
    geo = _conv_geom("conv1d", (N, C, 1, L), (weight._data.shape[0], weight._data.shape[1], 1,
                                              weight._data.shape[2]),
                     bias, (1, s), padding, (1, d), groups, 1, x._data.itemsize)
    y = _conv(unsqueeze(x, 2), unsqueeze(weight, 2), bias, geo)
    y = squeeze(y, 2)
    return squeeze(y, 0) if unb else y


def _transpose_geom(name, xs, ws, b, stride, padding, output_padding, groups, dilation, nd, itemsize):
    N, Cin, Hi, Wi = xs
    Cin_w, Cog, kh, kw = ws
    shown_x = list(xs) if nd == 2 else [N, Cin, Wi]
    shown_w = list(ws) if nd == 2 else [Cin_w, Cog, kw]
    _positive_kernel(name, ws[2:] if nd == 2 else ws[3:])
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if Cin_w % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size {shown_w} instead")
    if Cin != Cin_w:
        raise RuntimeError(f"Given transposed=1, weight of size {shown_w}, expected input{shown_x} to have "
                           f"{Cin_w} channels, but got {Cin} channels instead")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding={tuple(output_padding[2 - nd:])}, stride={tuple(stride[2 - nd:])}, "
                               f"dilation={tuple(dilation[2 - nd:])}")
    Cout = Cog * groups
    if b is not None and tuple(b._data.shape) != (Cout,):
        raise RuntimeError(f"Given transposed=1, weight of size {shown_w}, expected bias to be 1-dimensional with "
                           f"{Cout} elements, but got bias of size {list(b._data.shape)} instead")
    Ho = (Hi - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    Wo = (Wi - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    if Ho <= 0 or Wo <= 0:
        size = [N, Cout, Ho, Wo] if nd == 2 else [N, Cout, Wo]
        raise RuntimeError(f"Given input size per channel: {shown_x[2:]}. Calculated output size: {size}. "
                           "Output size is too small")
    pad = (padding[0], padding[0], padding[1], padding[1])
    return K.ConvGeom(N, Cout, Ho, Wo, Cin_w, kh, kw, stride, pad, dilation, groups, out_hw=(Hi, Wi),
                      itemsize=itemsize)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution (the gradient of :func:`conv2d` with respect to its input).

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_in, C_out / groups, kH, kW)``.
        output_padding: extra rows/columns added at the bottom/right of the output (each smaller than the
            stride or the dilation), to pick one of the sizes a strided convolution maps to the same size.

    Output ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``.
    """
    if _autocast.cpu:
        return run_lower(conv_transpose2d, input, weight, bias, stride, padding, output_padding, groups, dilation)
    x, unb = _batched("conv_transpose2d", input, 2)
    if _check_float("conv_transpose2d", x, weight, bias):
        return in_float32(conv_transpose2d, input, weight, bias, stride, padding, output_padding, groups, dilation)
    if weight._data.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected a 4-D weight (C_in, C_out/groups, kH, kW), got weight of "
                           f"size {list(weight._data.shape)}")
    geo = _transpose_geom("conv_transpose2d", x._data.shape, weight._data.shape, bias, _tuple(stride, 2, "stride"),
                          _tuple(padding, 2, "padding"), _tuple(output_padding, 2, "output_padding"), groups,
                          _tuple(dilation, 2, "dilation"), 2, x._data.itemsize)
    y = _conv_t(x, weight, bias, geo)
    return squeeze(y, 0) if unb else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution over ``(N, C_in, L)``; weight ``(C_in, C_out / groups, k)``.

    Output ``L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.
    """
    if _autocast.cpu:
        return run_lower(conv_transpose1d, input, weight, bias, stride, padding, output_padding, groups, dilation)
    x, unb = _batched("conv_transpose1d", input, 1)
    if _check_float("conv_transpose1d", x, weight, bias):
        return in_float32(conv_transpose1d, input, weight, bias, stride, padding, output_padding, groups, dilation)
    if weight._data.ndim != 3:
        raise RuntimeError(f"conv_transpose1d: expected a 3-D weight (C_in, C_out/groups, k), got weight of size "
                           f"{list(weight._data.shape)}")
    N, C, L = x._data.shape
    ws = weight._data.shape
    geo = _transpose_geom("conv_transpose1d", (N, C, 1, L), (ws[0], ws[1], 1, ws[2]), bias,
                          (1,) + _tuple(stride, 1, "stride"), (0,) + _tuple(padding, 1, "padding"),
                          (0,) + _tuple(output_padding, 1, "output_padding"), groups,
                          (1,) + _tuple(dilation, 1, "dilation"), 1, x._data.itemsize)
    y = squeeze(_conv_t(unsqueeze(x, 2), unsqueeze(weight, 2), bias, geo), 2)
    return squeeze(y, 0) if unb else y


# -- unfold / fold -------------------------------------------------------------------------------------

def _unfold_op(x, geo):
    y = _wrap(K.unfold(x._data, geo))
    if _gm.enabled and x._rg:
        _record(y, "Im2ColBackward0", lambda g: (_fold_op(g, geo),), (x,), ())
    return y


def _fold_op(c, geo):
    y = _wrap(K.fold(c._data, geo))
    if _gm.enabled and c._rg:
        _record(y, "Col2ImBackward0", lambda g: (_unfold_op(g, geo),), (c,), ())
    return y


def _fold_geom(N, C, H, W, kernel_size, dilation, padding, stride):
    (kh, kw), (dh, dw) = _tuple(kernel_size, 2, "kernel_size"), _tuple(dilation, 2, "dilation")
    (ph, pw), (sh, sw) = _tuple(padding, 2, "padding"), _tuple(stride, 2, "stride")
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size=({kh}, {kw})")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride=({sh}, {sw})")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation=({dh}, {dw})")
    if ph < 0 or pw < 0:
        raise RuntimeError(f"padding should be non-negative, but got padding=({ph}, {pw})")
    return K.ConvGeom(N, C, H, W, 1, kh, kw, (sh, sw), (ph, ph, pw, pw), (dh, dw), 1, mode="sample")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks (im2col): ``(N, C, H, W) -> (N, C * kH * kW, L)``, L = number of blocks.

    Column ``l`` holds block ``l`` (row-major over block positions), its rows ordered by
    (channel, kernel row, kernel column), as PyTorch's ``F.unfold``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.unfold(ember.arange(16.0).reshape(1, 1, 4, 4), kernel_size=2, stride=2)[0, :, 0]
    tensor([0., 1., 4., 5.])
    """
    x = input
    nd = x._data.ndim
    if nd not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {nd}D)")
    unb = nd == 3
    if unb:
        x = unsqueeze(x, 0)
    N, C, H, W = x._data.shape
    geo = _fold_geom(N, C, H, W, kernel_size, dilation, padding, stride)
    if geo.Ho <= 0 or geo.Wo <= 0:
        raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size=({geo.kh}, {geo.kw}), "
                           f"dilation=({geo.dh}, {geo.dw}), padding=({geo.pt}, {geo.pl}), calculated shape of the "
                           f"array of sliding blocks as ({geo.Ho}, {geo.Wo}), but its components must be at least one.")
    y = _unfold_op(x, geo)
    return squeeze(y, 0) if unb else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding blocks into an image (col2im), summing overlaps: ``(N, C * kH * kW, L) -> (N, C, H, W)``.

    The inverse arrangement of :func:`unfold`; ``fold(unfold(x))`` multiplies each pixel by the
    number of blocks that cover it.
    """
    c = input
    nd = c._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {nd}D)")
    unb = nd == 2
    if unb:
        c = unsqueeze(c, 0)
    H, W = _tuple(output_size, 2, "output_size")
    N, CK, L = c._data.shape
    kh, kw = _tuple(kernel_size, 2, "kernel_size")
    if CK % (kh * kw):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={CK} and kernel_size=({kh}, {kw})")
    geo = _fold_geom(N, CK // (kh * kw), H, W, kernel_size, dilation, padding, stride)
    if geo.Ho * geo.Wo != L:
        raise RuntimeError(f"Given output_size=({H}, {W}), kernel_size=({kh}, {kw}), dilation=({geo.dh}, {geo.dw}), "
                           f"padding=({geo.pt}, {geo.pl}), stride=({geo.sh}, {geo.sw}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {geo.Ho} * {geo.Wo} = "
                           f"{geo.Ho * geo.Wo}, but got input.size(2)={L}.")
    y = _fold_op(c, geo)
    return squeeze(y, 0) if unb else y
