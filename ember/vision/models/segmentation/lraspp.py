"""LR-ASPP (Howard et al., 2019, the MobileNetV3 paper's segmentation head) on a dilated
MobileNetV3-Large, torchvision's layout: ``backbone`` and ``classifier`` (LRASPPHead); ``forward``
returns ``{"out": ...}`` at the input's resolution.

The head gates the high-level features by a global-pool attention,
``cbr(high) * sigmoid(conv(avgpool(high)))``, upsamples them to the low-level map's size and
adds a 1x1 classifier of each: ``low_classifier(low) + high_classifier(x)``.

>>> import ember
>>> from ember.vision.models import segmentation
>>> m = segmentation.lraspp_mobilenet_v3_large(num_classes=3, weights_backbone=None).eval()
>>> tuple(m(ember.zeros(1, 3, 32, 32))["out"].shape)
(1, 3, 32, 32)
"""
from collections import OrderedDict

from .... import nn
from ....nn import functional as F
from .._api import register_model, weights_enum, with_weights
from .._utils import IntermediateLayerGetter
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ._utils import resolve
from .deeplabv3 import mobilenet_stages

__all__ = ["LRASPP", "LRASPP_MobileNet_V3_Large_Weights", "lraspp_mobilenet_v3_large"]


class LRASPPHead(nn.Module):
    def __init__(self, low_channels, high_channels, num_classes, inter_channels):
        super().__init__()
        self.cbr = nn.Sequential(nn.Conv2d(high_channels, inter_channels, 1, bias=False),
                                 nn.BatchNorm2d(inter_channels), nn.ReLU(inplace=True))
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(high_channels, inter_channels, 1, bias=False),
                                   nn.Sigmoid())
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input):
        low, high = input["low"], input["high"]
        x = self.cbr(high) * self.scale(high)
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)


class LRASPP(nn.Module):
    def __init__(self, backbone, low_channels, high_channels, num_classes, inter_channels=128):
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input):
        out = self.classifier(self.backbone(input))
        result = OrderedDict()
        result["out"] = F.interpolate(out, size=input.shape[-2:], mode="bilinear", align_corners=False)
        return result


LRASPP_MobileNet_V3_Large_Weights = weights_enum("LRASPP_MobileNet_V3_Large_Weights", "COCO_WITH_VOC_LABELS_V1")


def _lraspp_mobilenetv3(backbone, num_classes):
    backbone = backbone.features
    stages = mobilenet_stages(backbone)
    low_pos, high_pos = stages[-4], stages[-1]
    low_channels, high_channels = backbone[low_pos].out_channels, backbone[high_pos].out_channels
    backbone = IntermediateLayerGetter(backbone, return_layers={str(low_pos): "low", str(high_pos): "high"})
    return LRASPP(backbone, low_channels, high_channels, num_classes)


@register_model
def lraspp_mobilenet_v3_large(*, weights=None, progress=True, num_classes=None,
                              weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1, **kwargs):
    """LR-ASPP on a dilated MobileNetV3-Large (3.2M parameters, 21 classes)."""
    if kwargs.pop("aux_loss", False):
        raise NotImplementedError("This model does not use auxiliary loss")
    weights, weights_backbone, num_classes, _ = resolve("lraspp_mobilenet_v3_large", weights, weights_backbone,
                                                        num_classes, False, LRASPP_MobileNet_V3_Large_Weights,
                                                        MobileNet_V3_Large_Weights, kwargs)
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    return with_weights(_lraspp_mobilenetv3(backbone, num_classes), weights, progress)
