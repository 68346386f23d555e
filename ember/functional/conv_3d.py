"""3-D convolutions: ``conv3d`` and ``conv_transpose3d``, on the 2-D im2col + BLAS kernels (and
``conv_tbc``, the time-batch-channel layout of ``conv1d``).

A 3-D convolution is a 2-D one over (H, W) whose input channels are the ``kD`` depth taps
of every channel: the padded volume is cut into ``kD`` strided depth slabs, stacked as
channels (grouped channels kept together per group), the depth folded into the batch, and
one ``conv2d`` does the rest with the weight laid out to match. The transposed convolution
is the adjoint: one ``conv_transpose2d`` makes every (depth tap, input slice) plane, and the
planes are added at their depths. Both are compositions of recorded ops, so their gradients
(of any order) are exact; 1-D and 2-D convolutions do not go through this file.

>>> import ember
>>> import ember.nn.functional as F
>>> F.conv3d(ember.ones(1, 2, 4, 5, 5), ember.ones(3, 2, 2, 3, 3)).shape
ember.Size([1, 3, 3, 3, 3])
>>> F.conv_transpose3d(ember.ones(1, 3, 3, 3, 3), ember.ones(3, 2, 2, 3, 3), stride=2).shape
ember.Size([1, 2, 6, 7, 7])
"""
from ..autograd.ops import reshape, permute, squeeze, unsqueeze, add, stack
from ..autograd.autocast_state import active as _autocast, run_lower
from ..autograd.ops.conversion import in_float32
from .conv import conv1d, conv2d, conv_transpose2d, _tuple, _check_float, _same_padding, _positive_kernel
from .padding import pad as _pad

__all__ = ["conv3d", "conv_transpose3d", "conv_tbc"]


