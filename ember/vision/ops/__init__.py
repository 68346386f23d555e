"""Building blocks of the vision models, under torchvision.ops' names: ``Conv2dNormActivation``,
``SqueezeExcitation``, ``StochasticDepth`` / ``stochastic_depth``, ``MLP`` and ``Permute``; and the detection
ops: box utilities and IoUs, ``nms`` / ``batched_nms``, the generalized, distance and complete
IoU losses, ``sigmoid_focal_loss``, ``roi_align`` / ``RoIAlign``, ``roi_pool`` / ``RoIPool``,
``MultiScaleRoIAlign``, ``FrozenBatchNorm2d``, ``FeaturePyramidNetwork`` and DropBlock."""
from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image, complete_box_iou,
                    distance_box_iou, generalized_box_iou, masks_to_boxes, nms, remove_small_boxes)
from .diou_loss import complete_box_iou_loss, distance_box_iou_loss
from .drop_block import DropBlock2d, DropBlock3d, drop_block2d, drop_block3d
from .feature_pyramid_network import FeaturePyramidNetwork
from .focal_loss import sigmoid_focal_loss
from .frozen_batch_norm import FrozenBatchNorm2d
from .giou_loss import generalized_box_iou_loss
from .misc import Conv2dNormActivation, SqueezeExcitation, MLP, Permute
from .poolers import MultiScaleRoIAlign
from .roi_align import RoIAlign, roi_align
from .roi_pool import RoIPool, roi_pool
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "MLP", "Permute", "StochasticDepth", "stochastic_depth",
           "box_area", "box_convert", "box_iou", "generalized_box_iou", "clip_boxes_to_image", "remove_small_boxes",
           "nms", "batched_nms", "generalized_box_iou_loss", "sigmoid_focal_loss", "roi_align", "RoIAlign",
           "distance_box_iou", "complete_box_iou", "masks_to_boxes", "distance_box_iou_loss", "complete_box_iou_loss",
           "roi_pool", "RoIPool", "FrozenBatchNorm2d", "FeaturePyramidNetwork", "drop_block2d", "drop_block3d",
           "DropBlock2d", "DropBlock3d", "MultiScaleRoIAlign"]
