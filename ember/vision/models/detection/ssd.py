"""SSD (Liu et al., 2016, "SSD: Single Shot MultiBox Detector"), torchvision's ``SSD``,
``SSDHead`` (``SSDClassificationHead``, ``SSDRegressionHead``), the VGG-16 feature extractor and
``ssd300_vgg16``, with torchvision's ``state_dict`` keys.

Every image is resized to the model's fixed ``size`` (width, height). Feature map ``k`` of the
backbone gets one 3x3 convolution for the class logits and one for the box deltas of its
``DefaultBoxGenerator`` boxes (encoded with weights ``(10, 10, 5, 5)``). Training matches the
default boxes to the ground truth (``SSDMatcher``: IoU >= ``iou_thresh``, and every ground truth
takes its best box) and returns the smooth L1 loss of the matched boxes' deltas and the
cross-entropy of the matched boxes plus the hardest background boxes (the
``(1 - positive_fraction) / positive_fraction`` times as many with the highest loss), both summed
over the batch and divided by the number of matched boxes. Evaluation takes the softmax scores,
per class the ``topk_candidates`` best above ``score_thresh``, and keeps the
``detections_per_img`` best after NMS per class.

>>> import ember
>>> backbone = nn.Sequential(nn.Conv2d(3, 8, 3, stride=8, padding=1), nn.ReLU())   # one 8 x 8 map
>>> model = SSD(backbone, DefaultBoxGenerator([[2]]), (64, 64), num_classes=3).eval()
>>> model.anchor_generator.num_anchors_per_location(), model.head.classification_head.module_list[0]
([4], Conv2d(8, 12, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)))
>>> out = model([ember.rand(3, 60, 80)])
>>> sorted(out[0])
['boxes', 'labels', 'scores']
"""
import warnings
from collections import OrderedDict

import ember
from .... import nn
from ....nn import functional as F
from ...ops import boxes as box_ops
from .._api import register_model
from ..vgg import VGG16_Weights, vgg16
from . import _utils as det_utils
from .anchor_utils import DefaultBoxGenerator
from .backbone_utils import _validate_trainable_layers
from .faster_rcnn import _classes, _legacy, _load, detection_weights
from .transform import GeneralizedRCNNTransform

__all__ = ["SSD", "SSDHead", "SSDClassificationHead", "SSDRegressionHead", "SSDFeatureExtractorVGG",
           "SSD300_VGG16_Weights", "ssd300_vgg16"]

SSD300_VGG16_Weights = detection_weights("SSD300_VGG16_Weights", "ssd300_vgg16_coco-b556d3b4.pth", 35641826,
                                         {"box_map": 25.1})


def _xavier_init(module):
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0.0)


def _freeze_stages(layers, stage_indices, trainable_layers):
    """Stop the gradients of ``layers`` before the last ``trainable_layers`` stages."""
    num_stages = len(stage_indices)
    freeze_before = len(layers) if trainable_layers == 0 else stage_indices[num_stages - trainable_layers]
    for b in layers[:freeze_before]:
        for parameter in b.parameters():
            parameter.requires_grad_(False)


class SSDScoringHead(nn.Module):
    """One module per feature map; ``forward`` joins their ``(N, A * K, H, W)`` outputs as
    ``(N, sum H W A, K)`` (``K = num_columns``)."""

    def __init__(self, module_list, num_columns):
        super().__init__()
        self.module_list = module_list
        self.num_columns = num_columns

    def _get_result_from_module_list(self, x, idx):
        return self.module_list[idx](x)

    def forward(self, x):
        out = []
        for i, features in enumerate(x):
            r = self._get_result_from_module_list(features, i)
            N, _, H, W = r.shape
            out.append(r.view(N, -1, self.num_columns, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, self.num_columns))
        return ember.cat(out, dim=1)


class SSDClassificationHead(SSDScoringHead):
    def __init__(self, in_channels, num_anchors, num_classes):
        cls_logits = nn.ModuleList([nn.Conv2d(c, num_classes * a, kernel_size=3, padding=1)
                                    for c, a in zip(in_channels, num_anchors)])
        _xavier_init(cls_logits)
        super().__init__(cls_logits, num_classes)


class SSDRegressionHead(SSDScoringHead):
    def __init__(self, in_channels, num_anchors):
        bbox_reg = nn.ModuleList([nn.Conv2d(c, 4 * a, kernel_size=3, padding=1)
                                  for c, a in zip(in_channels, num_anchors)])
        _xavier_init(bbox_reg)
        super().__init__(bbox_reg, 4)


class SSDHead(nn.Module):
    def __init__(self, in_channels, num_anchors, num_classes):
        super().__init__()
        self.classification_head = SSDClassificationHead(in_channels, num_anchors, num_classes)
        self.regression_head = SSDRegressionHead(in_channels, num_anchors)

    def forward(self, x):
        return {"bbox_regression": self.regression_head(x), "cls_logits": self.classification_head(x)}


