"""The detection models compared with torchvision's: built with the same code on either side.

``tiny_*`` build small Faster / Mask R-CNNs (a four-conv backbone with an FPN 16 channels wide) and
SSDs from a namespace holding ``nn``, ``FrozenBatchNorm2d``, ``MultiScaleRoIAlign``, the detection
package and ``models`` (torchvision's in the fixture generator, ember's in the test), so both sides get the same
architecture and state_dict keys; every floating-point entry is then set by ``_tv_formula.value``.
The inputs and targets are pure NumPy. ``fixed_perm`` replaces ``randperm`` in the samplers on
both sides, so the training losses are deterministic. Pure data and NumPy: read by
make_detection_fixtures.py beside torchvision and by test_vision_detection.py beside ember.
"""
import functools
import types
from collections import OrderedDict

import numpy as np

TINY_KWARGS = dict(min_size=128, max_size=160, rpn_pre_nms_top_n_train=60, rpn_post_nms_top_n_train=30,
                   rpn_pre_nms_top_n_test=60, rpn_post_nms_top_n_test=30, rpn_batch_size_per_image=32,
                   box_batch_size_per_image=16, box_detections_per_img=10)
# The full builders run on one small image, with few proposals and detections.
FULL = {
    "maskrcnn_resnet50_fpn": dict(weights=None, weights_backbone=None, min_size=96, max_size=128,
                                  rpn_pre_nms_top_n_test=100, rpn_post_nms_top_n_test=40, box_detections_per_img=4,
                                  box_score_thresh=0.0),
    "fasterrcnn_mobilenet_v3_large_fpn": dict(weights=None, weights_backbone=None, min_size=96, max_size=128,
                                              rpn_pre_nms_top_n_test=100, rpn_post_nms_top_n_test=40,
                                              box_detections_per_img=6, rpn_score_thresh=0.0, box_score_thresh=0.0),
}
# Builders whose state_dict keys and shapes are compared (default arguments, no weights).
KEY_BUILDERS = {
    "fasterrcnn_resnet50_fpn": dict(weights=None, weights_backbone=None),
    "fasterrcnn_resnet50_fpn_v2": dict(weights=None, weights_backbone=None),
    "fasterrcnn_mobilenet_v3_large_fpn": dict(weights=None, weights_backbone=None),
    "fasterrcnn_mobilenet_v3_large_320_fpn": dict(weights=None, weights_backbone=None, num_classes=5),
    "maskrcnn_resnet50_fpn": dict(weights=None, weights_backbone=None),
    "maskrcnn_resnet50_fpn_v2": dict(weights=None, weights_backbone=None, num_classes=3),
    "keypointrcnn_resnet50_fpn": dict(weights=None, weights_backbone=None),
    "retinanet_resnet50_fpn": dict(weights=None, weights_backbone=None),
    "retinanet_resnet50_fpn_v2": dict(weights=None, weights_backbone=None, num_classes=4),
    "fcos_resnet50_fpn": dict(weights=None, weights_backbone=None),
    "ssd300_vgg16": dict(weights=None, weights_backbone=None),
    "ssdlite320_mobilenet_v3_large": dict(weights=None, weights_backbone=None, num_classes=5),
}
# Builders given pretrained backbone weights (served from the backbone builder's weights=None state
# instead of downloaded): keys, trainable parameters and the URL asked for.
BACKBONE_WEIGHTS = {
    "ssd300_vgg16": ("vgg16", dict(weights=None, pretrained_backbone=True, trainable_backbone_layers=2)),
    "ssdlite320_mobilenet_v3_large": ("mobilenet_v3_large", dict(weights=None, num_classes=5,
                                                                 trainable_backbone_layers=3)),
}
FULL["ssdlite320_mobilenet_v3_large"] = dict(weights=None, weights_backbone=None, num_classes=5, topk_candidates=30,
                                             detections_per_img=8)
SSD_KINDS = ("ssd", "ssd_vgg", "ssdlite")
GRAD_POSITIONS = 64   # the SSDs' gradients are recorded at this many flat positions per parameter
KINDS = ("faster", "mask", "keypoint", "retina", "retina_v2", "fcos") + SSD_KINDS


def fixed_perm(n):
    """The permutation that stands for ``randperm(n)`` on both sides."""
    return np.random.default_rng(n).permutation(n)


