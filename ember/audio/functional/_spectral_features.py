"""``spectral_centroid``: the magnitude-weighted mean frequency of each frame,

    centroid[t] = sum_f freq[f] |S[f, t]| / sum_f |S[f, t]|,   freq = linspace(0, sample_rate // 2, n_fft // 2 + 1),

``S`` the STFT of :func:`ember.audio.functional.spectrogram` (power 1). A silent frame gives 0/0 = nan,
as torchaudio.

>>> import math, ember
>>> from ember.audio import functional as AF
>>> x = ember.sin(2 * math.pi * 1000 * ember.arange(8000.0) / 8000)[None]
>>> c = AF.spectral_centroid(x, 8000, 0, ember.hann_window(256), 256, 128, 256)
>>> c.shape, bool((c[0, 5] - 1000).abs() < 30)
(ember.Size([1, 63]), True)
"""
import ember

from ._spectral import spectrogram

__all__ = ["spectral_centroid"]


def spectral_centroid(waveform, sample_rate, pad, window, n_fft, hop_length, win_length):
    """The spectral centroid (Hz) of ``waveform`` ``(..., time)``: ``(..., frames)``."""
    specgram = spectrogram(waveform, pad=pad, window=window, n_fft=n_fft, hop_length=hop_length,
                           win_length=win_length, power=1.0, normalized=False)
    freqs = ember.linspace(0, sample_rate // 2, n_fft // 2 + 1, dtype=specgram.dtype).reshape(-1, 1)
    return (freqs * specgram).sum(dim=-2) / specgram.sum(dim=-2)
