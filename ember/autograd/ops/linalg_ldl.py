"""``linalg.ldl_factor(_ex)`` and ``linalg.ldl_solve``: the Bunch-Kaufman ``A = P L D L^T P^T`` of a
symmetric matrix, in LAPACK's compact form (``sytrf`` with the lower triangle, ``sytrs``).

``LD`` holds the unit lower-triangular L below the diagonal and the 1x1/2x2 blocks of D on (and
just below) it; ``pivots`` are LAPACK's 1-based interchanges, negative for a 2x2 block. The
factorization runs per matrix with a loop over columns (vectorised within a column); like
PyTorch's, these are not differentiable.

>>> import ember
>>> A = ember.tensor([[4.0, 1.0], [1.0, 3.0]])
>>> LD, piv = ember.linalg.ldl_factor(A)
>>> ember.linalg.ldl_solve(LD, piv, ember.tensor([[1.0], [2.0]]))
tensor([[0.0909],
        [0.6364]])
"""
import numpy as np

from .. import return_types as _rt
from ._util import out as _wrap
from .linalg_decomp import LinAlgError, _check_matrix, supports_out

ldl_factor_result = _rt.linalg_ldl_factor
ldl_factor_ex_result = _rt.linalg_ldl_factor_ex

_ALPHA = (1.0 + np.sqrt(17.0)) / 8.0


def _sytf2_lower(a):
    """LAPACK's unblocked Bunch-Kaufman (dsytf2, lower) on one matrix, in place; returns (ipiv, info)."""
    n = a.shape[0]
    ipiv = np.zeros(n, np.int32)
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))
            colmax = abs(a[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or np.isnan(absakk):
            if info == 0:
                info = k + 1
            kp = k
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                rowmax = np.max(np.abs(a[imax, k:imax])) if imax > k else 0.0
                if imax < n - 1:
                    rowmax = max(rowmax, np.max(np.abs(a[imax + 1:, imax])))
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:
                # Swap rows and columns kk and kp of the trailing lower triangle.
                if kp < n - 1:
                    a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                seg = slice(kk + 1, kp)
                tmp = a[seg, kk].copy()
                a[seg, kk] = a[kp, seg]
                a[kp, seg] = tmp
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1:
                if k < n - 1:
                    x = a[k + 1:, k].copy()
                    a[k + 1:, k + 1:] -= np.tril(np.outer(x, x)) / a[k, k]
                    a[k + 1:, k] = x / a[k, k]
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                c0, c1 = a[k + 2:, k].copy(), a[k + 2:, k + 1].copy()
                wk = d21 * (d11 * c0 - c1)
                wkp1 = d21 * (d22 * c1 - c0)
                a[k + 2:, k + 2:] -= np.tril(np.outer(c0, wk) + np.outer(c1, wkp1))
                a[k + 2:, k] = wk
                a[k + 2:, k + 1] = wkp1
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return ipiv, info


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """``(LD, pivots, info)`` of the Bunch-Kaufman factorization of symmetric ``A`` (its lower triangle is
    read); ``info`` > 0 marks an exactly singular D."""
    _check_matrix("ldl_factor", A)
    a = A._data
    n = a.shape[-1]
    flat = np.tril(a.reshape((-1, n, n))).astype(a.dtype, copy=True)
    piv = np.zeros(flat.shape[:2], np.int32)
    info = np.zeros(flat.shape[0], np.int32)
    for b in range(flat.shape[0]):
        piv[b], info[b] = _sytf2_lower(flat[b])
    if check_errors and info.any():
        raise LinAlgError(f"torch.linalg.ldl_factor_ex: The factorization could not be completed because the "
                          f"block diagonal matrix D is singular (D[{int(info.max())}, {int(info.max())}] is 0).")
    batch = a.shape[:-2]
    return ldl_factor_ex_result(_wrap(np.tril(flat).reshape(a.shape)), _wrap(
        piv.reshape(batch + (n,))), _wrap(info.reshape(batch)))


def ldl_factor(A, *, hermitian=False, out=None):
    """``(LD, pivots)``: the compact Bunch-Kaufman factorization ``A = P L D L^T P^T`` (see ``ldl_solve``)."""
    LD, piv, _ = ldl_factor_ex(A, hermitian=hermitian)
    return ldl_factor_result(LD, piv)


def _sytrs_lower(a, ipiv, b):
    """LAPACK's dsytrs (lower): solve with the factorization of ``a``, overwriting ``b``."""
    n = a.shape[0]
    k = 0
    while k < n:                       # L D Y = P^T B
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.outer(a[k + 1:, k], b[k])
            b[k] /= a[k, k]
            k += 1
        else:
            kp = -ipiv[k] - 1
            if kp != k + 1:
                b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2:] -= np.outer(a[k + 2:, k], b[k]) + np.outer(a[k + 2:, k + 1], b[k + 1])
            akm1k = a[k + 1, k]
            akm1 = a[k, k] / akm1k
            ak = a[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1 = b[k] / akm1k
            bk = b[k + 1] / akm1k
            b[k] = (ak * bkm1 - bk) / denom
            b[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:                      # L^T P^T X = Y
        if ipiv[k] > 0:
            b[k] -= a[k + 1:, k] @ b[k + 1:]
            kp = ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k] -= a[k + 1:, k] @ b[k + 1:]
            b[k - 1] -= a[k + 1:, k - 1] @ b[k + 1:]
            kp = -ipiv[k] - 1
            if kp != k:
                b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """The ``X`` with ``A X = B`` from ``ldl_factor``'s ``(LD, pivots)``; batch dims broadcast."""
    ld, piv, b = LD._data, pivots._data, B._data
    if ld.ndim < 2 or ld.shape[-1] != ld.shape[-2]:
        raise RuntimeError(f"torch.linalg.ldl_solve: LD must be batches of square matrices, got shape "
                           f"{tuple(ld.shape)}")
    n = ld.shape[-1]
    if b.ndim < 2 or b.shape[-2] != n:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({n}x{n} and {tuple(b.shape[-2:])})")
    if piv.shape != ld.shape[:-1]:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected pivots of shape {tuple(ld.shape[:-1])}, got "
                           f"{tuple(piv.shape)}")
    batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    ldb = np.broadcast_to(ld, batch + (n, n)).reshape((-1, n, n))
    pvb = np.broadcast_to(piv, batch + (n,)).reshape((-1, n))
    dt = np.promote_types(ld.dtype, b.dtype)
    xb = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:]).astype(dt, copy=True)
    for i in range(xb.shape[0]):
        _sytrs_lower(ldb[i], pvb[i], xb[i])
    return _wrap(xb.reshape(batch + b.shape[-2:]))


for _n in ("ldl_factor_ex", "ldl_factor", "ldl_solve"):
    globals()[_n] = supports_out(globals()[_n])
del _n
