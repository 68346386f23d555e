"""FCOS (Tian et al., 2019, "Fully Convolutional One-Stage Object Detection"), torchvision's
``FCOS``, ``FCOSHead`` and ``fcos_resnet50_fpn``, with torchvision's ``state_dict`` keys.

Anchor-free: every location of every FPN level (one square "anchor" of the level's stride, used
for its centre and scale) predicts class logits, the ReLU'd distances to a box's four sides
(``BoxLinearCoder``, normalised by the anchor size) and a centre-ness logit. A location matches
a ground-truth box when it lies inside it, within ``center_sampling_radius`` strides of its
centre, and the box's largest side distance fits the level's range (4 to 8 anchor sizes, open at
the first and last level); among several boxes the smallest wins. The losses are the sigmoid
focal loss, the GIoU loss of the decoded boxes and the binary cross-entropy of the centre-ness
``sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b))``, each divided by the foreground count.
Scores are ``sqrt(sigmoid(class) * sigmoid(centre-ness))``.

>>> import ember
>>> model = fcos_resnet50_fpn(weights=None, weights_backbone=None, num_classes=3, min_size=64, max_size=96)
>>> out = model.eval()([ember.rand(3, 60, 80)])
>>> sorted(out[0])
['boxes', 'labels', 'scores']
"""
import functools
import math
from collections import OrderedDict

import ember
from .... import nn
from ....nn import functional as F
from ...ops import FrozenBatchNorm2d, generalized_box_iou_loss, sigmoid_focal_loss
from ...ops import boxes as box_ops
from ...ops.feature_pyramid_network import LastLevelP6P7
from .._api import register_model
from ..resnet import ResNet50_Weights, resnet50
from . import _utils as det_utils
from .anchor_utils import AnchorGenerator
from .backbone_utils import _resnet_fpn_extractor, _validate_trainable_layers
from .faster_rcnn import _classes, _legacy, _load, detection_weights
from .retinanet import _flatten_levels
from .transform import GeneralizedRCNNTransform

__all__ = ["FCOS", "FCOSHead", "FCOSClassificationHead", "FCOSRegressionHead", "FCOS_ResNet50_FPN_Weights",
           "fcos_resnet50_fpn"]


def _conv_tower(in_channels, num_convs, norm_layer):
    conv = []
    for _ in range(num_convs):
        conv += [nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=1, padding=1), norm_layer(in_channels),
                 nn.ReLU()]
    conv = nn.Sequential(*conv)
    for layer in conv.children():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.constant_(layer.bias, 0)
    return conv


class FCOSClassificationHead(nn.Module):
    def __init__(self, in_channels, num_anchors, num_classes, num_convs=4, prior_probability=0.01, norm_layer=None):
        super().__init__()
        self.num_classes = num_classes
        self.num_anchors = num_anchors
        self.conv = _conv_tower(in_channels, num_convs, norm_layer or functools.partial(nn.GroupNorm, 32))
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior_probability) / prior_probability))

    def forward(self, x):
        return ember.cat([_flatten_levels(self.cls_logits(self.conv(f)), f.shape[0], self.num_classes) for f in x],
                         dim=1)


class FCOSRegressionHead(nn.Module):
    def __init__(self, in_channels, num_anchors, num_convs=4, norm_layer=None):
        super().__init__()
        self.conv = _conv_tower(in_channels, num_convs, norm_layer or functools.partial(nn.GroupNorm, 32))
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=3, stride=1, padding=1)
        self.bbox_ctrness = nn.Conv2d(in_channels, num_anchors * 1, kernel_size=3, stride=1, padding=1)
        for layer in (self.bbox_reg, self.bbox_ctrness):
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        regression, ctrness = [], []
        for f in x:
            feature = self.conv(f)
            regression.append(_flatten_levels(F.relu(self.bbox_reg(feature)), f.shape[0], 4))
            ctrness.append(_flatten_levels(self.bbox_ctrness(feature), f.shape[0], 1))
        return ember.cat(regression, dim=1), ember.cat(ctrness, dim=1)


