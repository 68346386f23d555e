"""SSDlite (Sandler et al., 2018; Howard et al., 2019), torchvision's ``SSDLiteHead`` (its
classification and regression heads), the MobileNetV3 feature extractor and
``ssdlite320_mobilenet_v3_large``, with torchvision's ``state_dict`` keys.

An ``SSD`` whose heads are, per feature map, a depthwise 3x3 conv + norm + ReLU6 and a 1x1
convolution, on a MobileNetV3-Large cut inside its last downsampling block (after the expansion
of C4, and its end) plus four extra blocks (1x1 conv to half the width, depthwise 3x3 stride 2,
1x1 conv, each with norm and ReLU6) of 512, 256, 256 and 128 channels. The new convolutions start
as N(0, 0.03) with zero bias (the backbone's too when it has no pretrained weights).

>>> import ember
>>> model = ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=3)
>>> out = model.eval()([ember.rand(3, 60, 80)])
>>> sorted(out[0])
['boxes', 'labels', 'scores']
"""
import functools
import warnings
from collections import OrderedDict

from .... import nn
from ...ops import Conv2dNormActivation
from .._api import register_model
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from . import _utils as det_utils
from .anchor_utils import DefaultBoxGenerator
from .backbone_utils import _validate_trainable_layers
from .faster_rcnn import _classes, _legacy, _load, detection_weights
from .ssd import SSD, SSDScoringHead, _freeze_stages

__all__ = ["SSDLiteHead", "SSDLiteClassificationHead", "SSDLiteRegressionHead", "SSDLiteFeatureExtractorMobileNet",
           "SSDLite320_MobileNet_V3_Large_Weights", "ssdlite320_mobilenet_v3_large"]

SSDLite320_MobileNet_V3_Large_Weights = detection_weights(
    "SSDLite320_MobileNet_V3_Large_Weights", "ssdlite320_mobilenet_v3_large_coco-a79551df.pth", 3440060,
    {"box_map": 21.3})


def _prediction_block(in_channels, out_channels, kernel_size, norm_layer):
    return nn.Sequential(Conv2dNormActivation(in_channels, in_channels, kernel_size=kernel_size, groups=in_channels,
                                              norm_layer=norm_layer, activation_layer=nn.ReLU6),
                         nn.Conv2d(in_channels, out_channels, 1))


def _extra_block(in_channels, out_channels, norm_layer):
    mid = out_channels // 2
    conv = functools.partial(Conv2dNormActivation, norm_layer=norm_layer, activation_layer=nn.ReLU6)
    return nn.Sequential(conv(in_channels, mid, kernel_size=1), conv(mid, mid, kernel_size=3, stride=2, groups=mid),
                         conv(mid, out_channels, kernel_size=1))


def _normal_init(module):
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=0.03)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0.0)


class SSDLiteClassificationHead(SSDScoringHead):
    def __init__(self, in_channels, num_anchors, num_classes, norm_layer):
        cls_logits = nn.ModuleList([_prediction_block(c, num_classes * a, 3, norm_layer)
                                    for c, a in zip(in_channels, num_anchors)])
        _normal_init(cls_logits)
        super().__init__(cls_logits, num_classes)


class SSDLiteRegressionHead(SSDScoringHead):
    def __init__(self, in_channels, num_anchors, norm_layer):
        bbox_reg = nn.ModuleList([_prediction_block(c, 4 * a, 3, norm_layer) for c, a in zip(in_channels, num_anchors)])
        _normal_init(bbox_reg)
        super().__init__(bbox_reg, 4)


class SSDLiteHead(nn.Module):
    def __init__(self, in_channels, num_anchors, num_classes, norm_layer):
        super().__init__()
        self.classification_head = SSDLiteClassificationHead(in_channels, num_anchors, num_classes, norm_layer)
        self.regression_head = SSDLiteRegressionHead(in_channels, num_anchors, norm_layer)

    def forward(self, x):
        return {"bbox_regression": self.regression_head(x), "cls_logits": self.classification_head(x)}


