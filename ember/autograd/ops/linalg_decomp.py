"""Matrix decompositions with gradients: cholesky, qr, svd, eigh, slogdet, solve_triangular, lu, matrix_exp.

Every op takes batches of matrices (any leading dims). The forward passes run in NumPy
(LAPACK through ``np.linalg``; LU with partial pivoting is a vectorised elimination); the
gradient rules are the standard ones, written with ember ops so they can be differentiated
again. The singular/eigen-vector gradients assume distinct singular values/eigenvalues
(they divide by their differences) and losses that do not depend on the vectors' signs.

>>> import ember
>>> a = ember.tensor([[4.0, 2.0], [2.0, 3.0]])
>>> L = ember.linalg.cholesky(a)
>>> (L @ L.mT - a).abs().max().item() < 1e-6
True
"""
import numpy as np

from .. import return_types as _rt
from .. import grad_mode
from ..node import Node
from ._util import out as _wrap
from .elementwise import add, sub, mul, div, sum_to

_gm = grad_mode.state


class LinAlgError(RuntimeError):
    """Raised when a linear-algebra routine cannot complete (a singular or non-definite matrix)."""


cholesky_ex_result = _rt.linalg_cholesky_ex
qr_result = _rt.linalg_qr
svd_result = _rt.linalg_svd
eigh_result = _rt.linalg_eigh
slogdet_result = _rt.linalg_slogdet
lu_factor_result = _rt.linalg_lu_factor
lu_factor_ex_result = _rt.linalg_lu_factor_ex
lu_result = _rt.linalg_lu


def _record(outs, name, fn, inputs, saved=()):
    """Make ``outs`` the outputs of one node; ``fn`` gets a list with one gradient (or None) per output."""
    if len(outs) == 1:
        rule = fn
        fn = (lambda g: rule([g]))   # a one-output node gets its gradient bare, not in a list
    node = Node(name, fn, inputs, saved, nout=len(outs))
    for i, t in enumerate(outs):
        t.grad_fn = node
        t._rg = True
        t._out_idx = i
    return outs


def _write_out(r, o):
    if not hasattr(o, "_data"):
        raise TypeError(f"out= must be a Tensor (or a tuple of Tensors), got {type(o).__name__}")
    if _gm.enabled and (r._rg or o._rg):
        raise RuntimeError("functions with out=... arguments don't support automatic differentiation, but one "
                           "of the arguments requires grad.")
    if r._data.dtype != o._data.dtype and not np.can_cast(r._data.dtype, o._data.dtype, "same_kind"):
        raise RuntimeError(f"Expected out tensor to have dtype {r.dtype}, but got {o.dtype} instead")
    if o._data.shape == r._data.shape:
        np.copyto(o._data, r._data, casting="unsafe")
    else:
        o._data = r._data.astype(o._data.dtype, copy=True)
    o._bump()
    return o


