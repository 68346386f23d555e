"""NumPy kernels of Bessel functions, the Airy function and the classical orthogonal polynomials,
in float64, vectorised.

- ``i0``, ``i1`` (and the scaled ``i0e``, ``i1e``): their positive-term power series up to |x| = 20,
  the asymptotic expansion beyond (its smallest term there is about e^-40).
- ``k0``, ``k1`` (and scaled): the log series up to x = 2; above, the trapezoidal rule on
  ``K_v(x) e^x = int_0^inf exp(-x (cosh t - 1)) cosh(v t) dt`` (an even, analytic integrand, so the rule
  converges geometrically) up to 20, then the asymptotic expansion.
- ``j0``, ``j1``, ``y0``, ``y1``: power series below 5; above, the Hankel function
  ``H_v(x) = sqrt(2 / (pi x)) e^(i(x - v pi/2 - pi/4)) / Gamma(v + 1/2) int_0^inf e^-u u^(v-1/2) (1 + iu/2x)^(v-1/2) du``
  with u = s^2, by Gauss-Hermite quadrature (J = Re H, Y = Im H).
- ``airy_ai``: Maclaurin series for -7 <= x <= 3, K_(1/3) above, the oscillatory expansion below.

>>> import numpy as np
>>> from ember.backend.special_bessel import j0
>>> round(float(j0(np.array(2.404825557695773))), 12)  # the first zero of J0
0.0
"""
import math

import numpy as np

from .special_gamma import lgamma

_EULER = 0.57721566490153286061


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def _series_i(x, v, sign=1.0):
    """sum_k sign^k (x/2)^(2k+v) / (k! (k+v)!) for integer v in {0, 1}."""
    h = x / 2.0
    q = sign * h * h
    term = np.ones_like(x) if v == 0 else h.copy()
    s = term.copy()
    for k in range(1, 200):
        term = term * q / (k * (k + v))
        s = s + term
        if np.all(np.abs(term) <= 1e-17 * np.abs(s)):
            break
    return s


def _asym_ie(x, v):
    """I_v(x) e^-x ~ (2 pi x)^-1/2 sum_k (-1)^k a_k(v) x^-k, for x >= 20."""
    mu = 4.0 * v * v
    term = np.ones_like(x)
    s = term.copy()
    for k in range(1, 40):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        s = s + term
    return s / np.sqrt(2 * np.pi * x)


def _asym_ke(x, v):
    """K_v(x) e^x ~ sqrt(pi / 2x) sum_k a_k(v) x^-k, for x >= 20."""
    mu = 4.0 * v * v
    term = np.ones_like(x)
    s = term.copy()
    for k in range(1, 40):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        s = s + term
    return s * np.sqrt(np.pi / (2 * x))


_IBIG = 20.0


def _ie(x, v, scaled):
    x = _f64(x)
    a = np.abs(x)
    with np.errstate(all="ignore"):
        small = a <= _IBIG
        xs = np.where(small, a, 0.0)
        rs = _series_i(xs, v)
        if scaled:
            rs = rs * np.exp(-xs)
        xb = np.where(small, _IBIG + 1, a)
        rb = _asym_ie(np.minimum(xb, 1e300), v)
        if not scaled:
            rb = rb * np.exp(xb)
        r = np.where(small, rs, rb)
        r = np.where(np.isposinf(a), 0.0 if scaled else np.nan, r)  # PyTorch's i0(inf) is nan
        if v == 1:
            r = np.where(x < 0, -r, r)
    return np.where(np.isnan(x), np.nan, r)


def i0(x):
    return _ie(x, 0, False)


def i0e(x):
    return _ie(x, 0, True)


def i1(x):
    return _ie(x, 1, False)


def i1e(x):
    return _ie(x, 1, True)


