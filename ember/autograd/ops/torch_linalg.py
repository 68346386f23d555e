"""The linear-algebra functions of the ``torch`` namespace (and Tensor methods): det, logdet, slogdet,
inverse, pinverse, cholesky, cholesky_solve, cholesky_inverse, qr, svd, matrix_power, matrix_exp,
triangular_solve, lu, lu_solve, lu_unpack.

They keep the older ``torch.*`` signatures (``torch.svd`` returns ``V``, not ``Vh``; ``torch.qr`` takes
``some``) over the ``ember.linalg`` implementations. The functions PyTorch 2 removed (``lstsq``, ``eig``,
``symeig``, ``matrix_rank``) raise its error pointing to the ``linalg`` replacement.

>>> import ember
>>> U, S, V = ember.svd(ember.tensor([[3.0, 0.0], [0.0, 2.0]]))
>>> S
tensor([3., 2.])
"""
import numpy as np

from .. import return_types as _rt
from ._util import out as _wrap


class _Lazy:
    """The decomposition modules, imported on first use so that ``import ember`` does not load them."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        import importlib
        return getattr(importlib.import_module("." + self._name, __package__), attr)


LD, LM = _Lazy("linalg_decomp"), _Lazy("linalg_more")

__all__ = ["det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "cholesky_solve", "cholesky_inverse",
           "qr", "svd", "matrix_power", "matrix_exp", "triangular_solve", "lu", "lu_solve", "lu_unpack", "lstsq",
           "eig", "symeig", "matrix_rank", "solve", "geqrf", "orgqr", "ormqr", "adjoint", "nuclear_norm",
           "frobenius_norm"]

svd_result = _rt.svd
qr_result = _rt.qr
triangular_solve_result = _rt.triangular_solve
slogdet_result = _rt.slogdet
geqrf_result = _rt.geqrf

TENSOR_METHODS = ("det", "logdet", "slogdet", "inverse", "pinverse", "cholesky", "cholesky_solve",
                  "cholesky_inverse", "qr", "svd", "matrix_power", "matrix_exp", "triangular_solve", "lu",
                  "lu_solve", "lstsq", "eig", "symeig", "solve", "geqrf", "orgqr", "ormqr", "adjoint")


def _LA():
    from ... import linalg
    return linalg


def det(input):
    return _LA().det(input)


def inverse(input, *, out=None):
    return _LA().inv(input)


def logdet(input):
    """``log(det A)``: NaN for a negative determinant, -inf for a singular matrix."""
    return LD.logdet(input)


def slogdet(input):
    return slogdet_result(*LD.slogdet(input))


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse with singular values below ``rcond * s_max`` dropped."""
    return LM.pinv(input, rtol=rcond)


def cholesky(input, upper=False, *, out=None):
    return LD.cholesky(input, upper=upper)


def cholesky_solve(input, input2, upper=False, *, out=None):
    """The ``X`` with ``A X = input`` given ``input2``, the Cholesky factor of A."""
    return LM.cholesky_solve(input, input2, upper)


def cholesky_inverse(input, upper=False, *, out=None):
    return LM.cholesky_inverse(input, upper)


def qr(input, some=True, *, out=None):
    """``(Q, R)``: reduced when ``some``, complete otherwise."""
    return qr_result(*LD.qr(input, "reduced" if some else "complete"))


def svd(input, some=True, compute_uv=True, *, out=None):
    """``(U, S, V)`` with ``A = U diag(S) V^T`` (reduced when ``some``); without ``compute_uv`` U and V are
    zeros."""
    from .linalg_decomp import _mT
    if not compute_uv:
        a = input._data
        m, n = a.shape[-2:]
        S = LD.svdvals(input)
        k = min(m, n) if some else None
        U = _wrap(np.zeros(a.shape[:-2] + (m, k if some else m), a.dtype))
        V = _wrap(np.zeros(a.shape[:-2] + (n, k if some else n), a.dtype))
        return svd_result(U, S, V)
    U, S, Vh = LD.svd(input, full_matrices=not some)
    return svd_result(U, S, _mT(Vh))


def matrix_power(input, n):
    return LM.matrix_power(input, n)


def matrix_exp(input):
    return LD.matrix_exp(input)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """``(X, A.clone())`` with ``A X = b`` (``A^T X = b`` with ``transpose``) for triangular A."""
    from .linalg_decomp import _mT
    from .shape import clone
    M = _mT(A) if transpose else A
    X = LD.solve_triangular(M, b, upper=upper != transpose, unitriangular=unitriangular)
    return triangular_solve_result(X, clone(A))


