"""Window functions for spectral analysis (``ember.hann_window`` ...), as PyTorch defines them.

With ``N = window_length`` and ``M = N - 1`` (``M = N`` when ``periodic``, the default, which computes a
window of ``N + 1`` points and drops the last, so that it tiles for an STFT):

- Hann: ``0.5 - 0.5 cos(2 pi n / M)``
- Hamming: ``alpha - beta cos(2 pi n / M)`` (``alpha=0.54, beta=0.46``)
- Blackman: ``0.42 - 0.5 cos(2 pi n / M) + 0.08 cos(4 pi n / M)``
- Bartlett: ``1 - |2 n / M - 1|``
- Kaiser: ``I0(beta sqrt(1 - (2 n / M - 1)^2)) / I0(beta)`` (``beta=12``)

A window of length 1 is ``[1.]`` and of length 0 is empty.

>>> import ember
>>> ember.hann_window(4)
tensor([0.0000, 0.5000, 1.0000, 0.5000])
"""
import numpy as np

from ..backend import dtypes as _dt
from ..autograd.ops._util import out

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


def _window(name, window_length, periodic, dtype, requires_grad, formula):
    n = int(window_length)
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window length, got window_length={n}")
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if not d.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {d}")
    if n <= 1:
        w = np.ones(n, np.float64)
    else:
        m = n if periodic else n - 1
        w = formula(np.arange(n, dtype=np.float64), m)
    t = out(w.astype(d.numpy))
    if requires_grad:
        t.requires_grad = True
    return t


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype, requires_grad,
                   lambda k, m: 0.5 - 0.5 * np.cos(2 * np.pi * k / m))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None,
                   device=None, requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype, requires_grad,
                   lambda k, m: alpha - beta * np.cos(2 * np.pi * k / m))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, requires_grad,
                   lambda k, m: 0.42 - 0.5 * np.cos(2 * np.pi * k / m) + 0.08 * np.cos(4 * np.pi * k / m))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   lambda k, m: 1.0 - np.abs(2.0 * k / m - 1.0))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    return _window("kaiser_window", window_length, periodic, dtype, requires_grad,
                   lambda k, m: np.i0(beta * np.sqrt(np.clip(1.0 - (2.0 * k / m - 1.0) ** 2, 0.0, None)))
                   / np.i0(beta))
