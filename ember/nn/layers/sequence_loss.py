"""Sequence and large-vocabulary losses: ``CTCLoss`` and ``AdaptiveLogSoftmaxWithLoss``.

>>> import ember
>>> from ember import nn
>>> loss = nn.CTCLoss()(ember.zeros(4, 1, 3).log_softmax(2), ember.tensor([[1, 2]]), [4], [2])
>>> loss.shape
ember.Size([])
"""
from ...functional.ctc import ctc_loss
from .loss import _Loss

__all__ = ["CTCLoss"]


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (see :func:`ember.nn.functional.ctc_loss`).

    Args:
        blank (int): the blank label (default 0).
        reduction (str): ``'none'``, ``'sum'`` or ``'mean'`` (default: per-target-length mean over the batch).
        zero_infinity (bool): replace infinite losses (impossible alignments) and their gradients by 0.

    Shapes: ``log_probs (T, N, C)`` or ``(T, C)``; ``targets (N, S)`` or concatenated ``(sum(target_lengths))``;
    ``input_lengths`` and ``target_lengths (N)``.
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                        self.zero_infinity)
