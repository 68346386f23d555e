"""``ember.linalg``: norms, inverse, determinant, solve and the decompositions, differentiable.

>>> import ember
>>> a = ember.tensor([[2.0, 0.0], [0.0, 4.0]])
>>> ember.linalg.inv(a)
tensor([[0.5000, 0.0000],
        [0.0000, 0.2500]])
"""
import numpy as np

from .autograd import grad_mode
from .autograd.node import Node
from .autograd.ops import matmul, mul, norm as _norm, transpose, unsqueeze, squeeze, conj
from .autograd.ops._util import out
from .autograd.ops.linalg_decomp import (LinAlgError, cholesky, cholesky_ex, qr, svd, svdvals, eigh,  # noqa: F401
                                         eigvalsh, slogdet, solve_triangular, lu, lu_factor, lu_factor_ex,
                                         lu_solve, matrix_exp)
from .autograd.ops.linalg_more import (pinv, matrix_rank, lstsq, matrix_power, cond, vecdot,  # noqa: F401
                                       multi_dot, householder_product, tensorinv, tensorsolve, vander, diagonal,
                                       inv_ex, solve_ex)
from .autograd.ops.linalg_ldl import ldl_factor, ldl_factor_ex, ldl_solve  # noqa: F401
from .autograd.ops.linalg_eig import eig, eigvals  # noqa: F401
from .autograd.ops.shape_more import cross as _cross


def cross(input, other, *, dim=-1, out=None):
    """The 3-D cross product along ``dim`` (default the last); the inputs broadcast."""
    return _cross(input, other, dim)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all elements by default)."""
    if dtype is not None:
        x = x.to(dtype)
    return _norm(x, p=ord, dim=dim, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm over the two dims ``dim``: 'fro' ``sqrt(sum |a|^2)``, 'nuc' (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (max / min column abs-sum), inf / -inf (rows)."""
    from .autograd.ops import amax, amin, sum as _sum, abs as _abs, movedim
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions, got "
                           f"{A.ndim}")
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim)
    d0, d1 = (d % A.ndim for d in dim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        r = _sum(s, -1) if ord == "nuc" else amax(s, -1) if ord == 2 else amin(s, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                r = unsqueeze(r, d)
        return r
    inf = float("inf")
    if ord not in (1, -1, inf, -inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
    col = _sum(_abs(A), sum_dim, keepdim=True)
    r = (amax if ord > 0 else amin)(col, red_dim, keepdim=True)
    return r if keepdim else squeeze(squeeze(r, max(d0, d1)), min(d0, d1))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` for a vector or a given ``dim``; Frobenius for a matrix with ``ord`` None or 'fro'."""
    if isinstance(dim, int) or (dim is None and A.ndim == 1) or (dim is None and ord is None):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, "fro" if ord is None else ord, dim if dim is not None else (-2, -1), keepdim,
                       dtype=dtype)


def _mH(x):
    """The conjugate transpose: complex gradients take ``A^-H`` where real ones take ``A^-T``."""
    return conj(transpose(x, -1, -2))


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
        raise LinAlgError("linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
                           "because the input matrix is singular.") from None
    t = out(r)
    if grad_mode.state.enabled and A._rg:
        def backward(g):
            it = _mH(t)
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
            gi = unsqueeze(unsqueeze(mul(g, conj(t)), -1), -1)
            return (mul(gi, _mH(inv(A))),)
        t.grad_fn = Node("LinalgDetBackward0", backward, (A,), (A, t))
        t._rg = True
    return t


def solve(A, B, *, left=True):
    """The ``X`` with ``A X = B`` (``left=True``) or ``X A = B``; differentiable through ``inv``."""
    _check_square("solve", A)
    # B is a batch of vectors only when it is 1-D or has exactly A's batch shape and n (PyTorch's rule);
    # a (2, 2) B against a (5, 2, 2) A is one matrix, broadcast over the batch.
    a, b = A._data.shape, B._data.shape
    vector = len(b) == 1 or (len(b) == len(a) - 1 and b == a[:-1])
    n = a[-1]
    rows, cols = (b[-1], 1) if vector else (b[-2], b[-1]) if len(b) >= 2 else (b[-1], 1)
    if (rows if left else (cols if not vector else rows)) != n:  # before the inverse: torch checks shapes first
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({n}x{n} and {rows}x{cols})")
    if not left:
        return matmul(B, inv(A))
    if vector:
        return squeeze(matmul(inv(A), unsqueeze(B, -1)), -1)
    return matmul(inv(A), B)