class FCOSHead(nn.Module):
    def __init__(self, in_channels, num_anchors, num_classes, num_convs=4):
        super().__init__()
        self.box_coder = det_utils.BoxLinearCoder(normalize_by_size=True)
        self.classification_head = FCOSClassificationHead(in_channels, num_anchors, num_classes, num_convs)
        self.regression_head = FCOSRegressionHead(in_channels, num_anchors, num_convs)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        cls_logits = head_outputs["cls_logits"]            # (N, HWA, C)
        bbox_regression = head_outputs["bbox_regression"]  # (N, HWA, 4)
        bbox_ctrness = head_outputs["bbox_ctrness"]        # (N, HWA, 1)
        all_classes, all_boxes = [], []
        for t, matched in zip(targets, matched_idxs):
            if len(t["labels"]) == 0:
                classes = t["labels"].new_zeros((len(matched),))
                boxes = t["boxes"].new_zeros((len(matched), 4))
            else:
                classes = t["labels"][matched.clip(min=0)]
                boxes = t["boxes"][matched.clip(min=0)]
            classes[matched < 0] = -1   # background
            all_classes.append(classes)
            all_boxes.append(boxes)
        all_boxes, all_classes, anchors = ember.stack(all_boxes), ember.stack(all_classes), ember.stack(anchors)
        foreground = all_classes >= 0
        num_foreground = foreground.sum().item()
        gt_classes_targets = ember.zeros_like(cls_logits)
        img_idx, loc_idx = ember.where(foreground)
        gt_classes_targets[img_idx, loc_idx, all_classes[img_idx, loc_idx]] = 1.0
        loss_cls = sigmoid_focal_loss(cls_logits, gt_classes_targets, reduction="sum")
        pred_boxes = self.box_coder.decode(bbox_regression, anchors)
        loss_bbox_reg = generalized_box_iou_loss(pred_boxes[foreground], all_boxes[foreground], reduction="sum")
        bbox_reg_targets = self.box_coder.encode(anchors, all_boxes)
        if len(bbox_reg_targets) == 0:
            gt_ctrness_targets = bbox_reg_targets.new_zeros(tuple(bbox_reg_targets.shape[:-1]))
        else:
            left_right = bbox_reg_targets[:, :, [0, 2]]
            top_bottom = bbox_reg_targets[:, :, [1, 3]]
            gt_ctrness_targets = ember.sqrt((left_right.min(dim=-1)[0] / left_right.max(dim=-1)[0])
                                            * (top_bottom.min(dim=-1)[0] / top_bottom.max(dim=-1)[0]))
        pred_centerness = bbox_ctrness.squeeze(dim=2)
        loss_bbox_ctrness = F.binary_cross_entropy_with_logits(pred_centerness[foreground],
                                                               gt_ctrness_targets[foreground], reduction="sum")
        n = max(1, num_foreground)
        return {"classification": loss_cls / n, "bbox_regression": loss_bbox_reg / n,
                "bbox_ctrness": loss_bbox_ctrness / n}

    def forward(self, x):
        cls_logits = self.classification_head(x)
        bbox_regression, bbox_ctrness = self.regression_head(x)
        return {"cls_logits": cls_logits, "bbox_regression": bbox_regression, "bbox_ctrness": bbox_ctrness}