class SSDLiteFeatureExtractorMobileNet(nn.Module):
    """MobileNet ``features`` as two maps (up to the expansion of block ``c4_pos``, and the rest)
    followed by four extra blocks; ``width_mult`` and ``min_depth`` size the extras."""

    def __init__(self, backbone, c4_pos, norm_layer, width_mult=1.0, min_depth=16):
        super().__init__()
        if backbone[c4_pos].use_res_connect:
            raise ValueError("backbone[c4_pos].use_res_connect should be False")
        self.features = nn.Sequential(nn.Sequential(*backbone[:c4_pos], backbone[c4_pos].block[0]),
                                      nn.Sequential(backbone[c4_pos].block[1:], *backbone[c4_pos + 1:]))

        def depth(d):
            return max(min_depth, int(d * width_mult))

        self.extra = nn.ModuleList([_extra_block(backbone[-1].out_channels, depth(512), norm_layer),
                                    _extra_block(depth(512), depth(256), norm_layer),
                                    _extra_block(depth(256), depth(256), norm_layer),
                                    _extra_block(depth(256), depth(128), norm_layer)])
        _normal_init(self.extra)

    def forward(self, x):
        output = []
        for block in list(self.features) + list(self.extra):
            x = block(x)
            output.append(x)
        return OrderedDict([(str(i), v) for i, v in enumerate(output)])


def _mobilenet_extractor(backbone, trainable_layers, norm_layer):
    layers = backbone.features
    stage_indices = [0] + [i for i, b in enumerate(layers) if getattr(b, "_is_cn", False)] + [len(layers) - 1]
    if not 0 <= trainable_layers <= len(stage_indices):
        # torchvision's message (not an f-string there)
        raise ValueError("trainable_layers should be in the range [0, {num_stages}], instead got {trainable_layers}")
    _freeze_stages(layers, stage_indices, trainable_layers)
    return SSDLiteFeatureExtractorMobileNet(layers, stage_indices[-2], norm_layer)


@register_model
def ssdlite320_mobilenet_v3_large(*, weights=None, progress=True, num_classes=None,
                                  weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                                  trainable_backbone_layers=None, norm_layer=None, **kwargs):
    """SSDlite 320 x 320 on MobileNetV3-Large (3.4M parameters with 91 classes; the backbone's
    tail halved without pretrained backbone weights): 6 maps with 6 default boxes per location,
    BatchNorm with eps 0.001 and momentum 0.03, inputs normalised to [-1, 1]."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone, SSDLite320_MobileNet_V3_Large_Weights,
                                        MobileNet_V3_Large_Weights)
    if "size" in kwargs:
        warnings.warn("The size of the model is already fixed; ignoring the parameter.")
    if weights is not None:
        weights_backbone = None
    num_classes = _classes(weights, num_classes)
    trainable_backbone_layers = _validate_trainable_layers(weights is not None or weights_backbone is not None,
                                                           trainable_backbone_layers, 6, 6)
    if norm_layer is None:
        norm_layer = functools.partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    backbone = mobilenet_v3_large(weights=weights_backbone, progress=progress, norm_layer=norm_layer,
                                  reduced_tail=weights_backbone is None, **kwargs)
    if weights_backbone is None:
        _normal_init(backbone)
    backbone = _mobilenet_extractor(backbone, trainable_backbone_layers, norm_layer)
    size = (320, 320)
    anchor_generator = DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95)
    out_channels = det_utils.retrieve_out_channels(backbone, size)
    num_anchors = anchor_generator.num_anchors_per_location()
    if len(out_channels) != len(anchor_generator.aspect_ratios):
        raise ValueError(f"The length of the output channels from the backbone {len(out_channels)} do not match the "
                         f"length of the anchor generator aspect ratios {len(anchor_generator.aspect_ratios)}")
    kwargs = {"score_thresh": 0.001, "nms_thresh": 0.55, "detections_per_img": 300, "topk_candidates": 300,
              "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], **kwargs}
    model = SSD(backbone, anchor_generator, size, num_classes,
                head=SSDLiteHead(out_channels, num_anchors, num_classes, norm_layer), **kwargs)
    return _load(model, weights, progress)
