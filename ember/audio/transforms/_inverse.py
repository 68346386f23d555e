"""``GriffinLim``, ``InverseMelScale`` and ``TimeStretch``: torchaudio.transforms' way back from features to
audio, and the phase vocoder.

- ``GriffinLim(n_fft=400, n_iter=32, ...)``: :func:`ember.audio.functional.griffinlim` with a Hann window
  buffer, hop ``win_length // 2``, ``momentum=0.99``, random initial phases.
- ``InverseMelScale(n_stft, n_mels=128, ...)``: the linear spectrogram whose mel projection is closest to
  ``melspec``: the minimum-norm least-squares solution of ``fb^T X = melspec`` (``fb`` the
  :class:`MelScale` filter bank), negative values set to 0, as torchaudio >= 2.1.
- ``TimeStretch(hop_length=None, n_freq=201, fixed_rate=None)``: :func:`~ember.audio.functional.phase_vocoder`
  of a complex spectrogram with ``phase_advance = linspace(0, pi * hop_length, n_freq)`` (a buffer), hop
  ``n_fft // 2`` for ``n_fft = 2 (n_freq - 1)`` by default; ``forward(spec, overriding_rate=None)``.

>>> import ember
>>> from ember.audio import transforms as T
>>> mel = T.MelScale(n_mels=16, sample_rate=8000, n_stft=33)(ember.rand(1, 33, 5))
>>> T.InverseMelScale(n_stft=33, n_mels=16, sample_rate=8000)(mel).shape
ember.Size([1, 33, 5])
"""
import math

import ember
from ember import nn

from .. import functional as AF

__all__ = ["GriffinLim", "InverseMelScale", "TimeStretch"]


class GriffinLim(nn.Module):
    """A waveform from a (power) spectrogram ``(..., n_fft // 2 + 1, frames)`` by fast Griffin-Lim."""

    def __init__(self, n_fft=400, n_iter=32, win_length=None, hop_length=None, window_fn=ember.hann_window,
                 power=2.0, wkwargs=None, momentum=0.99, length=None, rand_init=True):
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f"GriffinLim: momentum must be in [0, 1), got {momentum}")
        self.n_fft, self.n_iter = n_fft, n_iter
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        window = window_fn(self.win_length) if wkwargs is None else window_fn(self.win_length, **wkwargs)
        self.register_buffer("window", window)
        self.length, self.power, self.momentum, self.rand_init = length, power, momentum, rand_init

    def forward(self, specgram):
        return AF.griffinlim(specgram, self.window, self.n_fft, self.hop_length, self.win_length, self.power,
                             self.n_iter, self.momentum, self.length, self.rand_init)


class InverseMelScale(nn.Module):
    """A linear-frequency spectrogram ``(..., n_stft, time)`` from a mel one ``(..., n_mels, time)``."""

    def __init__(self, n_stft, n_mels=128, sample_rate=16000, f_min=0.0, f_max=None, norm=None, mel_scale="htk",
                 driver="gels"):
        super().__init__()
        if driver not in ("gels", "gelsy", "gelsd", "gelss"):
            raise ValueError(f"InverseMelScale: driver must be one of gels, gelsy, gelsd, gelss, got {driver!r}")
        self.n_mels, self.sample_rate = n_mels, sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min, self.driver = f_min, driver
        if f_min > self.f_max:
            raise ValueError(f"InverseMelScale: f_min ({f_min}) must be <= f_max ({self.f_max})")
        self.register_buffer("fb", AF.melscale_fbanks(n_stft, self.f_min, self.f_max, n_mels, sample_rate, norm,
                                                       mel_scale))

    def forward(self, melspec):
        shape = tuple(melspec.shape)
        if len(shape) < 2 or shape[-2] != self.n_mels:
            raise ValueError(f"InverseMelScale (n_mels={self.n_mels}) expected a mel spectrogram (..., "
                             f"{self.n_mels}, time), got shape {shape}")
        flat = melspec.reshape(-1, shape[-2], shape[-1])
        fb_t = self.fb.to(melspec.dtype).transpose(-1, -2)[None].expand(flat.shape[0], -1, -1)
        specgram = ember.relu(ember.linalg.lstsq(fb_t, flat, driver=self.driver).solution)
        return specgram.reshape(shape[:-2] + (self.fb.shape[0], shape[-1]))


class TimeStretch(nn.Module):
    """Speed a complex spectrogram ``(..., n_freq, frames)`` up by ``rate`` (``fixed_rate`` or the forward's
    ``overriding_rate``), keeping its pitch."""

    def __init__(self, hop_length=None, n_freq=201, fixed_rate=None):
        super().__init__()
        self.fixed_rate = fixed_rate
        n_fft = (n_freq - 1) * 2
        hop_length = hop_length if hop_length is not None else n_fft // 2
        self.register_buffer("phase_advance", ember.linspace(0, math.pi * hop_length, n_freq)[..., None])

    def forward(self, complex_specgrams, overriding_rate=None):
        rate = self.fixed_rate if overriding_rate is None else overriding_rate
        if rate is None:
            raise ValueError("TimeStretch: no rate; pass fixed_rate to the constructor or overriding_rate to forward")
        if not complex_specgrams.is_complex():
            raise ValueError(f"TimeStretch expects a complex spectrogram (power=None), got dtype "
                             f"{complex_specgrams.dtype}")
        if rate == 1.0:
            return complex_specgrams
        return AF.phase_vocoder(complex_specgrams, rate, self.phase_advance.to(complex_specgrams.real.dtype))
