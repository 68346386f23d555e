"""Building blocks of the vision models, under torchvision.ops' names: ``Conv2dNormActivation``,
``SqueezeExcitation``, ``StochasticDepth`` / ``stochastic_depth`` and ``MLP``; and the detection
ops: box utilities and IoUs, ``nms`` / ``batched_nms``, ``generalized_box_iou_loss``,
``sigmoid_focal_loss`` and ``roi_align`` / ``RoIAlign``."""
from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image, generalized_box_iou, nms,
                    remove_small_boxes)
from .focal_loss import sigmoid_focal_loss
from .giou_loss import generalized_box_iou_loss
from .misc import Conv2dNormActivation, SqueezeExcitation, MLP
from .roi_align import RoIAlign, roi_align
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "MLP", "StochasticDepth", "stochastic_depth",
           "box_area", "box_convert", "box_iou", "generalized_box_iou", "clip_boxes_to_image", "remove_small_boxes",
           "nms", "batched_nms", "generalized_box_iou_loss", "sigmoid_focal_loss", "roi_align", "RoIAlign"]