class SSD(nn.Module):
    """SSD on ``backbone`` (a module returning a tensor or an ordered dict of feature maps; its
    ``out_channels`` list, or the channels of its outputs for a zero image of ``size``, sizes the
    default ``SSDHead``)."""

    def __init__(self, backbone, anchor_generator, size, num_classes, image_mean=None, image_std=None, head=None,
                 score_thresh=0.01, nms_thresh=0.45, detections_per_img=200, iou_thresh=0.5, topk_candidates=400,
                 positive_fraction=0.25, **kwargs):
        super().__init__()
        self.backbone = backbone
        self.anchor_generator = anchor_generator
        self.box_coder = det_utils.BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
        if head is None:
            if hasattr(backbone, "out_channels"):
                out_channels = backbone.out_channels
            else:
                out_channels = det_utils.retrieve_out_channels(backbone, size)
            if len(out_channels) != len(anchor_generator.aspect_ratios):
                raise ValueError(f"The length of the output channels from the backbone ({len(out_channels)}) do not "
                                 f"match the length of the anchor generator aspect ratios "
                                 f"({len(anchor_generator.aspect_ratios)})")
            head = SSDHead(out_channels, anchor_generator.num_anchors_per_location(), num_classes)
        self.head = head
        self.proposal_matcher = det_utils.SSDMatcher(iou_thresh)
        image_mean = [0.485, 0.456, 0.406] if image_mean is None else image_mean
        image_std = [0.229, 0.224, 0.225] if image_std is None else image_std
        self.transform = GeneralizedRCNNTransform(min(size), max(size), image_mean, image_std, size_divisible=1,
                                                  fixed_size=size, **kwargs)
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self.neg_to_pos_ratio = (1.0 - positive_fraction) / positive_fraction
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        bbox_regression, cls_logits = head_outputs["bbox_regression"], head_outputs["cls_logits"]
        num_foreground = 0
        bbox_loss, cls_targets = [], []
        for t, regression, logits, anchors_per_image, matched in zip(targets, bbox_regression, cls_logits, anchors,
                                                                     matched_idxs):
            foreground = ember.where(matched >= 0)[0]
            gt_idxs = matched[foreground]
            num_foreground += gt_idxs.numel()
            target_regression = self.box_coder.encode_single(t["boxes"][gt_idxs], anchors_per_image[foreground, :])
            bbox_loss.append(F.smooth_l1_loss(regression[foreground, :], target_regression, reduction="sum"))
            gt_classes = ember.zeros((logits.shape[0],), dtype=t["labels"].dtype)
            gt_classes[foreground] = t["labels"][gt_idxs]
            cls_targets.append(gt_classes)
        bbox_loss = ember.stack(bbox_loss)
        cls_targets = ember.stack(cls_targets)
        num_classes = cls_logits.shape[-1]
        cls_loss = F.cross_entropy(cls_logits.view(-1, num_classes), cls_targets.view(-1),
                                   reduction="none").view(cls_targets.shape)
        # hard negative mining: per image the neg_to_pos_ratio x (positives) background boxes of the highest loss
        foreground_idxs = cls_targets > 0
        num_negative = self.neg_to_pos_ratio * foreground_idxs.sum(1, keepdim=True)
        negative_loss = cls_loss.clone()
        negative_loss[foreground_idxs] = -float("inf")
        _, order = negative_loss.sort(1, descending=True)
        background_idxs = order.sort(1)[1] < num_negative
        N = max(1, num_foreground)
        return {"bbox_regression": bbox_loss.sum() / N,
                "classification": (cls_loss[foreground_idxs].sum() + cls_loss[background_idxs].sum()) / N}

    def forward(self, images, targets=None):
        if self.training:
            det_utils.check_training_targets(targets, name_type=True, name_shape=True)
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
            matched_idxs = det_utils.match_anchors(self.proposal_matcher, targets, anchors)
            losses = self.compute_loss(targets, head_outputs, anchors, matched_idxs)
        else:
            detections = self.postprocess_detections(head_outputs, anchors, images.image_sizes)
            detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)
        return self.eager_outputs(losses, detections)

    def postprocess_detections(self, head_outputs, image_anchors, image_shapes):
        pred_scores = F.softmax(head_outputs["cls_logits"], dim=-1)
        num_classes = pred_scores.shape[-1]
        detections = []
        for regression, scores, anchors, image_shape in zip(head_outputs["bbox_regression"], pred_scores,
                                                            image_anchors, image_shapes):
            boxes = box_ops.clip_boxes_to_image(self.box_coder.decode_single(regression, anchors), image_shape)
            image_boxes, image_scores, image_labels = [], [], []
            for label in range(1, num_classes):
                score, idxs, _ = det_utils.top_candidates(scores[:, label], self.score_thresh, self.topk_candidates, 1)
                image_boxes.append(boxes[idxs])
                image_scores.append(score)
                image_labels.append(ember.full_like(score, label, dtype=ember.int64))
            detections.append(det_utils.merge_detections(image_boxes, image_scores, image_labels, self.nms_thresh,
                                                         self.detections_per_img))
        return detections