def lu(A, pivot=True, get_infos=False, out=None):
    """``(LU, pivots)`` (and ``infos`` with ``get_infos``): ``torch.linalg.lu_factor`` under the old name."""
    LU, piv, info = LD.lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return _rt._lu_with_info(LU, piv, info)
    if info._data.any():
        raise LD.LinAlgError(f"torch.lu: U[{int(info._data.max())}, {int(info._data.max())}] is zero, singular U.")
    return LU, piv


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    """The ``X`` with ``A X = b`` from ``torch.lu``'s output."""
    return LD.lu_solve(LU_data, LU_pivots, b)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    return LD.lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


def _removed(name, hint):
    def fn(*args, **kwargs):
        raise RuntimeError(f"This function was deprecated since version 1.9 and is now removed. {hint}")
    fn.__name__ = name
    fn.__doc__ = f"Removed in PyTorch 2: raises, pointing to its replacement. {hint}"
    return fn


lstsq = _removed("lstsq", "`torch.linalg.lstsq` has its arguments reversed and does not return the QR "
                          "decomposition in the returned tuple (although it returns other information about the "
                          "problem).")
eig = _removed("eig", "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real "
                      "tensors mimicking complex tensors.")
symeig = _removed("symeig", "The default behavior has changed from using the upper triangular portion of the "
                            "matrix by default to using the lower triangular portion. Use `torch.linalg.eigh`.")
matrix_rank = _removed("matrix_rank", "Please use the `torch.linalg.matrix_rank` function instead.")
solve = _removed("solve", "`torch.linalg.solve` has its arguments reversed and does not return the LU "
                          "factorization. To get the LU factorization see `torch.lu`, which can be used with "
                          "`torch.lu_solve` or `torch.lu_unpack`.")


def geqrf(input, *, out=None):
    """LAPACK's ``geqrf``: R in the upper triangle of ``a``, the Householder vectors below it, and ``tau``
    (not differentiable, as in PyTorch)."""
    LD._check_matrix("geqrf", input, square=False)
    a = input._data
    if a.ndim == 2:
        h, tau = np.linalg.qr(a, mode="raw")
        return geqrf_result(_wrap(np.ascontiguousarray(h.T)), _wrap(tau))
    flat = a.reshape((-1,) + a.shape[-2:])
    hs, taus = zip(*(np.linalg.qr(m, mode="raw") for m in flat))
    h = np.stack([x.T for x in hs]).reshape(a.shape)
    return geqrf_result(_wrap(np.ascontiguousarray(h)), _wrap(np.stack(taus).reshape(a.shape[:-2] + (-1,))))


def orgqr(input, tau):
    """``linalg.householder_product`` under LAPACK's name."""
    return LM.householder_product(input, tau)


def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    """``Q @ other`` (``other @ Q`` if not ``left``; ``Q^T`` with ``transpose``) for the full m x m ``Q`` of
    the Householder vectors in ``input`` (geqrf's output)."""
    from .shape import cat
    from .linalg_decomp import _mT, _mm
    a = input._data
    m, n = a.shape[-2:]
    t = tau
    if n < m:
        # Extra zero vectors with tau = 0 are identity reflections: they make Q square.
        input = cat([input, _wrap(np.zeros(a.shape[:-1] + (m - n,), a.dtype))], -1)
    Q = LM.householder_product(input, t)
    if transpose:
        Q = _mT(Q)
    return _mm(Q, other) if left else _mm(other, Q)


def adjoint(input):
    """The conjugate transpose of the last two dims (the transpose for real tensors), a view."""
    from .shape import transpose
    from .complex_numbers import conj
    return conj(transpose(input, -2, -1))


def nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    """The sum of the singular values of the matrices in ``dim`` (the last two by default)."""
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    return _LA().matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def frobenius_norm(input, dim=(-2, -1), keepdim=False, *, out=None):
    """``sqrt(sum |a|^2)`` over ``dim``."""
    return _LA().vector_norm(input, 2, dim, keepdim)


def _with_out(name):
    import functools
    fn = globals()[name]

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        from .linalg_decomp import supports_out   # loaded on use, as the rest of the decompositions
        return supports_out(fn)(*args, out=out, **kwargs)
    return wrapper


for _n in ("inverse", "cholesky", "cholesky_solve", "cholesky_inverse", "qr", "svd", "triangular_solve", "lu_solve",
           "lu_unpack", "geqrf", "ormqr", "nuclear_norm", "frobenius_norm"):
    globals()[_n] = _with_out(_n)
del _n
