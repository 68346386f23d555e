"""``LFCC``, ``SpectralCentroid``, ``ComputeDeltas``, ``MuLawEncoding`` and ``MuLawDecoding``:
torchaudio.transforms' modules over ember.audio.functional.

- ``LFCC(sample_rate=16000, n_filter=128, n_lfcc=40)``: like :class:`MFCC` with a bank of triangular
  filters evenly spaced in Hz (:func:`~ember.audio.functional.linear_fbanks`) instead of mels:
  ``DCT-II(AmplitudeToDB(spec^T @ filters, top_db=80))`` (or of ``log(. + 1e-6)`` with ``log_lf=True``).
- ``SpectralCentroid(sample_rate, n_fft=400)``: per-frame centroid in Hz.
- ``ComputeDeltas(win_length=5, mode='replicate')``: :func:`~ember.audio.functional.compute_deltas`.
- ``MuLawEncoding(256)`` / ``MuLawDecoding(256)``: mu-law companding.

>>> import ember
>>> from ember.audio import transforms as T
>>> T.LFCC(n_filter=32, n_lfcc=13)(ember.randn(2, 4000)).shape
ember.Size([2, 13, 21])
"""
import ember
from ember import nn

from .. import functional as AF
from ._spectrogram import AmplitudeToDB, Spectrogram

__all__ = ["LFCC", "SpectralCentroid", "ComputeDeltas", "MuLawEncoding", "MuLawDecoding"]


class LFCC(nn.Module):
    """Linear-frequency cepstral coefficients of a waveform ``(..., time)``: ``(..., n_lfcc, frames)``."""

    def __init__(self, sample_rate=16000, n_filter=128, f_min=0.0, f_max=None, n_lfcc=40, dct_type=2,
                 norm="ortho", log_lf=False, speckwargs=None):
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"LFCC: only DCT type 2 is supported, got dct_type={dct_type}")
        if n_lfcc > n_filter:
            raise ValueError(f"LFCC: n_lfcc ({n_lfcc}) cannot be larger than n_filter ({n_filter})")
        self.sample_rate, self.f_min = sample_rate, f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.n_filter, self.n_lfcc, self.dct_type, self.norm, self.log_lf = n_filter, n_lfcc, dct_type, norm, log_lf
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.Spectrogram = Spectrogram(**(speckwargs or {}))
        self.register_buffer("filter_mat", AF.linear_fbanks(self.Spectrogram.n_fft // 2 + 1, self.f_min, self.f_max,
                                                            n_filter, sample_rate))
        self.register_buffer("dct_mat", AF.create_dct(n_lfcc, n_filter, norm))

    def forward(self, waveform):
        spec = self.Spectrogram(waveform)
        spec = ember.matmul(spec.transpose(-2, -1), self.filter_mat.to(spec.dtype)).transpose(-2, -1)
        spec = ember.log(spec + 1e-6) if self.log_lf else self.amplitude_to_DB(spec)
        return ember.matmul(spec.transpose(-2, -1), self.dct_mat.to(spec.dtype)).transpose(-2, -1)


class SpectralCentroid(nn.Module):
    """The spectral centroid (Hz) of each frame of a waveform ``(..., time)``: ``(..., frames)``."""

    def __init__(self, sample_rate, n_fft=400, win_length=None, hop_length=None, pad=0,
                 window_fn=ember.hann_window, wkwargs=None):
        super().__init__()
        self.sample_rate, self.n_fft, self.pad = sample_rate, n_fft, pad
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        window = window_fn(self.win_length) if wkwargs is None else window_fn(self.win_length, **wkwargs)
        self.register_buffer("window", window)

    def forward(self, waveform):
        return AF.spectral_centroid(waveform, self.sample_rate, self.pad, self.window, self.n_fft, self.hop_length,
                                    self.win_length)


class ComputeDeltas(nn.Module):
    """Delta coefficients of a spectrogram ``(..., freq, time)`` (the same shape)."""

    def __init__(self, win_length=5, mode="replicate"):
        super().__init__()
        self.win_length, self.mode = win_length, mode

    def forward(self, specgram):
        return AF.compute_deltas(specgram, win_length=self.win_length, mode=self.mode)


class MuLawEncoding(nn.Module):
    """Floats in [-1, 1] to mu-law codes ``0 .. quantization_channels - 1`` (int64)."""

    def __init__(self, quantization_channels=256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x):
        return AF.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(nn.Module):
    """Mu-law codes back to floats in [-1, 1]."""

    def __init__(self, quantization_channels=256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x_mu):
        return AF.mu_law_decoding(x_mu, self.quantization_channels)
