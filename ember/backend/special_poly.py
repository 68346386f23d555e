"""NumPy kernels of the classical orthogonal polynomials of degree ``n`` (an integer array that
broadcasts with ``x``), by their three-term recurrences, with PyTorch's conventions: degree < 0 gives 0,
and for high degrees inside (-1, 1) the Chebyshev kinds use their trigonometric closed forms.

>>> import numpy as np
>>> from ember.backend.special_poly import chebyshev_t
>>> chebyshev_t(np.array([0.5]), np.array([3]))  # 4x^3 - 3x
array([-1.])
"""
import numpy as np


def _recur(x, n, p0, p1, step):
    """Run ``p_{k+1} = step(k, p_{k-1}, p_k)`` up to the largest degree; pick each element's own degree."""
    x, n = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(n))
    n = n.astype(np.int64)
    res = np.where(n == 0, p0, p1).astype(np.float64)
    top = int(n.max()) if n.size else 0
    p, q = p0 * np.ones_like(x), p1 * np.ones_like(x) if np.ndim(p1) == 0 else p1
    for k in range(1, top):
        p, q = q, step(k, p, q)
        res = np.where(n == k + 1, q, res)
    return np.where(n < 0, 0.0, res), x, n


def _with_trig(x, n, res, cutoff, trig):
    with np.errstate(all="ignore"):
        use = (n > cutoff) & (np.abs(x) < 1)
        if use.any():
            res = np.where(use, trig(np.arccos(np.clip(x, -1, 1)), n), res)
    return res


def chebyshev_t(x, n):
    res, x, n = _recur(x, n, 1.0, np.asarray(x, np.float64), lambda k, p, q: 2 * x * q - p)
    res = _with_trig(x, n, res, 6, lambda th, n: np.cos(n * th))
    edge = (np.abs(x) == 1) & (n >= 0)
    return np.where(edge, np.where((x > 0) | (n % 2 == 0), 1.0, -1.0), res)


def chebyshev_u(x, n):
    res, x, n = _recur(x, n, 1.0, 2 * np.asarray(x, np.float64), lambda k, p, q: 2 * x * q - p)

    def trig(th, n):
        s = np.sin(th)
        return np.where(s != 0, np.sin((n + 1) * th) / s, (n + 1) * np.cos((n + 1) * th) / x)
    res = _with_trig(x, n, res, 8, trig)
    edge = (np.abs(x) == 1) & (n >= 0)
    return np.where(edge, np.where((x > 0) | (n % 2 == 0), n + 1.0, -(n + 1.0)), res)


def chebyshev_v(x, n):
    res, x, n = _recur(x, n, 1.0, 2 * np.asarray(x, np.float64) - 1, lambda k, p, q: 2 * x * q - p)

    def trig(th, n):
        c = np.cos(th / 2)
        return np.where(c != 0, np.cos((n + 0.5) * th) / c, np.where(n % 2 == 0, 2 * n + 1.0, -(2 * n + 1.0)))
    res = _with_trig(x, n, res, 8, trig)
    edge = (np.abs(x) == 1) & (n >= 0)
    return np.where(edge, np.where(x > 0, 1.0, np.where(n % 2 == 0, 2 * n + 1.0, -(2 * n + 1.0))), res)


def chebyshev_w(x, n):
    res, x, n = _recur(x, n, 1.0, 2 * np.asarray(x, np.float64) + 1, lambda k, p, q: 2 * x * q - p)

    def trig(th, n):
        s = np.sin(th / 2)
        return np.where(s != 0, np.sin((n + 0.5) * th) / s, 2 * n + 1.0)
    res = _with_trig(x, n, res, 8, trig)
    edge = (np.abs(x) == 1) & (n >= 0)
    return np.where(edge, np.where(x > 0, 2 * n + 1.0, np.where(n % 2 == 0, 1.0, -1.0)), res)


def hermite_h(x, n):
    x = np.asarray(x, np.float64)
    res, _, _ = _recur(x, n, 1.0, 2 * x, lambda k, p, q: 2 * x * q - 2 * k * p)
    return res


def hermite_he(x, n):
    x = np.asarray(x, np.float64)
    res, _, _ = _recur(x, n, 1.0, x, lambda k, p, q: x * q - k * p)
    return res


def laguerre_l(x, n):
    x = np.asarray(x, np.float64)
    res, x, n = _recur(x, n, 1.0, 1.0 - x, lambda k, p, q: ((2 * k + 1 - x) * q - k * p) / (k + 1))
    return np.where((x == 0) & (n >= 0), 1.0, res)


def legendre_p(x, n):
    x = np.asarray(x, np.float64)
    res, x, n = _recur(x, n, 1.0, x, lambda k, p, q: ((2 * k + 1) * x * q - k * p) / (k + 1))
    edge = (np.abs(x) == 1) & (n >= 0)
    return np.where(edge, np.where((x > 0) | (n % 2 == 0), 1.0, -1.0), res)


def shifted(fn):
    """The shifted polynomial ``P*(x) = P(2x - 1)`` on [0, 1]."""
    return lambda x, n: fn(2 * np.asarray(x, np.float64) - 1, n)
