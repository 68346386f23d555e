"""``LinearCrossEntropyLoss``: a linear classifier head and its cross-entropy loss in one module.

``LinearCrossEntropyLoss(in_features, num_classes, out_features=(), bias=False)`` holds
``linear = Linear(in_features, num_classes * prod(out_features), bias)`` (state_dict keys
``linear.weight``, ``linear.bias``, and ``weight`` when class weights are given) and computes
:func:`ember.nn.functional.linear_cross_entropy` of its input and target.

>>> import ember
>>> head = LinearCrossEntropyLoss(3, 4)
>>> head(ember.randn(2, 3), ember.tensor([0, 3])).shape
ember.Size([])
"""
import math

from ...functional.loss_linear import LinearCrossEntropyOptions, linear_cross_entropy
from ..module import Module
from .linear import Linear

__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]


class LinearCrossEntropyLoss(Module):
    """Cross entropy of ``Linear(in_features, num_classes * prod(out_features))(input)`` against ``target``.

    Args:
        in_features (int): size of the input's last dim.
        num_classes (int): C.
        out_features (tuple): extra dims of a K-dimensional loss (the logits are ``(N, C, *out_features)``).
        bias (bool): learn a bias (default False).
        reduction, weight, ignore_index, label_smoothing: as :class:`CrossEntropyLoss`
            (``ignore_index=None``: no index is ignored).
        options (LinearCrossEntropyOptions): PyTorch's chunking settings, accepted.
    """

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None, dtype=None,
                 reduction="mean", weight=None, ignore_index=None, label_smoothing=0.0, options=None):
        super().__init__()
        self.num_classes = num_classes
        self.out_features = tuple(out_features)
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.options = options
        self.linear = Linear(in_features, num_classes * math.prod(self.out_features), bias=bias, device=device,
                             dtype=dtype)
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        lw = self.linear.weight.reshape(self.num_classes, *self.out_features, self.linear.in_features)
        lb = None if self.linear.bias is None else self.linear.bias.reshape(self.num_classes, *self.out_features)
        return linear_cross_entropy(input, lw, target, linear_bias=lb, weight=self.weight, reduction=self.reduction,
                                    ignore_index=self.ignore_index, label_smoothing=self.label_smoothing,
                                    options=self.options)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, reduction={self.reduction}, "
                f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, options={self.options}")