class SSDFeatureExtractorVGG(nn.Module):
    """VGG ``features`` cut at conv4_3 (its output L2-normalised over the channels and scaled by
    the learned ``scale_weight``, 20 at first), then conv5 with pool5 3x3 / 1, the dilated fc6 and
    fc7 as convolutions and the extra blocks conv8_2 .. conv11_2 (conv12_2 too when ``highres``);
    pool3 rounds up."""

    def __init__(self, backbone, highres):
        super().__init__()
        _, _, maxpool3_pos, maxpool4_pos, _ = (i for i, layer in enumerate(backbone) if isinstance(layer, nn.MaxPool2d))
        backbone[maxpool3_pos].ceil_mode = True
        self.scale_weight = nn.Parameter(ember.ones(512) * 20)
        self.features = nn.Sequential(*backbone[:maxpool4_pos])

        def block(c_in, c_mid, c_out, **conv):
            return nn.Sequential(nn.Conv2d(c_in, c_mid, kernel_size=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(c_mid, c_out, **conv), nn.ReLU(inplace=True))

        extra = nn.ModuleList([block(1024, 256, 512, kernel_size=3, padding=1, stride=2),
                               block(512, 128, 256, kernel_size=3, padding=1, stride=2),
                               block(256, 128, 256, kernel_size=3), block(256, 128, 256, kernel_size=3)])
        if highres:
            extra.append(block(256, 128, 256, kernel_size=4))
        _xavier_init(extra)
        fc = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=False),
                           nn.Conv2d(512, 1024, kernel_size=3, padding=6, dilation=6), nn.ReLU(inplace=True),
                           nn.Conv2d(1024, 1024, kernel_size=1), nn.ReLU(inplace=True))
        _xavier_init(fc)
        extra.insert(0, nn.Sequential(*backbone[maxpool4_pos:-1], fc))   # conv5_3 (pool5 replaced) and fc6, fc7
        self.extra = extra

    def forward(self, x):
        x = self.features(x)
        output = [self.scale_weight.view(1, -1, 1, 1) * F.normalize(x)]
        for block in self.extra:
            x = block(x)
            output.append(x)
        return OrderedDict([(str(i), v) for i, v in enumerate(output)])


def _vgg_extractor(backbone, highres, trainable_layers):
    layers = backbone.features
    stage_indices = [0] + [i for i, b in enumerate(layers) if isinstance(b, nn.MaxPool2d)][:-1]
    num_stages = len(stage_indices)
    if not 0 <= trainable_layers <= num_stages:
        raise AssertionError(f"trainable_layers should be in the range [0, {num_stages}]. Instead got "
                             f"{trainable_layers}")
    _freeze_stages(layers, stage_indices, trainable_layers)
    return SSDFeatureExtractorVGG(layers, highres)


@register_model
def ssd300_vgg16(*, weights=None, progress=True, num_classes=None,
                 weights_backbone=VGG16_Weights.IMAGENET1K_FEATURES, trainable_backbone_layers=None, **kwargs):
    """SSD300 on VGG-16 (35.6M parameters with 91 classes): 6 feature maps (38, 19, 10, 5, 3, 1
    for 300 x 300) with 4, 6, 6, 6, 4, 4 default boxes per location; inputs normalised as the
    Caffe VGG (mean ``(0.48235, 0.45882, 0.40784)``, std 1/255)."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone, SSD300_VGG16_Weights, VGG16_Weights,
                                        "IMAGENET1K_FEATURES")
    if "size" in kwargs:
        warnings.warn("The size of the model is already fixed; ignoring the parameter.")
    if weights is not None:
        weights_backbone = None
    num_classes = _classes(weights, num_classes)
    trainable_backbone_layers = _validate_trainable_layers(weights is not None or weights_backbone is not None,
                                                           trainable_backbone_layers, 5, 4)
    backbone = _vgg_extractor(vgg16(weights=weights_backbone, progress=progress), False, trainable_backbone_layers)
    anchor_generator = DefaultBoxGenerator([[2], [2, 3], [2, 3], [2, 3], [2], [2]],
                                           scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05],
                                           steps=[8, 16, 32, 64, 100, 300])
    kwargs = {"image_mean": [0.48235, 0.45882, 0.40784], "image_std": [1.0 / 255.0] * 3, **kwargs}
    return _load(SSD(backbone, anchor_generator, (300, 300), num_classes, **kwargs), weights, progress)
