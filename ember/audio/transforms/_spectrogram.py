"""Spectrogram, MelScale, MelSpectrogram, AmplitudeToDB and MFCC: torchaudio.transforms' modules, with
their defaults, over ember.audio.functional.

- ``Spectrogram(n_fft=400)``: window ``window_fn(win_length)`` (Hann, a buffer), hop ``win_length // 2``,
  centred with reflect padding, power 2: ``(..., time) -> (..., n_fft // 2 + 1, frames)``.
- ``MelScale(n_mels=128, sample_rate=16000, n_stft=201)``: ``(..., freq, time) -> (..., n_mels, time)`` by
  the filter bank ``fb`` (a buffer; f_max defaults to ``sample_rate // 2``).
- ``MelSpectrogram``: the two in a row.
- ``AmplitudeToDB(stype='power', top_db=None)``: ``10 log10`` (``20 log10`` for ``'magnitude'``),
  clamped at ``amin=1e-10``, reference 1.
- ``MFCC(sample_rate=16000, n_mfcc=40)``: ``DCT-II(AmplitudeToDB(mel, top_db=80))`` (or of
  ``log(mel + 1e-6)`` with ``log_mels=True``), orthonormal by default.

>>> import ember
>>> from ember.audio import transforms as T
>>> wave = ember.randn(2, 16000)
>>> T.MelSpectrogram(n_mels=40)(wave).shape
ember.Size([2, 40, 81])
>>> T.MFCC(n_mfcc=13, melkwargs={"n_mels": 40})(wave).shape
ember.Size([2, 13, 81])
"""
import ember
from ember import nn

from .. import functional as AF

__all__ = ["Spectrogram", "MelScale", "MelSpectrogram", "AmplitudeToDB", "MFCC"]


class Spectrogram(nn.Module):
    """A (power) spectrogram of a waveform ``(..., time)``; the arguments are torchaudio's (see
    :func:`ember.audio.functional.spectrogram`)."""

    def __init__(self, n_fft=400, win_length=None, hop_length=None, pad=0, window_fn=ember.hann_window,
                 power=2.0, normalized=False, wkwargs=None, center=True, pad_mode="reflect", onesided=True,
                 return_complex=None):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        window = window_fn(self.win_length) if wkwargs is None else window_fn(self.win_length, **wkwargs)
        self.register_buffer("window", window)
        self.pad, self.power, self.normalized = pad, power, normalized
        self.center, self.pad_mode, self.onesided = center, pad_mode, onesided

    def forward(self, waveform):
        return AF.spectrogram(waveform, self.pad, self.window, self.n_fft, self.hop_length, self.win_length,
                              self.power, self.normalized, self.center, self.pad_mode, self.onesided)

    def extra_repr(self):
        return f"n_fft={self.n_fft}, win_length={self.win_length}, hop_length={self.hop_length}, power={self.power}"


class MelScale(nn.Module):
    """A spectrogram ``(..., n_stft, time)`` on the mel scale: ``(..., n_mels, time)``."""

    def __init__(self, n_mels=128, sample_rate=16000, f_min=0.0, f_max=None, n_stft=201, norm=None,
                 mel_scale="htk"):
        super().__init__()
        self.n_mels, self.sample_rate = n_mels, sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min, self.norm, self.mel_scale = f_min, norm, mel_scale
        if f_min > self.f_max:
            raise ValueError(f"MelScale: f_min ({f_min}) must be <= f_max ({self.f_max})")
        self.register_buffer("fb", AF.melscale_fbanks(n_stft, self.f_min, self.f_max, n_mels, sample_rate, norm,
                                                       mel_scale))

    def forward(self, specgram):
        if specgram.ndim < 2 or specgram.shape[-2] != self.fb.shape[0]:
            raise ValueError(f"MelScale (n_stft={self.fb.shape[0]}) expected a spectrogram (..., {self.fb.shape[0]}, "
                             f"time), got shape {tuple(specgram.shape)}")
        return ember.matmul(specgram.transpose(-1, -2), self.fb).transpose(-1, -2)

    def extra_repr(self):
        return f"n_mels={self.n_mels}, sample_rate={self.sample_rate}, f_min={self.f_min}, f_max={self.f_max}"


class MelSpectrogram(nn.Module):
    """The mel spectrogram of a waveform ``(..., time)``: :class:`Spectrogram` then :class:`MelScale`."""

    def __init__(self, sample_rate=16000, n_fft=400, win_length=None, hop_length=None, f_min=0.0, f_max=None,
                 pad=0, n_mels=128, window_fn=ember.hann_window, power=2.0, normalized=False, wkwargs=None,
                 center=True, pad_mode="reflect", onesided=None, norm=None, mel_scale="htk"):
        super().__init__()
        self.sample_rate, self.n_fft, self.n_mels = sample_rate, n_fft, n_mels
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.pad, self.power, self.normalized = pad, power, normalized
        self.f_max, self.f_min = f_max, f_min
        self.spectrogram = Spectrogram(n_fft=n_fft, win_length=self.win_length, hop_length=self.hop_length, pad=pad,
                                       window_fn=window_fn, power=power, normalized=normalized, wkwargs=wkwargs,
                                       center=center, pad_mode=pad_mode, onesided=True)
        self.mel_scale = MelScale(n_mels, sample_rate, f_min, f_max, n_fft // 2 + 1, norm, mel_scale)

    def forward(self, waveform):
        return self.mel_scale(self.spectrogram(waveform))


class AmplitudeToDB(nn.Module):
    """A power (``stype='power'``) or magnitude (``'magnitude'``) spectrogram in decibels."""

    def __init__(self, stype="power", top_db=None):
        super().__init__()
        if stype not in ("power", "magnitude"):
            raise ValueError(f"AmplitudeToDB: stype must be 'power' or 'magnitude', got {stype!r}")
        if top_db is not None and top_db < 0:
            raise ValueError(f"AmplitudeToDB: top_db must be positive, got {top_db}")
        self.stype, self.top_db = stype, top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin, self.ref_value = 1e-10, 1.0
        self.db_multiplier = 0.0  # log10(max(amin, ref_value))

    def forward(self, x):
        return AF.amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier, self.top_db)


class MFCC(nn.Module):
    """Mel-frequency cepstral coefficients of a waveform ``(..., time)``: ``(..., n_mfcc, frames)``."""

    def __init__(self, sample_rate=16000, n_mfcc=40, dct_type=2, norm="ortho", log_mels=False, melkwargs=None):
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"MFCC: only DCT type 2 is supported, got dct_type={dct_type}")
        self.sample_rate, self.n_mfcc, self.dct_type, self.norm, self.log_mels = (sample_rate, n_mfcc, dct_type,
                                                                                  norm, log_mels)
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.MelSpectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
        if n_mfcc > self.MelSpectrogram.n_mels:
            raise ValueError(f"MFCC: n_mfcc ({n_mfcc}) cannot be larger than n_mels "
                             f"({self.MelSpectrogram.n_mels})")
        self.register_buffer("dct_mat", AF.create_dct(n_mfcc, self.MelSpectrogram.n_mels, norm))

    def forward(self, waveform):
        mel = self.MelSpectrogram(waveform)
        mel = ember.log(mel + 1e-6) if self.log_mels else self.amplitude_to_DB(mel)
        return ember.matmul(mel.transpose(-1, -2), self.dct_mat).transpose(-1, -2)