def supports_out(fn):
    """Give ``fn`` PyTorch's ``out=`` keyword: the result is written into the given tensor(s), returned."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        r = fn(*args, **kwargs)
        if out is None:
            return r
        if isinstance(r, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(r):
                raise TypeError(f"{fn.__name__}(): out= must be a tuple of {len(r)} Tensors")
            written = [_write_out(a, b) for a, b in zip(r, out)]
            return type(r)(*written) if hasattr(r, "_fields") else tuple(written)
        return _write_out(r, out)
    return wrapper


def _mT(x):
    from .shape import transpose
    return transpose(x, -1, -2)


def _mm(a, b):
    from .linalg import matmul
    return matmul(a, b)


def _diag_embed(v):
    from .shape_more import diag_embed
    return diag_embed(v)


def _float(name, A):
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point tensor as input. Got {A.dtype}")


def _check_matrix(name, A, square=True):
    s = A._data.shape
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions, got shape "
                           f"{tuple(s)}")
    if square and s[-1] != s[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are {s[-2]} by "
                           f"{s[-1]} matrices")
    _float(name, A)


# -- Cholesky --------------------------------------------------------------------------------------------

def _cholesky_info(a):
    """``(L, info)``: info is 0, or the order of the first leading minor that is not positive-definite."""
    batch = a.shape[:-2]
    try:
        return np.linalg.cholesky(a), np.zeros(batch, np.int32)
    except np.linalg.LinAlgError:
        pass
    n = a.shape[-1]
    flat = a.reshape(-1, n, n)
    Ls = np.zeros_like(flat)
    info = np.zeros(flat.shape[0], np.int32)
    for b in range(flat.shape[0]):
        try:
            Ls[b] = np.linalg.cholesky(flat[b])
            continue
        except np.linalg.LinAlgError:
            pass
        lo, hi = 1, n   # the smallest k whose leading k x k block fails
        while lo < hi:
            k = (lo + hi) // 2
            try:
                np.linalg.cholesky(flat[b, :k, :k])
                lo = k + 1
            except np.linalg.LinAlgError:
                hi = k
        info[b] = lo
    return Ls.reshape(a.shape), info.reshape(batch)


def _cholesky_backward(L, gL):
    """``gA = sym(L^-H Phi(L^H gL) L^-1)`` with Phi the lower triangle, diagonal halved."""
    from .shape import tril, diagonal
    P = _mm(_mT(L), gL)
    phi = sub(tril(P), mul(_diag_embed(diagonal(P, 0, -2, -1)), 0.5))
    S = solve_triangular(_mT(L), phi, upper=True, left=True)
    S = solve_triangular(L, S, upper=False, left=False)
    return mul(add(S, _mT(S)), 0.5)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``(L, info)`` with ``A = L L^H`` (``U^H U`` with ``upper``); ``info`` > 0 marks a matrix that is not
    positive-definite (the order of its first failing leading minor)."""
    _check_matrix("cholesky", A)
    Ld, info = _cholesky_info(A._data)
    if check_errors and info.any():
        _raise_not_pd(info)
    t = _wrap(np.swapaxes(Ld, -1, -2).copy() if upper else Ld)
    if _gm.enabled and A._rg:
        def backward(g):
            gL = g[0]
            if gL is None:
                return (None,)
            if upper:
                return (_cholesky_backward(_mT(t), _mT(gL)),)
            return (_cholesky_backward(t, gL),)
        _record([t], "LinalgCholeskyExBackward0", backward, (A,), (t,))
    return cholesky_ex_result(t, _wrap(info))


def _raise_not_pd(info):
    k = int(info.reshape(-1)[np.flatnonzero(info.reshape(-1))[0]])
    where = f" (Batch element {int(np.flatnonzero(info.reshape(-1))[0])})" if info.ndim else ""
    raise LinAlgError(f"linalg.cholesky:{where} The factorization could not be completed because the input is "
                      f"not positive-definite (the leading minor of order {k} is not positive-definite).")


def cholesky(A, *, upper=False, out=None):
    """The Cholesky factor: lower-triangular ``L`` with ``A = L L^H`` (upper ``U = L^H`` with ``upper``).
    Raises ``LinAlgError`` when ``A`` is not positive-definite."""
    L, info = cholesky_ex(A, upper=upper)
    if info._data.any():
        _raise_not_pd(info._data)
    return L


# -- triangular solve ------------------------------------------------------------------------------------

