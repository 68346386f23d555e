"""The general (non-symmetric) eigendecomposition ``linalg.eig`` / ``linalg.eigvals``, differentiable.

``A = V diag(L) V^-1`` with complex ``L`` and ``V`` (columns of unit norm, LAPACK's ``geev`` through
``np.linalg.eig``, the same routine PyTorch calls). Eigenvectors are defined only up to a phase
``e^{i phi}`` per column, so a loss must not depend on it; the gradient (PyTorch's convention,
assuming distinct eigenvalues) is

    gA = V^-H (diag(gL) + (V^H gV - V^H V diag(Re diag(V^H gV))) / conj(E)) V^H,
    E_ij = L_j - L_i (i != j),

and the real part of it for a real ``A``. ``V^-H`` enters as a constant: the rule gives first-order
gradients.

>>> import ember
>>> L = ember.linalg.eigvals(ember.tensor([[2.0, 0.0], [0.0, 3.0]]))
>>> L
tensor([2.+0.j, 3.+0.j])
"""
import numpy as np

from .. import return_types as _rt
from .. import grad_mode
from ._util import out as _wrap
from .complex_numbers import conj, real
from .elementwise import mul, div, sub, add
from .linalg_decomp import _record, _mT, _mm, _diag_embed

__all__ = ["eig", "eigvals"]

_gm = grad_mode.state
eig_result = _rt.linalg_eig


def _mH(x):
    return conj(_mT(x))


def _complex_dtype(a):
    return np.complex128 if a.dtype in (np.float64, np.complex128) else np.complex64


def eig(A, *, out=None):
    """Eigenvalues and unit-norm eigenvectors of a square (batch of) matrix ``A``, both complex."""
    a = A._data
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.eig: Expected a floating point or complex tensor as input. Got {A.dtype}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.eig: A must be batches of square matrices, but they are "
                           f"{a.shape[-2] if a.ndim >= 2 else a.ndim} by {a.shape[-1] if a.ndim else 0} matrices")
    if not np.isfinite(a).all():
        raise RuntimeError("linalg.eig: input tensor should not contain infs or NaNs.")
    cd = _complex_dtype(a)
    w, v = np.linalg.eig(a)
    tw, tv = _wrap(w.astype(cd)), _wrap(v.astype(cd))
    if _gm.enabled and A._rg:
        def backward(g):
            gL, gV = g
            vh = _mH(tv)
            if gV is None:
                inner = _diag_embed(gL)
            else:
                vhgv = _mm(vh, gV)
                diag = np.diagonal(vhgv._data, axis1=-2, axis2=-1)
                if np.abs(diag.imag).max(initial=0.0) > 1e-6 * max(1.0, np.abs(diag).max(initial=0.0)):
                    raise RuntimeError("linalg_eig_backward: The eigenvectors in the complex case are specified up "
                                       "to multiplication by e^{i phi}. The specified loss function depends on this "
                                       "quantity, so it is ill-defined.")
                re_diag = _wrap(diag.real.astype(vhgv._data.real.dtype))
                inner = sub(vhgv, mul(_mm(vh, tv), re_diag[..., None, :]))
                E = w[..., None, :] - w[..., :, None]
                idx = np.arange(w.shape[-1])
                E[..., idx, idx] = 1
                off = np.ones(E.shape[-2:], bool)
                off[idx, idx] = False
                inner = mul(div(inner, _wrap(np.conj(E).astype(cd))), _wrap(off.astype(vhgv._data.real.dtype)))
                if gL is not None:
                    inner = add(inner, _diag_embed(gL))
            vinv_h = _wrap(np.linalg.inv(vh._data))
            gA = _mm(_mm(vinv_h, inner), vh)
            return (gA if a.dtype.kind == "c" else real(gA),)
        _record([tw, tv], "LinalgEigBackward0", backward, (A,), (tw, tv))
    return eig_result(tw, tv)


def eigvals(A, *, out=None):
    """The (complex) eigenvalues of a square (batch of) matrix ``A``."""
    return eig(A).eigenvalues
