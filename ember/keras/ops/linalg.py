"""``keras.ops.linalg`` over ember: decompositions with their gradients, solves, norms.

Forward passes use NumPy's LAPACK; gradients are the standard matrix-calculus rules, written with
ember ops (so they compose): Cholesky ``A = L L^T``, symmetric ``eigh``, thin ``svd`` (Townsend's
formula), ``qr`` by modified Gram-Schmidt matched to LAPACK's signs, ``slogdet``/``logdet``
(``g A^-T``). ``inv``/``det``/``solve`` reuse ``ember.linalg``. ``eig`` needs complex numbers,
which ember does not have (its results are real only when every eigenvalue is real).

>>> from ember.keras import ops
>>> L = ops.linalg.cholesky([[4.0, 2.0], [2.0, 3.0]])
>>> ops.matmul(L, ops.transpose(L)).tolist()
[[4.0, 2.0], [2.0, 3.0]]
"""
import numpy as np

from ... import linalg as _L
from ... import creation as _C
from ...autograd import ops as _E
from ...autograd.node import needs_grad, record
from ...autograd.tensor import make
from .core import cast, convert_to_tensor as _T
from .dtypes import floatx, result_type, standardize_dtype


def _mT(x):
    return _E.transpose(x, -1, -2)


def _float(x):
    x = _T(x)
    return x if x.is_floating_point() else cast(x, floatx())


def _eye_like(x, n):
    return make(np.eye(n, dtype=x._data.dtype))


def cholesky(x, upper=False):
    """Lower ``L`` with ``x = L L^T`` (``upper=True``: ``U`` with ``x = U^T U``)."""
    x = _float(x)
    try:
        Lnp = np.linalg.cholesky(x._data)
    except np.linalg.LinAlgError:
        raise ValueError("cholesky: the input is not positive-definite") from None
    L = make(Lnp.astype(x._data.dtype))
    if needs_grad(x):
        def backward(g):
            n = L.shape[-1]
            P = _E.tril(_E.matmul(_mT(L), _E.tril(g)))
            P = _E.sub(P, _E.mul(P, _eye_like(L, n)).mul(0.5))
            Linv = _L.inv(L)
            gA = _E.matmul(_E.matmul(_mT(Linv), P), Linv)
            return (_E.mul(_E.add(gA, _mT(gA)), 0.5),)
        record(L, "LinalgCholeskyExBackward0", backward, (x,), (L,))
    return _mT(L) if upper else L


def cholesky_inverse(x, upper=False):
    """``(L L^T)^-1`` from a Cholesky factor (``upper``: ``(U^T U)^-1``)."""
    x = _float(x)
    A = _E.matmul(_mT(x), x) if upper else _E.matmul(x, _mT(x))
    return _L.inv(A)


def det(x):
    return _L.det(_float(x))


def inv(x):
    return _L.inv(_float(x))


def solve(a, b):
    a, b = _float(a), _float(b)
    return _L.solve(a, b)


def solve_triangular(a, b, lower=False):
    """``x`` with ``tri(a) x = b``, reading only the lower (or upper) triangle of ``a``."""
    a, b = _float(a), _float(b)
    t = _E.tril(a) if lower else _E.triu(a)
    return _L.solve(t, b)


def _slogdet(x):
    x = _float(x)
    sign, logabs = np.linalg.slogdet(x._data)
    la = make(np.asarray(logabs, x._data.dtype))
    if needs_grad(x):
        record(la, "LinalgSlogdetBackward0",
               lambda g: (_E.mul(g.unsqueeze(-1).unsqueeze(-1), _mT(_L.inv(x))),), (x,), (x,))
    return make(np.asarray(sign, x._data.dtype)), la


def slogdet(x):
    return _slogdet(x)


def logdet(x):
    """``log(det(x))`` (NaN for a negative determinant)."""
    sign, la = _slogdet(x)
    return _E.where(_E.lt(sign, 0), make(np.asarray(np.nan, la._data.dtype)),
                    _E.where(_E.eq(sign, 0), make(np.asarray(-np.inf, la._data.dtype)), la))


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric ``x`` (lower triangle read)."""
    x = _float(x)
    w_np, v_np = np.linalg.eigh(x._data)
    w, V = make(w_np.astype(x._data.dtype)), make(v_np.astype(x._data.dtype))
    if needs_grad(x):
        d = x._data.dtype

        def rule(gw, gV):
            n = w.shape[-1]
            E = _E.sub(w.unsqueeze(-2), w.unsqueeze(-1))
            Einv = make(np.where(np.eye(n, dtype=bool), 0, 1 / np.where(np.eye(n, dtype=bool), 1, E._data))
                        .astype(d))
            inner = make(np.zeros(x._data.shape, d))
            if gV is not None:
                inner = _E.mul(_E.matmul(_mT(V), gV), Einv)
            if gw is not None:
                inner = _E.add(inner, _E.mul(gw.unsqueeze(-1), _eye_like(x, n)))
            return _E.matmul(_E.matmul(V, inner), _mT(V))
        _record_pair(w, V, x, rule, "LinalgEighBackward0")
    return w, V


def _record_pair(a, b, x, rule, name):
    """Two outputs of one decomposition: each gets a node that passes its gradient to ``rule``
    with the other output's gradient as None (the engine sums the two contributions)."""
    record(a, name, lambda g: (rule(g, None),), (x,), ())
    record(b, name, lambda g: (rule(None, g),), (x,), ())


