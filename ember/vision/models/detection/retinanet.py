"""RetinaNet (Lin et al., 2017, "Focal Loss for Dense Object Detection"), torchvision's
``RetinaNet``, ``RetinaNetHead`` and builders, with torchvision's ``state_dict`` keys.

A one-stage detector: on every FPN level (P3..P7) a classification head (four 3x3 conv+ReLU, then
one logit per anchor and class, the bias starting at ``-log((1 - 0.01) / 0.01)``) and a
regression head (four 3x3 conv+ReLU, four deltas per anchor) run over 9 anchors per location (3
sizes x 3 ratios). Training matches anchors to the ground truth (IoU >= 0.5 foreground, < 0.4
background, each ground truth keeping its best anchors) and sums, per image, the sigmoid focal
loss of all non-ignored anchors and the L1 loss of the foreground deltas (GIoU in v2), both
divided by the number of foreground anchors, averaged over the images. Evaluation keeps per level
the ``topk_candidates`` best (anchor, class) scores above ``score_thresh``, decodes and clips
their boxes and runs NMS per class.

>>> import ember
>>> model = retinanet_resnet50_fpn(weights=None, weights_backbone=None, num_classes=3, min_size=64, max_size=96)
>>> out = model.eval()([ember.rand(3, 60, 80)])
>>> sorted(out[0])
['boxes', 'labels', 'scores']
"""
import functools
import math
from collections import OrderedDict

import ember
from .... import nn
from ...ops import Conv2dNormActivation, FrozenBatchNorm2d, sigmoid_focal_loss
from ...ops import boxes as box_ops
from ...ops.feature_pyramid_network import LastLevelP6P7
from .._api import register_model
from ..resnet import ResNet50_Weights, resnet50
from . import _utils as det_utils
from ._utils import _box_loss, overwrite_eps
from .anchor_utils import AnchorGenerator
from .backbone_utils import _resnet_fpn_extractor, _validate_trainable_layers
from .faster_rcnn import _classes, _legacy, _load, detection_weights
from .transform import GeneralizedRCNNTransform

__all__ = ["RetinaNet", "RetinaNetHead", "RetinaNetClassificationHead", "RetinaNetRegressionHead",
           "RetinaNet_ResNet50_FPN_Weights", "RetinaNet_ResNet50_FPN_V2_Weights", "retinanet_resnet50_fpn",
           "retinanet_resnet50_fpn_v2"]


def _sum(x):
    res = x[0]
    for i in x[1:]:
        res = res + i
    return res


def _v1_to_v2_weights(state_dict, prefix):
    # old checkpoints number the head's convs 0, 2, 4, 6 (conv, ReLU pairs)
    for i in range(4):
        for kind in ("weight", "bias"):
            old_key, new_key = f"{prefix}conv.{2 * i}.{kind}", f"{prefix}conv.{i}.0.{kind}"
            if old_key in state_dict:
                state_dict[new_key] = state_dict.pop(old_key)


def _default_anchorgen():
    anchor_sizes = tuple((x, int(x * 2 ** (1.0 / 3)), int(x * 2 ** (2.0 / 3))) for x in [32, 64, 128, 256, 512])
    return AnchorGenerator(anchor_sizes, ((0.5, 1.0, 2.0),) * len(anchor_sizes))


def _flatten_levels(x, N, C):
    """``(N, A*C, H, W)`` -> ``(N, H*W*A, C)``."""
    _, _, H, W = x.shape
    return x.reshape(N, -1, C, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, C)


class _HeadBase(nn.Module):
    _version = 2

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = (local_metadata or {}).get("version", None)
        if version is None or version < 2:
            _v1_to_v2_weights(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class RetinaNetClassificationHead(_HeadBase):
    def __init__(self, in_channels, num_anchors, num_classes, prior_probability=0.01, norm_layer=None):
        super().__init__()
        self.conv = nn.Sequential(*[Conv2dNormActivation(in_channels, in_channels, norm_layer=norm_layer)
                                    for _ in range(4)])
        for layer in self.conv.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                if layer.bias is not None:
                    nn.init.constant_(layer.bias, 0)
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        # every anchor starts as foreground with probability prior_probability
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior_probability) / prior_probability))
        self.num_classes = num_classes
        self.num_anchors = num_anchors
        self.BETWEEN_THRESHOLDS = det_utils.Matcher.BETWEEN_THRESHOLDS

    def compute_loss(self, targets, head_outputs, matched_idxs):
        losses = []
        for t, cls_logits, matched in zip(targets, head_outputs["cls_logits"], matched_idxs):
            foreground = ember.where(matched >= 0)[0]
            num_foreground = foreground.numel()
            gt_classes_target = ember.zeros_like(cls_logits)
            gt_classes_target[foreground, t["labels"][matched[foreground]]] = 1.0
            valid = matched != self.BETWEEN_THRESHOLDS
            losses.append(sigmoid_focal_loss(cls_logits[valid], gt_classes_target[valid], reduction="sum")
                          / max(1, num_foreground))
        return _sum(losses) / len(targets)

    def forward(self, x):
        return ember.cat([_flatten_levels(self.cls_logits(self.conv(f)), f.shape[0], self.num_classes) for f in x],
                         dim=1)


