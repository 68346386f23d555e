"""DenseNet (Huang et al., 2017): each layer of a dense block sees the concatenation of all the
block's earlier outputs; transitions halve the channels and the resolution.

A dense layer is ``conv2(relu2(norm2(conv1(relu1(norm1(cat(features)))))))`` (a 1x1 bottleneck
of ``bn_size * growth_rate`` channels, then ``growth_rate`` 3x3 filters). torchvision's keys:
``features.denseblock1.denselayer1.norm1.weight`` ... ``features.norm5``, ``classifier``.

>>> import ember
>>> from ember.vision import models
>>> models.densenet121(num_classes=10)(ember.zeros(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""
import collections

import ember
from ... import nn
from ...nn import functional as F
from ._api import pretrained_weights, register_model, weights_enum, with_weights

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate, memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient  # accepted; ember keeps the activations

    def forward(self, features):
        x = ember.cat(features, 1) if isinstance(features, (list, tuple)) else features
        new = self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))
        if self.drop_rate > 0:
            new = F.dropout(new, p=self.drop_rate, training=self.training)
        return new


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate, memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(num_input_features + i * growth_rate, growth_rate,
                                                               bn_size, drop_rate, memory_efficient))

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4, drop_rate=0,
                 num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(collections.OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(num_layers, num_features, bn_size, growth_rate,
                                                                       drop_rate, memory_efficient))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(F.relu(self.features(x)), (1, 1))
        return self.classifier(x.flatten(1))


DenseNet121_Weights = weights_enum("DenseNet121_Weights", "IMAGENET1K_V1")
DenseNet161_Weights = weights_enum("DenseNet161_Weights", "IMAGENET1K_V1")
DenseNet169_Weights = weights_enum("DenseNet169_Weights", "IMAGENET1K_V1")
DenseNet201_Weights = weights_enum("DenseNet201_Weights", "IMAGENET1K_V1")


def _densenet(name, growth_rate, block_config, num_init_features, weights, kwargs):
    weights = pretrained_weights(name, weights, kwargs)
    return with_weights(DenseNet(growth_rate, block_config, num_init_features, **kwargs), weights)


@register_model
def densenet121(*, weights=None, progress=True, **kwargs):
    """DenseNet-121 (growth 32, blocks 6-12-24-16), 8.0M parameters."""
    return _densenet("densenet121", 32, (6, 12, 24, 16), 64, weights, kwargs)


@register_model
def densenet161(*, weights=None, progress=True, **kwargs):
    return _densenet("densenet161", 48, (6, 12, 36, 24), 96, weights, kwargs)


@register_model
def densenet169(*, weights=None, progress=True, **kwargs):
    return _densenet("densenet169", 32, (6, 12, 32, 32), 64, weights, kwargs)


@register_model
def densenet201(*, weights=None, progress=True, **kwargs):
    return _densenet("densenet201", 32, (6, 12, 48, 32), 64, weights, kwargs)
