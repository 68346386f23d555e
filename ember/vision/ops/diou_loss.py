"""Distance and complete IoU losses (Zheng et al., 2020), torchvision's
``distance_box_iou_loss`` and ``complete_box_iou_loss``, between matched pairs of xyxy boxes.

``DIoU loss = 1 - IoU + d^2 / c^2`` adds the squared distance ``d`` between the two centres over
the squared diagonal ``c`` of the smallest enclosing box; ``CIoU loss`` adds ``alpha v`` on top,
with the aspect-ratio term ``v = 4 / pi^2 (atan(w_gt / h_gt) - atan(w / h))^2`` and the weight
``alpha = v / (1 - IoU + v)`` held constant (no gradient). ``eps`` (1e-7) guards the divisions.

>>> import ember
>>> a = ember.tensor([[0.0, 0.0, 2.0, 2.0]])
>>> round(distance_box_iou_loss(a, a + 1).item(), 4), round(complete_box_iou_loss(a, a).item(), 4)
(0.9683, 0.0)
"""
import math

import ember

from .boxes import _upcast
from .giou_loss import _loss_inter_union, _reduce


def _diou_iou_loss(boxes1, boxes2, eps):
    intsct, union = _loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    diagonal_squared = ((ember.maximum(x2, x2g) - ember.minimum(x1, x1g)) ** 2
                        + (ember.maximum(y2, y2g) - ember.minimum(y1, y1g)) ** 2 + eps)
    centers_squared = ((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2 + ((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2
    return 1 - iou + centers_squared / diagonal_squared, iou


def distance_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - DIoU`` of each pair of ``(..., 4)`` boxes, reduced by ``reduction`` (``"none"``,
    ``"mean"`` or ``"sum"``)."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    loss, _ = _diou_iou_loss(boxes1, boxes2, eps)
    return _reduce("distance_box_iou_loss", loss, reduction)


def complete_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - CIoU`` of each pair of ``(..., 4)`` boxes, reduced by ``reduction`` (``"none"``,
    ``"mean"`` or ``"sum"``)."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2, eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    v = (4 / math.pi ** 2) * (ember.atan((x2g - x1g) / (y2g - y1g)) - ember.atan((x2 - x1) / (y2 - y1))) ** 2
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce("complete_box_iou_loss", diou_loss + alpha * v, reduction)