class FCOS(nn.Module):
    def __init__(self, backbone, num_classes, min_size=800, max_size=1333, image_mean=None, image_std=None,
                 anchor_generator=None, head=None, center_sampling_radius=1.5, score_thresh=0.2, nms_thresh=0.6,
                 detections_per_img=100, topk_candidates=1000, **kwargs):
        super().__init__()
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the number of output "
                             "channels (assumed to be the same for all the levels)")
        self.backbone = backbone
        if not isinstance(anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(f"anchor_generator should be of type AnchorGenerator or None, instead  got "
                            f"{type(anchor_generator)}")
        if anchor_generator is None:
            anchor_sizes = ((8,), (16,), (32,), (64,), (128,))   # the strides of the levels
            anchor_generator = AnchorGenerator(anchor_sizes, ((1.0,),) * len(anchor_sizes))
        self.anchor_generator = anchor_generator
        if self.anchor_generator.num_anchors_per_location()[0] != 1:
            raise ValueError(f"anchor_generator.num_anchors_per_location()[0] should be 1 instead of "
                             f"{anchor_generator.num_anchors_per_location()[0]}")
        if head is None:
            head = FCOSHead(backbone.out_channels, anchor_generator.num_anchors_per_location()[0], num_classes)
        self.head = head
        self.box_coder = det_utils.BoxLinearCoder(normalize_by_size=True)
        image_mean = [0.485, 0.456, 0.406] if image_mean is None else image_mean
        image_std = [0.229, 0.224, 0.225] if image_std is None else image_std
        self.transform = GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
        self.center_sampling_radius = center_sampling_radius
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def compute_loss(self, targets, head_outputs, anchors, num_anchors_per_level):
        matched_idxs = []
        for anchors_per_image, t in zip(anchors, targets):
            if t["boxes"].numel() == 0:
                matched_idxs.append(ember.full((anchors_per_image.shape[0],), -1, dtype=ember.int64))
                continue
            gt_boxes = t["boxes"]
            gt_centers = (gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2
            anchor_centers = (anchors_per_image[:, :2] + anchors_per_image[:, 2:]) / 2
            anchor_sizes = anchors_per_image[:, 2] - anchors_per_image[:, 0]
            # centre sampling: within radius * stride of the box's centre
            match = (anchor_centers[:, None, :] - gt_centers[None, :, :]).abs().max(dim=2).values < \
                self.center_sampling_radius * anchor_sizes[:, None]
            x, y = anchor_centers.unsqueeze(dim=2).unbind(dim=1)
            x0, y0, x1, y1 = gt_boxes.unsqueeze(dim=0).unbind(dim=2)
            dist = ember.stack([x - x0, y - y0, x1 - x, y1 - y], dim=2)
            match = match & (dist.min(dim=2).values > 0)   # inside the box
            # the level's range of box sizes
            lower_bound = anchor_sizes * 4
            lower_bound[:num_anchors_per_level[0]] = 0
            upper_bound = anchor_sizes * 8
            upper_bound[-num_anchors_per_level[-1]:] = float("inf")
            dist = dist.max(dim=2).values
            match = match & (dist > lower_bound[:, None]) & (dist < upper_bound[:, None])
            # the smallest matching box wins
            gt_areas = (gt_boxes[:, 2] - gt_boxes[:, 0]) * (gt_boxes[:, 3] - gt_boxes[:, 1])
            match = match.to(ember.float32) * (1e8 - gt_areas[None, :])
            min_values, matched_idx = match.max(dim=1)
            matched_idx[min_values < 1e-5] = -1
            matched_idxs.append(matched_idx)
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(self, head_outputs, anchors, image_shapes):
        detections = []
        for index, image_shape in enumerate(image_shapes):
            image_boxes, image_scores, image_labels = [], [], []
            for reg, logits, ctrness, anchors_level in zip(
                    [br[index] for br in head_outputs["bbox_regression"]],
                    [cl[index] for cl in head_outputs["cls_logits"]],
                    [bc[index] for bc in head_outputs["bbox_ctrness"]], anchors[index]):
                num_classes = logits.shape[-1]
                scores = ember.sqrt(ember.sigmoid(logits) * ember.sigmoid(ctrness)).flatten()
                scores, anchor_idxs, labels = det_utils.top_candidates(scores, self.score_thresh,
                                                                       self.topk_candidates, num_classes)
                boxes = self.box_coder.decode(reg[anchor_idxs], anchors_level[anchor_idxs])
                image_boxes.append(box_ops.clip_boxes_to_image(boxes, image_shape))
                image_scores.append(scores)
                image_labels.append(labels)
            detections.append(det_utils.merge_detections(image_boxes, image_scores, image_labels, self.nms_thresh,
                                                         self.detections_per_img))
        return detections

    def forward(self, images, targets=None):
        if self.training:
            det_utils.check_training_targets(targets, name_type=False, name_shape=True)
        original_image_sizes = [(int(img.shape[-2]), int(img.shape[-1])) for img in images]
        images, targets = self.transform(images, targets)
        det_utils.check_degenerate_boxes(targets)
        features = self.backbone(images.tensors)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        features = list(features.values())
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        num_anchors_per_level = [x.shape[2] * x.shape[3] for x in features]
        losses, detections = {}, []
        if self.training:
            losses = self.compute_loss(targets, head_outputs, anchors, num_anchors_per_level)
        else:
            split_head_outputs = {k: list(v.split(num_anchors_per_level, dim=1)) for k, v in head_outputs.items()}
            split_anchors = [list(a.split(num_anchors_per_level)) for a in anchors]
            detections = self.postprocess_detections(split_head_outputs, split_anchors, images.image_sizes)
            detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)
        return self.eager_outputs(losses, detections)


FCOS_ResNet50_FPN_Weights = detection_weights(
    "FCOS_ResNet50_FPN_Weights", "fcos_resnet50_fpn_coco-99b0c9b7.pth", 32269600, {"box_map": 39.2})


@register_model
def fcos_resnet50_fpn(*, weights=None, progress=True, num_classes=None, weights_backbone=ResNet50_Weights.IMAGENET1K_V1,
                      trainable_backbone_layers=None, **kwargs):
    """FCOS, ResNet-50-FPN backbone (P3..P7), 32.3M parameters with 91 classes."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone, FCOS_ResNet50_FPN_Weights, ResNet50_Weights)
    if weights is not None:
        weights_backbone = None
    num_classes = _classes(weights, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 5, 3)
    norm_layer = FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers, returned_layers=[2, 3, 4],
                                     extra_blocks=LastLevelP6P7(256, 256))
    return _load(FCOS(backbone, num_classes, **kwargs), weights, progress)