def _tri(A, upper, unit):
    a = np.triu(A) if upper else np.tril(A)
    if unit:
        a = a.copy()
        idx = np.arange(min(a.shape[-2:]))
        a[..., idx, idx] = 1
    return a


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """The ``X`` with ``A X = B`` (``X A = B`` if not ``left``) for triangular ``A`` (only its ``upper`` or
    lower triangle is read; a unit diagonal is assumed with ``unitriangular``). Batch dims broadcast."""
    from .shape import tril, triu
    _check_matrix("solve_triangular", A)
    if B._data.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: The input tensor B must have at least 2 dimensions, got "
                           f"shape {tuple(B._data.shape)}")
    n = A._data.shape[-1]
    if (B._data.shape[-2] if left else B._data.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B._data.shape[-2]}x"
                           f"{B._data.shape[-1]})")
    a = _tri(A._data, upper, unitriangular)
    b = B._data
    dt = np.promote_types(a.dtype, b.dtype)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:]).astype(dt, copy=False)
    b = np.broadcast_to(b, batch + b.shape[-2:]).astype(dt, copy=False)
    with np.errstate(all="ignore"):
        try:
            x = np.linalg.solve(a, b) if left else np.swapaxes(
                np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
        except np.linalg.LinAlgError:
            # A zero on the diagonal: PyTorch returns the inf/nan of the substitution; so does this.
            x = _substitute(a, b, upper, left)
    t = _wrap(np.ascontiguousarray(x))
    if _gm.enabled and (A._rg or B._rg):
        def backward(g):
            gX = g[0]
            gB = solve_triangular(_mT(A), gX, upper=not upper, left=left, unitriangular=unitriangular)
            gA = None
            if A._rg:
                gA = mul(_mm(gB, _mT(t)), -1.0) if left else mul(_mm(_mT(t), gB), -1.0)
                k = 1 if unitriangular else 0
                gA = triu(gA, k) if upper else tril(gA, -k)
                gA = sum_to(gA, A._data.shape)
            return gA, (sum_to(gB, B._data.shape) if B._rg else None)
        _record([t], "LinalgSolveTriangularBackward0", backward, (A, B), (A, t))
    return t


def _substitute(a, b, upper, left):
    """Forward/back substitution, column by column (used only for singular triangular systems)."""
    if not left:
        return np.swapaxes(_substitute(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), not upper, True), -1, -2)
    n = a.shape[-1]
    x = np.zeros(b.shape, b.dtype)
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        acc = b[..., i, :] - np.einsum("...j,...jk->...k", a[..., i, :], x)
        x[..., i, :] = acc / a[..., i, i][..., None]
    return x


# -- QR ---------------------------------------------------------------------------------------------------

def _qr_backward(Q, R, gQ, gR, m, n):
    from .shape import narrow, cat
    from .shape import tril
    if gQ is None:
        gQ = _wrap(np.zeros(Q._data.shape, Q._data.dtype))
    if gR is None:
        gR = _wrap(np.zeros(R._data.shape, R._data.dtype))
    if m >= n:
        M = sub(_mm(R, _mT(gR)), _mm(_mT(gQ), Q))
        low = tril(M, -1)
        sym = add(add(low, _mT(low)), _diag_embed(_diagonal(M)))
        b = add(gQ, _mm(Q, sym))
        return _mT(solve_triangular(R, _mT(b), upper=True, left=True))
    # Wide A = Q [X | Y]: the square part as above, with Y's gradient folded into gQ.
    U, V = narrow(R, -1, 0, m), narrow(R, -1, m, n - m)
    gU, gV = narrow(gR, -1, 0, m), narrow(gR, -1, m, n - m)
    gQ2 = add(gQ, _mm(_mm(Q, V), _mT(gV)))
    M = sub(_mm(U, _mT(gU)), _mm(_mT(gQ2), Q))
    low = tril(M, -1)
    sym = add(add(low, _mT(low)), _diag_embed(_diagonal(M)))
    b = add(gQ2, _mm(Q, sym))
    gX = _mT(solve_triangular(U, _mT(b), upper=True, left=True))
    return cat([gX, _mm(Q, gV)], -1)


def _diagonal(M):
    from .shape import diagonal
    return diagonal(M, 0, -2, -1)


