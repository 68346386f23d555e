"""``convolve`` and ``fftconvolve``: full linear convolution along the last dimension, as torchaudio:

    (x * y)[n] = sum_m x[m] y[n - m],   n = 0 .. N + M - 2,

leading dimensions broadcast. ``mode='valid'`` keeps the ``max(N, M) - min(N, M) + 1`` central samples,
``'same'`` the ``N`` (``x``'s length) central ones. ``convolve`` is a grouped conv1d (best for short
kernels), ``fftconvolve`` a product of real FFTs (for long ones).

>>> import ember
>>> from ember.audio import functional as AF
>>> AF.convolve(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([0.0, 1.0, 0.5]))
tensor([0.0000, 1.0000, 2.5000, 4.0000, 1.5000])
>>> AF.fftconvolve(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([0.0, 1.0, 0.5]), mode="same")
tensor([1.0000, 2.5000, 4.0000])
"""
import ember

__all__ = ["convolve", "fftconvolve"]

_MODES = ("full", "valid", "same")


def _check(name, x, y, mode):
    if mode not in _MODES:
        raise ValueError(f"ember.audio.functional.{name}: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if x.ndim != y.ndim:
        raise ValueError(f"ember.audio.functional.{name}: x and y must have the same number of dimensions, got "
                         f"shapes {tuple(x.shape)} and {tuple(y.shape)}")
    for i, (a, b) in enumerate(zip(x.shape[:-1], y.shape[:-1])):
        if a != b and a != 1 and b != 1:
            raise ValueError(f"ember.audio.functional.{name}: leading dimensions of x {tuple(x.shape)} and y "
                             f"{tuple(y.shape)} do not broadcast (dimension {i})")


def _apply_mode(result, x_length, y_length, mode):
    if mode == "full":
        return result
    target = max(x_length, y_length) - min(x_length, y_length) + 1 if mode == "valid" else x_length
    start = (result.shape[-1] - target) // 2
    return result[..., start:start + target]


def convolve(x, y, mode="full"):
    """The convolution of ``x`` ``(..., N)`` with ``y`` ``(..., M)`` along the last dimension."""
    _check("convolve", x, y, mode)
    x_length, y_length = x.shape[-1], y.shape[-1]
    if x_length < y_length:
        x, y = y, x
    lead = tuple(max(a, b) for a, b in zip(x.shape[:-1], y.shape[:-1]))
    x = x.expand(lead + (x.shape[-1],))
    y = y.expand(lead + (y.shape[-1],))
    signals = 1
    for d in lead:
        signals *= d
    flat_x = x.reshape(1, signals, x.shape[-1])
    kernel = y.reshape(signals, 1, y.shape[-1]).flip(-1)
    out = ember.nn.functional.conv1d(flat_x, kernel, groups=signals, padding=y.shape[-1] - 1)
    return _apply_mode(out.reshape(lead + (-1,)), x_length, y_length, mode)


def fftconvolve(x, y, mode="full"):
    """:func:`convolve` by real FFTs of length ``N + M - 1``."""
    _check("fftconvolve", x, y, mode)
    n = x.shape[-1] + y.shape[-1] - 1
    result = ember.fft.irfft(ember.fft.rfft(x, n=n) * ember.fft.rfft(y, n=n), n=n)
    return _apply_mode(result, x.shape[-1], y.shape[-1], mode)
