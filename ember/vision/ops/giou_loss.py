"""Generalized IoU loss (Rezatofighi et al., 2019) between matched box pairs, torchvision's
``generalized_box_iou_loss``.

For each pair of ``(..., 4)`` xyxy boxes, ``loss = 1 - IoU + (|C| - |A ∪ B|) / |C|`` with ``C``
the smallest enclosing box; ``eps`` (1e-7) guards the two divisions. It is 0 for equal boxes and
approaches 2 for distant ones, and unlike ``1 - IoU`` it still has a gradient when the boxes do
not overlap.

>>> import ember
>>> a = ember.tensor([[0.0, 0.0, 2.0, 2.0]])
>>> round(generalized_box_iou_loss(a, a).item(), 6), round(generalized_box_iou_loss(a, a + 4).item(), 4)
(0.0, 1.7778)
"""
import ember

from .boxes import _upcast

_REDUCTIONS = ("none", "mean", "sum")


def _loss_inter_union(boxes1, boxes2):
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1, ykis1 = ember.maximum(x1, x1g), ember.maximum(y1, y1g)
    xkis2, ykis2 = ember.minimum(x2, x2g), ember.minimum(y2, y2g)
    overlap = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsct = ember.where(overlap, (xkis2 - xkis1) * (ykis2 - ykis1), ember.zeros_like(x1))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsct
    return intsct, union


def _reduce(name, loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{name}: invalid value for reduction {reduction!r}, expected one of {_REDUCTIONS}")


def generalized_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - GIoU`` of each pair of boxes in ``boxes1`` and ``boxes2`` (``(..., 4)``, broadcast),
    reduced by ``reduction`` (``"none"``, ``"mean"`` or ``"sum"``)."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    intsct, union = _loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    area_c = (ember.maximum(x2, x2g) - ember.minimum(x1, x1g)) * (ember.maximum(y2, y2g) - ember.minimum(y1, y1g))
    loss = 1 - (iou - (area_c - union) / (area_c + eps))
    return _reduce("generalized_box_iou_loss", loss, reduction)
