"""EfficientNet B0-B7 (Tan & Le, 2019): MBConv blocks (expand, depthwise, squeeze-excite,
project) with SiLU activations and stochastic depth, scaled in width and depth; and EfficientNetV2
S/M/L (Tan & Le, 2021), whose early stages use FusedMBConv blocks (one full 3x3 convolution in
place of the 1x1 expansion and the depthwise convolution, without squeeze-excite).

>>> import ember
>>> from ember.vision import models
>>> models.efficientnet_b0(num_classes=10)(ember.zeros(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""
import copy
import functools
import math

from ... import nn
from ..ops import Conv2dNormActivation, SqueezeExcitation, StochasticDepth
from ._api import pretrained_weights, register_model, weights_enum, with_weights
from ._utils import make_divisible

__all__ = ["EfficientNet", "MBConv", "MBConvConfig", "FusedMBConv", "FusedMBConvConfig"] + [
    f"efficientnet_b{i}" for i in range(8)] + [f"EfficientNet_B{i}_Weights" for i in range(8)] + ["efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
                                               "EfficientNet_V2_S_Weights", "EfficientNet_V2_M_Weights",
                                               "EfficientNet_V2_L_Weights"]


class MBConvConfig:
    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, width_mult=1.0,
                 depth_mult=1.0):
        self.expand_ratio, self.kernel, self.stride = expand_ratio, kernel, stride
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.num_layers = int(math.ceil(num_layers * depth_mult))
        self.block = MBConv

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return make_divisible(channels * width_mult, 8, min_value)


class MBConv(nn.Module):
    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel, stride=cnf.stride,
                                           groups=expanded, norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4),
                               activation=functools.partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, x):
        result = self.block(x)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + x
        return result


class FusedMBConvConfig(MBConvConfig):
    """A FusedMBConv stage (EfficientNetV2), unscaled."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block=None):
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers)
        self.block = block or FusedMBConv


class FusedMBConv(nn.Module):
    """``kxk conv (expand) -> 1x1 conv (project)``, or one ``kxk`` conv when nothing expands."""

    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=cnf.kernel, stride=cnf.stride,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU),
                      Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None)]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels, kernel_size=cnf.kernel,
                                           stride=cnf.stride, norm_layer=norm_layer, activation_layer=nn.SiLU)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, x):
        result = self.block(x)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + x
        return result


