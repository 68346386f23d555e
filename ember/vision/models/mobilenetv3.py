"""MobileNetV3 (Howard et al., 2019), large and small: inverted residuals with squeeze-and-
excitation and hard-swish activations; BatchNorm with eps 0.001 and momentum 0.01.

>>> import ember
>>> from ember.vision import models
>>> models.mobilenet_v3_small(num_classes=10)(ember.zeros(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""
import functools

from ... import nn
from ..ops import Conv2dNormActivation, SqueezeExcitation
from ._api import pretrained_weights, register_model, weights_enum, with_weights
from ._utils import make_divisible

__all__ = ["MobileNetV3", "InvertedResidualConfig", "mobilenet_v3_large", "mobilenet_v3_small",
           "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights"]


class InvertedResidualConfig:
    def __init__(self, input_channels, kernel, expanded_channels, out_channels, use_se, activation, stride,
                 dilation, width_mult):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride, self.dilation = stride, dilation

    @staticmethod
    def adjust_channels(channels, width_mult):
        return make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    def __init__(self, cnf, norm_layer, se_layer=functools.partial(SqueezeExcitation,
                                                                   scale_activation=nn.Hardsigmoid)):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        act = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=act))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels, kernel_size=cnf.kernel,
                                           stride=stride, dilation=cnf.dilation, groups=cnf.expanded_channels,
                                           norm_layer=norm_layer, activation_layer=act))
        if cnf.use_se:
            layers.append(se_layer(cnf.expanded_channels, make_divisible(cnf.expanded_channels // 4, 8)))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, x):
        return x + self.block(x) if self.use_res_connect else self.block(x)


class MobileNetV3(nn.Module):
    def __init__(self, inverted_residual_setting, last_channel, num_classes=1000, block=None, norm_layer=None,
                 dropout=0.2, **kwargs):
        # as torchvision, other keywords are ignored (ssdlite320_mobilenet_v3_large passes the detector's)
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        block = block or InvertedResidual
        norm_layer = norm_layer or functools.partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = inverted_residual_setting[0].input_channels
        layers = [Conv2dNormActivation(3, first, kernel_size=3, stride=2, norm_layer=norm_layer,
                                       activation_layer=nn.Hardswish)]
        layers += [block(cnf, norm_layer) for cnf in inverted_residual_setting]
        last_in = inverted_residual_setting[-1].out_channels
        last_out = 6 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(last_out, last_channel), nn.Hardswish(inplace=True),
                                        nn.Dropout(p=dropout, inplace=True), nn.Linear(last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _config(arch, width_mult=1.0, reduced_tail=False, dilated=False):
    reduce = 2 if reduced_tail else 1
    dilation = 2 if dilated else 1
    c = functools.partial(InvertedResidualConfig, width_mult=width_mult)
    if arch == "mobilenet_v3_large":
        setting = [
            c(16, 3, 16, 16, False, "RE", 1, 1), c(16, 3, 64, 24, False, "RE", 2, 1),
            c(24, 3, 72, 24, False, "RE", 1, 1), c(24, 5, 72, 40, True, "RE", 2, 1),
            c(40, 5, 120, 40, True, "RE", 1, 1), c(40, 5, 120, 40, True, "RE", 1, 1),
            c(40, 3, 240, 80, False, "HS", 2, 1), c(80, 3, 200, 80, False, "HS", 1, 1),
            c(80, 3, 184, 80, False, "HS", 1, 1), c(80, 3, 184, 80, False, "HS", 1, 1),
            c(80, 3, 480, 112, True, "HS", 1, 1), c(112, 3, 672, 112, True, "HS", 1, 1),
            c(112, 5, 672, 160 // reduce, True, "HS", 2, dilation),
            c(160 // reduce, 5, 960 // reduce, 160 // reduce, True, "HS", 1, dilation),
            c(160 // reduce, 5, 960 // reduce, 160 // reduce, True, "HS", 1, dilation)]
        last = InvertedResidualConfig.adjust_channels(1280 // reduce, width_mult)
    else:
        setting = [
            c(16, 3, 16, 16, True, "RE", 2, 1), c(16, 3, 72, 24, False, "RE", 2, 1),
            c(24, 3, 88, 24, False, "RE", 1, 1), c(24, 5, 96, 40, True, "HS", 2, 1),
            c(40, 5, 240, 40, True, "HS", 1, 1), c(40, 5, 240, 40, True, "HS", 1, 1),
            c(40, 5, 120, 48, True, "HS", 1, 1), c(48, 5, 144, 48, True, "HS", 1, 1),
            c(48, 5, 288, 96 // reduce, True, "HS", 2, dilation),
            c(96 // reduce, 5, 576 // reduce, 96 // reduce, True, "HS", 1, dilation),
            c(96 // reduce, 5, 576 // reduce, 96 // reduce, True, "HS", 1, dilation)]
        last = InvertedResidualConfig.adjust_channels(1024 // reduce, width_mult)
    return setting, last


MobileNet_V3_Large_Weights = weights_enum("MobileNet_V3_Large_Weights", "IMAGENET1K_V2", "IMAGENET1K_V1")
MobileNet_V3_Small_Weights = weights_enum("MobileNet_V3_Small_Weights", "IMAGENET1K_V1")


def _build(arch, weights, kwargs):
    weights = pretrained_weights(arch, weights, kwargs)
    width = kwargs.pop("width_mult", 1.0)
    reduced_tail = kwargs.pop("reduced_tail", False)
    dilated = kwargs.pop("dilated", False)
    setting, last = _config(arch, width, reduced_tail, dilated)
    return with_weights(MobileNetV3(setting, last, **kwargs), weights)


@register_model
def mobilenet_v3_large(*, weights=None, progress=True, **kwargs):
    """MobileNetV3-Large, 5.5M parameters."""
    return _build("mobilenet_v3_large", weights, kwargs)


@register_model
def mobilenet_v3_small(*, weights=None, progress=True, **kwargs):
    """MobileNetV3-Small, 2.5M parameters."""
    return _build("mobilenet_v3_small", weights, kwargs)