def eig(x):
    """Real eigen-decomposition of ``x``; raises if an eigenvalue is complex (ember has no complex dtype)."""
    x = _float(x)
    w, v = np.linalg.eig(x._data)
    if np.iscomplexobj(w) and np.any(np.abs(np.imag(w)) > 0):
        raise ValueError("eig: the input has complex eigenvalues, and ember has no complex dtype")
    return make(np.real(w).astype(x._data.dtype)), make(np.real(v).astype(x._data.dtype))


def svd(x, full_matrices=True, compute_uv=True):
    """``U, S, V^T`` with ``x = U diag(S) V^T``; ``compute_uv=False`` gives ``S`` alone."""
    x = _float(x)
    m, n = x.shape[-2], x.shape[-1]
    U_np, s_np, Vh_np = np.linalg.svd(x._data, full_matrices=full_matrices)
    d = x._data.dtype
    U, S, Vh = make(U_np.astype(d)), make(s_np.astype(d)), make(Vh_np.astype(d))
    if needs_grad(x):
        k = min(m, n)
        Uk, Vk = make(U_np[..., :, :k].astype(d)), make(_mT(Vh)._data[..., :, :k].copy())

        def rule(gU, gS, gVh):
            eye = np.eye(k, dtype=bool)
            s = S._data
            s2 = s[..., None, :] ** 2 - s[..., :, None] ** 2
            F = make(np.where(eye, 0, 1 / np.where(eye, 1, s2)).astype(d))
            Sd = _E.mul(S.unsqueeze(-2), _eye_like(x, k))
            mid = _E.mul(gS.unsqueeze(-1), _eye_like(x, k)) if gS is not None else make(np.zeros(s.shape + (k,), d))
            gA = None
            if gU is not None:
                if full_matrices and m != n and m > k:
                    raise RuntimeError("svd: the gradient through U with full_matrices=True is not defined; "
                                       "use full_matrices=False")
                gU = gU[..., :, :k]
                UtgU = _E.matmul(_mT(Uk), gU)
                mid = _E.add(mid, _E.matmul(_E.mul(F, _E.sub(UtgU, _mT(UtgU))), Sd))
                if m > k:
                    proj = _E.sub(gU, _E.matmul(Uk, UtgU))
                    gA = _E.matmul(_E.div(proj, S.unsqueeze(-2)), _mT(Vk))
            if gVh is not None:
                if full_matrices and m != n and n > k:
                    raise RuntimeError("svd: the gradient through V with full_matrices=True is not defined; "
                                       "use full_matrices=False")
                gV = _mT(gVh)[..., :, :k]
                VtgV = _E.matmul(_mT(Vk), gV)
                mid = _E.add(mid, _E.matmul(Sd, _E.mul(F, _E.sub(VtgV, _mT(VtgV)))))
                if n > k:
                    proj = _E.sub(gV, _E.matmul(Vk, VtgV))
                    extra = _E.matmul(Uk, _mT(_E.div(proj, S.unsqueeze(-2))))
                    gA = extra if gA is None else _E.add(gA, extra)
            core = _E.matmul(_E.matmul(Uk, mid), _mT(Vk))
            return core if gA is None else _E.add(core, gA)
        if compute_uv:
            record(U, "LinalgSvdBackward0", lambda g: (rule(g, None, None),), (x,), ())
            record(Vh, "LinalgSvdBackward0", lambda g: (rule(None, None, g),), (x,), ())
        record(S, "LinalgSvdBackward0", lambda g: (rule(None, g, None),), (x,), ())
    return (U, S, Vh) if compute_uv else S


def qr(x, mode="reduced"):
    """``Q, R`` with ``x = Q R`` (LAPACK's signs); differentiable for ``mode='reduced'`` (and square/wide)."""
    if mode not in ("reduced", "complete"):
        raise ValueError("`mode` argument value not supported. Expected one of {'reduced', 'complete'}. "
                         f"Received: mode={mode}")
    x = _float(x)
    m, n = x.shape[-2], x.shape[-1]
    Q_np, R_np = np.linalg.qr(x._data, mode=mode)
    if not needs_grad(x) or (mode == "complete" and m > n) or m < n:
        return make(Q_np.astype(x._data.dtype)), make(R_np.astype(x._data.dtype))
    # Modified Gram-Schmidt in ember ops (differentiable), then LAPACK's column signs.
    cols, rs = [], []
    for j in range(n):
        v = x[..., :, j]
        r_col = []
        for i, q in enumerate(cols):
            r = _E.sum(_E.mul(q, v), -1)
            r_col.append(r)
            v = _E.sub(v, _E.mul(r.unsqueeze(-1), q))
        nrm = _E.sqrt(_E.sum(_E.mul(v, v), -1))
        r_col.append(nrm)
        cols.append(_E.div(v, nrm.unsqueeze(-1)))
        zeros = [make(np.zeros(nrm.shape, x._data.dtype))] * (n - j - 1)
        rs.append(_E.stack(r_col + zeros, -1))
    Q = _E.stack(cols, -1)
    R = _E.stack(rs, -1)
    sign = make(np.where(np.diagonal(R_np, axis1=-2, axis2=-1) < 0, -1.0, 1.0).astype(x._data.dtype))
    return _E.mul(Q, sign.unsqueeze(-2)), _E.mul(R, sign.unsqueeze(-1))


