"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``, their lazy forms,
``Unfold`` and ``Fold``.

Each is a thin shell over :mod:`ember.functional.conv` holding PyTorch's
parameters (``weight``, ``bias``) and constructor arguments.

Init (as PyTorch): ``weight ~ kaiming_uniform_(a=sqrt(5))``, which is
``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, and ``bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
where ``fan_in = weight.shape[1] * prod(kernel_size)``.

>>> import ember
>>> from ember import nn
>>> conv = nn.Conv2d(1, 32, 3)
>>> conv
Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))
>>> conv(ember.zeros(8, 1, 28, 28)).shape
ember.Size([8, 32, 26, 26])
"""
import math

from ... import creation
from ...functional import conv as Fc
from ...functional.padding import pad as _pad
from .. import init
from ..module import Module, input_error
from ..parameter import Parameter, UninitializedParameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v, n):
    if isinstance(v, (list, tuple)):
        v = tuple(v)
        return v * n if len(v) == 1 and n > 1 else v
    return (v,) * n


class _ConvNd(Module):
    """Shared constructor, init, checks and repr of the convolution layers (``nd`` spatial dims)."""

    nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", output_padding=0, device=None, dtype=None):
        super().__init__()
        self._configure(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, padding_mode,
                        output_padding)
        if self.transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(creation.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _configure(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, padding_mode,
                   output_padding):
        nd = self.nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, nd)
        self.stride = _ntuple(stride, nd)
        self.dilation = _ntuple(dilation, nd)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, nd)
        self.output_padding = _ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's (left, right) pairs from the last dimension, for the non-zero padding modes.
        rev = []
        for i in reversed(range(nd)):
            k, d = self.kernel_size[i], self.dilation[i]
            if self.padding == "same":
                total = d * (k - 1)
                rev += [total // 2, total - total // 2]
            elif self.padding == "valid":
                rev += [0, 0]
            else:
                rev += [self.padding[i]] * 2
        self._reversed_padding_repeated_twice = rev

    def reset_parameters(self):
        # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input):
        x = input._data
        nd = self.nd
        if x.ndim not in (nd + 1, nd + 2):
            layout = {1: "(N, C, L) or unbatched (C, L)", 2: "(N, C, H, W) or unbatched (C, H, W)"}[nd]
            raise input_error(self, f"expected a {nd + 2}D input {layout}, got input of shape {tuple(x.shape)}")
        c = x.shape[-nd - 1]
        if c != self.in_channels:
            raise input_error(self, f"expected input{list(x.shape)} to have {self.in_channels} channels, but got "
                                    f"{c} channels instead")


class _Conv(_ConvNd):
    """Forward of Conv1d and Conv2d: pad per ``padding_mode`` when it is not zeros, then convolve."""

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            padded = _pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return self._conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        self._check_input(input)
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over ``(N, C_in, L)`` (or unbatched ``(C_in, L)``): ``weight (C_out, C_in/groups, k)``.

    Args:
        in_channels, out_channels: channel counts.
        kernel_size, stride, dilation: ints (or 1-tuples).
        padding: int, ``'valid'`` or ``'same'``; padding_mode ``'zeros'``, ``'reflect'``, ``'replicate'`` or
            ``'circular'``.
        groups: independent channel groups; bias: learn a bias (default True).

    Shape: output ``L_out = floor((L + 2 * padding - dilation * (k - 1) - 1) / stride) + 1``.
    """

    nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype)

    _conv = staticmethod(Fc.conv1d)


class Conv2d(_Conv):
    """2-D convolution over ``(N, C_in, H, W)`` (or unbatched ``(C_in, H, W)``).

    ``out[n, o] = bias[o] + sum_c weight[o, c] * input[n, c]`` (cross-correlation, as PyTorch).

    Args:
        in_channels, out_channels: channel counts.
        kernel_size, stride, dilation: int or (h, w).
        padding: int, (h, w), ``'valid'`` or ``'same'`` (stride 1 only).
        groups: split channels into independent convolutions (``groups == in_channels``: depthwise).
        bias: learn a bias (default True).
        padding_mode: ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Shape: weight ``(C_out, C_in / groups, kH, kW)``, bias ``(C_out)``; output
    ``H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1`` (same for W).
    """

    nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype)

    _conv = staticmethod(Fc.conv2d)


class _ConvTransposeNd(_ConvNd):
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                 dilation, padding_mode, device, dtype):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} does not accept a padding string, got padding={padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device, dtype)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule), or the constructor's."""
        if output_size is None:
            return self.output_padding
        nd = self.nd
        non_spatial = 2 if input._data.ndim == nd + 2 else 1
        output_size = list(output_size)
        if len(output_size) == nd + non_spatial:
            output_size = output_size[non_spatial:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input._data.ndim}D input, output_size must have {nd} or "
                             f"{nd + non_spatial} elements (got {len(output_size)})")
        spatial = input._data.shape[non_spatial:]
        mins = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d] + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1 for d in range(nd)]
        maxs = [mins[d] + self.stride[d] - 1 for d in range(nd)]
        for size, lo, hi in zip(output_size, mins, maxs):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {mins} to "
                                 f"{maxs} (for an input of {list(spatial)})")
        return tuple(output_size[d] - mins[d] for d in range(nd))


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the gradient of :class:`Conv1d` w.r.t. its input), ``weight (C_in, C_out/groups, k)``.

    Shape: output ``L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.
    """

    nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        self._check_input(input)
        op = self._output_padding(input, output_size)
        return Fc.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                   self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution ("deconvolution"): the gradient of :class:`Conv2d` w.r.t. its input.

    Args as :class:`Conv2d`, plus ``output_padding`` (extra bottom/right rows and columns, each smaller than
    the stride or the dilation); ``forward(input, output_size=None)`` may pick the output size instead.

    Shape: weight ``(C_in, C_out / groups, kH, kW)``; output
    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``.
    """

    nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        self._check_input(input)
        op = self._output_padding(input, output_size)
        return Fc.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                   self.dilation)


class _LazyConvMixin:
    """``in_channels`` is taken from the first input; the weight is created then."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        Module.__init__(self)
        self._configure(0, out_channels, kernel_size, stride, padding, dilation, groups, padding_mode, 0)
        self._dtype = dtype
        self.weight = UninitializedParameter()
        if bias:
            self.bias = UninitializedParameter()
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if not isinstance(self.weight, UninitializedParameter):
            _ConvNd.reset_parameters(self)

    def _check_input(self, input):
        if isinstance(self.weight, UninitializedParameter):
            x = input._data
            if x.ndim not in (self.nd + 1, self.nd + 2):
                _ConvNd._check_input(self, input)
            c = x.shape[-self.nd - 1]
            if c % self.groups:
                raise input_error(self, f"the input's {c} channels are not divisible by groups={self.groups}")
            self.in_channels = c
            d = self._dtype or input.dtype
            self.weight.materialize((self.out_channels, c // self.groups) + self.kernel_size, dtype=d)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,), dtype=d)
            self.reset_parameters()
            del self._dtype
            self.__class__ = self.cls_to_become
        _ConvNd._check_input(self, input)


class LazyConv1d(_LazyConvMixin, Conv1d):
    """A :class:`Conv1d` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvMixin, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = Conv2d


class Unfold(Module):
    """Extract sliding blocks (im2col): ``(N, C, H, W) -> (N, C * prod(kernel_size), L)``; see :func:`F.unfold`."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return Fc.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """Sum sliding blocks back into an image (col2im): ``(N, C * prod(kernel_size), L) -> (N, C, *output_size)``."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return Fc.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
