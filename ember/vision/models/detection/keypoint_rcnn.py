"""Keypoint R-CNN (He et al., 2017), torchvision's ``KeypointRCNN``, ``KeypointRCNNHeads``,
``KeypointRCNNPredictor`` and ``keypointrcnn_resnet50_fpn``: Faster R-CNN plus a keypoint branch
(RoI Align 14x14 on levels ``"0".."3"``, eight 3x3 conv+ReLU layers 512 wide, a stride-2 4x4
transposed convolution and a 2x bilinear upsampling to one 56x56 heatmap per keypoint).

>>> import ember
>>> head = KeypointRCNNPredictor(8, 17)
>>> tuple(head(ember.zeros(2, 8, 14, 14)).shape)
(2, 17, 56, 56)
"""
from .... import nn
from ....nn import functional as F
from ...ops import FrozenBatchNorm2d, MultiScaleRoIAlign
from .._api import WeightsEnum, register_model
from .._categories import categories
from ..resnet import ResNet50_Weights, resnet50
from ..segmentation._utils import overwrite_value_param, verify
from ._utils import overwrite_eps
from .backbone_utils import _resnet_fpn_extractor, _validate_trainable_layers
from .faster_rcnn import _BASE, FasterRCNN, _DetectionWeights, _load

__all__ = ["KeypointRCNN", "KeypointRCNNHeads", "KeypointRCNNPredictor", "KeypointRCNN_ResNet50_FPN_Weights",
           "keypointrcnn_resnet50_fpn"]


class KeypointRCNN(FasterRCNN):
    """Faster R-CNN with a keypoint branch; ``min_size`` defaults to torchvision's multi-scale
    training sizes (640 ... 800, the last one in evaluation)."""

    def __init__(self, backbone, num_classes=None, min_size=None, max_size=1333, image_mean=None, image_std=None,
                 rpn_anchor_generator=None, rpn_head=None, rpn_pre_nms_top_n_train=2000, rpn_pre_nms_top_n_test=1000,
                 rpn_post_nms_top_n_train=2000, rpn_post_nms_top_n_test=1000, rpn_nms_thresh=0.7,
                 rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3, rpn_batch_size_per_image=256,
                 rpn_positive_fraction=0.5, rpn_score_thresh=0.0, box_roi_pool=None, box_head=None,
                 box_predictor=None, box_score_thresh=0.05, box_nms_thresh=0.5, box_detections_per_img=100,
                 box_fg_iou_thresh=0.5, box_bg_iou_thresh=0.5, box_batch_size_per_image=512,
                 box_positive_fraction=0.25, bbox_reg_weights=None, keypoint_roi_pool=None, keypoint_head=None,
                 keypoint_predictor=None, num_keypoints=None, **kwargs):
        if not isinstance(keypoint_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(f"keypoint_roi_pool should be of type MultiScaleRoIAlign or None instead of "
                            f"{type(keypoint_roi_pool)}")
        if min_size is None:
            min_size = (640, 672, 704, 736, 768, 800)
        if num_keypoints is not None:
            if keypoint_predictor is not None:
                raise ValueError("num_keypoints should be None when keypoint_predictor is specified")
        else:
            num_keypoints = 17
        out_channels = backbone.out_channels
        if keypoint_roi_pool is None:
            keypoint_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=14, sampling_ratio=2)
        if keypoint_head is None:
            keypoint_head = KeypointRCNNHeads(out_channels, tuple(512 for _ in range(8)))
        if keypoint_predictor is None:
            keypoint_predictor = KeypointRCNNPredictor(512, num_keypoints)
        super().__init__(backbone, num_classes, min_size, max_size, image_mean, image_std, rpn_anchor_generator,
                         rpn_head, rpn_pre_nms_top_n_train, rpn_pre_nms_top_n_test, rpn_post_nms_top_n_train,
                         rpn_post_nms_top_n_test, rpn_nms_thresh, rpn_fg_iou_thresh, rpn_bg_iou_thresh,
                         rpn_batch_size_per_image, rpn_positive_fraction, rpn_score_thresh, box_roi_pool, box_head,
                         box_predictor, box_score_thresh, box_nms_thresh, box_detections_per_img, box_fg_iou_thresh,
                         box_bg_iou_thresh, box_batch_size_per_image, box_positive_fraction, bbox_reg_weights,
                         **kwargs)
        self.roi_heads.keypoint_roi_pool = keypoint_roi_pool
        self.roi_heads.keypoint_head = keypoint_head
        self.roi_heads.keypoint_predictor = keypoint_predictor


