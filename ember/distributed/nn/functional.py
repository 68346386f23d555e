"""Differentiable collectives: ``all_reduce`` whose gradient flows back to every rank's input.

``y = all_reduce(x)`` returns a new tensor (``x`` is left alone) equal on every rank to
``sum over ranks r of x_r``; since each rank's ``y`` depends on every rank's ``x``, the
gradient reaching ``x_j`` is the sum over the ranks of their upstream gradients, so the
backward is the same all-reduce of the gradient (``AVG``: both divided by the world size).
SyncBatchNorm builds its global batch statistics from it.

Example (on every rank)::

    total = ember.distributed.nn.functional.all_reduce(local_sum)   # differentiable
"""
from ember.autograd.function import Function

from ..reduce_op import ReduceOp, as_reduce_op

__all__ = ["all_reduce"]


class _AllReduce(Function):
    @staticmethod
    def forward(ctx, op, group, tensor):
        from ..collectives import all_reduce as reduce_in_place
        ctx.op, ctx.group = op, group
        out = tensor.detach().clone()
        reduce_in_place(out, op=op, group=group)
        return out

    @staticmethod
    def backward(ctx, grad):
        from ..collectives import all_reduce as reduce_in_place
        g = grad.detach().clone()
        reduce_in_place(g, op=ctx.op, group=ctx.group)
        return None, None, g


def all_reduce(tensor, op=ReduceOp.SUM, group=None):
    """``tensor`` reduced over the ranks (SUM or AVG), as a new tensor that autograd differentiates."""
    op = as_reduce_op(op, "nn.functional.all_reduce")
    if op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise ValueError(f"ember.distributed.nn.functional.all_reduce: only SUM and AVG have a gradient here, "
                         f"got {op.name}")
    return _AllReduce.apply(op, group, tensor)
