"""Sigmoid focal loss (Lin et al., 2017, RetinaNet), torchvision's ``sigmoid_focal_loss``.

With ``p = sigmoid(x)`` and ``p_t = p`` where the target is 1 and ``1 - p`` where it is 0,
``loss = -alpha_t (1 - p_t)^gamma log(p_t)``: binary cross-entropy down-weighted on easy
examples by ``(1 - p_t)^gamma``, and balanced between positives and negatives by
``alpha_t = alpha`` (positives) or ``1 - alpha`` (negatives); ``alpha < 0`` turns the balancing
off. Targets may be soft (in [0, 1]).

>>> import ember
>>> x, t = ember.tensor([3.0, -3.0]), ember.tensor([1.0, 1.0])
>>> loss = sigmoid_focal_loss(x, t, reduction="none")
>>> bool(loss[0] < 1e-4 < loss[1])
True
"""
from ... import nn
from .giou_loss import _reduce


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """Focal loss of the logits ``inputs`` against ``targets`` (same shape), reduced by
    ``reduction`` (``"none"``, ``"mean"`` or ``"sum"``)."""
    p = inputs.sigmoid()
    ce_loss = nn.functional.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce("sigmoid_focal_loss", loss, reduction)