class RetinaNetRegressionHead(_HeadBase):
    def __init__(self, in_channels, num_anchors, norm_layer=None):
        super().__init__()
        self.conv = nn.Sequential(*[Conv2dNormActivation(in_channels, in_channels, norm_layer=norm_layer)
                                    for _ in range(4)])
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.bbox_reg.weight, std=0.01)
        nn.init.zeros_(self.bbox_reg.bias)
        for layer in self.conv.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self._loss_type = "l1"

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        losses = []
        for t, bbox_regression, anchors_per_image, matched in zip(targets, head_outputs["bbox_regression"], anchors,
                                                                  matched_idxs):
            foreground = ember.where(matched >= 0)[0]
            num_foreground = foreground.numel()
            matched_gt_boxes = t["boxes"][matched[foreground]]
            losses.append(_box_loss(self._loss_type, self.box_coder, anchors_per_image[foreground, :],
                                    matched_gt_boxes, bbox_regression[foreground, :]) / max(1, num_foreground))
        return _sum(losses) / max(1, len(targets))

    def forward(self, x):
        return ember.cat([_flatten_levels(self.bbox_reg(self.conv(f)), f.shape[0], 4) for f in x], dim=1)


class RetinaNetHead(nn.Module):
    """The classification and regression heads, shared by all levels."""

    def __init__(self, in_channels, num_anchors, num_classes, norm_layer=None):
        super().__init__()
        self.classification_head = RetinaNetClassificationHead(in_channels, num_anchors, num_classes,
                                                               norm_layer=norm_layer)
        self.regression_head = RetinaNetRegressionHead(in_channels, num_anchors, norm_layer=norm_layer)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        return {"classification": self.classification_head.compute_loss(targets, head_outputs, matched_idxs),
                "bbox_regression": self.regression_head.compute_loss(targets, head_outputs, anchors, matched_idxs)}

    def forward(self, x):
        return {"cls_logits": self.classification_head(x), "bbox_regression": self.regression_head(x)}