def _k_series(x, v):
    """K_0, K_1 for 0 < x <= 2 from DLMF 10.31.1 (with psi(k+1) = -gamma + H_k)."""
    h = x / 2.0
    q = h * h
    lg = np.log(h)
    if v == 0:
        term = np.ones_like(x)
        s = -_EULER * term
        hk = 0.0
        for k in range(1, 40):
            hk += 1.0 / k
            term = term * q / (k * k)
            s = s + (hk - _EULER) * term
        return -lg * _series_i(x, 0) + s
    term = np.ones_like(x)
    psi_sum = 1.0 - 2 * _EULER  # psi(1) + psi(2)
    s = psi_sum * term
    hk = 0.0
    for k in range(1, 40):
        hk += 1.0 / k
        term = term * q / (k * (k + 1))
        psi_sum = 2 * (hk - _EULER) + 1.0 / (k + 1)
        s = s + psi_sum * term
    return 1.0 / x + lg * _series_i(x, 1) - 0.5 * h * s


def _k_trapezoid_e(x, v):
    """K_v(x) e^x for 1.5 <= x <= 20 by the trapezoidal rule (step 0.15 on t in [0, 6])."""
    t = np.arange(0.0, 6.0, 0.15)
    w = np.full(t.shape, 0.15)
    w[0] = 0.075
    xb = x[..., None]
    f = np.exp(-xb * (np.cosh(t) - 1.0)) * np.cosh(v * t)
    return f @ w


def _ke(x, v, scaled):
    """K_v(x) e^x (scaled) or K_v(x); v may be any real order for x > 2."""
    x = _f64(x)
    with np.errstate(all="ignore"):
        mid = (x > 2.0) & (x <= 20.0)
        big = x > 20.0
        small = (x > 0) & (x <= 2.0)
        if v not in (0, 1):  # the log series is for integer orders; the rule still converges at x ~ 3
            mid, small = mid | small, small & False
        r = np.full(x.shape, np.nan)
        if small.any():
            xs = x[small]
            ks = _k_series(xs, v)
            r[small] = ks * np.exp(xs) if scaled else ks
        if mid.any():
            xm = x[mid]
            km = _k_trapezoid_e(xm, v)
            r[mid] = km if scaled else km * np.exp(-xm)
        if big.any():
            xb = np.minimum(x[big], 1e300)
            kb = _asym_ke(xb, v)
            r[big] = kb if scaled else kb * np.exp(-xb)
        r = np.where(x == 0, np.inf, r)
        r = np.where(np.isposinf(x), 0.0, r)
    return r


def k0(x):
    return _ke(x, 0, False)


def k0e(x):
    return _ke(x, 0, True)


def k1(x):
    return _ke(x, 1, False)


def k1e(x):
    return _ke(x, 1, True)


_JBIG = 5.0
_GH = None


def _hankel(x, v):
    """``(Re, Im)`` of H_v^(1)(x) for x >= 5 and v in {0, 1}: the s-integral by 40-point Gauss-Hermite
    (the integrand's branch points lie sqrt(x) away from the real line), in real arithmetic."""
    global _GH
    if _GH is None:
        nodes, weights = np.polynomial.hermite.hermgauss(40)
        keep = nodes > 0  # the integrand is even: half the nodes, twice the weight
        _GH = (nodes[keep] ** 2, 2.0 * weights[keep])
    s2, w = _GH
    y = s2[None, :] / (2.0 * x[:, None])
    r = np.sqrt(1.0 + y * y)
    c, sn = np.sqrt((1.0 + 1.0 / r) / 2.0), np.sqrt((1.0 - 1.0 / r) / 2.0)  # cos, sin of atan(y) / 2
    if v == 0:
        m = 1.0 / np.sqrt(r)
        re, im = (m * c) @ w, -(m * sn) @ w
        norm = 1.0 / math.sqrt(math.pi)
    else:
        m = np.sqrt(r) * s2[None, :]
        re, im = (m * c) @ w, (m * sn) @ w
        norm = 2.0 / math.sqrt(math.pi)
    phase = x - v * np.pi / 2 - np.pi / 4
    amp = np.sqrt(2.0 / (np.pi * x)) * norm
    cp, sp = np.cos(phase), np.sin(phase)
    return amp * (cp * re - sp * im), amp * (sp * re + cp * im)


def _jy(x, v, kind):
    x = _f64(x)
    a = np.abs(x)
    r = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        small = a < _JBIG
        big = (a >= _JBIG) & np.isfinite(a)
        if small.any():
            xs = a[small]
            js = _series_i(xs, v, sign=-1.0)
            if kind == "j":
                r[small] = js
            else:
                r[small] = _y_series(xs, v, js)
        if big.any():
            hre, him = _hankel(a[big], v)
            r[big] = hre if kind == "j" else him
        if kind == "j":
            if v == 1:
                r = np.where(x < 0, -r, r)
        else:
            r = np.where(x < 0, np.nan, r)
            r = np.where(x == 0, -np.inf, r)
    return np.where(np.isnan(x), np.nan, r)


