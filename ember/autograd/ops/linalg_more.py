"""More of ``ember.linalg``: pinv, lstsq, matrix_rank, matrix_power, cond, vecdot, multi_dot,
householder_product, tensorinv, tensorsolve, vander, diagonal, inv_ex, solve_ex, cholesky_solve,
cholesky_inverse.

Batched over leading dims. ``pinv`` has its own gradient (the Golub-Pereyra formula), so it
is differentiable for rank-deficient and repeated-singular-value inputs too; the rest are
compositions of differentiable ops.

>>> import ember
>>> ember.linalg.matrix_power(ember.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
tensor([[1., 3.],
        [0., 1.]])
"""
import numpy as np

from .. import return_types as _rt
from .. import grad_mode
from ._util import out as _wrap, wrap_dim
from .elementwise import add, sub, mul, div
from .linalg_decomp import (LinAlgError, _record, _mT, _mm, _check_matrix, _float, solve_triangular, svdvals,
                            supports_out)

_gm = grad_mode.state

lstsq_result = _rt.linalg_lstsq
inv_ex_result = _rt.linalg_inv_ex
solve_ex_result = _rt.linalg_solve_ex


def _LA():
    from ... import linalg
    return linalg


def _eye_like(A):
    n = A._data.shape[-1]
    return _wrap(np.broadcast_to(np.eye(n, dtype=A._data.dtype), A._data.shape).copy())