class RetinaNet(nn.Module):
    def __init__(self, backbone, num_classes, min_size=800, max_size=1333, image_mean=None, image_std=None,
                 anchor_generator=None, head=None, proposal_matcher=None, score_thresh=0.05, nms_thresh=0.5,
                 detections_per_img=300, fg_iou_thresh=0.5, bg_iou_thresh=0.4, topk_candidates=1000, **kwargs):
        super().__init__()
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the number of output "
                             "channels (assumed to be the same for all the levels)")
        self.backbone = backbone
        if not isinstance(anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(f"anchor_generator should be of type AnchorGenerator or None instead of "
                            f"{type(anchor_generator)}")
        if anchor_generator is None:
            anchor_generator = _default_anchorgen()
        self.anchor_generator = anchor_generator
        if head is None:
            head = RetinaNetHead(backbone.out_channels, anchor_generator.num_anchors_per_location()[0], num_classes)
        self.head = head
        if proposal_matcher is None:
            proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=True)
        self.proposal_matcher = proposal_matcher
        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        image_mean = [0.485, 0.456, 0.406] if image_mean is None else image_mean
        image_std = [0.229, 0.224, 0.225] if image_std is None else image_std
        self.transform = GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def compute_loss(self, targets, head_outputs, anchors):
        matched_idxs = det_utils.match_anchors(self.proposal_matcher, targets, anchors)
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(self, head_outputs, anchors, image_shapes):
        class_logits, box_regression = head_outputs["cls_logits"], head_outputs["bbox_regression"]
        detections = []
        for index, image_shape in enumerate(image_shapes):
            image_boxes, image_scores, image_labels = [], [], []
            for reg, logits, anchors_level in zip([br[index] for br in box_regression],
                                                  [cl[index] for cl in class_logits], anchors[index]):
                num_classes = logits.shape[-1]
                scores = ember.sigmoid(logits).flatten()
                scores, anchor_idxs, labels = det_utils.top_candidates(scores, self.score_thresh,
                                                                       self.topk_candidates, num_classes)
                boxes = self.box_coder.decode_single(reg[anchor_idxs], anchors_level[anchor_idxs])
                image_boxes.append(box_ops.clip_boxes_to_image(boxes, image_shape))
                image_scores.append(scores)
                image_labels.append(labels)
            detections.append(det_utils.merge_detections(image_boxes, image_scores, image_labels, self.nms_thresh,
                                                         self.detections_per_img))
        return detections

    def forward(self, images, targets=None):
        if self.training:
            det_utils.check_training_targets(targets, name_type=False, name_shape=False)
        original_image_sizes = [(int(img.shape[-2]), int(img.shape[-1])) for img in images]
        images, targets = self.transform(images, targets)
        det_utils.check_degenerate_boxes(targets)
        features = self.backbone(images.tensors)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        features = list(features.values())
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        losses, detections = {}, []
        if self.training:
            losses = self.compute_loss(targets, head_outputs, anchors)
        else:
            # split the outputs and anchors back into levels
            num_anchors_per_level = [x.shape[2] * x.shape[3] for x in features]
            A = head_outputs["cls_logits"].shape[1] // sum(num_anchors_per_level)
            num_anchors_per_level = [hw * A for hw in num_anchors_per_level]
            split_head_outputs = {k: list(v.split(num_anchors_per_level, dim=1)) for k, v in head_outputs.items()}
            split_anchors = [list(a.split(num_anchors_per_level)) for a in anchors]
            detections = self.postprocess_detections(split_head_outputs, split_anchors, images.image_sizes)
            detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)
        return self.eager_outputs(losses, detections)


RetinaNet_ResNet50_FPN_Weights = detection_weights(
    "RetinaNet_ResNet50_FPN_Weights", "retinanet_resnet50_fpn_coco-eeacb38b.pth", 34014999, {"box_map": 36.4})
RetinaNet_ResNet50_FPN_V2_Weights = detection_weights(
    "RetinaNet_ResNet50_FPN_V2_Weights", "retinanet_resnet50_fpn_v2_coco-5905b1c5.pth", 38198935, {"box_map": 41.5})


@register_model
def retinanet_resnet50_fpn(*, weights=None, progress=True, num_classes=None,
                           weights_backbone=ResNet50_Weights.IMAGENET1K_V1, trainable_backbone_layers=None, **kwargs):
    """RetinaNet, ResNet-50-FPN backbone (P3..P7), 34.0M parameters with 91 classes."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone, RetinaNet_ResNet50_FPN_Weights,
                                        ResNet50_Weights)
    if weights is not None:
        weights_backbone = None
    num_classes = _classes(weights, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 5, 3)
    norm_layer = FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    # P6 and P7 from P5
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers, returned_layers=[2, 3, 4],
                                     extra_blocks=LastLevelP6P7(256, 256))
    model = _load(RetinaNet(backbone, num_classes, **kwargs), weights, progress)
    if weights == RetinaNet_ResNet50_FPN_Weights.COCO_V1:
        overwrite_eps(model, 0.0)
    return model


@register_model
def retinanet_resnet50_fpn_v2(*, weights=None, progress=True, num_classes=None, weights_backbone=None,
                              trainable_backbone_layers=None, **kwargs):
    """RetinaNet v2: P6 from C5, GroupNorm heads and the GIoU box loss."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone, RetinaNet_ResNet50_FPN_V2_Weights,
                                        ResNet50_Weights)
    if weights is not None:
        weights_backbone = None
    num_classes = _classes(weights, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 5, 3)
    backbone = resnet50(weights=weights_backbone, progress=progress)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers, returned_layers=[2, 3, 4],
                                     extra_blocks=LastLevelP6P7(2048, 256))
    anchor_generator = _default_anchorgen()
    head = RetinaNetHead(backbone.out_channels, anchor_generator.num_anchors_per_location()[0], num_classes,
                         norm_layer=functools.partial(nn.GroupNorm, 32))
    head.regression_head._loss_type = "giou"
    model = RetinaNet(backbone, num_classes, anchor_generator=anchor_generator, head=head, **kwargs)
    return _load(model, weights, progress)
