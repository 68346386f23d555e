"""Flatten parameters into one vector and back (for second-order methods, evolution strategies ...).

>>> import ember
>>> from ember import nn
>>> fc = nn.Linear(3, 2)
>>> v = nn.utils.parameters_to_vector(fc.parameters())
>>> v.shape
ember.Size([8])
>>> nn.utils.vector_to_parameters(v * 0, fc.parameters())
>>> float(fc.weight.abs().sum())
0.0
"""
import numpy as np

from ...autograd.ops import cat, reshape
from ...autograd.tensor import Tensor


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter, flattened, in order (differentiable)."""
    if isinstance(parameters, Tensor):
        raise TypeError(f"expected an iterable of Tensors, but got {type(parameters).__name__}")
    return cat([reshape(p, (-1,)) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (their data is replaced)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    v = vec._data
    pointer = 0
    for p in parameters:
        n = p._data.size
        p._data = np.ascontiguousarray(v[pointer:pointer + n].reshape(p._data.shape)).astype(p._data.dtype,
                                                                                              copy=True)
        p._bump()
        pointer += n
