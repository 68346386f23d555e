"""``ember.special``: PyTorch's ``torch.special`` (error, gamma and Bessel functions, orthogonal
polynomials), differentiable where PyTorch's are.

The values come from NumPy kernels in ``ember.backend.special_*`` (float64 series, continued fractions
and quadratures, accurate to about 1e-13 relative on the usual domains).

>>> import ember
>>> ember.special.ndtr(ember.tensor([0.0]))
tensor([0.5000])
>>> ember.special.gammaln(ember.tensor([4.0]))  # log(3!)
tensor([1.7918])
"""
import numpy as np

from .backend import special_poly as _sp
from .autograd.tensor import Tensor
from .autograd.ops import pointwise as _pw
from .autograd.ops._util import out as _out, prep as _prep, to_tensor as _to_tensor
from .autograd.ops.elementwise import (erf, erfinv, exp2, expm1, log1p, sigmoid as expit, round, xlogy,  # noqa: F401
                                       _float_arr)
from .autograd.ops.reduce import logsumexp  # noqa: F401
from .autograd.ops.softmax import softmax as _softmax, log_softmax as _log_softmax
from .autograd.ops.pointwise import (entr, erfc, erfcx, lgamma as gammaln, digamma, polygamma, mvlgamma as  # noqa: F401
                                     multigammaln, i0, i0e, i1, i1e, ndtr, ndtri, log_ndtr, logit, sinc, xlog1py,
                                     zeta, igamma as gammainc, igammac as gammaincc, bessel_j0, bessel_j1,
                                     bessel_y0, bessel_y1, modified_bessel_i0, modified_bessel_i1,
                                     modified_bessel_k0, modified_bessel_k1, scaled_modified_bessel_k0,
                                     scaled_modified_bessel_k1, spherical_bessel_j0, airy_ai)

psi = digamma


def softmax(input, dim, *, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (``torch.special.softmax``)."""
    return _softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input, dim, *, dtype=None):
    return _log_softmax(input if dtype is None else input.to(dtype), dim)


def _polynomial(name, kernel):
    def op(input, n):
        """The degree-``n`` polynomial at ``input`` (``n`` a number or a tensor that broadcasts); no gradient."""
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            input = _to_tensor(input)
        x, k, tx, tn = _prep(input, n, name)
        if x.dtype == np.float16:
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'Half\'')
        x = _float_arr(x)
        k = np.asarray(k)
        try:
            r = kernel(x, np.trunc(k).astype(np.int64) if k.dtype.kind == "f" else k)
        except ValueError:
            raise RuntimeError(f"{name}: shapes {x.shape} and {k.shape} cannot be broadcast together") from None
        return _out(np.asarray(r, dtype=x.dtype))
    op.__name__ = name
    return op


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", _sp.chebyshev_t)
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", _sp.chebyshev_u)
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", _sp.chebyshev_v)
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", _sp.chebyshev_w)
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t", _sp.shifted(_sp.chebyshev_t))
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u", _sp.shifted(_sp.chebyshev_u))
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v", _sp.shifted(_sp.chebyshev_v))
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w", _sp.shifted(_sp.chebyshev_w))
hermite_polynomial_h = _polynomial("hermite_polynomial_h", _sp.hermite_h)
hermite_polynomial_he = _polynomial("hermite_polynomial_he", _sp.hermite_he)
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", _sp.laguerre_l)
legendre_polynomial_p = _polynomial("legendre_polynomial_p", _sp.legendre_p)

del _pw