def qr(A, mode="reduced", *, out=None):
    """``A = Q R`` with orthonormal columns in ``Q`` and upper-triangular ``R``. ``mode``: 'reduced'
    (Q m x k, R k x n, k = min(m, n)), 'complete' (Q m x m, R m x n) or 'r' (R only, Q empty)."""
    _check_matrix("qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    a = A._data
    m, n = a.shape[-2:]
    q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    tq = _wrap(np.zeros((0,), a.dtype)) if mode == "r" else _wrap(q)
    tr = _wrap(r)
    if _gm.enabled and A._rg:
        def backward(g):
            gQ, gR = g
            if mode == "r":
                raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                                   "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                                   "differentiate through linalg.qr.")
            if mode == "complete" and m > n:
                raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                                   "nrows > ncols.")
            return (_qr_backward(tq, tr, gQ, gR, m, n),)
        outs = [tr] if mode == "r" else [tq, tr]
        if mode == "r":
            _record([tr], "LinalgQrBackward0", lambda g: backward([None, g[0]]), (A,), (tr,))
        else:
            _record(outs, "LinalgQrBackward0", backward, (A,), (tq, tr))
    return qr_result(tq, tr)


# -- SVD and the symmetric eigendecomposition -------------------------------------------------------------

def _svd_backward(U, S, Vh, gU, gS, gVh, m, n):
    from .shape import unsqueeze
    if gU is None and gVh is None:
        return _mm(mul(U, unsqueeze(gS, -2)), Vh)
    Sd = S._data
    S2 = Sd * Sd
    E = S2[..., None, :] - S2[..., :, None]
    idx = np.arange(Sd.shape[-1])
    E[..., idx, idx] = 1
    E = _wrap(E)
    V, gV = _mT(Vh), (None if gVh is None else _mT(gVh))
    ret = None
    if gU is not None:
        UhgU = _mm(_mT(U), gU)
        ret = mul(sub(UhgU, _mT(UhgU)), unsqueeze(S, -2))
    if gV is not None:
        VhgV = _mm(Vh, gV)
        term = mul(unsqueeze(S, -1), sub(VhgV, _mT(VhgV)))
        ret = term if ret is None else add(ret, term)
    ret = div(ret, E)
    if gS is not None:
        ret = add(ret, _diag_embed(gS))
    if m > n and gU is not None:
        gA = _mm(U, ret)
        gUS = div(gU, unsqueeze(S, -2))
        gA = sub(add(gA, gUS), _mm(U, _mm(_mT(U), gUS)))
        return _mm(gA, Vh)
    if m < n and gV is not None:
        gA = _mm(ret, Vh)
        gVS = div(gV, unsqueeze(S, -2))
        gA = sub(add(gA, _mT(gVS)), _mm(_mm(_mT(gVS), V), Vh))
        return _mm(U, gA)
    return _mm(_mm(U, ret), Vh)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """``A = U diag(S) Vh`` with singular values ``S`` in descending order. ``full_matrices`` gives square
    U (m x m) and Vh (n x n); otherwise U is m x k and Vh k x n (k = min(m, n))."""
    from .shape import narrow
    _check_matrix("svd", A, square=False)
    a = A._data
    m, n = a.shape[-2:]
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    tu, ts, tv = _wrap(u), _wrap(s), _wrap(vh)
    if _gm.enabled and A._rg:
        k = min(m, n)

        def backward(g):
            gU, gS, gVh = g
            U, Vh = tu, tv
            if full_matrices and (gU is not None or gVh is not None) and m != n:
                raise RuntimeError("linalg_svd_backward: The singular vectors in the complete case (full_matrices"
                                   "=True) are not well-defined for a non-square matrix; use "
                                   "full_matrices=False to differentiate through them.")
            if full_matrices:
                U, Vh = narrow(U, -1, 0, k), narrow(Vh, -2, 0, k)
            return (_svd_backward(U, ts, Vh, gU, gS, gVh, m, n),)
        _record([tu, ts, tv], "LinalgSvdBackward0", backward, (A,), (tu, ts, tv))
    return svd_result(tu, ts, tv)


