"""Low-rank and partial spectral decompositions: ``svd_lowrank``, ``pca_lowrank`` and ``lobpcg``.

* ``svd_lowrank(A, q=6, niter=2, M=None) -> (U, S, V)``, ``A - M ~ U diag(S) V^T`` of rank ``q``, by
  the randomized range finder of Halko, Martinsson & Tropp (2011): ``Q = orth((A - M) G)`` for a
  Gaussian ``G`` (``n x q``), ``niter`` power iterations ``Q = orth((A - M) (A - M)^T Q)`` with
  re-orthonormalization, then the exact SVD of the small ``Q^T (A - M)``. Exact when ``rank(A - M) <= q``.
* ``pca_lowrank(A, q=None, center=True, niter=2)``: the same on ``A`` less its column means, ``q``
  defaulting to ``min(6, m, n)``.
* ``lobpcg(A, k, B=None, X=None, largest=True, ...) -> (E, X)``: the ``k`` largest (or smallest)
  eigenpairs of the symmetric ``A x = lambda B x``. PyTorch iterates LOBPCG; ember computes them
  exactly with a symmetric eigendecomposition (``B = L L^T``, ``eigh(L^-1 A L^-T)``), so the
  iteration arguments (``n``, ``iK``, ``niter``, ``tol``, ``method``, ``tracker``, ``ortho_*``) are
  accepted and have nothing to do.

All three are differentiable (through QR, SVD and eigh) and work on batches of matrices.

>>> import ember
>>> A = ember.tensor([[2.0, 0.0], [0.0, 1.0]])
>>> E, X = lobpcg(A, k=1)
>>> E
tensor([2.])
"""
from .. import linalg
from ..autograd.ops import matmul, mean, sub, transpose
from ..random import randn

__all__ = ["svd_lowrank", "pca_lowrank", "lobpcg"]


def _mT(x):
    return transpose(x, -2, -1)


def _orth(x):
    return linalg.qr(x)[0]


def svd_lowrank(A, q=6, niter=2, M=None):
    """Rank-``q`` SVD ``(U, S, V)`` of ``A`` (less ``M``) by randomized range finding."""
    if A.ndim < 2:
        raise RuntimeError(f"svd_lowrank: expected a matrix or a batch of matrices, got shape {tuple(A.shape)}")
    m, n = A.shape[-2], A.shape[-1]
    q = 6 if q is None else q
    if not 0 <= q <= min(m, n):
        raise ValueError(f"svd_lowrank: q(={q}) must be non-negative integer and not greater than min(m, n)="
                         f"{min(m, n)}")
    X = A if M is None else sub(A, M)
    if m < n:
        # Work on the transpose so that the range finder runs on the tall side.
        U, S, V = svd_lowrank(_mT(X), q, niter)
        return V, S, U
    G = randn(*A.shape[:-2], n, q, dtype=A.dtype)
    Q = _orth(matmul(X, G))
    for _ in range(niter):
        Q = _orth(matmul(X, _orth(matmul(_mT(X), Q))))
    B = matmul(_mT(Q), X)
    Ub, S, Vh = linalg.svd(B, full_matrices=False)
    return matmul(Q, Ub), S, _mT(Vh)


def pca_lowrank(A, q=None, center=True, niter=2):
    """``(U, S, V)`` of the principal components of ``A``'s rows (columns centered by default)."""
    if A.ndim < 2:
        raise RuntimeError(f"pca_lowrank: expected a matrix or a batch of matrices, got shape {tuple(A.shape)}")
    m, n = A.shape[-2], A.shape[-1]
    q = min(6, m, n) if q is None else q
    if not 0 <= q <= min(m, n):
        raise ValueError(f"pca_lowrank: q(={q}) must be non-negative integer and not greater than min(m, n)="
                         f"{min(m, n)}")
    if niter < 0:
        raise ValueError(f"pca_lowrank: niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter)
    return svd_lowrank(A, q, niter, M=mean(A, -2, keepdim=True).expand(*A.shape))


def lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None, method=None,
           tracker=None, ortho_iparams=None, ortho_fparams=None, ortho_bparams=None):
    """The ``k`` largest (``largest=True``, default) or smallest eigenpairs ``(E, X)`` of ``A x = E B x``."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"lobpcg: A must be a square matrix or a batch of them, got shape {tuple(A.shape)}")
    size = A.shape[-1]
    if k is None:
        k = 1 if X is None else X.shape[-1]
    if size < 3 * k:
        raise ValueError(f"LPBPCG algorithm is not applicable when the number of A rows (={size}) is smaller "
                         f"than 3 x the number of requested eigenpairs (={k})")
    largest = True if largest is None else largest
    if B is None:
        E, V = linalg.eigh(A)
    else:
        L = linalg.cholesky(B)
        Linv_A = linalg.solve_triangular(L, A, upper=False)
        C = _mT(linalg.solve_triangular(L, _mT(Linv_A), upper=False))
        E, Y = linalg.eigh(C)
        V = linalg.solve_triangular(_mT(L), Y, upper=True)
    if largest:
        E, V = E[..., size - k:].flip(-1), V[..., size - k:].flip(-1)
    else:
        E, V = E[..., :k], V[..., :k]
    return E, V
