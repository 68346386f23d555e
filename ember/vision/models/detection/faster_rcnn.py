"""Faster R-CNN (Ren et al., 2015), torchvision's ``FasterRCNN``, its heads (``TwoMLPHead``,
``FastRCNNConvFCHead``, ``FastRCNNPredictor``) and builders, with torchvision's ``state_dict`` keys.

Fine-tuning for new classes, as in PyTorch's detection tutorial, replaces the predictor:

>>> import ember
>>> model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, min_size=64, max_size=96)
>>> in_features = model.roi_heads.box_predictor.cls_score.in_features
>>> model.roi_heads.box_predictor = FastRCNNPredictor(in_features, 2)
>>> out = model.eval()([ember.rand(3, 60, 80)])
>>> sorted(out[0])
['boxes', 'labels', 'scores']
"""
from .... import nn
from ....nn import functional as F
from ...ops import Conv2dNormActivation, FrozenBatchNorm2d, MultiScaleRoIAlign
from .._api import Weights, WeightsEnum, register_model
from .._categories import categories
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ..resnet import ResNet50_Weights, resnet50
from ..segmentation._utils import overwrite_value_param, verify
from ._utils import overwrite_eps
from .anchor_utils import AnchorGenerator
from .backbone_utils import _mobilenet_extractor, _resnet_fpn_extractor, _validate_trainable_layers
from .generalized_rcnn import GeneralizedRCNN
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .transform import GeneralizedRCNNTransform

__all__ = ["FasterRCNN", "TwoMLPHead", "FastRCNNConvFCHead", "FastRCNNPredictor", "FasterRCNN_ResNet50_FPN_Weights",
           "FasterRCNN_ResNet50_FPN_V2_Weights", "FasterRCNN_MobileNet_V3_Large_FPN_Weights",
           "FasterRCNN_MobileNet_V3_Large_320_FPN_Weights", "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2",
           "fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn"]

_BASE = "https://download.pytorch.org/models/"


class ObjectDetection:
    """The preprocessing of torchvision's detection weights: a PIL image or tensor to a float
    ``(C, H, W)`` tensor in [0, 1] (the model normalises and resizes itself)."""

    def __call__(self, img):
        from ...transforms import functional as TF
        import ember
        if not isinstance(img, ember.Tensor):
            img = TF.pil_to_tensor(img)
        return TF.convert_image_dtype(img, ember.float32)

    def __repr__(self):
        return "ObjectDetection()"


class _DetectionWeights(Weights):
    def transforms(self, *args, **kwargs):
        return ObjectDetection()


def detection_weights(class_name, file, num_params, metrics, categories_name="coco", **meta):
    """A weights enum with one ``COCO_V1`` member (also ``DEFAULT``) for torchvision's file."""
    meta = {"categories": categories(categories_name), "min_size": (1, 1), "num_params": num_params,
            "_metrics": {"COCO-val2017": metrics}, **meta}
    cls = WeightsEnum(class_name, {"COCO_V1": _DetectionWeights("COCO_V1", meta=meta, url=_BASE + file)})
    cls.DEFAULT = cls.COCO_V1
    return cls


def _default_anchorgen():
    anchor_sizes = ((32,), (64,), (128,), (256,), (512,))
    return AnchorGenerator(anchor_sizes, ((0.5, 1.0, 2.0),) * len(anchor_sizes))


