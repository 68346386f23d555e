"""Accuracy of the float64 special-function kernels (ember.backend.special_*) against SciPy as a second
oracle (PyTorch's own kernels are the first, in the op table; some of them are less accurate than these,
e.g. torch's bessel_j0 near x = 5 and its trigamma), and the edge values (poles, infinities, NaN)
against PyTorch's conventions."""
import numpy as np
import pytest
import scipy.special as sp
import torch

import ember

RNG = np.random.default_rng(0)


def _grid(lo, hi, n=4000):
    return np.concatenate([RNG.uniform(lo, hi, n), np.linspace(lo, hi, 257)])


def _check(got, want, rtol, atol=0.0):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


S = ember.special


def _f64(fn, *xs):
    return fn(*(ember.tensor(x, dtype=ember.float64) for x in xs)).numpy()


# (name, ember function, scipy function, inputs, rtol, atol)
CASES = [
    ("lgamma", ember.lgamma, sp.gammaln, [_grid(-30, 30)], 1e-12, 1e-13),
    ("lgamma_near_roots", ember.lgamma, sp.gammaln, [_grid(0.8, 2.2)], 1e-11, 1e-16),
    ("digamma", ember.digamma, sp.digamma, [_grid(-30, 30)], 1e-11, 1e-13),
    ("trigamma", lambda x: ember.polygamma(1, x), lambda x: sp.polygamma(1, x), [_grid(0.01, 40)], 1e-13, 0),
    ("polygamma4", lambda x: ember.polygamma(4, x), lambda x: sp.polygamma(4, x), [_grid(0.1, 40)], 1e-13, 0),
    ("erf", S.erf, sp.erf, [_grid(-8, 8)], 1e-14, 1e-16),
    # atol: SciPy flushes the subnormal tail (x > 26.5) to 0
    ("erfc", S.erfc, sp.erfc, [_grid(-8, 27)], 1e-13, 1e-300),
    ("erfcx", S.erfcx, sp.erfcx, [_grid(-6, 1e4)], 1e-13, 0),
    ("erfinv", S.erfinv, sp.erfinv, [_grid(-0.999999, 0.999999)], 1e-13, 1e-300),
    ("ndtr", S.ndtr, sp.ndtr, [_grid(-38, 9)], 1e-12, 1e-300),
    ("log_ndtr", S.log_ndtr, sp.log_ndtr, [_grid(-1e3, 30)], 1e-12, 1e-300),
    ("ndtri", S.ndtri, sp.ndtri, [np.concatenate([RNG.uniform(0, 1, 3000), 10.0 ** -RNG.uniform(0, 300, 500)])],
     1e-12, 0),
    ("gammainc", S.gammainc, sp.gammainc, [RNG.uniform(0.01, 40, 3000), RNG.uniform(0, 60, 3000)], 1e-12, 1e-300),
    ("gammaincc", S.gammaincc, sp.gammaincc, [RNG.uniform(0.01, 40, 3000), RNG.uniform(0, 60, 3000)], 1e-11,
     1e-300),
    ("zeta", S.zeta, sp.zeta, [RNG.uniform(1.01, 30, 3000), RNG.uniform(0.01, 20, 3000)], 1e-13, 0),
    ("i0", S.i0, sp.i0, [_grid(-700, 700)], 1e-14, 0),
    ("i0e", S.i0e, sp.i0e, [_grid(-1e4, 1e4)], 1e-14, 0),
    ("i1", S.i1, sp.i1, [_grid(-700, 700)], 1e-14, 0),
    ("i1e", S.i1e, sp.i1e, [_grid(-1e4, 1e4)], 1e-14, 0),
    ("k0", S.modified_bessel_k0, sp.k0, [_grid(1e-8, 700)], 1e-14, 0),
    ("k1", S.modified_bessel_k1, sp.k1, [_grid(1e-8, 700)], 1e-14, 0),
    ("k0e", S.scaled_modified_bessel_k0, sp.k0e, [_grid(1e-8, 1e4)], 1e-14, 0),
    ("k1e", S.scaled_modified_bessel_k1, sp.k1e, [_grid(1e-8, 1e4)], 1e-14, 0),
    # J and Y: relative accuracy is lost only at their zeros, where the absolute error stays ~1e-15
    ("j0", S.bessel_j0, sp.j0, [_grid(-60, 60)], 1e-12, 3e-14),
    ("j1", S.bessel_j1, sp.j1, [_grid(-60, 60)], 1e-12, 3e-14),
    ("y0", S.bessel_y0, sp.y0, [_grid(1e-8, 60)], 1e-12, 3e-14),
    ("y1", S.bessel_y1, sp.y1, [_grid(1e-8, 60)], 1e-12, 3e-14),
    ("spherical_j0", S.spherical_bessel_j0, lambda x: sp.spherical_jn(0, x), [_grid(-50, 50)], 1e-14, 1e-16),
    # Ai: series on [-7, 3], K_(1/3) above, the oscillatory expansion below -7 (whose phase, ~|x|^1.5,
    # carries the rounding of x: ~1e-13 absolute at x = -200)
    ("airy_ai", S.airy_ai, lambda x: sp.airy(x)[0], [_grid(-5, 100)], 1e-11, 1e-14),
    ("airy_ai_series_edge", S.airy_ai, lambda x: sp.airy(x)[0], [_grid(-7, -5)], 0, 2e-12),
    ("airy_ai_negative", S.airy_ai, lambda x: sp.airy(x)[0], [_grid(-200, -7)], 1e-9, 1e-12),
    ("sinc", ember.sinc, np.sinc, [_grid(-20, 20)], 1e-13, 1e-16),
    ("entr", S.entr, sp.entr, [_grid(0, 50)], 1e-14, 0),
    ("xlog1py", S.xlog1py, sp.xlog1py, [RNG.uniform(-3, 3, 2000), RNG.uniform(-0.99, 5, 2000)], 1e-14, 0),
    ("multigammaln", lambda x: S.multigammaln(x, 3), lambda x: sp.multigammaln(x, 3), [_grid(1.01, 40)], 1e-12,
     1e-13),
]