def tiny_backbone(ns, width=16):
    nn = ns.nn
    body = nn.Sequential(OrderedDict([
        ("c1", nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), ns.FrozenBatchNorm2d(8), nn.ReLU())),
        ("c2", nn.Sequential(nn.Conv2d(8, 12, 3, stride=2, padding=1), nn.BatchNorm2d(12), nn.ReLU())),
        ("c3", nn.Sequential(nn.Conv2d(12, 16, 3, stride=2, padding=1), nn.ReLU())),
        ("c4", nn.Sequential(nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU())),
    ]))
    return ns.detection.backbone_utils.BackboneWithFPN(body, {"c2": "0", "c3": "1", "c4": "2"}, [12, 16, 16],
                                                       width)


def tiny_vgg(ns):
    """A VGG ``features`` list with torchvision's SSD cuts (five max pools, 512 channels at conv4_3
    and conv5_3) but few channels before and pools 1 x 1 where SSD300 halves: for a 68 x 66 image
    the feature maps are 17, 17, 9, 5, 3, 1 wide (17 only because pool3 rounds up)."""
    nn = ns.nn
    return types.SimpleNamespace(features=nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(1, 1),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        nn.Conv2d(16, 512, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(1, 1),
        nn.Conv2d(512, 512, 1), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2)))


def tiny_ssd(ns, kind):
    """"ssd": a 3-class SSD (``SSDHead`` sized from the outputs) on ``tiny_backbone``'s body (maps
    of 12, 16, 16 channels) at 72 x 64; "ssd_vgg": on ``SSDFeatureExtractorVGG`` of ``tiny_vgg``
    (its first two convs frozen: 3 trainable stages) with SSD300's aspect ratios, own steps and
    unclipped boxes; "ssdlite": ``SSDLiteHead`` on the MobileNetV3 extractor of a 0.25-wide
    MobileNetV3-Large with the reduced tail, at 64 x 48."""
    det = ns.detection
    kw = dict(topk_candidates=40, detections_per_img=10)
    if kind == "ssd":
        anchors = det.anchor_utils.DefaultBoxGenerator([[2], [2, 3], [3]], min_ratio=0.1, max_ratio=0.8)
        return det.ssd.SSD(tiny_backbone(ns).body, anchors, (72, 64), 3, **kw)
    if kind == "ssd_vgg":
        anchors = det.anchor_utils.DefaultBoxGenerator([[2], [2, 3], [2, 3], [2, 3], [2], [2]],
                                                       steps=[4, 4, 8, 16, 32, 68], clip=False)
        return det.ssd.SSD(det.ssd._vgg_extractor(tiny_vgg(ns), False, 3), anchors, (68, 66), 3, **kw)
    norm = functools.partial(ns.nn.BatchNorm2d, eps=0.001, momentum=0.03)
    mobilenet = ns.models.mobilenet_v3_large(weights=None, width_mult=0.25, norm_layer=norm, reduced_tail=True)
    backbone = det.ssdlite._mobilenet_extractor(mobilenet, 6, norm)
    anchors = det.anchor_utils.DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95)
    channels = det._utils.retrieve_out_channels(backbone, (64, 48))
    head = det.ssdlite.SSDLiteHead(channels, anchors.num_anchors_per_location(), 3, norm)
    return det.ssd.SSD(backbone, anchors, (64, 48), 3, head=head, image_mean=[0.5] * 3, image_std=[0.5] * 3, **kw)


