"""3-D (volumetric) layers: ``Conv3d``, ``ConvTranspose3d``, ``MaxPool3d``, ``AvgPool3d``,
``AdaptiveAvgPool3d``, ``AdaptiveMaxPool3d``, ``LPPool3d``, ``MaxUnpool3d``, ``InstanceNorm3d``
and the 3-D padding layers, over :mod:`ember.functional.conv_3d` and :mod:`ember.functional.pooling3d`.

They take ``(N, C, D, H, W)`` inputs (or unbatched ``(C, D, H, W)``) and PyTorch's arguments.

>>> import ember
>>> from ember import nn
>>> conv = nn.Conv3d(2, 4, 3, padding=1)
>>> conv
Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))
>>> nn.MaxPool3d(2)(conv(ember.zeros(1, 2, 4, 6, 6))).shape
ember.Size([1, 4, 2, 3, 3])
"""
from ...functional import conv_3d as Fc3
from ...functional import pooling3d as P3
from ..module import Module, input_error
from .conv import _Conv, _ConvTransposeNd
from .normalization import _InstanceNorm
from .padding import _PadNd, _ConstantPadNd
from .pooling import _MaxPoolNd, _AdaptivePool, _AdaptiveMaxPool, _LPPool, _MaxUnpool

__all__ = ["Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d",
           "LPPool3d", "MaxUnpool3d", "InstanceNorm3d", "ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d",
           "CircularPad3d"]


def _check_5d(module, input):
    x = input._data
    if x.ndim not in (4, 5):
        raise input_error(module, f"expected a 5D input (N, C, D, H, W) or unbatched (C, D, H, W), got input of "
                                  f"shape {tuple(x.shape)}")


class _Volumetric:
    nd = 3

    def _check_input(self, input):
        _check_5d(self, input)
        c = input._data.shape[-4]
        if c != self.in_channels:
            raise input_error(self, f"expected input{list(input._data.shape)} to have {self.in_channels} channels, "
                                    f"but got {c} channels instead")


class Conv3d(_Volumetric, _Conv):
    """3-D convolution over ``(N, C_in, D, H, W)``: ``weight (C_out, C_in / groups, kD, kH, kW)``.

    Args as :class:`Conv2d`, each size an int or a (d, h, w) triple; ``padding_mode`` ``'zeros'``,
    ``'reflect'``, ``'replicate'`` or ``'circular'``. Init as PyTorch (``kaiming_uniform_(a=sqrt(5))``).

    Shape: ``D_out = floor((D + 2 * padding - dilation * (kD - 1) - 1) / stride) + 1`` (same for H, W).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype)

    _conv = staticmethod(Fc3.conv3d)


class ConvTranspose3d(_Volumetric, _ConvTransposeNd):
    """3-D transposed convolution (the gradient of :class:`Conv3d` w.r.t. its input).

    Shape: weight ``(C_in, C_out / groups, kD, kH, kW)``; output
    ``D_out = (D - 1) * stride - 2 * padding + dilation * (kD - 1) + output_padding + 1`` (same for H, W);
    ``forward(input, output_size=None)`` may pick the output size instead of ``output_padding``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        self._check_input(input)
        op = self._output_padding(input, output_size)
        return Fc3.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                    self.dilation)


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling over ``(N, C, D, H, W)``; arguments as :class:`MaxPool2d`, sizes int or (d, h, w)."""

    nd = 3

    def forward(self, input):
        _check_5d(self, input)
        return P3.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                             self.return_indices)


class AvgPool3d(Module):
    """3-D average pooling over ``(N, C, D, H, W)``: each window's sum over its size (``count_include_pad``
    counts the zero padding, the default) or over ``divisor_override``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        _check_5d(self, input)
        return P3.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                             self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling of ``(N, C, D, H, W)`` to a fixed ``output_size`` (int or (d, h, w); None keeps a size)."""

    nd = 3

    def forward(self, input):
        _check_5d(self, input)
        return P3.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max pooling of ``(N, C, D, H, W)`` to a fixed ``output_size`` (windows as :class:`AdaptiveAvgPool3d`)."""

    nd = 3

    def forward(self, input):
        _check_5d(self, input)
        return P3.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class LPPool3d(_LPPool):
    """Power-average pooling ``(sum x^p)^(1/p)`` over windows of ``(N, C, D, H, W)``."""

    def forward(self, input):
        _check_5d(self, input)
        return P3.lp_pool3d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class MaxUnpool3d(_MaxUnpool):
    """Partial inverse of :class:`MaxPool3d`: ``forward(input, indices, output_size=None)``."""

    nd = 3

    def forward(self, input, indices, output_size=None):
        return P3.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``): each channel of each sample over
    D, H, W. Defaults as PyTorch: ``affine=False``, ``track_running_stats=False``."""

    nd = 3


class ZeroPad3d(_ConstantPadNd):
    """Pad the last three dimensions with zeros: ``padding`` int or (left, right, top, bottom, front, back)."""

    nd = 3

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad3d(_PadNd):
    """Pad the last three dimensions with their reflection (the edge not repeated)."""

    nd = 3
    mode = "reflect"


class ReplicationPad3d(_PadNd):
    """Pad the last three dimensions by repeating the edge values."""

    nd = 3
    mode = "replicate"


class CircularPad3d(_PadNd):
    """Pad the last three dimensions by wrapping around (periodic)."""

    nd = 3
    mode = "circular"
