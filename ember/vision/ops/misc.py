"""Convolution-normalisation-activation blocks, squeeze-and-excitation, the MLP block and Permute.

Their children are numbered as torchvision numbers them (``0`` convolution, ``1`` norm, ``2``
activation), so state_dict keys match torchvision's models.
"""
from ... import nn


def _default_padding(kernel_size, dilation):
    if isinstance(kernel_size, int):
        return (kernel_size - 1) // 2 * dilation
    return tuple((k - 1) // 2 * dilation for k in kernel_size)


class Conv2dNormActivation(nn.Sequential):
    """``Conv2d -> norm_layer -> activation_layer``, with "same" padding by default.

    The convolution has no bias when a norm layer follows (the norm's shift replaces it).

    >>> import ember
    >>> block = Conv2dNormActivation(3, 8, kernel_size=3, stride=2)
    >>> block(ember.zeros(1, 3, 16, 16)).shape
    ember.Size([1, 8, 8, 8])
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        if padding is None:
            padding = _default_padding(kernel_size, dilation)
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                            groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer() if inplace is None else activation_layer(inplace=inplace))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2018): ``x * scale(fc2(act(fc1(avgpool(x)))))``.

    ``fc1``/``fc2`` are 1x1 convolutions (``C -> squeeze_channels -> C``); ``scale`` is a sigmoid by
    default (MobileNetV3 uses a hard sigmoid).

    >>> import ember
    >>> SqueezeExcitation(8, 2)(ember.ones(1, 8, 4, 4)).shape
    ember.Size([1, 8, 4, 4])
    """

    def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, x):
        s = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return x * self.scale_activation(s)


class MLP(nn.Sequential):
    """``Linear -> [norm] -> activation -> Dropout`` for each hidden size, the last without
    activation (torchvision.ops.MLP).

    >>> import ember
    >>> MLP(4, [8, 2])(ember.zeros(3, 4)).shape
    ember.Size([3, 2])
    """

    def __init__(self, in_channels, hidden_channels, norm_layer=None, activation_layer=nn.ReLU, inplace=None,
                 bias=True, dropout=0.0):
        layers, dim = [], in_channels
        for hidden in hidden_channels[:-1]:
            layers.append(nn.Linear(dim, hidden, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden))
            layers.append(activation_layer() if inplace is None else activation_layer(inplace=inplace))
            layers.append(nn.Dropout(dropout))
            dim = hidden
        layers.append(nn.Linear(dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class Permute(nn.Module):
    """``x.permute(*dims)`` as a module (torchvision.ops.Permute), e.g. NCHW -> NHWC in ConvNeXt.

    >>> import ember
    >>> Permute([0, 2, 3, 1])(ember.zeros(1, 3, 4, 5)).shape
    ember.Size([1, 4, 5, 3])
    """

    def __init__(self, dims):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return x.permute(*self.dims)
