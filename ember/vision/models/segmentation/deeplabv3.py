"""DeepLabV3 (Chen et al., 2017) on a dilated ResNet-50/101 or MobileNetV3-Large, torchvision's
layout: ``backbone``, ``classifier`` (DeepLabHead: atrous spatial pyramid pooling, a 3x3 conv
and a 1x1 classifier) and ``aux_classifier`` (FCNHead); ``forward`` returns ``{"out", "aux"}``.

ASPP runs, in parallel, a 1x1 conv, three 3x3 convs dilated 12, 24 and 36, and a global
average pool (upsampled back), concatenates them and projects to 256 channels.

>>> import ember
>>> from ember.vision.models import segmentation
>>> m = segmentation.deeplabv3_mobilenet_v3_large(num_classes=3, weights_backbone=None).eval()
>>> tuple(m(ember.zeros(2, 3, 32, 32))["out"].shape)
(2, 3, 32, 32)
"""
from .... import cat, nn
from ....nn import functional as F
from .._api import register_model, weights_enum, with_weights
from .._utils import IntermediateLayerGetter
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ..resnet import ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import _SimpleSegmentationModel, resolve
from .fcn import FCNHead

__all__ = ["DeepLabV3", "DeepLabHead", "ASPP", "DeepLabV3_ResNet50_Weights", "DeepLabV3_ResNet101_Weights",
           "DeepLabV3_MobileNet_V3_Large_Weights", "deeplabv3_mobilenet_v3_large", "deeplabv3_resnet50",
           "deeplabv3_resnet101"]


class DeepLabV3(_SimpleSegmentationModel):
    """DeepLabV3: backbone features -> ASPP head -> bilinear upsampling."""


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels, out_channels, dilation):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


class ASPPPooling(nn.Sequential):
    """Image-level features: global average pool, 1x1 conv, BN, ReLU, upsampled to the input size."""

    def __init__(self, in_channels, out_channels):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        modules = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
                                 nn.ReLU())]
        modules += [ASPPConv(in_channels, out_channels, rate) for rate in tuple(atrous_rates)]
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)
        self.project = nn.Sequential(nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
                                     nn.BatchNorm2d(out_channels), nn.ReLU(), nn.Dropout(0.5))

    def forward(self, x):
        return self.project(cat([conv(x) for conv in self.convs], dim=1))


class DeepLabHead(nn.Sequential):
    def __init__(self, in_channels, num_classes, atrous_rates=(12, 24, 36)):
        super().__init__(ASPP(in_channels, atrous_rates), nn.Conv2d(256, 256, 3, padding=1, bias=False),
                         nn.BatchNorm2d(256), nn.ReLU(), nn.Conv2d(256, num_classes, 1))


DeepLabV3_ResNet50_Weights = weights_enum("DeepLabV3_ResNet50_Weights", "COCO_WITH_VOC_LABELS_V1")
DeepLabV3_ResNet101_Weights = weights_enum("DeepLabV3_ResNet101_Weights", "COCO_WITH_VOC_LABELS_V1")
DeepLabV3_MobileNet_V3_Large_Weights = weights_enum("DeepLabV3_MobileNet_V3_Large_Weights", "COCO_WITH_VOC_LABELS_V1")


def _deeplabv3_resnet(backbone, num_classes, aux):
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    backbone = IntermediateLayerGetter(backbone, return_layers=return_layers)
    return DeepLabV3(backbone, DeepLabHead(2048, num_classes), FCNHead(1024, num_classes) if aux else None)


def mobilenet_stages(backbone):
    """The indices of the stem, of every block that downsamples (``_is_cn``) and of the last layer."""
    return [0] + [i for i, b in enumerate(backbone) if getattr(b, "_is_cn", False)] + [len(backbone) - 1]


def _deeplabv3_mobilenetv3(backbone, num_classes, aux):
    backbone = backbone.features
    stages = mobilenet_stages(backbone)
    out_pos, aux_pos = stages[-1], stages[-4]
    return_layers = {str(out_pos): "out"}
    if aux:
        return_layers[str(aux_pos)] = "aux"
    aux_classifier = FCNHead(backbone[aux_pos].out_channels, num_classes) if aux else None
    classifier = DeepLabHead(backbone[out_pos].out_channels, num_classes)
    return DeepLabV3(IntermediateLayerGetter(backbone, return_layers=return_layers), classifier, aux_classifier)


def _resnet_build(arch, make_backbone, enum_cls, backbone_enum, weights, progress, num_classes, aux_loss,
                  weights_backbone, kwargs):
    weights, weights_backbone, num_classes, aux_loss = resolve(arch, weights, weights_backbone, num_classes, aux_loss,
                                                               enum_cls, backbone_enum, kwargs)
    backbone = make_backbone(weights=weights_backbone, replace_stride_with_dilation=[False, True, True])
    return with_weights(_deeplabv3_resnet(backbone, num_classes, aux_loss), weights, progress)


@register_model
def deeplabv3_resnet50(*, weights=None, progress=True, num_classes=None, aux_loss=None,
                       weights_backbone=ResNet50_Weights.IMAGENET1K_V1, **kwargs):
    """DeepLabV3 on ResNet-50 (42.0M parameters with the auxiliary head, 21 classes)."""
    return _resnet_build("deeplabv3_resnet50", resnet50, DeepLabV3_ResNet50_Weights, ResNet50_Weights, weights,
                         progress, num_classes, aux_loss, weights_backbone, kwargs)


@register_model
def deeplabv3_resnet101(*, weights=None, progress=True, num_classes=None, aux_loss=None,
                        weights_backbone=ResNet101_Weights.IMAGENET1K_V1, **kwargs):
    """DeepLabV3 on ResNet-101 (61.0M parameters with the auxiliary head, 21 classes)."""
    return _resnet_build("deeplabv3_resnet101", resnet101, DeepLabV3_ResNet101_Weights, ResNet101_Weights, weights,
                         progress, num_classes, aux_loss, weights_backbone, kwargs)


@register_model
def deeplabv3_mobilenet_v3_large(*, weights=None, progress=True, num_classes=None, aux_loss=None,
                                 weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1, **kwargs):
    """DeepLabV3 on a dilated MobileNetV3-Large (11.0M parameters with the auxiliary head)."""
    weights, weights_backbone, num_classes, aux_loss = resolve(
        "deeplabv3_mobilenet_v3_large", weights, weights_backbone, num_classes, aux_loss,
        DeepLabV3_MobileNet_V3_Large_Weights, MobileNet_V3_Large_Weights, kwargs)
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    return with_weights(_deeplabv3_mobilenetv3(backbone, num_classes, aux_loss), weights, progress)