def svdvals(A, *, driver=None, out=None):
    """The singular values of ``A``, descending; gradient ``U diag(g) Vh``."""
    _check_matrix("svdvals", A, square=False)
    if not (_gm.enabled and A._rg):
        return _wrap(np.linalg.svd(A._data, compute_uv=False))
    return svd(A, full_matrices=False).S


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric ``A`` (only its ``UPLO`` triangle
    is read). Gradient ``sym(V (diag(gL) + (V^T gV) / (L_j - L_i)) V^T)``."""
    _check_matrix("eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    w, v = np.linalg.eigh(A._data, UPLO)
    tw, tv = _wrap(w), _wrap(v)
    if _gm.enabled and A._rg:
        def backward(g):
            gL, gV = g
            if gV is None:
                return (_mm(mul(tv, _unsq(gL, -2)), _mT(tv)),)
            E = w[..., None, :] - w[..., :, None]
            idx = np.arange(w.shape[-1])
            E[..., idx, idx] = 1
            ret = div(_mm(_mT(tv), gV), _wrap(E))
            keep = np.ones(E.shape[-2:], bool)
            keep[idx, idx] = False
            ret = mul(ret, _wrap(keep.astype(w.dtype)))
            if gL is not None:
                ret = add(ret, _diag_embed(gL))
            gA = _mm(_mm(tv, ret), _mT(tv))
            return (mul(add(gA, _mT(gA)), 0.5),)   # symmetric, as the input is (PyTorch's convention)
        _record([tw, tv], "LinalgEighBackward0", backward, (A,), (tw, tv))
    return eigh_result(tw, tv)


def _unsq(x, d):
    from .shape import unsqueeze
    return unsqueeze(x, d)


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues (ascending) of symmetric ``A``."""
    _check_matrix("eigvalsh", A)
    if not (_gm.enabled and A._rg):
        if UPLO not in ("L", "U"):
            raise RuntimeError(f"linalg.eigvalsh: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
        return _wrap(np.linalg.eigvalsh(A._data, UPLO))
    return eigh(A, UPLO).eigenvalues


# -- determinants ------------------------------------------------------------------------------------------

def slogdet(A, *, out=None):
    """``(sign, log|det A|)``; the gradient of ``logabsdet`` is ``g A^-T``."""
    _check_matrix("slogdet", A)
    s, l = np.linalg.slogdet(A._data)
    ts, tl = _wrap(s), _wrap(l)
    if _gm.enabled and A._rg:
        def backward(g):
            gl = g[1]
            if gl is None:
                return (None,)
            from ... import linalg as LA
            return (mul(_unsq(_unsq(gl, -1), -1), _mT(LA.inv(A))),)
        _record([tl], "LinalgSlogdetBackward0", lambda g: backward([None, g[0]]), (A,), (A,))
    return slogdet_result(ts, tl)


def logdet(A):
    """``log(det A)``: NaN for a negative determinant, -inf for a zero one."""
    s, l = slogdet(A)
    with np.errstate(invalid="ignore", divide="ignore"):
        bad = np.where(s._data < 0, np.nan, np.where(s._data == 0, -np.inf, 0.0)).astype(l._data.dtype)
    return add(l, _wrap(bad)) if (s._data <= 0).any() else l


# -- LU -----------------------------------------------------------------------------------------------------

def _lu_np(a, pivot=True):
    """Partial-pivoting LU of a batch: the packed ``LU``, 1-based LAPACK pivots and info."""
    a = np.array(a, copy=True)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    A = a.reshape((-1, m, n))
    B = A.shape[0]
    piv = np.tile(np.arange(1, k + 1, dtype=np.int32), (B, 1))
    info = np.zeros(B, np.int32)
    bi = np.arange(B)
    for j in range(k):
        if pivot:
            p = j + np.argmax(np.abs(A[:, j:, j]), axis=1)
            piv[:, j] = p + 1
            swap = p != j
            if swap.any():
                rj = A[bi, j].copy()
                A[bi, j] = A[bi, p]
                A[bi, p] = rj
        d = A[:, j, j]
        zero = d == 0
        info = np.where(zero & (info == 0), j + 1, info)
        with np.errstate(all="ignore"):
            A[:, j + 1:, j] /= np.where(zero, 1, d)[:, None]
        A[:, j + 1:, j + 1:] -= A[:, j + 1:, j:j + 1] * A[:, j:j + 1, j + 1:]
    return A.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _perm_from_pivots(piv, m):
    """``perm`` with ``A[perm] = L U``: the row swaps applied in order."""
    batch = piv.shape[:-1]
    P = piv.reshape(-1, piv.shape[-1]).astype(np.int64) - 1
    perm = np.tile(np.arange(m), (P.shape[0], 1))
    bi = np.arange(P.shape[0])
    for j in range(P.shape[1]):
        pj = P[:, j]
        a, b = perm[bi, j].copy(), perm[bi, pj].copy()
        perm[bi, j], perm[bi, pj] = b, a
    return perm.reshape(batch + (m,))


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """``(LU, pivots, info)``: L (unit lower, below the diagonal) and U packed in one matrix, LAPACK's
    1-based row-swap ``pivots`` (int32) and ``info`` > 0 where ``U[info-1, info-1]`` is 0."""
    _check_matrix("lu_factor", A, square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu_, piv, info = _lu_np(A._data, pivot)
    if check_errors and info.any():
        raise LinAlgError(f"linalg.lu_factor: U[{int(info.max())}, {int(info.max())}] is zero, singular U.")
    t = _wrap(lu_)
    if _gm.enabled and A._rg:
        m, n = A._data.shape[-2:]

        def backward(g):
            from .shape import tril, triu
            gLU = g[0]
            P, L, U = lu_unpack(t, _wrap(piv))
            return (_lu_backward(P, L, U, tril(gLU, -1), triu(gLU), m, n),)
        _record([t], "LinalgLuFactorExBackward0", backward, (A,), (t,))
    return lu_factor_ex_result(t, _wrap(piv), _wrap(info))


def lu_factor(A, *, pivot=True, out=None):
    """``(LU, pivots)`` of the partial-pivoting LU ``A = P L U``; raises ``LinAlgError`` for a singular
    square ``A``."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    if info._data.any() and A._data.shape[-1] == A._data.shape[-2]:
        raise LinAlgError(f"linalg.lu_factor: U[{int(info._data.max())}, {int(info._data.max())}] is zero, "
                          "singular U.")
    return lu_factor_result(LU, piv)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from the packed ``LU`` and its pivots, with ``A = P L U``."""
    from .shape import tril, triu, narrow
    lu_ = LU_data._data
    m, n = lu_.shape[-2:]
    k = min(m, n)
    P = L = U = _wrap(np.zeros((0,), lu_.dtype))
    if unpack_data:
        eye = np.eye(m, k, dtype=lu_.dtype)
        L = add(tril(narrow(LU_data, -1, 0, k), -1), _wrap(eye))
        U = triu(narrow(LU_data, -2, 0, k))
    if unpack_pivots:
        perm = _perm_from_pivots(LU_pivots._data, m)
        Pm = np.zeros(perm.shape + (m,), lu_.dtype)
        np.put_along_axis(Pm, perm[..., :, None], 1, axis=-1)   # rows: Pm[i, perm[i]] = 1
        P = _wrap(np.ascontiguousarray(np.swapaxes(Pm, -1, -2)))
    return _rt.lu_unpack(P, L, U)


def _lu_backward(P, L, U, gL, gU, m, n):
    """Square ``A = P L U``: ``gA = P L^-H [tril(L^H gL, -1) + triu(gU U^H)] U^-H``."""
    from .shape import tril, triu
    if m != n:
        raise NotImplementedError("ember: the gradient of the LU decomposition is implemented for square "
                                  f"matrices only (got {m} x {n})")
    phi = None
    if gL is not None:
        phi = tril(_mm(_mT(L), gL), -1)
    if gU is not None:
        tu = triu(_mm(gU, _mT(U)))
        phi = tu if phi is None else add(phi, tu)
    x = solve_triangular(_mT(L), phi, upper=True, left=True, unitriangular=True)
    x = solve_triangular(_mT(U), x, upper=False, left=False)
    return _mm(P, x)


def lu(A, *, pivot=True, out=None):
    """``(P, L, U)`` with ``A = P L U``: a permutation, unit lower-triangular L (m x k) and upper U (k x n)."""
    _check_matrix("lu", A, square=False)
    lu_, piv, _ = _lu_np(A._data, pivot)
    with grad_mode.no_grad():
        P, L, U = lu_unpack(_wrap(lu_), _wrap(piv))
    if _gm.enabled and A._rg:
        m, n = A._data.shape[-2:]

        def backward(g):
            return (_lu_backward(P, L, U, g[1], g[2], m, n),)
        _record([L, U], "LinalgLuBackward0", lambda g: backward([None] + list(g)), (A,), (L, U))
    return lu_result(P, L, U)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """Solve ``A X = B`` (``X A = B`` if not ``left``; with ``A^H`` if ``adjoint``) from ``lu_factor``'s
    output, by a row permutation and two triangular solves (differentiable in LU and B)."""
    if LU._data.shape[-1] != LU._data.shape[-2]:
        raise RuntimeError(f"linalg.lu_solve: Expected LU to be square, got {tuple(LU._data.shape)}")
    P, L, U = lu_unpack(LU, pivots)
    n = LU._data.shape[-1]
    if (B._data.shape[-2] if left else B._data.shape[-1]) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B._data.shape[-2]}x"
                           f"{B._data.shape[-1]})")
    if left and not adjoint:        # P L U X = B
        y = solve_triangular(L, _mm(_mT(P), B), upper=False, unitriangular=True)
        return solve_triangular(U, y, upper=True)
    if left:                        # U^T L^T P^T X = B
        y = solve_triangular(_mT(U), B, upper=False)
        y = solve_triangular(_mT(L), y, upper=True, unitriangular=True)
        return _mm(P, y)
    if not adjoint:                 # X P L U = B
        y = solve_triangular(U, B, upper=True, left=False)
        y = solve_triangular(L, y, upper=False, left=False, unitriangular=True)
        return _mm(y, _mT(P))
    y = _mm(B, P)                   # X U^T L^T P^T = B
    y = solve_triangular(_mT(L), y, upper=True, left=False, unitriangular=True)
    return solve_triangular(_mT(U), y, upper=False, left=False)


