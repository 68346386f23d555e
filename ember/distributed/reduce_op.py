"""``ReduceOp``: how a collective combines the ranks' tensors (``torch.distributed.ReduceOp``).

``SUM``, ``PRODUCT``, ``MIN`` and ``MAX`` are elementwise; ``AVG`` is the sum divided by the
number of ranks; ``BAND``, ``BOR`` and ``BXOR`` are bitwise (integer and bool tensors only).
The values are PyTorch's (``ReduceOp.SUM == 0`` ... ``ReduceOp.BXOR == 7``).

>>> ReduceOp.SUM, int(ReduceOp.AVG)
(<RedOpType.SUM: 0>, 1)
"""
import enum

__all__ = ["ReduceOp"]


class ReduceOp:
    """The reduction operations, as attributes (``ReduceOp.SUM``); their type is ``ReduceOp.RedOpType``."""

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8
        UNUSED = 9

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED


def as_reduce_op(op, where):
    """``op`` as a ``RedOpType`` (accepts the member, its int value or its name); a clear error otherwise."""
    if isinstance(op, ReduceOp.RedOpType):
        return op
    try:
        return ReduceOp.RedOpType[op.upper()] if isinstance(op, str) else ReduceOp.RedOpType(int(op))
    except (KeyError, ValueError, TypeError):
        raise ValueError(f"ember.distributed.{where}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, "
                         f"BOR, BXOR), got {op!r}") from None