class EfficientNet(nn.Module):
    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2, num_classes=1000,
                 norm_layer=None, last_channel=None):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        norm_layer = norm_layer or nn.BatchNorm2d
        layers = [Conv2dNormActivation(3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
                                       norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:
                    block_cnf.input_channels, block_cnf.stride = block_cnf.out_channels, 1
                stage.append(block_cnf.block(block_cnf, stochastic_depth_prob * float(block_id) / total, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                r = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -r, r)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


_BASE = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
         (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
# (width_mult, depth_mult, dropout) per variant, as in the paper's compound scaling.
_SCALES = [(1.0, 1.0, 0.2), (1.0, 1.1, 0.2), (1.1, 1.2, 0.3), (1.2, 1.4, 0.3), (1.4, 1.8, 0.4), (1.6, 2.2, 0.4),
           (1.8, 2.6, 0.5), (2.0, 3.1, 0.5)]


def _efficientnet(i, weights, kwargs):
    name = f"efficientnet_b{i}"
    weights = pretrained_weights(name, weights, kwargs)
    width, depth, dropout = _SCALES[i]
    setting = [MBConvConfig(*row, width_mult=width, depth_mult=depth) for row in _BASE]
    if i >= 5:  # torchvision's B5-B7 use BatchNorm eps 0.001 and momentum 0.01
        kwargs.setdefault("norm_layer", functools.partial(nn.BatchNorm2d, eps=0.001, momentum=0.01))
    return with_weights(EfficientNet(setting, kwargs.pop("dropout", dropout), **kwargs), weights)


def _builder(i):
    def build(*, weights=None, progress=True, **kwargs):
        return _efficientnet(i, weights, kwargs)
    build.__name__ = build.__qualname__ = f"efficientnet_b{i}"
    build.__doc__ = f"EfficientNet-B{i} (width x{_SCALES[i][0]}, depth x{_SCALES[i][1]}, dropout {_SCALES[i][2]})."
    return register_model(build)


efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3 = (_builder(i) for i in range(4))
efficientnet_b4, efficientnet_b5, efficientnet_b6, efficientnet_b7 = (_builder(i) for i in range(4, 8))
EfficientNet_B0_Weights = weights_enum("EfficientNet_B0_Weights", "IMAGENET1K_V1")
EfficientNet_B1_Weights = weights_enum("EfficientNet_B1_Weights", "IMAGENET1K_V2", "IMAGENET1K_V1")
EfficientNet_B2_Weights = weights_enum("EfficientNet_B2_Weights", "IMAGENET1K_V1")
EfficientNet_B3_Weights = weights_enum("EfficientNet_B3_Weights", "IMAGENET1K_V1")
EfficientNet_B4_Weights = weights_enum("EfficientNet_B4_Weights", "IMAGENET1K_V1")
EfficientNet_B5_Weights = weights_enum("EfficientNet_B5_Weights", "IMAGENET1K_V1")
EfficientNet_B6_Weights = weights_enum("EfficientNet_B6_Weights", "IMAGENET1K_V1")
EfficientNet_B7_Weights = weights_enum("EfficientNet_B7_Weights", "IMAGENET1K_V1")


_V2 = {  # arch -> (stages: (fused?, expand, kernel, stride, in, out, layers), dropout)
    "efficientnet_v2_s": ([(1, 1, 3, 1, 24, 24, 2), (1, 4, 3, 2, 24, 48, 4), (1, 4, 3, 2, 48, 64, 4),
                           (0, 4, 3, 2, 64, 128, 6), (0, 6, 3, 1, 128, 160, 9), (0, 6, 3, 2, 160, 256, 15)], 0.2),
    "efficientnet_v2_m": ([(1, 1, 3, 1, 24, 24, 3), (1, 4, 3, 2, 24, 48, 5), (1, 4, 3, 2, 48, 80, 5),
                           (0, 4, 3, 2, 80, 160, 7), (0, 6, 3, 1, 160, 176, 14), (0, 6, 3, 2, 176, 304, 18),
                           (0, 6, 3, 1, 304, 512, 5)], 0.3),
    "efficientnet_v2_l": ([(1, 1, 3, 1, 32, 32, 4), (1, 4, 3, 2, 32, 64, 7), (1, 4, 3, 2, 64, 96, 7),
                           (0, 4, 3, 2, 96, 192, 10), (0, 6, 3, 1, 192, 224, 19), (0, 6, 3, 2, 224, 384, 25),
                           (0, 6, 3, 1, 384, 640, 7)], 0.4),
}
EfficientNet_V2_S_Weights = weights_enum("EfficientNet_V2_S_Weights", "IMAGENET1K_V1")
EfficientNet_V2_M_Weights = weights_enum("EfficientNet_V2_M_Weights", "IMAGENET1K_V1")
EfficientNet_V2_L_Weights = weights_enum("EfficientNet_V2_L_Weights", "IMAGENET1K_V1")


def _efficientnet_v2(arch, weights, kwargs):
    weights = pretrained_weights(arch, weights, kwargs)
    stages, dropout = _V2[arch]
    setting = [(FusedMBConvConfig if fused else MBConvConfig)(*row) for fused, *row in stages]
    kwargs.setdefault("norm_layer", functools.partial(nn.BatchNorm2d, eps=0.001))
    return with_weights(EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=1280, **kwargs), weights)


@register_model
def efficientnet_v2_s(*, weights=None, progress=True, **kwargs):
    """EfficientNetV2-S, 21.5M parameters."""
    return _efficientnet_v2("efficientnet_v2_s", weights, kwargs)


@register_model
def efficientnet_v2_m(*, weights=None, progress=True, **kwargs):
    """EfficientNetV2-M, 54.1M parameters."""
    return _efficientnet_v2("efficientnet_v2_m", weights, kwargs)


@register_model
def efficientnet_v2_l(*, weights=None, progress=True, **kwargs):
    """EfficientNetV2-L, 118.5M parameters."""
    return _efficientnet_v2("efficientnet_v2_l", weights, kwargs)
