"""``torch.autograd.Variable``: the pre-0.4 wrapper, now a tensor itself.

``Variable(t, requires_grad=False)`` is ``t.detach()`` with ``requires_grad`` set (sharing ``t``'s
data), and every tensor is an instance of ``Variable``, as in PyTorch, so old programs run.

>>> import ember
>>> v = Variable(ember.ones(2), requires_grad=True)
>>> v.requires_grad, isinstance(ember.zeros(1), Variable)
(True, True)
"""
from .tensor import Tensor

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """A tensor that records its gradient history (any ember tensor)."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            from ember.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