# -- matrix exponential --------------------------------------------------------------------------------------

_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)


def _expm_np(a):
    """Scaling and squaring with the degree-13 Pade approximant (Higham 2005), per matrix of the batch."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    norm = np.abs(a).sum(-2).max(-1)
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / 5.371920351148152))).astype(np.int64)
    A = a / (2.0 ** s)[..., None, None]
    b = _PADE13
    eye = np.eye(n, dtype=a.dtype)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = np.linalg.solve(V - U, V + U)
    for step in range(int(s.max()) if s.size else 0):
        R = np.where((step < s)[..., None, None], R @ R, R)
    return R.astype(a.dtype, copy=False)


def matrix_exp(A):
    """``exp(A) = sum_k A^k / k!``; gradient ``exp([[A^T, G], [0, A^T]])[:n, n:]``."""
    from .shape import cat, narrow
    _check_matrix("matrix_exp", A)
    t = _wrap(_expm_np(A._data))
    if _gm.enabled and A._rg:
        n = A._data.shape[-1]

        def backward(g):
            G = g[0]
            At = _mT(A)
            Z = _wrap(np.zeros(A._data.shape, A._data.dtype))
            big = cat([cat([At, G], -1), cat([Z, At], -1)], -2)
            return (narrow(narrow(matrix_exp(big), -2, 0, n), -1, n, n),)
        _record([t], "LinalgMatrixExpBackward0", backward, (A,), (A,))
    return t


for _n in ("cholesky", "cholesky_ex", "solve_triangular", "qr", "svd", "svdvals", "eigh", "eigvalsh", "slogdet",
           "lu_factor_ex", "lu_factor", "lu", "lu_solve"):
    globals()[_n] = supports_out(globals()[_n])
del _n