def _batched5(name, x, what="input"):
    n = x._data.ndim
    if n == 5:
        return x, False
    if n == 4:
        return unsqueeze(x, 0), True
    raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) {what} to {name}, but got {what} of size: "
                       f"{list(x._data.shape)}")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation over ``(N, C_in, D, H, W)`` (or unbatched ``(C_in, D, H, W)``).

    Args:
        weight: ``(C_out, C_in / groups, kD, kH, kW)``; bias ``(C_out)`` or None.
        stride, dilation: int or (d, h, w).
        padding: int, (d, h, w), ``'valid'`` or ``'same'`` (stride 1; an odd total pads one more at the end).
        groups: independent channel groups.

    Output ``D_out = floor((D + 2 * padding - dilation * (kD - 1) - 1) / stride) + 1`` (same for H, W).
    """
    if _autocast.cpu:
        return run_lower(conv3d, input, weight, bias, stride, padding, dilation, groups)
    x, unb = _batched5("conv3d", input)
    if _check_float("conv3d", x, weight, bias):
        return in_float32(conv3d, input, weight, bias, stride, padding, dilation, groups)
    if weight._data.ndim != 5:
        raise RuntimeError(f"conv3d: expected a 5-D weight (C_out, C_in/groups, kD, kH, kW), got weight of size "
                           f"{list(weight._data.shape)}")
    (sd, sh, sw), (dd, dh, dw) = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    N, C, D, H, W = x._data.shape
    Cout, Cg, kD, kH, kW = weight._data.shape
    _positive_kernel("conv3d", (kD, kH, kW))
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if C != Cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight._data.shape)}, expected "
                           f"input{list(x._data.shape)} to have {Cg * groups} channels, but got {C} channels instead")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
        if padding == "same" and (sd, sh, sw) != (1, 1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        depth_pad = _same_padding(kD, dd) if padding == "same" else (0, 0)
        hw_pad = padding
    else:
        pd, ph, pw = _tuple(padding, 3, "padding")
        if min(pd, ph, pw) < 0:
            raise RuntimeError("negative padding is not supported")
        depth_pad, hw_pad = (pd, pd), (ph, pw)
    if depth_pad != (0, 0):
        x = _pad(x, (0, 0, 0, 0) + depth_pad)
    Dp = D + sum(depth_pad)
    Do = (Dp - dd * (kD - 1) - 1) // sd + 1
    if Do <= 0:
        raise RuntimeError(f"Calculated padded input size per channel: ({Dp} x {H} x {W}). Kernel size: "
                           f"({dd * (kD - 1) + 1} x {dh * (kH - 1) + 1} x {dw * (kW - 1) + 1}). Kernel size can't be "
                           "greater than actual input size")
    # (N, kD, C, Do, H, W): the depth taps, then grouped as (groups, kD, C/groups) channels
    slabs = stack([x[:, :, k * dd:k * dd + sd * (Do - 1) + 1:sd] for k in range(kD)], 1)
    slabs = reshape(slabs, (N, kD, groups, Cg, Do, H, W))
    slabs = reshape(permute(slabs, (0, 4, 2, 1, 3, 5, 6)), (N * Do, groups * kD * Cg, H, W))
    w2 = reshape(permute(weight, (0, 2, 1, 3, 4)), (Cout, kD * Cg, kH, kW))
    y = conv2d(slabs, w2, None, (sh, sw), hw_pad, (dh, dw), groups)
    Ho, Wo = y._data.shape[-2:]
    y = permute(reshape(y, (N, Do, Cout, Ho, Wo)), (0, 2, 1, 3, 4))
    if bias is not None:
        y = add(y, reshape(bias, (Cout, 1, 1, 1)))
    return squeeze(y, 0) if unb else y


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution (the gradient of :func:`conv3d` with respect to its input).

    Args:
        input: ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``.
        weight: ``(C_in, C_out / groups, kD, kH, kW)``.
        output_padding: extra planes at the end of each output dimension (smaller than stride or dilation).

    Output ``D_out = (D - 1) * stride - 2 * padding + dilation * (kD - 1) + output_padding + 1`` (same for H, W).
    """
    if _autocast.cpu:
        return run_lower(conv_transpose3d, input, weight, bias, stride, padding, output_padding, groups, dilation)
    x, unb = _batched5("conv_transpose3d", input)
    if _check_float("conv_transpose3d", x, weight, bias):
        return in_float32(conv_transpose3d, input, weight, bias, stride, padding, output_padding, groups, dilation)
    if weight._data.ndim != 5:
        raise RuntimeError(f"conv_transpose3d: expected a 5-D weight (C_in, C_out/groups, kD, kH, kW), got weight "
                           f"of size {list(weight._data.shape)}")
    (sd, sh, sw), (pd, ph, pw) = _tuple(stride, 3, "stride"), _tuple(padding, 3, "padding")
    (od, oh, ow), (dd, dh, dw) = _tuple(output_padding, 3, "output_padding"), _tuple(dilation, 3, "dilation")
    N, Cin, Di, H, W = x._data.shape
    Cin_w, Cog, kD, kH, kW = weight._data.shape
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if Cin != Cin_w:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight._data.shape)}, expected "
                           f"input{list(x._data.shape)} to have {Cin_w} channels, but got {Cin} channels instead")
    if od >= sd and od >= dd:
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={(od, oh, ow)}, stride={(sd, sh, sw)}, dilation={(dd, dh, dw)}")
    Dfull = (Di - 1) * sd + dd * (kD - 1) + 1
    Do = Dfull - 2 * pd + od
    if Do <= 0:
        raise RuntimeError(f"Given input size per channel: {[Di, H, W]}. Calculated output size: "
                           f"{[N, Cog * groups, Do]}. Output size is too small")
    # every (input slice, depth tap) plane at once: output channels ordered (groups, kD, C_out/groups)
    x2 = reshape(permute(x, (0, 2, 1, 3, 4)), (N * Di, Cin, H, W))
    w2 = reshape(permute(reshape(weight, (Cin, Cog, kD, kH, kW)), (0, 2, 1, 3, 4)), (Cin, kD * Cog, kH, kW))
    planes = conv_transpose2d(x2, w2, None, (sh, sw), (ph, pw), (oh, ow), groups, (dh, dw))
    Ho, Wo = planes._data.shape[-2:]
    planes = reshape(planes, (N, Di, groups, kD, Cog, Ho, Wo))
    y = None
    for k in range(kD):
        p = reshape(planes[:, :, :, k], (N, Di, groups * Cog, Ho, Wo))
        if sd > 1:  # input slice i lands at depth i * stride: put stride - 1 empty planes after each
            p = reshape(_pad(unsqueeze(p, 2), (0, 0, 0, 0, 0, 0, 0, sd - 1)), (N, Di * sd, groups * Cog, Ho, Wo))
            p = p[:, :(Di - 1) * sd + 1]
        p = _pad(p, (0, 0, 0, 0, 0, 0, k * dd, Dfull - k * dd - p._data.shape[1]))
        y = p if y is None else add(y, p)
    # crop the padding (and add output_padding planes at the end)
    y = _pad(y, (0, 0, 0, 0, 0, 0, -pd, od - pd))
    y = permute(y, (0, 2, 1, 3, 4))
    if bias is not None:
        y = add(y, reshape(bias, (groups * Cog, 1, 1, 1)))
    return squeeze(y, 0) if unb else y


def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution in the time-batch-channel layout: input ``(T, N, C_in)``, weight ``(k, C_in, C_out)``,
    bias ``(C_out)``, ``pad`` zeros at both ends of time; output ``(T + 2 * pad - k + 1, N, C_out)``."""
    if input._data.ndim != 3:
        raise RuntimeError(f"conv_tbc: Input must have 3 dims: time, batch, in_channel, got {input._data.ndim}")
    if weight._data.ndim != 3:
        raise RuntimeError(f"conv_tbc: Weight tensor must have 3 dims: kernel_width, in_channels, out_channels, "
                           f"got {weight._data.ndim}")
    if bias is None or bias._data.ndim != 1:
        raise RuntimeError("conv_tbc: Bias must be 1-D")
    if input._data.shape[2] != weight._data.shape[1]:
        raise RuntimeError(f"conv_tbc: Input dim 2 (input channels, {input._data.shape[2]}) is not == dim 1 in the "
                           f"weight tensor ({weight._data.shape[1]})")
    y = conv1d(permute(input, (1, 2, 0)), permute(weight, (2, 1, 0)), bias, padding=pad)
    return permute(y, (2, 0, 1))
