"""AlexNet (Krizhevsky et al., 2012) in torchvision's single-tower form.

``features``: Conv(3->64, 11, stride 4) ReLU MaxPool(3, 2) Conv(64->192, 5) ReLU MaxPool Conv(192->384, 3)
ReLU Conv(384->256, 3) ReLU Conv(256->256, 3) ReLU MaxPool; ``avgpool`` to 6x6; ``classifier``:
Dropout Linear(9216, 4096) ReLU Dropout Linear(4096, 4096) ReLU Linear(4096, num_classes).

>>> import ember
>>> from ember.vision import models
>>> models.alexnet(num_classes=10)(ember.zeros(1, 3, 64, 64)).shape
ember.Size([1, 10])
"""
from ... import nn
from ._api import pretrained_weights, register_model, weights_enum, with_weights

__all__ = ["AlexNet", "alexnet", "AlexNet_Weights"]


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


AlexNet_Weights = weights_enum("AlexNet_Weights", "IMAGENET1K_V1")


@register_model
def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet, 61.1M parameters."""
    weights = pretrained_weights("alexnet", weights, kwargs)
    return with_weights(AlexNet(**kwargs), weights)