def _tolerances(s_max, m, n, dtype, atol, rtol):
    """PyTorch's rule: ``max(atol, rtol * s_max)``; rtol defaults to ``eps * max(m, n)`` unless atol > 0."""
    a = 0.0 if atol is None else (atol._data if hasattr(atol, "_data") else atol)
    if rtol is None:
        r = np.finfo(dtype).eps * max(m, n) if (atol is None or np.all(np.asarray(a) <= 0)) else 0.0
    else:
        r = rtol._data if hasattr(rtol, "_data") else rtol
    return np.maximum(a, np.asarray(r) * s_max)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore-Penrose pseudo-inverse from the SVD (eigh when ``hermitian``), singular values below
    ``max(atol, rtol * s_max)`` treated as zero."""
    _check_matrix("pinv", A, square=False)
    a = A._data
    m, n = a.shape[-2:]
    if hermitian:
        if m != n:
            raise RuntimeError(f"linalg.pinv(hermitian=True): A must be batches of square matrices, got {m} by {n}")
        w, v = np.linalg.eigh(a)
        aw = np.abs(w)
        tol = _tolerances(aw.max(-1, initial=0) if w.size else 0, m, n, a.dtype, atol, rtol)
        keep = aw > np.asarray(tol)[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            winv = np.where(keep, 1 / np.where(keep, w, 1), 0)
        p = (v * winv[..., None, :]) @ np.swapaxes(v, -1, -2)
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        tol = _tolerances(s[..., 0] if s.shape[-1] else np.zeros(s.shape[:-1]), m, n, a.dtype, atol, rtol)
        keep = s > np.asarray(tol)[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            sinv = np.where(keep, 1 / np.where(keep, s, 1), 0)
        p = (np.swapaxes(vh, -1, -2) * sinv[..., None, :]) @ np.swapaxes(u, -1, -2)
    t = _wrap(p.astype(a.dtype, copy=False))
    if _gm.enabled and A._rg:
        def backward(g):
            G = g[0]
            P = t
            Pt = _mT(P)
            ImAP = sub(_eye_like(_mm(A, P)), _mm(A, P))
            ImPA = sub(_eye_like(_mm(P, A)), _mm(P, A))
            gA = mul(_mm(_mm(Pt, G), Pt), -1.0)
            gA = add(gA, _mm(_mm(ImAP, _mT(G)), _mm(P, Pt)))
            gA = add(gA, _mm(_mm(Pt, P), _mm(_mT(G), ImPA)))
            return (gA,)
        _record([t], "LinalgPinvBackward0", backward, (A,), (A, t))
    return t


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The number of singular values above ``max(atol, rtol * s_max)`` (int64)."""
    _check_matrix("matrix_rank", A, square=False)
    a = A._data
    m, n = a.shape[-2:]
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    smax = s.max(-1, initial=0) if s.size else np.zeros(s.shape[:-1])
    tol = _tolerances(smax, m, n, a.dtype, atol, rtol)
    return _wrap(np.asarray((s > np.asarray(tol)[..., None]).sum(-1), np.int64))


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution ``X = argmin ||A X - B||_F`` (minimal norm for rank-deficient A), with
    ``residuals`` (``||A X - B||^2`` per column, when m > n, A has full rank and the driver is not
    'gelsy'), ``rank`` and, for 'gelsd'/'gelss', the ``singular_values``."""
    drivers = ("gels", "gelsy", "gelsd", "gelss")
    if driver is None:
        driver = "gelsy"
    if driver not in drivers:
        raise RuntimeError(f"parameter `driver` should be one of {drivers}, but got {driver}")
    _check_matrix("lstsq", A, square=False)
    if B._data.ndim < 1:
        raise RuntimeError("linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vec = B._data.ndim == A._data.ndim - 1
    Bm = _unsq(B, -1) if vec else B
    m, n = A._data.shape[-2:]
    if Bm._data.shape[-2] != m:
        raise RuntimeError(f"linalg.lstsq: input.size(-2) should match other.size(-2), got {m} and "
                           f"{Bm._data.shape[-2]}")
    rt = np.finfo(A._data.dtype).eps * max(m, n) if rcond is None else rcond
    X = _mm(pinv(A, rtol=rt), Bm)
    s = np.linalg.svd(A._data, compute_uv=False)
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    rank = (s > rt * smax).sum(-1).astype(np.int64)
    from .reduce import sum as _sum
    empty = _wrap(np.zeros((0,), A._data.dtype))
    res = empty
    if driver != "gelsy" and m > n and np.all(rank == n):
        r = sub(_mm(A, X), Bm)
        res = _sum(mul(r, r), -2)
        if vec:
            res = _sq(res, -1)
    sv = _wrap(s) if driver in ("gelsd", "gelss") else empty
    rk = _wrap(rank) if driver != "gels" else _wrap(np.zeros((0,), np.int64))
    return lstsq_result(_sq(X, -1) if vec else X, res, rk, sv)


def _unsq(x, d):
    from .shape import unsqueeze
    return unsqueeze(x, d)


def _sq(x, d):
    from .shape import squeeze
    return squeeze(x, d)


def matrix_power(A, n):
    """``A^n`` by repeated squaring (``n`` < 0 inverts first, ``n`` = 0 gives the identity)."""
    _check_square_any("matrix_power", A)
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        return _eye_like(A)
    if n < 0:
        A = _LA().inv(A)
        n = -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else _mm(result, base)
        n >>= 1
        if n:
            base = _mm(base, base)
    return result


def _check_square_any(name, A):
    s = A._data.shape
    if A._data.ndim < 2 or s[-1] != s[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{' by '.join(map(str, s[-2:])) if A._data.ndim >= 2 else tuple(s)} matrices")


def cond(A, p=None, *, out=None):
    """The condition number ``||A||_p ||A^-1||_p``; for p None/2 (-2) ``s_max / s_min`` (its inverse)."""
    _check_matrix("cond", A, square=False)
    if p in (None, 2, -2):
        from .shape import narrow
        s = svdvals(A)
        k = s._data.shape[-1]
        hi, lo = _sq(narrow(s, -1, 0, 1), -1), _sq(narrow(s, -1, k - 1, 1), -1)
        return div(hi, lo) if p != -2 else div(lo, hi)
    if p not in ("fro", "nuc", 1, -1, float("inf"), -float("inf")):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    _check_square_any("cond", A)
    LA = _LA()
    return mul(LA.matrix_norm(A, p), LA.matrix_norm(LA.inv(A), p))


def vecdot(x, y, *, dim=-1, out=None):
    """``sum(x * y, dim)`` with broadcasting."""
    from .reduce import sum as _sum
    return _sum(mul(x, y), dim)


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices; the first and last may be 1-D (a row and a column vector)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for k, t in enumerate(tensors):
        nd = t._data.ndim
        if nd != 2 and not (nd == 1 and k in (0, len(tensors) - 1)):
            raise RuntimeError(f"multi_dot(): tensor {k} must be 2D{' or 1D' if k in (0, len(tensors) - 1) else ''}"
                               f" but got {nd}D")
    r = tensors[0]
    for t in tensors[1:]:
        r = _mm(r, t)
    return r


def householder_product(A, tau, *, out=None):
    """The first n columns of ``H_1 H_2 ... H_k`` with ``H_i = I - tau_i v_i v_i^H`` and ``v_i`` column i of
    A below the diagonal (a 1 on it): the Q of a QR from geqrf's output."""
    from .shape import narrow, unsqueeze
    from .index import getitem
    _float("householder_product", A)
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"torch.linalg.householder_product: input must have at least 2 dimensions, got "
                           f"{a.ndim}")
    m, n = a.shape[-2:]
    k = tau._data.shape[-1]
    if n > m:
        raise RuntimeError(f"torch.linalg.householder_product: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1] (got {m} and {n})")
    if k > n:
        raise RuntimeError(f"torch.linalg.householder_product: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1] (got {n} and {k})")
    if tau._data.shape[:-1] != a.shape[:-2]:
        raise RuntimeError(f"torch.linalg.householder_product: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], got {tuple(tau._data.shape[:-1])} and {tuple(a.shape[:-2])}")
    low = np.tril(np.ones((m, n), a.dtype), -1)
    from .elementwise import mul as _mul
    V = add(_mul(A, _wrap(low)), _wrap(np.eye(m, n, dtype=a.dtype)))
    M = _wrap(np.broadcast_to(np.eye(m, n, dtype=a.dtype), a.shape[:-2] + (m, n)).copy())
    for i in range(k - 1, -1, -1):
        v = narrow(V, -1, i, 1)                                      # (..., m, 1)
        ti = unsqueeze(unsqueeze(getitem(tau, (Ellipsis, i)), -1), -1)
        M = sub(M, _mm(mul(v, ti), _mm(_mT(v), M)))
    return M


