"""``linear_cross_entropy``: the cross entropy of a linear projection, ``cross_entropy(linear(x, W, b), t)``.

``W`` is ``(C, *out_features, in_features)`` and ``b`` ``(C, *out_features)``: the logits are
``(N, C, *out_features)`` for a K-dimensional loss, the layout :func:`cross_entropy` expects. PyTorch
can run it in batch chunks (``options=LinearCrossEntropyOptions(...)``) so that the full logits of a
large vocabulary are never held at once; ember computes the same values on the reference path and
accepts the options for portability.

>>> import ember
>>> x, w = ember.ones(2, 3), ember.zeros(4, 3)
>>> linear_cross_entropy(x, w, ember.tensor([0, 3]))
tensor(1.3863)
"""
import dataclasses

from ..autograd.ops import add, movedim, tensordot
from .loss import cross_entropy

__all__ = ["linear_cross_entropy"]  # the options class is exported by ember.nn


@dataclasses.dataclass(frozen=True)
class LinearCrossEntropyOptions:
    """PyTorch's settings of the chunked path (memory / precision trade-offs); the values ember
    computes do not depend on them."""

    allow_retain_graph: bool = False
    batch_chunk_size: int = None
    chunking_method: str = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in ("accurate", "balanced", "compact", "auto"):
            raise ValueError(f"LinearCrossEntropyOptions: acc_policy must be one of 'accurate', 'balanced', "
                             f"'compact', 'auto', got {self.acc_policy!r}")
        if self.batch_chunk_size is not None and self.batch_chunk_size <= 0:
            raise ValueError(f"LinearCrossEntropyOptions: batch_chunk_size must be positive, got "
                             f"{self.batch_chunk_size}")


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(logits, target, ...)`` with ``logits`` the projection of ``input``'s last dim
    by ``linear_weight`` (``(C, *out_features, in_features)``) plus ``linear_bias``."""
    if input.shape[-1] != linear_weight.shape[-1]:
        raise RuntimeError(f"linear_cross_entropy: input's last dim ({input.shape[-1]}) must match linear_weight's "
                           f"in_features ({linear_weight.shape[-1]}); linear_weight has shape "
                           f"{tuple(linear_weight.shape)}")
    logits = tensordot(input, linear_weight, dims=([input.ndim - 1], [linear_weight.ndim - 1]))
    if linear_bias is not None:
        logits = add(logits, linear_bias)
    if input.ndim > 1:
        # (N, ..., C, *out) -> (N, C, ..., *out): the class dim second, as cross_entropy expects.
        logits = movedim(logits, input.ndim - 1, 1)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index, label_smoothing=label_smoothing)
