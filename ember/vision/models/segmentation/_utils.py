"""The frame shared by the segmentation models: a backbone returning named feature maps, a
classifier head on ``"out"`` and an optional auxiliary head on ``"aux"``, each upsampled
(bilinear) back to the input's size; and the handling of ``weights`` / ``weights_backbone``.
"""
from collections import OrderedDict

from .... import nn
from ....nn import functional as F
from .._api import WeightsEnum


class _SimpleSegmentationModel(nn.Module):
    def __init__(self, backbone, classifier, aux_classifier=None):
        super().__init__()
        self.backbone, self.classifier, self.aux_classifier = backbone, classifier, aux_classifier

    def forward(self, x):
        input_shape = x.shape[-2:]
        features = self.backbone(x)
        result = OrderedDict()
        result["out"] = F.interpolate(self.classifier(features["out"]), size=input_shape, mode="bilinear",
                                      align_corners=False)
        if self.aux_classifier is not None:
            result["aux"] = F.interpolate(self.aux_classifier(features["aux"]), size=input_shape, mode="bilinear",
                                          align_corners=False)
        return result


def verify(enum_cls, weights):
    """``weights`` as a member of ``enum_cls`` (a member, its name, ``"DEFAULT"``) or None."""
    if weights is None or isinstance(weights, WeightsEnum):
        if weights is not None and not isinstance(weights, enum_cls):
            raise TypeError(f"Invalid Weight class provided; expected {enum_cls.__name__} but received "
                            f"{type(weights).__name__}.")
        return weights
    if weights in ("DEFAULT", f"{enum_cls.__name__}.DEFAULT"):
        return enum_cls.DEFAULT
    return enum_cls.verify(weights)


def overwrite_value_param(param, actual, expected):
    """``expected`` when ``actual`` is None or equal to it, else ValueError (torchvision's rule)."""
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} instead.")
    return expected


def resolve(arch, weights, weights_backbone, num_classes, aux_loss, enum_cls, backbone_enum, kwargs):
    """torchvision's argument rules: with ``weights`` the backbone weights are not loaded
    separately and ``num_classes`` must be 21 (VOC) and ``aux_loss`` True; without them
    ``num_classes`` defaults to 21. The legacy ``pretrained`` / ``pretrained_backbone`` flags
    select the default entries."""
    if kwargs.pop("pretrained", False):
        weights = enum_cls.DEFAULT if weights is None else weights
    if "pretrained_backbone" in kwargs:
        weights_backbone = backbone_enum.IMAGENET1K_V1 if kwargs.pop("pretrained_backbone") else None
    weights = verify(enum_cls, weights)
    weights_backbone = verify(backbone_enum, weights_backbone)
    if weights is not None:
        if weights.url is None:
            raise RuntimeError(f"ember.vision.models.segmentation.{arch}(weights={weights}): ember lists no URL for "
                               f"these weights")
        weights_backbone = None
        num_classes = overwrite_value_param("num_classes", num_classes, 21)
        if aux_loss is not False or arch.startswith(("fcn", "deeplab")):
            aux_loss = overwrite_value_param("aux_loss", aux_loss, True)
    elif num_classes is None:
        num_classes = 21
    return weights, weights_backbone, num_classes, aux_loss