@pytest.mark.parametrize("name,fn,ref,xs,rtol,atol", CASES, ids=[c[0] for c in CASES])
def test_kernel_matches_scipy(name, fn, ref, xs, rtol, atol):
    if name == "multigammaln":
        got = np.array([fn(ember.tensor(np.array([v]), dtype=ember.float64)).item() for v in xs[0][:300]])
        _check(got, np.array([ref(v) for v in xs[0][:300]]), rtol, atol)
        return
    _check(_f64(fn, *xs), ref(*xs), rtol, atol)


POLYS = [("chebyshev_polynomial_t", sp.eval_chebyt, (-1, 1)), ("chebyshev_polynomial_u", sp.eval_chebyu, (-1, 1)),
         ("hermite_polynomial_h", sp.eval_hermite, (-3, 3)), ("hermite_polynomial_he", sp.eval_hermitenorm, (-3, 3)),
         ("laguerre_polynomial_l", sp.eval_laguerre, (-2, 8)), ("legendre_polynomial_p", sp.eval_legendre, (-1, 1)),
         ("shifted_chebyshev_polynomial_t", lambda n, x: sp.eval_sh_chebyt(n, x), (0, 1))]


@pytest.mark.parametrize("name,ref,dom", POLYS, ids=[p[0] for p in POLYS])
def test_polynomials_match_scipy(name, ref, dom):
    x = RNG.uniform(*dom, 2000)
    n = RNG.integers(0, 25, 2000)
    got = getattr(S, name)(ember.tensor(x), ember.tensor(n)).numpy()
    want = ref(n, x)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.maximum(1, np.abs(want)).max())


EDGES = np.array([0.0, -0.0, -1.0, -2.0, 1.0, 2.0, np.inf, -np.inf, np.nan, 1e-300, 1e300, -1e300])
EDGE_FNS = ["lgamma", "digamma", "erfc", "i0", "sinc", "special.erfcx", "special.ndtr", "special.log_ndtr",
            "special.ndtri", "special.i0e", "special.i1", "special.i1e", "special.entr", "special.bessel_j0",
            "special.bessel_j1", "special.bessel_y0", "special.bessel_y1", "special.modified_bessel_i0",
            "special.modified_bessel_k0", "special.modified_bessel_k1", "special.scaled_modified_bessel_k0",
            "special.spherical_bessel_j0", "special.airy_ai", "special.erfinv", "special.logit"]


@pytest.mark.parametrize("name", EDGE_FNS)
def test_edge_values_follow_torch(name):
    def fn(lib):
        f = lib
        for part in name.split("."):
            f = getattr(f, part)
        return f
    got = fn(ember)(ember.tensor(EDGES)).numpy()
    want = fn(torch)(torch.tensor(EDGES)).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name}: nan at {EDGES}")
    fin = np.isfinite(want)
    np.testing.assert_array_equal(got[~fin & ~np.isnan(want)], want[~fin & ~np.isnan(want)])
    np.testing.assert_allclose(got[fin], want[fin], rtol=1e-6, atol=1e-300)
