"""VGG (Simonyan & Zisserman, 2014), torchvision's layout: ``features``, ``avgpool`` (7x7), ``classifier``.

``features`` is the flat list of 3x3 convolutions (each with ReLU, and BatchNorm in the ``_bn``
variants) and 2x2 max pools of the configuration; the classifier is
``Linear(25088, 4096) ReLU Dropout Linear(4096, 4096) ReLU Dropout Linear(4096, num_classes)``.
Convolutions are Kaiming-normal (fan_out), linears normal(0, 0.01), biases zero.

>>> import ember
>>> from ember.vision import models
>>> models.vgg11(num_classes=10)(ember.zeros(1, 3, 32, 32)).shape
ember.Size([1, 10])
"""
from ... import nn
from ._api import pretrained_weights, register_model, weights_enum, with_weights

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]

CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False):
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _vgg(name, cfg, batch_norm, weights, kwargs):
    weights = pretrained_weights(name, weights, kwargs)
    return with_weights(VGG(make_layers(CFGS[cfg], batch_norm=batch_norm), **kwargs), weights)


def _builder(name, cfg, batch_norm, doc):
    def build(*, weights=None, progress=True, **kwargs):
        return _vgg(name, cfg, batch_norm, weights, kwargs)
    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    return register_model(build)


vgg11 = _builder("vgg11", "A", False, "VGG-11 (configuration A), 132.9M parameters.")
vgg11_bn = _builder("vgg11_bn", "A", True, "VGG-11 with BatchNorm.")
vgg13 = _builder("vgg13", "B", False, "VGG-13 (configuration B).")
vgg13_bn = _builder("vgg13_bn", "B", True, "VGG-13 with BatchNorm.")
vgg16 = _builder("vgg16", "D", False, "VGG-16 (configuration D), 138.4M parameters.")
vgg16_bn = _builder("vgg16_bn", "D", True, "VGG-16 with BatchNorm.")
vgg19 = _builder("vgg19", "E", False, "VGG-19 (configuration E).")
vgg19_bn = _builder("vgg19_bn", "E", True, "VGG-19 with BatchNorm.")

VGG11_Weights = weights_enum("VGG11_Weights", "IMAGENET1K_V1")
VGG11_BN_Weights = weights_enum("VGG11_BN_Weights", "IMAGENET1K_V1")
VGG13_Weights = weights_enum("VGG13_Weights", "IMAGENET1K_V1")
VGG13_BN_Weights = weights_enum("VGG13_BN_Weights", "IMAGENET1K_V1")
VGG16_Weights = weights_enum("VGG16_Weights", "IMAGENET1K_V1", "IMAGENET1K_FEATURES")
VGG16_BN_Weights = weights_enum("VGG16_BN_Weights", "IMAGENET1K_V1")
VGG19_Weights = weights_enum("VGG19_Weights", "IMAGENET1K_V1")
VGG19_BN_Weights = weights_enum("VGG19_BN_Weights", "IMAGENET1K_V1")
