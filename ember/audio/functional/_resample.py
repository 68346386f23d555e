"""Band-limited resampling by windowed-sinc interpolation (torchaudio's ``resample``).

With ``g = gcd(orig_freq, new_freq)``, ``o = orig_freq / g`` input samples give ``n = new_freq / g``
output samples. Output sample ``j`` of each block sits at input position ``j o / n`` and is

    y = sum_i x[i] * (b / o) * sinc(b (i/o - j/n)) * w(b (i/o - j/n)),   b = rolloff * min(o, n)

(``sinc(t) = sin(pi t) / (pi t)``), over the ``|b (i/o - j/n)| <= lowpass_filter_width`` zero crossings
around it: a low-pass at ``rolloff`` times the lower Nyquist frequency, so that no alias is made. The
window ``w(t)`` is ``cos(pi t / (2 width)) ** 2`` (``'sinc_interp_hann'``) or the Kaiser window
``I0(beta sqrt(1 - (t / width)^2)) / I0(beta)`` (``'sinc_interp_kaiser'``, ``beta=14.769656459379492``).
The ``n`` kernels run as one strided ``conv1d`` (so the result is differentiable), and the output has
``ceil(new_freq * length / orig_freq)`` samples.

>>> import ember
>>> from ember.audio import functional as AF
>>> x = ember.sin(ember.arange(441.0) * 2 * 3.14159265 * 440 / 44100)[None]
>>> AF.resample(x, 44100, 16000).shape
ember.Size([1, 160])
"""
import math

import numpy as np

__all__ = ["resample"]

_METHODS = ("sinc_interp_hann", "sinc_interp_kaiser")


def _sinc_resample_kernel(orig_freq, new_freq, gcd, lowpass_filter_width, rolloff, resampling_method, beta):
    """The ``(new, 1, 2 width + orig)`` kernels (float64) and ``width``, in units of the reduced rates."""
    if resampling_method not in _METHODS:
        raise ValueError(f"ember.audio.functional.resample: resampling_method must be one of {_METHODS}, got "
                         f"{resampling_method!r}")
    if lowpass_filter_width <= 0:
        raise ValueError(f"ember.audio.functional.resample: lowpass_filter_width must be > 0, got "
                         f"{lowpass_filter_width}")
    orig, new = int(orig_freq) // gcd, int(new_freq) // gcd
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base)
    idx = np.arange(-width, width + orig, dtype=np.float64)[None, None] / orig
    t = (np.arange(0, -new, -1, dtype=np.float64)[:, None, None] / new + idx) * base
    t = np.clip(t, -lowpass_filter_width, lowpass_filter_width)
    if resampling_method == "sinc_interp_hann":
        window = np.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta = 14.769656459379492 if beta is None else float(beta)
        window = np.i0(beta * np.sqrt(1 - (t / lowpass_filter_width) ** 2)) / np.i0(beta)
    t = t * math.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        kernels = np.where(t == 0, 1.0, np.sin(t) / t)
    return kernels * window * (base / orig), width


def resample(waveform, orig_freq, new_freq, lowpass_filter_width=6, rolloff=0.99,
             resampling_method="sinc_interp_hann", beta=None):
    """``waveform`` ``(..., time)`` at ``orig_freq`` Hz resampled to ``new_freq`` Hz (integers)."""
    if int(orig_freq) != orig_freq or int(new_freq) != new_freq or orig_freq <= 0 or new_freq <= 0:
        raise ValueError(f"ember.audio.functional.resample: orig_freq and new_freq must be positive integers, "
                         f"got {orig_freq} and {new_freq}")
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(int(orig_freq), int(new_freq))
    kernel, width = _sinc_resample_kernel(orig_freq, new_freq, gcd, lowpass_filter_width, rolloff,
                                          resampling_method, beta)
    return _apply_kernel(waveform, int(orig_freq) // gcd, int(new_freq) // gcd, kernel, width)


def _apply_kernel(waveform, orig, new, kernel, width):
    import ember
    F = ember.nn.functional
    shape = tuple(waveform.shape)
    flat = waveform.reshape(-1, shape[-1])
    length = shape[-1]
    if not waveform.dtype.is_floating_point:
        raise TypeError(f"ember.audio.functional.resample: expected a floating point waveform, got {waveform.dtype}")
    k = ember.from_numpy(kernel.astype(waveform.dtype.numpy))
    padded = F.pad(flat, (width, width + orig))
    out = F.conv1d(padded[:, None], k, stride=orig)         # (batch, new, blocks)
    out = out.transpose(1, 2).reshape(flat.shape[0], -1)
    target = math.ceil(new * length / orig)
    out = out[..., :target]
    return out.reshape(shape[:-1] + (out.shape[-1],))
