"""``torch.nested``: a batch of tensors whose first dimension differs (sequences of varied length).

A :class:`NestedTensor` holds its components as ember tensors: ``nt.size(0)`` is their number,
``nt.size(d)`` the common size of dimension ``d`` (a dimension whose size varies raises, as in
PyTorch: ``Given dimension 1 is irregular and does not have a size.``), ``nt.unbind()`` the
components, :func:`to_padded_tensor` one dense ``(B, max sizes...)`` tensor with ``padding`` in the
gaps. :func:`nested_tensor` copies its inputs into a new leaf; :func:`as_nested_tensor` keeps them
connected to autograd (gradients of a loss on the padded tensor reach the inputs).
Elementwise arithmetic with a number or a nested tensor of the same structure, and unary ops
(``relu``, ``exp``, ...), work per component. Not done: the jagged layout's symbolic shape
(``layout=torch.jagged`` is accepted and behaves as the strided one), ``isinstance(nt, Tensor)``
(it is False), matmul, nested ``masked_select`` / ``narrow``.

>>> import ember
>>> nt = nested_tensor([ember.ones(2, 3), ember.zeros(4, 3)])
>>> nt.size(0), nt.size(2), to_padded_tensor(nt, -1.0).shape
(2, 3, ember.Size([2, 4, 3]))
"""
from .nested_tensor import NestedTensor, as_nested_tensor, nested_tensor, to_padded_tensor  # noqa: F401

__all__ = ["NestedTensor", "nested_tensor", "as_nested_tensor", "to_padded_tensor"]
