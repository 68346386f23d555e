"""``phase_vocoder``: a complex spectrogram sped up by ``rate`` without changing its pitch (torchaudio's).

Output frame ``t`` reads the input at ``s = t * rate`` (``t = 0 .. ceil(frames / rate) - 1``): its magnitude
interpolates the magnitudes of frames ``floor(s)`` and ``floor(s) + 1``, and its phase accumulates, from the
phase of frame 0, each step's phase difference ``angle(X[s + 1]) - angle(X[s])`` unwrapped around the
expected advance ``phase_advance[f]`` (``pi * hop * f / (n_freq - 1)`` for bin ``f``):

    phi_t = angle(X[0]) + sum_{u < t} (adv + wrap(angle(X[s_u + 1]) - angle(X[s_u]) - adv)).

The input is zero-padded by two frames at the end.

>>> import math, ember
>>> from ember.audio import functional as AF
>>> X = ember.stft(ember.randn(1, 800), 64, 16, window=ember.hann_window(64), return_complex=True)
>>> adv = ember.linspace(0, math.pi * 16, 33)[..., None]
>>> AF.phase_vocoder(X, 1.25, adv).shape
ember.Size([1, 33, 41])
"""
import math

import numpy as np

import ember

__all__ = ["phase_vocoder"]


def phase_vocoder(complex_specgrams, rate, phase_advance):
    """Stretch ``complex_specgrams`` ``(..., freq, frames)`` in time by ``1 / rate``."""
    if rate == 1.0:
        return complex_specgrams
    shape = tuple(complex_specgrams.shape)
    specs = complex_specgrams.reshape((-1,) + shape[-2:])
    real_dtype = specs.real.dtype
    steps = np.arange(0, shape[-1], rate, dtype=np.float64)
    alphas = ember.from_numpy(np.mod(steps, 1.0)).to(real_dtype)
    phase_0 = specs[..., :1].angle()
    padded = ember.cat([specs, ember.zeros(specs.shape[:-1] + (2,), dtype=specs.dtype)], dim=-1)
    index = ember.from_numpy(steps.astype(np.int64))
    spec_0 = padded.index_select(-1, index)
    spec_1 = padded.index_select(-1, index + 1)
    phase = spec_1.angle() - spec_0.angle() - phase_advance
    phase = phase - 2 * math.pi * ember.round(phase / (2 * math.pi))
    phase = phase + phase_advance
    phase = ember.cat([phase_0, phase[..., :-1]], dim=-1)
    mag = alphas * spec_1.abs() + (1 - alphas) * spec_0.abs()
    stretched = ember.polar(mag, ember.cumsum(phase, dim=-1))
    return stretched.reshape(shape[:-2] + tuple(stretched.shape[1:]))