def _y_series(x, v, jv):
    h = x / 2.0
    q = -h * h
    lg = np.log(h)
    term = np.ones_like(x)
    if v == 0:
        s = np.zeros_like(x)
        hk = 0.0
        for k in range(1, 40):
            hk += 1.0 / k
            term = term * q / (k * k)
            s = s - hk * term
        return (2 / np.pi) * ((lg + _EULER) * jv + s)
    psi_sum = 1.0 - 2 * _EULER
    s = psi_sum * term
    hk = 0.0
    for k in range(1, 40):
        hk += 1.0 / k
        term = term * q / (k * (k + 1))
        psi_sum = 2 * (hk - _EULER) + 1.0 / (k + 1)
        s = s + psi_sum * term
    return -2.0 / (np.pi * x) + (2 / np.pi) * lg * jv - h * s / np.pi


def j0(x):
    return _jy(x, 0, "j")


def j1(x):
    return _jy(x, 1, "j")


def y0(x):
    return _jy(x, 0, "y")


def y1(x):
    return _jy(x, 1, "y")


_AI_C1 = 0.355028053887817239260
_AI_C2 = 0.258819403792806798405


def _airy_series(x):
    x3 = x * x * x
    f = np.ones_like(x)
    g = x.copy()
    tf, tg = f.copy(), g.copy()
    for k in range(0, 200):
        tf = tf * x3 / ((3 * k + 2) * (3 * k + 3))
        tg = tg * x3 / ((3 * k + 3) * (3 * k + 4))
        f, g = f + tf, g + tg
        if np.all(np.abs(tf) + np.abs(tg) <= 1e-17 * (np.abs(f) + np.abs(g))):
            break
    return _AI_C1 * f - _AI_C2 * g


def _airy_neg_asym(z):
    """Ai(-z) for z >= 7 (DLMF 9.7.9), with u_k = Gamma(3k + 1/2) / (54^k k! Gamma(k + 1/2))."""
    zeta = 2.0 / 3.0 * z ** 1.5
    p = np.zeros_like(z)
    q = np.zeros_like(z)
    for k in range(0, 30):
        uk = math.exp(lgamma(np.array(3 * k + 0.5)) - k * math.log(54.0) - math.lgamma(k + 1)
                      - lgamma(np.array(k + 0.5)))
        term = uk * zeta ** (-k)
        sgn = (-1) ** (k // 2)
        if k % 2 == 0:
            p = p + sgn * term
        else:
            q = q + sgn * term
    ph = zeta - np.pi / 4
    return (np.cos(ph) * p + np.sin(ph) * q) / (math.sqrt(math.pi) * z ** 0.25)


def airy_ai(x):
    """The Airy function Ai(x), the solution of y'' = x y that decays as x -> +inf."""
    x = _f64(x)
    r = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        ser = (x >= -7.0) & (x <= 3.0)
        pos = x > 3.0
        neg = x < -7.0
        if ser.any():
            r[ser] = _airy_series(x[ser])
        if pos.any():
            xp = np.minimum(x[pos], 1e200)
            zeta = 2.0 / 3.0 * xp ** 1.5
            r[pos] = np.sqrt(xp / 3.0) / np.pi * _ke(zeta, 1.0 / 3.0, False)
        if neg.any():
            r[neg] = _airy_neg_asym(-x[neg])
        r = np.where(np.isinf(x), np.nan, r)  # PyTorch's convention at both infinities
    return r


def spherical_j0(x):
    """sin(x) / x, with its Taylor series near 0."""
    x = _f64(x)
    with np.errstate(all="ignore"):
        x2 = x * x
        near = np.abs(x) < 0.5
        ser = 1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0 * (1.0 - x2 / 72.0 * (1.0 - x2 / 110.0
                                                                                          * (1.0 - x2 / 156.0)))))
        r = np.where(near, ser, np.sin(x) / x)
        return np.where(np.isinf(x), 0.0, r)