def tiny_model(ns, kind):
    """``kind`` "faster", "mask" or "keypoint" (3 keypoints): a 3-class R-CNN on ``tiny_backbone``;
    "retina" / "retina_v2": a 3-class RetinaNet on it (v2: GroupNorm heads and the GIoU loss);
    "fcos": a 3-class FCOS on a 32-wide FPN (its heads' GroupNorm has 32 groups); the SSDs: ``tiny_ssd``."""
    det = ns.detection
    if kind in SSD_KINDS:
        return tiny_ssd(ns, kind)
    if kind == "fcos":
        anchors = det.anchor_utils.AnchorGenerator(((4,), (8,), (16,), (32,)), ((1.0,),) * 4)
        return det.fcos.FCOS(tiny_backbone(ns, 32), 3, min_size=128, max_size=160, anchor_generator=anchors,
                             detections_per_img=10, topk_candidates=20)
    anchors = det.anchor_utils.AnchorGenerator(((16,), (32,), (64,), (128,)), ((0.5, 1.0, 2.0),) * 4)
    if kind.startswith("retina"):
        rn = det.retinanet
        head = rn.RetinaNetHead(16, 3, 3, norm_layer=(lambda c: ns.nn.GroupNorm(4, c)) if kind == "retina_v2" else None)
        if kind == "retina_v2":
            head.regression_head._loss_type = "giou"
        return rn.RetinaNet(tiny_backbone(ns), 3, min_size=128, max_size=160, anchor_generator=anchors, head=head,
                            detections_per_img=10, topk_candidates=20)
    common = dict(rpn_anchor_generator=anchors,
                  box_roi_pool=ns.MultiScaleRoIAlign(["0", "1", "2"], output_size=7, sampling_ratio=2),
                  box_head=det.faster_rcnn.TwoMLPHead(16 * 7 * 7, 32),
                  box_predictor=det.faster_rcnn.FastRCNNPredictor(32, 3), **TINY_KWARGS)
    if kind == "faster":
        return det.faster_rcnn.FasterRCNN(tiny_backbone(ns), None, **common)
    if kind == "keypoint":
        kp = det.keypoint_rcnn
        return kp.KeypointRCNN(
            tiny_backbone(ns), None, keypoint_roi_pool=ns.MultiScaleRoIAlign(["0", "1", "2"], output_size=14,
                                                                            sampling_ratio=2),
            keypoint_head=kp.KeypointRCNNHeads(16, (16, 16)), keypoint_predictor=kp.KeypointRCNNPredictor(16, 3),
            **common)
    return det.mask_rcnn.MaskRCNN(
        tiny_backbone(ns), None, mask_roi_pool=ns.MultiScaleRoIAlign(["0", "1", "2"], output_size=14, sampling_ratio=2),
        mask_head=det.mask_rcnn.MaskRCNNHeads(16, (16, 16), 1), mask_predictor=det.mask_rcnn.MaskRCNNPredictor(16, 16, 3),
        **common)


def images():
    """Two images of different sizes (so resizing and padding differ), float64 in [0, 1]."""
    rng = np.random.default_rng(11)
    return [rng.uniform(0, 1, (3, 100, 120)), rng.uniform(0, 1, (3, 90, 110))]


def targets():
    """Boxes (xyxy float64), int64 labels, uint8 masks (filled ellipses inside the boxes) and three
    float32 keypoints (x, y, visibility) per box: one on the box's right edge, one invisible."""
    out = []
    for (h, w), boxes, labels in (((100, 120), [[10.0, 12.0, 70.0, 60.0], [50.5, 40.0, 115.0, 95.0]], [1, 2]),
                                  ((90, 110), [[20.0, 5.0, 90.0, 80.0]], [2])):
        keypoints = np.array([[[(x1 + x2) / 2, y1 + 7.3, 1], [x2, (y1 + y2) / 2, 1], [x1 + 3, y2 - 3, 0]]
                              for x1, y1, x2, y2 in boxes], np.float32)
        masks = np.zeros((len(boxes), h, w), np.uint8)
        yy, xx = np.mgrid[0:h, 0:w]
        for i, (x1, y1, x2, y2) in enumerate(boxes):
            cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
            masks[i] = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
        out.append({"boxes": np.asarray(boxes), "labels": np.asarray(labels, np.int64), "masks": masks,
                    "keypoints": keypoints})
    return out


def targets_one_empty():
    """``targets()`` with no boxes in the second image (its default boxes are all background)."""
    out = targets()
    out[1] = {"boxes": np.zeros((0, 4)), "labels": np.zeros((0,), np.int64)}
    return out


# SSDs also trained with ``targets_one_empty()`` and evaluated with score_thresh 0.5 (no SSDlite detection passes)
EDGE_KINDS = ("ssd", "ssdlite")
EDGE_SCORE_THRESH = 0.5


def full_image():
    return np.random.default_rng(12).uniform(0, 1, (3, 80, 100))


def positions(n, k, seed):
    """``k`` fixed flat positions of an array of ``n`` values (all of them when ``n <= k``)."""
    return np.arange(n) if n <= k else np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))


# tests/programs/detection_finetune.py: its arguments for the recorded torchvision run and the ember run
# (both load the same formula weights, _formula_init.formula_state of the keys recorded beside the run).
PROGRAM_ARGS = ["--model", "mobilenet_v3_small", "--weights", "none", "--min-size", "96", "--max-size", "128",
                "--box-batch", "64", "--proposals", "100", "--no-shuffle", "--flip", "0", "--epochs", "2",
                "--images", "8"]
