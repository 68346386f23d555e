"""Sequence and large-vocabulary losses: ``CTCLoss`` and ``AdaptiveLogSoftmaxWithLoss``.

>>> import ember
>>> from ember import nn
>>> loss = nn.CTCLoss()(ember.zeros(4, 1, 3).log_softmax(2), ember.tensor([[1, 2]]), [4], [2])
>>> loss.shape
ember.Size([])
"""
from collections import namedtuple

import numpy as np

from ...autograd.tensor import make
from ... import creation
from ...autograd.ops import index_add, index_select, gather, cat, squeeze, unsqueeze, neg, mean, add
from ...functional.activation import log_softmax
from ...functional.ctc import ctc_loss
from ..containers import ModuleList, Sequential
from ..module import Module
from .linear import Linear
from .loss import _Loss

__all__ = ["CTCLoss", "AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


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


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax for large vocabularies (Grave et al., 2016), as ``torch.nn.AdaptiveLogSoftmaxWithLoss``.

    The classes are split by ``cutoffs`` into a shortlist (the most frequent) and clusters. The head,
    ``Linear(in_features, shortlist_size + n_clusters, bias=head_bias)``, scores the shortlist and one
    entry per cluster; cluster ``i`` has its own two-layer projection ``in_features -> in_features //
    div_value ** (i + 1) -> cluster size`` (no biases). ``log p(c) = log p_head(cluster of c) +
    log p_cluster(c)`` (the first term alone for a shortlist class).

    Args:
        in_features (int): the input's features; n_classes (int): number of classes.
        cutoffs (Sequence[int]): increasing cluster boundaries in ``[1, n_classes - 1]``.
        div_value (float): the projection shrink factor (default 4.0); head_bias (bool): default False.

    ``forward(input, target)`` returns ``(output, loss)``: the target log-probabilities ``(N)`` and their
    negated mean. ``log_prob(input)`` gives ``(N, n_classes)``, ``predict(input)`` the argmax.
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, dtype=dtype),
                                        Linear(hsz, osz, bias=False, dtype=dtype)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        targ_dim = target_.dim()
        if targ_dim == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        elif targ_dim == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = targ_dim > 0
        input = input_ if batched else unsqueeze(input_, 0)
        target = (target_._data if batched else target_._data.reshape(1)).astype(np.int64)
        batch = target.shape[0]
        output = creation.zeros(batch, dtype=input.dtype)
        gather_inds = np.empty(batch, np.int64)
        used = 0
        bounds = [0] + self.cutoffs
        for i in range(len(bounds) - 1):
            mask = (target >= bounds[i]) & (target < bounds[i + 1])
            rows = np.nonzero(mask)[0]
            if rows.size == 0:
                continue
            if i == 0:
                gather_inds[rows] = target[rows]
            else:
                relative = make((target[rows] - bounds[i]).reshape(-1, 1))
                cluster_logprob = log_softmax(self.tail[i - 1](index_select(input, 0, make(rows))), dim=1)
                gather_inds[rows] = self.shortlist_size + i - 1
                output = index_add(output, 0, make(rows), squeeze(gather(cluster_logprob, 1, relative), 1))
            used += rows.size
        if used != batch:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min()}, {target.max()}] were found. ")
        head_logprob = log_softmax(self.head(input), dim=1)
        output = add(output, squeeze(gather(head_logprob, 1, make(gather_inds.reshape(-1, 1))), 1))
        loss = mean(neg(output))
        if not batched:
            output = squeeze(output, 0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        head_logprob = log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = log_softmax(self.tail[i](input), dim=1)
            parts.append(add(cluster_logprob, head_logprob[:, self.shortlist_size + i:self.shortlist_size + i + 1]))
        return cat(parts, 1)

    def log_prob(self, input):
        """Log-probabilities of all ``n_classes`` classes: ``(N, in_features) -> (N, n_classes)``."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most probable class of each row: ``(N, in_features) -> (N)``."""
        head_output = self.head(input)
        output = np.argmax(head_output._data, axis=1)
        outside = output >= self.shortlist_size
        if outside.any():
            rows = np.nonzero(outside)[0]
            full = self._get_full_log_prob(index_select(input, 0, make(rows)),
                                           index_select(head_output, 0, make(rows)))
            output[rows] = np.argmax(full._data, axis=1)
        return make(output.astype(np.int64))
