"""``ember.linalg``: norms, inverse, determinant and solve, differentiable.

>>> import ember
>>> a = ember.tensor([[2.0, 0.0], [0.0, 4.0]])
>>> ember.linalg.inv(a)
tensor([[0.5000, 0.0000],
        [0.0000, 0.2500]])
"""
import numpy as np

from .autograd import grad_mode
from .autograd.node import Node
from .autograd.ops import matmul, mul, norm as _norm, transpose, unsqueeze, squeeze
from .autograd.ops._util import out


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all elements by default)."""
    if dtype is not None:
        x = x.to(dtype)
    return _norm(x, p=ord, dim=dim, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The Frobenius norm of the matrices in the last two dims (other orders are not supported)."""
    if ord != "fro":
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} is not supported by ember (only 'fro')")
    return vector_norm(A, 2, dim, keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` for a vector or a given ``dim``; Frobenius for a matrix with ``ord`` None or 'fro'."""
    if isinstance(dim, int) or (dim is None and A.ndim == 1) or (dim is None and ord is None):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, "fro" if ord is None else ord, dim if dim is not None else (-2, -1), keepdim,
                       dtype=dtype)


def _check_square(name, A):
    s = A._data.shape
    if A._data.ndim < 2 or s[-1] != s[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{' by '.join(map(str, s[-2:])) if A._data.ndim >= 2 else tuple(s)} matrices")


def inv(A):
    """``A^-1``; gradient ``-A^-T g A^-T``."""
    _check_square("inv", A)
    try:
        r = np.linalg.inv(A._data)
    except np.linalg.LinAlgError:
        raise RuntimeError("linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
                           "because the input matrix is singular.") from None
    t = out(r)
    if grad_mode.state.enabled and A._rg:
        def backward(g):
            it = transpose(t, -1, -2)
            return (mul(matmul(matmul(it, g), it), -1.0),)
        t.grad_fn = Node("LinalgInvExBackward0", backward, (A,), (t,))
        t._rg = True
    return t


def det(A):
    """The determinant; gradient ``g * det(A) * A^-T``."""
    _check_square("det", A)
    t = out(np.linalg.det(A._data))
    if grad_mode.state.enabled and A._rg:
        def backward(g):
            gi = unsqueeze(unsqueeze(mul(g, t), -1), -1)
            return (mul(gi, transpose(inv(A), -1, -2)),)
        t.grad_fn = Node("LinalgDetBackward0", backward, (A,), (A, t))
        t._rg = True
    return t


def solve(A, B, *, left=True):
    """The ``X`` with ``A X = B`` (``left=True``) or ``X A = B``; differentiable through ``inv``."""
    _check_square("solve", A)
    if not left:
        return matmul(B, inv(A))
    if B._data.ndim == A._data.ndim - 1:
        return squeeze(matmul(inv(A), unsqueeze(B, -1)), -1)
    return matmul(inv(A), B)
