r"""Window functions, as ``torch.signal.windows`` (SciPy's definitions).

For a window of length ``M`` and ``n = 0 .. M-1`` (``sym=False`` computes ``M + 1`` points and drops
the last, the periodic form spectral analysis wants):

* ``general_cosine(M, a)``: :math:`w_n = \sum_k (-1)^k a_k \cos(2\pi k n / (M - 1))`; ``hann`` is
  ``a = (0.5, 0.5)``, ``hamming`` ``(0.54, 0.46)`` (``general_hamming(alpha)`` is ``(alpha, 1 - alpha)``),
  ``blackman`` ``(0.42, 0.5, 0.08)`` and ``nuttall`` ``(0.3635819, 0.4891775, 0.1365995, 0.0106411)``;
* ``bartlett``: :math:`1 - |2n / (M - 1) - 1|`; ``cosine``: :math:`\sin(\pi (n + 1/2) / M)`;
* ``exponential``: :math:`e^{-|n - c| / \tau}` with ``c = (M - 1) / 2`` unless given;
* ``gaussian``: :math:`e^{-((n - (M - 1)/2) / \sigma)^2 / 2}`;
* ``kaiser``: :math:`I_0(\beta \sqrt{1 - (2n / (M - 1) - 1)^2}) / I_0(\beta)`.

>>> import ember
>>> ember.signal.windows.hann(5)
tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
"""
import math

import numpy as np

from ..backend import dtypes as _dt
from ..autograd.tensor import make

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _window(name, M, sym, dtype, requires_grad, points):
    """Check the arguments, evaluate ``points(n, length)`` in float64 and return it as ``dtype``."""
    dtype = _dt.get_default_dtype() if dtype is None else dtype
    if dtype not in (_dt.float32, _dt.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if M <= 1:
        w = np.ones(M)
    else:
        length = M if sym else M + 1
        w = points(np.arange(length, dtype=np.float64), length)[:M]
    t = make(np.ascontiguousarray(w, dtype=dtype.numpy))
    if requires_grad:
        t.requires_grad_()
    return t


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """A weighted sum of cosines with coefficients ``a`` (alternating signs)."""
    coeffs = [float(c) for c in a]

    def points(n, length):
        x = 2 * math.pi * n / (length - 1)
        return sum((-1) ** k * c * np.cos(k * x) for k, c in enumerate(coeffs))
    return _window("general_cosine", M, sym, dtype, requires_grad, points)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The generalised Hamming window: ``general_cosine`` with ``(alpha, 1 - alpha)``."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hann window: ``0.5 - 0.5 cos(2 pi n / (M - 1))``."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hamming window: ``0.54 - 0.46 cos(2 pi n / (M - 1))``."""
    return general_hamming(M, alpha=0.54, sym=sym, dtype=dtype, requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Blackman window: ``general_cosine`` with ``(0.42, 0.5, 0.08)``."""
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The minimum 4-term Blackman-Harris window of Nuttall."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype,
                          requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular window that reaches zero at both ends."""
    return _window("bartlett", M, sym, dtype, requires_grad,
                   lambda n, length: 1 - np.abs(2 * n / (length - 1) - 1))


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The sine window ``sin(pi (n + 1/2) / M)``."""
    return _window("cosine", M, sym, dtype, requires_grad, lambda n, length: np.sin(math.pi * (n + 0.5) / length))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Poisson window ``exp(-|n - center| / tau)``."""
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")

    def points(n, length):
        c = (length - 1) / 2 if center is None else center
        return np.exp(-np.abs(n - c) / tau)
    return _window("exponential", M, sym, dtype, requires_grad, points)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Gaussian window ``exp(-((n - (M - 1)/2) / std)^2 / 2)``."""
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _window("gaussian", M, sym, dtype, requires_grad,
                   lambda n, length: np.exp(-0.5 * ((n - (length - 1) / 2) / std) ** 2))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Kaiser window, a Bessel-function taper whose ``beta`` trades main-lobe width for side lobes."""
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    return _window("kaiser", M, sym, dtype, requires_grad,
                   lambda n, length: np.i0(beta * np.sqrt(np.clip(1 - (2 * n / (length - 1) - 1) ** 2, 0, None)))
                   / np.i0(beta))
