"""``Resample``: torchaudio's module over :func:`ember.audio.functional.resample`, its kernels computed once;
``Speed`` and ``SpeedPerturbation`` (a random one of several speeds) built on it.

>>> import ember
>>> from ember.audio import transforms as T
>>> T.Resample(22050, 16000)(ember.zeros(1, 22050)).shape
ember.Size([1, 16000])
"""
import math

import ember
from ember import nn

from ..functional._resample import _sinc_resample_kernel, _apply_kernel

__all__ = ["Resample", "Speed", "SpeedPerturbation"]


class Resample(nn.Module):
    """Resample a waveform ``(..., time)`` from ``orig_freq`` to ``new_freq`` Hz (windowed sinc)."""

    def __init__(self, orig_freq=16000, new_freq=16000, resampling_method="sinc_interp_hann",
                 lowpass_filter_width=6, rolloff=0.99, beta=None, *, dtype=None):
        super().__init__()
        self.orig_freq, self.new_freq = orig_freq, new_freq
        self.gcd = math.gcd(int(orig_freq), int(new_freq))
        self.resampling_method, self.lowpass_filter_width, self.rolloff, self.beta = (
            resampling_method, lowpass_filter_width, rolloff, beta)
        if orig_freq != new_freq:
            kernel, self.width = _sinc_resample_kernel(orig_freq, new_freq, self.gcd, lowpass_filter_width, rolloff,
                                                       resampling_method, beta)
            d = ember.float32 if dtype is None else dtype
            self.register_buffer("kernel", ember.from_numpy(kernel).to(d), persistent=False)

    def forward(self, waveform):
        if self.orig_freq == self.new_freq:
            return waveform
        kernel = self.kernel.to(waveform.dtype).numpy()
        return _apply_kernel(waveform, int(self.orig_freq) // self.gcd, int(self.new_freq) // self.gcd, kernel,
                             self.width)


class Speed(nn.Module):
    """``forward(waveform, lengths=None)``: :func:`ember.audio.functional.speed` by ``factor``."""

    def __init__(self, orig_freq, factor):
        super().__init__()
        self.orig_freq, self.factor = orig_freq, factor
        source, target = int(factor * orig_freq), int(orig_freq)
        gcd = math.gcd(source, target)
        self.source_sample_rate, self.target_sample_rate = source // gcd, target // gcd
        self.resampler = Resample(orig_freq=self.source_sample_rate, new_freq=self.target_sample_rate)

    def forward(self, waveform, lengths=None):
        out_lengths = None
        if lengths is not None:
            out_lengths = ember.ceil(lengths * self.target_sample_rate / self.source_sample_rate).to(lengths.dtype)
        return self.resampler(waveform), out_lengths


class SpeedPerturbation(nn.Module):
    """Speed a waveform up by one of ``factors``, drawn uniformly (from ember's generator) on each call."""

    def __init__(self, orig_freq, factors):
        super().__init__()
        self.speeders = nn.ModuleList([Speed(orig_freq=orig_freq, factor=f) for f in factors])

    def forward(self, waveform, lengths=None):
        index = int(ember.randint(len(self.speeders), ()))
        return self.speeders[index](waveform, lengths)
