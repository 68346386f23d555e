"""``torch.nn.utils.stateless.functional_call``: run a module with the given parameters and buffers
in place of its own (the same function as :func:`ember.func.functional_call`).

>>> import ember
>>> from ember import nn
>>> lin = nn.Linear(2, 1)
>>> functional_call(lin, {"weight": ember.ones(1, 2), "bias": ember.zeros(1)}, (ember.tensor([[1.0, 2.0]]),))
tensor([[3.]])
"""
from ember.func.stateless import functional_call

__all__ = ["functional_call"]
