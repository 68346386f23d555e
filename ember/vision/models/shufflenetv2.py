"""ShuffleNet V2 (Ma et al., 2018), torchvision's layout: ``conv1 maxpool stage2..4 conv5 fc``.

Each unit splits the channels in two (or, when it downsamples, feeds the input to two
branches), runs 1x1 -> 3x3 depthwise -> 1x1 on one half, concatenates, and then shuffles the
channels across 2 groups so information mixes between the halves.

>>> import ember
>>> from ember.vision import models
>>> models.shufflenet_v2_x0_5(num_classes=10).eval()(ember.zeros(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""
from ... import cat, nn
from ._api import pretrained_weights, register_model, weights_enum, with_weights

__all__ = ["ShuffleNetV2", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
           "ShuffleNet_V2_X0_5_Weights", "ShuffleNet_V2_X1_0_Weights", "ShuffleNet_V2_X1_5_Weights",
           "ShuffleNet_V2_X2_0_Weights"]


def channel_shuffle(x, groups):
    """(N, g*c, H, W) -> view (N, g, c, H, W) -> transpose to (N, c, g, H, W) -> flatten back."""
    n, channels, h, w = x.shape
    x = x.reshape(n, groups, channels // groups, h, w).transpose(1, 2)
    return x.reshape(n, channels, h, w)


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride):
        super().__init__()
        if not 1 <= stride <= 3:
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if self.stride == 1 and inp != branch_features << 1:
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If stride == 1 "
                             f"then inp should be equal to oup // 2 << 1.")
        if self.stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if self.stride > 1 else branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=self.stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True))

    @staticmethod
    def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False):
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = cat((x1, self.branch2(x2)), dim=1)
        else:
            out = cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, stages_repeats, stages_out_channels, num_classes=1000, inverted_residual=InvertedResidual):
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        input_channels, output_channels = 3, stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(output_channels), nn.ReLU(inplace=True))
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, output_channels in zip(["stage2", "stage3", "stage4"], stages_repeats,
                                                  stages_out_channels[1:]):
            seq = [inverted_residual(input_channels, output_channels, 2)]
            seq += [inverted_residual(output_channels, output_channels, 1) for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*seq))
            input_channels = output_channels
        output_channels = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
                                   nn.BatchNorm2d(output_channels), nn.ReLU(inplace=True))
        self.fc = nn.Linear(output_channels, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))   # global average pool


ShuffleNet_V2_X0_5_Weights = weights_enum("ShuffleNet_V2_X0_5_Weights", "IMAGENET1K_V1")
ShuffleNet_V2_X1_0_Weights = weights_enum("ShuffleNet_V2_X1_0_Weights", "IMAGENET1K_V1")
ShuffleNet_V2_X1_5_Weights = weights_enum("ShuffleNet_V2_X1_5_Weights", "IMAGENET1K_V1")
ShuffleNet_V2_X2_0_Weights = weights_enum("ShuffleNet_V2_X2_0_Weights", "IMAGENET1K_V1")


def _shufflenet(arch, channels, weights, kwargs):
    weights = pretrained_weights(arch, weights, kwargs)
    return with_weights(ShuffleNetV2([4, 8, 4], channels, **kwargs), weights)


@register_model
def shufflenet_v2_x0_5(*, weights=None, progress=True, **kwargs):
    """ShuffleNetV2 with 0.5x output channels, 1.4M parameters."""
    return _shufflenet("shufflenet_v2_x0_5", [24, 48, 96, 192, 1024], weights, kwargs)


@register_model
def shufflenet_v2_x1_0(*, weights=None, progress=True, **kwargs):
    """ShuffleNetV2 with 1.0x output channels, 2.3M parameters."""
    return _shufflenet("shufflenet_v2_x1_0", [24, 116, 232, 464, 1024], weights, kwargs)


@register_model
def shufflenet_v2_x1_5(*, weights=None, progress=True, **kwargs):
    """ShuffleNetV2 with 1.5x output channels, 3.5M parameters."""
    return _shufflenet("shufflenet_v2_x1_5", [24, 176, 352, 704, 1024], weights, kwargs)


@register_model
def shufflenet_v2_x2_0(*, weights=None, progress=True, **kwargs):
    """ShuffleNetV2 with 2.0x output channels, 7.4M parameters."""
    return _shufflenet("shufflenet_v2_x2_0", [24, 244, 488, 976, 2048], weights, kwargs)