def tensorinv(A, ind=2, *, out=None):
    """The inverse under ``tensordot(.., ind)``: shape ``A.shape[ind:] + A.shape[:ind]``."""
    from .shape import reshape
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    s = A._data.shape
    rows, cols = int(np.prod(s[:ind])), int(np.prod(s[ind:]))
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return reshape(_LA().inv(reshape(A, (rows, cols))), s[ind:] + s[:ind])


def tensorsolve(A, B, dims=None, *, out=None):
    """The ``X`` with ``tensordot(A, X, X.ndim) = B``; ``dims`` moves those dims of A to the end first."""
    from .shape import reshape, movedim
    if dims is not None:
        nd = A._data.ndim
        dims = [wrap_dim(d, nd) for d in dims]
        A = movedim(A, tuple(dims), tuple(range(nd - len(dims), nd)))
    bs = B._data.shape
    rest = A._data.shape[B._data.ndim:]
    rows, cols = int(np.prod(bs)), int(np.prod(rest))
    if A._data.shape[:B._data.ndim] != bs or rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {rows} (A {tuple(A._data.shape)}, "
                           f"B {tuple(bs)})")
    x = _LA().solve(reshape(A, (rows, cols)), reshape(B, (rows,)))
    return reshape(x, rest)


def vander(x, *, N=None):
    """``x[..., :, None] ** [0, 1, ..., N-1]`` (increasing powers; N defaults to x.shape[-1])."""
    from .shape_more import _powers
    if x._data.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x._data.shape[-1] if N is None else N
    if n < 0:
        raise RuntimeError(f"N must be non-negative, got {n}")
    return _powers(x, n, True)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of each matrix of the batch (an alias of ``torch.diagonal`` with matrix defaults)."""
    from .shape import diagonal as _diag
    return _diag(A, offset, dim1, dim2)


def inv_ex(A, *, check_errors=False, out=None):
    """``(inverse, info)``: ``info`` > 0 marks a singular matrix (its inverse is then undefined)."""
    _check_matrix("inv_ex", A)
    from .linalg_decomp import _lu_np
    info = _lu_np(A._data)[2]
    if check_errors and info.any():
        raise LinAlgError("linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
                          "because the input matrix is singular.")
    if info.any():
        with np.errstate(all="ignore"):
            return inv_ex_result(_wrap(np.full(A._data.shape, np.nan, A._data.dtype)), _wrap(info))
    return inv_ex_result(_LA().inv(A), _wrap(info))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``(result, info)`` of ``linalg.solve``; ``info`` > 0 marks a singular ``A``."""
    _check_matrix("solve_ex", A)
    from .linalg_decomp import _lu_np
    info = _lu_np(A._data)[2]
    if check_errors and info.any():
        raise LinAlgError("linalg.solve: The solver failed because the input matrix is singular.")
    if info.any():
        shape = B._data.shape
        return solve_ex_result(_wrap(np.full(shape, np.nan, np.promote_types(A._data.dtype, B._data.dtype))),
                               _wrap(info))
    return solve_ex_result(_LA().solve(A, B, left=left), _wrap(info))


def cholesky_solve(B, L, upper=False, *, out=None):
    """The ``X`` with ``A X = B`` given the Cholesky factor of ``A`` (``A = L L^T`` or ``U^T U``)."""
    if upper:
        y = solve_triangular(_mT(L), B, upper=False)
        return solve_triangular(L, y, upper=True)
    y = solve_triangular(L, B, upper=False)
    return solve_triangular(_mT(L), y, upper=True)


def cholesky_inverse(L, upper=False, *, out=None):
    """``A^-1`` from the Cholesky factor of ``A``."""
    if L._data.ndim < 2 or L._data.shape[-1] != L._data.shape[-2]:
        raise RuntimeError(f"cholesky_inverse: A must be batches of square matrices, got shape "
                           f"{tuple(L._data.shape)}")
    return cholesky_solve(_eye_like(L), L, upper)



for _n in ("pinv", "matrix_rank", "cond", "vecdot", "multi_dot", "householder_product", "tensorinv", "tensorsolve",
           "inv_ex", "solve_ex", "cholesky_solve", "cholesky_inverse"):
    globals()[_n] = supports_out(globals()[_n])
del _n