class KeypointRCNNHeads(nn.Sequential):
    """3x3 conv+ReLU layers of widths ``layers`` (children ``0, 1, 2 ...`` alternate conv, ReLU)."""

    def __init__(self, in_channels, layers):
        d, next_feature = [], in_channels
        for out_channels in layers:
            d += [nn.Conv2d(next_feature, out_channels, 3, stride=1, padding=1), nn.ReLU(inplace=True)]
            next_feature = out_channels
        super().__init__(*d)
        for m in self.children():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.constant_(m.bias, 0)


class KeypointRCNNPredictor(nn.Module):
    """``kps_score_lowres`` (4x4 stride-2 transposed conv to the keypoints), then 2x bilinear."""

    def __init__(self, in_channels, num_keypoints):
        super().__init__()
        deconv_kernel = 4
        self.kps_score_lowres = nn.ConvTranspose2d(in_channels, num_keypoints, deconv_kernel, stride=2,
                                                   padding=deconv_kernel // 2 - 1)
        nn.init.kaiming_normal_(self.kps_score_lowres.weight, mode="fan_out", nonlinearity="relu")
        nn.init.constant_(self.kps_score_lowres.bias, 0)
        self.up_scale = 2
        self.out_channels = num_keypoints

    def forward(self, x):
        x = self.kps_score_lowres(x)
        return F.interpolate(x, scale_factor=float(self.up_scale), mode="bilinear", align_corners=False,
                             recompute_scale_factor=False)


def _keypoint_weights():
    meta = {"categories": categories("coco_person"), "keypoint_names": categories("coco_person_keypoints"),
            "min_size": (1, 1), "num_params": 59137258}
    members = {
        "COCO_LEGACY": _DetectionWeights("COCO_LEGACY", url=_BASE + "keypointrcnn_resnet50_fpn_coco-9f466800.pth",
                                         meta={**meta, "_metrics": {"COCO-val2017": {"box_map": 50.6, "kp_map": 61.1}}}),
        "COCO_V1": _DetectionWeights("COCO_V1", url=_BASE + "keypointrcnn_resnet50_fpn_coco-fc266e95.pth",
                                     meta={**meta, "_metrics": {"COCO-val2017": {"box_map": 54.6, "kp_map": 65.0}}})}
    cls = WeightsEnum("KeypointRCNN_ResNet50_FPN_Weights", members)
    cls.DEFAULT = cls.COCO_V1
    return cls


KeypointRCNN_ResNet50_FPN_Weights = _keypoint_weights()


@register_model
def keypointrcnn_resnet50_fpn(*, weights=None, progress=True, num_classes=None, num_keypoints=None,
                              weights_backbone=ResNet50_Weights.IMAGENET1K_V1, trainable_backbone_layers=None,
                              **kwargs):
    """Keypoint R-CNN, ResNet-50-FPN backbone (59.1M parameters; 2 classes and the 17 COCO
    person keypoints by default). ``pretrained="legacy"`` selects the COCO_LEGACY weights."""
    if "pretrained" in kwargs:
        flag = kwargs.pop("pretrained")
        if flag:
            weights = KeypointRCNN_ResNet50_FPN_Weights.COCO_LEGACY if flag == "legacy" else \
                KeypointRCNN_ResNet50_FPN_Weights.COCO_V1
    if "pretrained_backbone" in kwargs:
        weights_backbone = ResNet50_Weights.IMAGENET1K_V1 if kwargs.pop("pretrained_backbone") else None
    weights = verify(KeypointRCNN_ResNet50_FPN_Weights, weights)
    weights_backbone = verify(ResNet50_Weights, weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = overwrite_value_param("num_classes", num_classes, len(weights.meta["categories"]))
        num_keypoints = overwrite_value_param("num_keypoints", num_keypoints, len(weights.meta["keypoint_names"]))
    else:
        num_classes = 2 if num_classes is None else num_classes
        num_keypoints = 17 if num_keypoints is None else num_keypoints
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 5, 3)
    norm_layer = FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers)
    model = _load(KeypointRCNN(backbone, num_classes, num_keypoints=num_keypoints, **kwargs), weights, progress)
    if weights == KeypointRCNN_ResNet50_FPN_Weights.COCO_V1:
        overwrite_eps(model, 0.0)
    return model
