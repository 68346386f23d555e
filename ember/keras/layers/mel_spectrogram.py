"""``MelSpectrogram``: audio ``(batch, samples)`` (or one signal) to a mel-scale spectrogram
``(batch, num_mel_bins, frames)``.

``|stft(x)| ** mag_exp`` (centred frames of ``sequence_length``, hop ``sequence_stride``, ``window``,
``fft_length``) times the triangular mel filter bank between ``min_freq`` and ``max_freq``
(mel = ``1127 ln(1 + f / 700)``); with ``power_to_db``, ``10 log10(max(p, min_power) / ref_power)``
floored at ``top_db`` below the maximum.
"""
import numpy as np

from ...autograd.tensor import make
from .. import ops as kops
from .layer import Layer


def _hz_to_mel(f):
    return 1127.0 * np.log(1.0 + f / 700.0)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz, upper_edge_hertz):
    """``(num_spectrogram_bins, num_mel_bins)`` triangular filters (the DC bin gets no weight)."""
    f32 = np.float32
    freqs = np.linspace(f32(0), f32(sampling_rate) / f32(2), num_spectrogram_bins, dtype=f32)[1:]
    bins_mel = _hz_to_mel(freqs).astype(f32)[:, None]
    edges = np.linspace(_hz_to_mel(f32(lower_edge_hertz)), _hz_to_mel(f32(upper_edge_hertz)), num_mel_bins + 2,
                        dtype=f32)
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    weights = np.maximum(f32(0), np.minimum((bins_mel - lower) / (center - lower),
                                            (upper - bins_mel) / (upper - center)))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(f32)


class MelSpectrogram(Layer):
    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann", sampling_rate=16000,
                 num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0,
                 min_power=1e-10, ref_power=1.0, **kwargs):
        self.fft_length, self.sequence_stride = fft_length, sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(f"`fft_length` must be greater than or equal to  `sequence_length`. Received: "
                             f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}.")
        self.window, self.sampling_rate, self.num_mel_bins = window, sampling_rate, num_mel_bins
        self.min_freq, self.max_freq = min_freq, max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        super().__init__(**kwargs)

    def call(self, inputs):
        real, imag = kops.stft(inputs, sequence_length=self.sequence_length, sequence_stride=self.sequence_stride,
                               fft_length=self.fft_length, window=self.window, center=True)
        spec = kops.power(kops.sqrt(real * real + imag * imag), self.mag_exp)
        matrix = mel_weight_matrix(self.num_mel_bins, spec.shape[-1], self.sampling_rate, self.min_freq,
                                   self.max_freq)
        out = kops.tensordot(spec, make(matrix.astype(spec._data.dtype)), axes=1)
        if self.power_to_db:
            log_spec = 10.0 * kops.log10(kops.maximum(out, self.min_power))
            log_spec = log_spec - 10.0 * np.log10(max(abs(self.ref_power), self.min_power))
            out = kops.maximum(log_spec, kops.max(log_spec) - self.top_db)
        return kops.swapaxes(out, -1, -2)

    def compute_output_shape(self, input_shape):
        steps = input_shape[-1]
        frames = (steps + self.sequence_stride + 1) // self.sequence_stride if steps is not None else None
        return (self.num_mel_bins, frames) if len(input_shape) == 1 else (input_shape[0], self.num_mel_bins, frames)

    def get_config(self):
        config = super().get_config()
        config.update(fft_length=self.fft_length, sequence_stride=self.sequence_stride,
                      sequence_length=self.sequence_length, window=self.window, sampling_rate=self.sampling_rate,
                      num_mel_bins=self.num_mel_bins, min_freq=self.min_freq, max_freq=self.max_freq,
                      power_to_db=self.power_to_db, top_db=self.top_db, mag_exp=self.mag_exp,
                      min_power=self.min_power, ref_power=self.ref_power)
        return config
