"""FCN (Long et al., 2015) on a dilated ResNet-50/101, torchvision's layout: ``backbone``
(ResNet up to ``layer4``, output stride 8), ``classifier`` and ``aux_classifier`` (FCNHead on
``layer3``); ``forward`` returns ``{"out": ..., "aux": ...}`` at the input's resolution.

>>> import ember
>>> from ember.vision.models import segmentation
>>> m = segmentation.fcn_resnet50(num_classes=3, weights_backbone=None, aux_loss=True).eval()
>>> {k: tuple(v.shape) for k, v in m(ember.zeros(1, 3, 32, 32)).items()}
{'out': (1, 3, 32, 32), 'aux': (1, 3, 32, 32)}
"""
from .... import nn
from .._api import register_model, weights_enum, with_weights
from .._utils import IntermediateLayerGetter
from ..resnet import ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import _SimpleSegmentationModel, resolve

__all__ = ["FCN", "FCNHead", "FCN_ResNet50_Weights", "FCN_ResNet101_Weights", "fcn_resnet50", "fcn_resnet101"]


class FCN(_SimpleSegmentationModel):
    """A fully convolutional network: backbone features -> head -> bilinear upsampling."""


class FCNHead(nn.Sequential):
    """3x3 conv to ``in_channels // 4``, BN, ReLU, dropout 0.1, 1x1 conv to ``channels``."""

    def __init__(self, in_channels, channels):
        inter = in_channels // 4
        super().__init__(nn.Conv2d(in_channels, inter, 3, padding=1, bias=False), nn.BatchNorm2d(inter), nn.ReLU(),
                         nn.Dropout(0.1), nn.Conv2d(inter, channels, 1))


FCN_ResNet50_Weights = weights_enum("FCN_ResNet50_Weights", "COCO_WITH_VOC_LABELS_V1")
FCN_ResNet101_Weights = weights_enum("FCN_ResNet101_Weights", "COCO_WITH_VOC_LABELS_V1")


def _fcn_resnet(backbone, num_classes, aux):
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    backbone = IntermediateLayerGetter(backbone, return_layers=return_layers)
    return FCN(backbone, FCNHead(2048, num_classes), FCNHead(1024, num_classes) if aux else None)


def _build(arch, make_backbone, enum_cls, backbone_enum, weights, progress, num_classes, aux_loss, weights_backbone,
           kwargs):
    weights, weights_backbone, num_classes, aux_loss = resolve(arch, weights, weights_backbone, num_classes, aux_loss,
                                                               enum_cls, backbone_enum, kwargs)
    backbone = make_backbone(weights=weights_backbone, replace_stride_with_dilation=[False, True, True])
    return with_weights(_fcn_resnet(backbone, num_classes, aux_loss), weights, progress)


@register_model
def fcn_resnet50(*, weights=None, progress=True, num_classes=None, aux_loss=None,
                 weights_backbone=ResNet50_Weights.IMAGENET1K_V1, **kwargs):
    """FCN on ResNet-50 (35.3M parameters with the auxiliary head, 21 classes)."""
    return _build("fcn_resnet50", resnet50, FCN_ResNet50_Weights, ResNet50_Weights, weights, progress, num_classes,
                  aux_loss, weights_backbone, kwargs)


@register_model
def fcn_resnet101(*, weights=None, progress=True, num_classes=None, aux_loss=None,
                  weights_backbone=ResNet101_Weights.IMAGENET1K_V1, **kwargs):
    """FCN on ResNet-101 (54.3M parameters with the auxiliary head, 21 classes)."""
    return _build("fcn_resnet101", resnet101, FCN_ResNet101_Weights, ResNet101_Weights, weights, progress,
                  num_classes, aux_loss, weights_backbone, kwargs)
