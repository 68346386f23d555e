"""ConvNeXt (Liu et al., 2022), torchvision's layout: a 4x4 stride-4 stem, four stages of
CNBlocks (7x7 depthwise conv, channels-last LayerNorm, a 4x MLP with GELU, a learned per-channel
``layer_scale``, stochastic depth) with 2x2 stride-2 downsampling between them, then LayerNorm2d
and a linear head.

A CNBlock computes ``x + drop_path(layer_scale * mlp(norm(dwconv(x))))``.

>>> import ember
>>> from ember.vision import models
>>> models.convnext_tiny(num_classes=10)(ember.zeros(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""
import functools

from ... import nn
from ...nn import functional as F
from ..ops import Conv2dNormActivation, Permute, StochasticDepth
from ._api import pretrained_weights, register_model, weights_enum, with_weights

__all__ = ["ConvNeXt", "CNBlock", "CNBlockConfig", "LayerNorm2d", "convnext_tiny", "convnext_small",
           "convnext_base", "convnext_large", "ConvNeXt_Tiny_Weights", "ConvNeXt_Small_Weights",
           "ConvNeXt_Base_Weights", "ConvNeXt_Large_Weights"]


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an ``(N, C, H, W)`` tensor (normalises each pixel's C values)."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    def __init__(self, dim, layer_scale, stochastic_depth_prob, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or functools.partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]), norm_layer(dim),
            nn.Linear(dim, 4 * dim, bias=True), nn.GELU(), nn.Linear(4 * dim, dim, bias=True),
            Permute([0, 3, 1, 2]))
        from ... import ones
        self.layer_scale = nn.Parameter(ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, x):
        return self.stochastic_depth(self.layer_scale * self.block(x)) + x


class CNBlockConfig:
    """One stage: ``input_channels`` wide, ``num_layers`` blocks, then a downsampling to
    ``out_channels`` (None for the last stage)."""

    def __init__(self, input_channels, out_channels, num_layers):
        self.input_channels, self.out_channels, self.num_layers = input_channels, out_channels, num_layers


class ConvNeXt(nn.Module):
    def __init__(self, block_setting, stochastic_depth_prob=0.0, layer_scale=1e-6, num_classes=1000, block=None,
                 norm_layer=None, **kwargs):
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (isinstance(block_setting, (list, tuple)) and all(isinstance(s, CNBlockConfig) for s in block_setting)):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        block = block or CNBlock
        norm_layer = norm_layer or functools.partial(LayerNorm2d, eps=1e-6)
        first = block_setting[0].input_channels
        layers = [Conv2dNormActivation(3, first, kernel_size=4, stride=4, padding=0, norm_layer=norm_layer,
                                       activation_layer=None, bias=True)]
        total = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                # the drop probability grows linearly with depth, from 0 to stochastic_depth_prob
                sd_prob = stochastic_depth_prob * block_id / (total - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(norm_layer(cnf.input_channels),
                                            nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        last_out = last.out_channels if last.out_channels is not None else last.input_channels
        self.classifier = nn.Sequential(norm_layer(last_out), nn.Flatten(1), nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


_SETTINGS = {
    "convnext_tiny": ([(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)], 0.1),
    "convnext_small": ([(96, 192, 3), (192, 384, 3), (384, 768, 27), (768, None, 3)], 0.4),
    "convnext_base": ([(128, 256, 3), (256, 512, 3), (512, 1024, 27), (1024, None, 3)], 0.5),
    "convnext_large": ([(192, 384, 3), (384, 768, 3), (768, 1536, 27), (1536, None, 3)], 0.5),
}

ConvNeXt_Tiny_Weights = weights_enum("ConvNeXt_Tiny_Weights", "IMAGENET1K_V1")
ConvNeXt_Small_Weights = weights_enum("ConvNeXt_Small_Weights", "IMAGENET1K_V1")
ConvNeXt_Base_Weights = weights_enum("ConvNeXt_Base_Weights", "IMAGENET1K_V1")
ConvNeXt_Large_Weights = weights_enum("ConvNeXt_Large_Weights", "IMAGENET1K_V1")


def _convnext(arch, weights, kwargs):
    weights = pretrained_weights(arch, weights, kwargs)
    setting, sd_prob = _SETTINGS[arch]
    kwargs.setdefault("stochastic_depth_prob", sd_prob)
    model = ConvNeXt([CNBlockConfig(*s) for s in setting], **kwargs)
    return with_weights(model, weights)


@register_model
def convnext_tiny(*, weights=None, progress=True, **kwargs):
    """ConvNeXt-Tiny, 28.6M parameters."""
    return _convnext("convnext_tiny", weights, kwargs)


@register_model
def convnext_small(*, weights=None, progress=True, **kwargs):
    """ConvNeXt-Small, 50.2M parameters."""
    return _convnext("convnext_small", weights, kwargs)


@register_model
def convnext_base(*, weights=None, progress=True, **kwargs):
    """ConvNeXt-Base, 88.6M parameters."""
    return _convnext("convnext_base", weights, kwargs)


@register_model
def convnext_large(*, weights=None, progress=True, **kwargs):
    """ConvNeXt-Large, 197.8M parameters."""
    return _convnext("convnext_large", weights, kwargs)