class FasterRCNN(GeneralizedRCNN):
    """Faster R-CNN on ``backbone`` (a module with ``out_channels`` returning a tensor or an
    ordered dict of feature maps). The defaults are torchvision's: 5 anchor sizes x 3 ratios
    (one size per FPN level), RoI Align 7x7 on levels ``"0".."3"``, a two-layer 1024-wide MLP."""

    def __init__(self, backbone, num_classes=None, min_size=800, max_size=1333, image_mean=None, image_std=None,
                 rpn_anchor_generator=None, rpn_head=None, rpn_pre_nms_top_n_train=2000, rpn_pre_nms_top_n_test=1000,
                 rpn_post_nms_top_n_train=2000, rpn_post_nms_top_n_test=1000, rpn_nms_thresh=0.7,
                 rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3, rpn_batch_size_per_image=256,
                 rpn_positive_fraction=0.5, rpn_score_thresh=0.0, box_roi_pool=None, box_head=None,
                 box_predictor=None, box_score_thresh=0.05, box_nms_thresh=0.5, box_detections_per_img=100,
                 box_fg_iou_thresh=0.5, box_bg_iou_thresh=0.5, box_batch_size_per_image=512,
                 box_positive_fraction=0.25, bbox_reg_weights=None, **kwargs):
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the number of output "
                             "channels (assumed to be the same for all the levels)")
        if not isinstance(rpn_anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(f"rpn_anchor_generator should be of type AnchorGenerator or None instead of "
                            f"{type(rpn_anchor_generator)}")
        if not isinstance(box_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(f"box_roi_pool should be of type MultiScaleRoIAlign or None instead of {type(box_roi_pool)}")
        if num_classes is not None:
            if box_predictor is not None:
                raise ValueError("num_classes should be None when box_predictor is specified")
        elif box_predictor is None:
            raise ValueError("num_classes should not be None when box_predictor is not specified")
        out_channels = backbone.out_channels
        if rpn_anchor_generator is None:
            rpn_anchor_generator = _default_anchorgen()
        if rpn_head is None:
            rpn_head = RPNHead(out_channels, rpn_anchor_generator.num_anchors_per_location()[0])
        rpn = RegionProposalNetwork(
            rpn_anchor_generator, rpn_head, rpn_fg_iou_thresh, rpn_bg_iou_thresh, rpn_batch_size_per_image,
            rpn_positive_fraction, dict(training=rpn_pre_nms_top_n_train, testing=rpn_pre_nms_top_n_test),
            dict(training=rpn_post_nms_top_n_train, testing=rpn_post_nms_top_n_test), rpn_nms_thresh,
            score_thresh=rpn_score_thresh)
        if box_roi_pool is None:
            box_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=7, sampling_ratio=2)
        if box_head is None:
            resolution = box_roi_pool.output_size[0]
            box_head = TwoMLPHead(out_channels * resolution ** 2, 1024)
        if box_predictor is None:
            box_predictor = FastRCNNPredictor(1024, num_classes)
        roi_heads = RoIHeads(box_roi_pool, box_head, box_predictor, box_fg_iou_thresh, box_bg_iou_thresh,
                             box_batch_size_per_image, box_positive_fraction, bbox_reg_weights, box_score_thresh,
                             box_nms_thresh, box_detections_per_img)
        image_mean = [0.485, 0.456, 0.406] if image_mean is None else image_mean
        image_std = [0.229, 0.224, 0.225] if image_std is None else image_std
        transform = GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
        super().__init__(backbone, rpn, roi_heads, transform)


class TwoMLPHead(nn.Module):
    """``relu(fc7(relu(fc6(flatten(x)))))``: the standard box head."""

    def __init__(self, in_channels, representation_size):
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        return F.relu(self.fc7(F.relu(self.fc6(x))))


class FastRCNNConvFCHead(nn.Sequential):
    """3x3 conv-norm-ReLU blocks, flatten, then Linear+ReLU layers (the v2 models' box head)."""

    def __init__(self, input_size, conv_layers, fc_layers, norm_layer=None):
        in_channels, in_height, in_width = input_size
        blocks, previous = [], in_channels
        for current in conv_layers:
            blocks.append(Conv2dNormActivation(previous, current, norm_layer=norm_layer))
            previous = current
        blocks.append(nn.Flatten())
        previous = previous * in_height * in_width
        for current in fc_layers:
            blocks += [nn.Linear(previous, current), nn.ReLU(inplace=True)]
            previous = current
        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)


class FastRCNNPredictor(nn.Module):
    """Class logits (``cls_score``) and per-class box deltas (``bbox_pred``, ``4 * num_classes``)."""

    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x):
        if x.dim() == 4 and list(x.shape[2:]) != [1, 1]:
            raise AssertionError(f"x has the wrong shape, expecting the last two dimensions to be [1,1] instead of "
                                 f"{list(x.shape[2:])}")
        x = x.flatten(start_dim=1)
        return self.cls_score(x), self.bbox_pred(x)


FasterRCNN_ResNet50_FPN_Weights = detection_weights(
    "FasterRCNN_ResNet50_FPN_Weights", "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", 41755286, {"box_map": 37.0})
FasterRCNN_ResNet50_FPN_V2_Weights = detection_weights(
    "FasterRCNN_ResNet50_FPN_V2_Weights", "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth", 43712278,
    {"box_map": 46.7})
FasterRCNN_MobileNet_V3_Large_FPN_Weights = detection_weights(
    "FasterRCNN_MobileNet_V3_Large_FPN_Weights", "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth", 19386354,
    {"box_map": 32.8})
FasterRCNN_MobileNet_V3_Large_320_FPN_Weights = detection_weights(
    "FasterRCNN_MobileNet_V3_Large_320_FPN_Weights", "fasterrcnn_mobilenet_v3_large_320_fpn-907ea3f9.pth", 19386354,
    {"box_map": 22.8})


def _legacy(kwargs, weights, weights_backbone, enum_cls, backbone_enum, backbone_default="IMAGENET1K_V1"):
    """torchvision's ``pretrained`` / ``pretrained_backbone`` flags, as ``weights`` entries."""
    if "pretrained" in kwargs:
        weights = enum_cls.COCO_V1 if kwargs.pop("pretrained") else weights
    if "pretrained_backbone" in kwargs:
        weights_backbone = getattr(backbone_enum, backbone_default) if kwargs.pop("pretrained_backbone") else None
    return verify(enum_cls, weights), verify(backbone_enum, weights_backbone)


