"""``Resample``: torchaudio's module over :func:`ember.audio.functional.resample`, its kernels computed once.

>>> import ember
>>> from ember.audio import transforms as T
>>> T.Resample(22050, 16000)(ember.zeros(1, 22050)).shape
ember.Size([1, 16000])
"""
import math

import ember
from ember import nn

from ..functional._resample import _sinc_resample_kernel, _apply_kernel

__all__ = ["Resample"]


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