def lu_factor(x):
    """``(LU, pivots)``: the packed LU factors with partial pivoting and 0-based row pivots (no gradient)."""
    a = _float(x)._data.astype(np.float64).copy()
    *batch, m, n = a.shape
    flat = a.reshape(-1, m, n)
    piv = np.zeros((flat.shape[0], min(m, n)), np.int32)
    for b in range(flat.shape[0]):
        A = flat[b]
        for k in range(min(m, n)):
            p = k + int(np.argmax(np.abs(A[k:, k])))
            piv[b, k] = p
            if p != k:
                A[[k, p]] = A[[p, k]]
            if A[k, k] != 0:
                A[k + 1:, k] /= A[k, k]
                A[k + 1:, k + 1:] -= np.outer(A[k + 1:, k], A[k, k + 1:])
    dt = _float(x)._data.dtype
    return make(flat.reshape(a.shape).astype(dt)), make(piv.reshape(*batch, min(m, n)))


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm (``ord`` as NumPy's; ``axis`` an int for vectors, a pair for matrices)."""
    x = _T(x)
    d = floatx() if standardize_dtype(x.dtype) == "int64" else result_type(x.dtype, float)
    x = cast(x, d)
    if isinstance(axis, list):
        axis = tuple(axis)
    if ord == "nuc" or (ord in (2, -2) and (axis is None and x.ndim == 2 or isinstance(axis, tuple) and
                                            len(axis) == 2)):
        if axis is None:
            axis = (-2, -1)
        xm = _E.movedim(x, axis, (-2, -1))
        s = svd(xm, full_matrices=False, compute_uv=False)
        r = _E.sum(s, -1) if ord == "nuc" else _E.amax(s, -1) if ord == 2 else _E.amin(s, -1)
        if keepdims:
            for a in sorted(a % x.ndim for a in axis):
                r = r.unsqueeze(a)
        return r
    return _L.norm(x, ord, axis, keepdims)


def lstsq(a, b, rcond=None):
    """The least-squares solution ``x`` of ``a x = b`` (minimum-norm when ``a`` is wide)."""
    a, b = _float(a), _float(b)
    vec = b.ndim == 1
    bb = b.unsqueeze(-1) if vec else b
    if rcond is not None or np.linalg.matrix_rank(a._data) < min(a.shape[-2:]):
        xs = _E.matmul(pinv(a, rcond), bb)
    elif a.shape[-2] >= a.shape[-1]:
        at = _mT(a)
        xs = _L.solve(_E.matmul(at, a), _E.matmul(at, bb))
    else:
        at = _mT(a)
        xs = _E.matmul(at, _L.solve(_E.matmul(a, at), bb))
    return xs.squeeze(-1) if vec else xs


def matrix_rank(x, tol=None):
    x = _float(x)
    return make(np.asarray(np.linalg.matrix_rank(x._data, tol=tol), np.int32))


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse ``V diag(1/s) U^T`` (singular values below ``rcond * max(s)`` dropped)."""
    x = _float(x)
    U, S, Vh = svd(x, full_matrices=False)
    cut = (rcond if rcond is not None else 1e-15 * max(x.shape[-2:])) * S._data.max(-1, keepdims=True)
    keep = make(S._data > cut)
    inv_s = _E.where(keep, _E.div(1.0, _E.where(keep, S, _C.ones_like(S))), _C.zeros_like(S))
    return _E.matmul(_mT(Vh), _E.mul(inv_s.unsqueeze(-1), _mT(U)))


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode product ``(fun(*primals), J(primals) @ tangents)`` by two reverse passes."""
    from ...autograd.engine import grad
    xs = [(_float(p).detach()).requires_grad_() for p in primals]
    out = fun(*xs)
    aux = None
    if has_aux:
        out, aux = out
    u = _C.zeros_like(out).requires_grad_()
    gs = grad(out, xs, u, create_graph=True, allow_unused=True)
    pairs = [(g, _T(t)) for g, t in zip(gs, tangents) if g is not None]
    jv = grad([g for g, _ in pairs], u, [t for _, t in pairs], allow_unused=True)[0]
    jv = _C.zeros_like(out) if jv is None else jv
    return (out.detach(), jv, aux) if has_aux else (out.detach(), jv)