def _classes(weights, num_classes):
    if weights is not None:
        return overwrite_value_param("num_classes", num_classes, len(weights.meta["categories"]))
    return 91 if num_classes is None else num_classes


def _load(model, weights, progress):
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


@register_model
def fasterrcnn_resnet50_fpn(*, weights=None, progress=True, num_classes=None,
                            weights_backbone=ResNet50_Weights.IMAGENET1K_V1, trainable_backbone_layers=None, **kwargs):
    """Faster R-CNN, ResNet-50-FPN backbone (41.8M parameters with 91 classes). With pretrained
    weights the backbone's batch norms are frozen and ``trainable_backbone_layers`` (default 3)
    of its stages train."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone, FasterRCNN_ResNet50_FPN_Weights,
                                        ResNet50_Weights)
    if weights is not None:
        weights_backbone = None
    num_classes = _classes(weights, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 5, 3)
    norm_layer = FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers)
    model = _load(FasterRCNN(backbone, num_classes=num_classes, **kwargs), weights, progress)
    if weights == FasterRCNN_ResNet50_FPN_Weights.COCO_V1:
        overwrite_eps(model, 0.0)
    return model


@register_model
def fasterrcnn_resnet50_fpn_v2(*, weights=None, progress=True, num_classes=None, weights_backbone=None,
                               trainable_backbone_layers=None, **kwargs):
    """Faster R-CNN v2 (Li et al., 2021): batch-normed FPN, a two-conv RPN head and a four-conv
    box head."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone, FasterRCNN_ResNet50_FPN_V2_Weights,
                                        ResNet50_Weights)
    if weights is not None:
        weights_backbone = None
    num_classes = _classes(weights, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 5, 3)
    backbone = resnet50(weights=weights_backbone, progress=progress)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers, norm_layer=nn.BatchNorm2d)
    anchor_gen = _default_anchorgen()
    rpn_head = RPNHead(backbone.out_channels, anchor_gen.num_anchors_per_location()[0], conv_depth=2)
    box_head = FastRCNNConvFCHead((backbone.out_channels, 7, 7), [256, 256, 256, 256], [1024],
                                  norm_layer=nn.BatchNorm2d)
    model = FasterRCNN(backbone, num_classes=num_classes, rpn_anchor_generator=anchor_gen, rpn_head=rpn_head,
                       box_head=box_head, **kwargs)
    return _load(model, weights, progress)


def _fasterrcnn_mobilenet_v3_large_fpn(weights, progress, num_classes, weights_backbone, trainable_backbone_layers,
                                       **kwargs):
    if weights is not None:
        weights_backbone = None
    num_classes = _classes(weights, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 6, 3)
    norm_layer = FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = mobilenet_v3_large(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    backbone = _mobilenet_extractor(backbone, True, trainable_backbone_layers)
    anchor_sizes = ((32, 64, 128, 256, 512),) * 3
    aspect_ratios = ((0.5, 1.0, 2.0),) * len(anchor_sizes)
    model = FasterRCNN(backbone, num_classes, rpn_anchor_generator=AnchorGenerator(anchor_sizes, aspect_ratios),
                       **kwargs)
    return _load(model, weights, progress)


@register_model
def fasterrcnn_mobilenet_v3_large_320_fpn(*, weights=None, progress=True, num_classes=None,
                                          weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                                          trainable_backbone_layers=None, **kwargs):
    """Faster R-CNN on MobileNetV3-Large-FPN for low-resolution images (min_size 320)."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone,
                                        FasterRCNN_MobileNet_V3_Large_320_FPN_Weights, MobileNet_V3_Large_Weights)
    defaults = {"min_size": 320, "max_size": 640, "rpn_pre_nms_top_n_test": 150, "rpn_post_nms_top_n_test": 150,
                "rpn_score_thresh": 0.05}
    return _fasterrcnn_mobilenet_v3_large_fpn(weights, progress, num_classes, weights_backbone,
                                              trainable_backbone_layers, **{**defaults, **kwargs})


@register_model
def fasterrcnn_mobilenet_v3_large_fpn(*, weights=None, progress=True, num_classes=None,
                                      weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                                      trainable_backbone_layers=None, **kwargs):
    """Faster R-CNN on MobileNetV3-Large-FPN (19.4M parameters)."""
    weights, weights_backbone = _legacy(kwargs, weights, weights_backbone, FasterRCNN_MobileNet_V3_Large_FPN_Weights,
                                        MobileNet_V3_Large_Weights)
    return _fasterrcnn_mobilenet_v3_large_fpn(weights, progress, num_classes, weights_backbone,
                                              trainable_backbone_layers, **{"rpn_score_thresh": 0.05, **kwargs})
