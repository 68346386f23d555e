"""Op-table rows for the pointwise ops of ``ops/pointwise.py`` and ``ember.special``; appended to
``op_table.OPS`` so the generic checks of test_ops.py (forward in float32/float64 against PyTorch,
gradients against PyTorch, float64 gradcheck, gradgradcheck) run over them.

Domains beyond the table's own are made inside the expression: ``(x + 1) / 2`` maps "unit" into
(0.05, 0.95), ``x + 2`` lifts "pos" above 2.
"""
from .op_table import OpInfo, u, b, BINARY

S = "special"


def sp(name):
    """``L.special.<name>`` for either library."""
    return lambda L: getattr(L.special, name)


OPS = [
    # gamma family
    u("lgamma", lambda L, x: L.lgamma(x), domain="pos", int_ok=True),
    u("lgamma_neg", lambda L, x: L.lgamma(x - 3.0), domain="unit"),
    u("digamma", lambda L, x: L.digamma(x), domain="pos"),
    u("digamma_neg", lambda L, x: x.digamma() + L.digamma(x - 2.0), domain="unit"),
    u("polygamma1", lambda L, x: L.polygamma(1, x), domain="pos"),
    u("polygamma3_method", lambda L, x: x.polygamma(3), domain="pos"),
    u("mvlgamma", lambda L, x: L.mvlgamma(x + 2.0, 3), domain="pos"),
    u("gammaln", lambda L, x: L.special.gammaln(x * 3.0), domain="pos"),
    u("psi", lambda L, x: L.special.psi(x), domain="pos"),
    u("multigammaln", lambda L, x: L.special.multigammaln(x + 1.0, 2), domain="pos"),
    # error functions and the normal distribution
    u("erfc", lambda L, x: L.erfc(x * 2.0), int_ok=True),
    u("erfcx", lambda L, x: L.special.erfcx(x * 3.0)),
    u("special_erf_erfc", lambda L, x: L.special.erf(x) + L.special.erfc(x * 4.0)),
    u("ndtr", lambda L, x: L.special.ndtr(x * 3.0)),
    u("ndtri", lambda L, x: L.special.ndtri((x + 1.0) / 2.0), domain="unit"),
    u("log_ndtr", lambda L, x: L.special.log_ndtr(x * 6.0)),
    u("special_erfinv", lambda L, x: L.special.erfinv(x), domain="unit"),
    # Bessel functions with gradients
    u("i0", lambda L, x: L.i0(x * 3.0), int_ok=True),
    u("special_i0e", lambda L, x: L.special.i0e(x * 3.0)),
    u("special_i1", lambda L, x: L.special.i1(x * 3.0)),
    u("special_i1e", lambda L, x: L.special.i1e(x * 3.0)),
    u("i0_large", lambda L, x: L.special.i0e(x * 30.0), grad=False),
    # other unary
    u("sinc", lambda L, x: L.sinc(x * 2.0)),
    u("special_sinc", lambda L, x: L.special.sinc(x)),
    u("deg2rad", lambda L, x: L.deg2rad(x * 90.0), int_ok=True),
    u("rad2deg", lambda L, x: x.rad2deg(), int_ok=True),
    u("logit", lambda L, x: L.logit((x + 1.0) / 2.0), domain="unit"),
    u("logit_eps", lambda L, x: x.logit(eps=0.2), domain="unit", gradgrad=False),
    u("special_logit", lambda L, x: L.special.logit((x + 1.0) / 2.0, eps=1e-6), domain="unit", gradgrad=False),
    u("positive", lambda L, x: L.positive(x) * 2.0, int_ok=True),
    u("sgn", lambda L, x: L.sgn(x) * x, int_ok=True, gradgrad=False),
    u("signbit", lambda L, x: L.signbit(x), grad=False, int_ok=True),
    u("frexp_mantissa", lambda L, x: L.frexp(x * 10.0)[0], domain="nonzero"),
    u("frexp_exponent", lambda L, x: x.frexp().exponent, grad=False),
    u("entr", lambda L, x: L.special.entr(x), domain="pos"),
    u("special_expit_exp2_expm1_log1p", lambda L, x: L.special.expit(x) + L.special.exp2(x)
      + L.special.expm1(x) + L.special.log1p(x), domain="pos"),
    u("special_round", lambda L, x: L.special.round(x * 3.0)),
    OpInfo("special_softmax", lambda L, x: L.special.softmax(x, 1) + L.special.log_softmax(x, 0),
           [((3, 4),)]),
    OpInfo("special_logsumexp", lambda L, x: L.special.logsumexp(x, 1), [((3, 4),)]),
    # binary
    b("hypot", lambda L, x, y: L.hypot(x, y)),
    b("copysign", lambda L, x, y: L.copysign(x, y), domain="nonzero"),
    u("copysign_scalar", lambda L, x: x.copysign(-1.0), domain="nonzero"),
    b("logaddexp", lambda L, x, y: L.logaddexp(x * 3.0, y)),
    b("logaddexp2", lambda L, x, y: x.logaddexp2(y * 3.0)),
    b("float_power", lambda L, x, y: L.float_power(x, y), domain="pos"),
    u("float_power_scalar", lambda L, x: x.float_power(2.5), domain="pos"),
    b("ldexp", lambda L, x, y: L.ldexp(x, y)),
    b("nextafter", lambda L, x, y: L.nextafter(x, y), gradgrad=False),
    b("xlog1py", lambda L, x, y: L.special.xlog1py(x, y), domain="pos"),
    b("special_xlogy", lambda L, x, y: L.special.xlogy(x, y), domain="pos"),
    b("zeta", lambda L, x, y: L.special.zeta(x + 1.5, y), domain="pos", grad=False),
    # a is a constant: PyTorch has no derivative in a (and gradcheck would perturb it)
    u("gammainc", lambda L, x: L.special.gammainc(L.full_like(x, 2.5), x), domain="pos"),
    u("gammaincc", lambda L, x: L.special.gammaincc(L.full_like(x, 0.7), x * 3.0), domain="pos"),
    u("igamma_large_a", lambda L, x: L.igamma(L.full_like(x, 20.0), x * 20.0), domain="pos"),
    u("igammac", lambda L, x: L.igammac(L.full_like(x, 6.0), x * 4.0), domain="pos"),
    b("igamma_forward", lambda L, a, x: L.igamma(a * 5.0, x * 5.0), domain="pos", grad=False),
    OpInfo("addcmul", lambda L, x, y, z: L.addcmul(x, y, z, value=0.5), [((3, 4), (3, 4), (4,)), ((), (2, 3), ())]),
    OpInfo("addcdiv", lambda L, x, y, z: x.addcdiv(y, z, value=-2.0), [((3, 4), (3, 1), (4,))], domain="nonzero"),
    OpInfo("addcmul_method", lambda L, x, y, z: x.addcmul(y, z), [((3, 4), (3, 4), (3, 4))]),
    # Bessel, Airy and polynomials: no gradients in PyTorch
    u("bessel_j0", lambda L, x: L.special.bessel_j0(x * 8.0), grad=False),
    u("bessel_j1", lambda L, x: L.special.bessel_j1(x * 8.0), grad=False),
    u("bessel_y0", lambda L, x: L.special.bessel_y0(x * 8.0), domain="pos", grad=False),
    u("bessel_y1", lambda L, x: L.special.bessel_y1(x * 8.0), domain="pos", grad=False),
    u("modified_bessel_i0", lambda L, x: L.special.modified_bessel_i0(x * 5.0), grad=False),
    u("modified_bessel_i1", lambda L, x: L.special.modified_bessel_i1(x * 5.0), grad=False),
    u("modified_bessel_k0", lambda L, x: L.special.modified_bessel_k0(x * 4.0), domain="pos", grad=False),
    u("modified_bessel_k1", lambda L, x: L.special.modified_bessel_k1(x * 4.0), domain="pos", grad=False),
    u("scaled_modified_bessel_k0", lambda L, x: L.special.scaled_modified_bessel_k0(x * 9.0), domain="pos",
      grad=False),
    u("scaled_modified_bessel_k1", lambda L, x: L.special.scaled_modified_bessel_k1(x * 9.0), domain="pos",
      grad=False),
    u("spherical_bessel_j0", lambda L, x: L.special.spherical_bessel_j0(x * 5.0), grad=False),
    u("airy_ai", lambda L, x: L.special.airy_ai(x * 4.0), grad=False),
    u("chebyshev_t", lambda L, x: L.special.chebyshev_polynomial_t(x, 3), domain="unit", grad=False),
    u("chebyshev_u", lambda L, x: L.special.chebyshev_polynomial_u(x, 10), domain="unit", grad=False),
    u("chebyshev_v", lambda L, x: L.special.chebyshev_polynomial_v(x, x * 0.0 + 4.0), domain="unit", grad=False),
    u("chebyshev_w", lambda L, x: L.special.chebyshev_polynomial_w(x, 12), domain="unit", grad=False),
    u("shifted_chebyshev", lambda L, x: L.special.shifted_chebyshev_polynomial_t((x + 1.0) / 2.0, 5)
      + L.special.shifted_chebyshev_polynomial_u((x + 1.0) / 2.0, 2)
      + L.special.shifted_chebyshev_polynomial_v((x + 1.0) / 2.0, 3)
      + L.special.shifted_chebyshev_polynomial_w((x + 1.0) / 2.0, 9), domain="unit", grad=False),
    u("hermite", lambda L, x: L.special.hermite_polynomial_h(x, 5) + L.special.hermite_polynomial_he(x, 4),
      grad=False),
    u("laguerre_legendre", lambda L, x: L.special.laguerre_polynomial_l(x, 6)
      + L.special.legendre_polynomial_p(x, 7), grad=False),
]

OP_NAMES = [op.name for op in OPS]
