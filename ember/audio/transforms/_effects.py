"""``Vol``, ``Fade``, ``Preemphasis``, ``Deemphasis``, ``AddNoise``, ``Convolve``, ``FFTConvolve`` and
``PitchShift``: torchaudio.transforms' effects (all but the first two are modules over the functions of the
same names).

- ``Vol(gain, gain_type='amplitude')``: ``x * gain`` (``'amplitude'``), ``gain(x, gain)`` dB (``'db'``) or
  ``gain(x, 10 log10(gain))`` (``'power'``), then clipped to [-1, 1].
- ``Fade(fade_in_len=0, fade_out_len=0, fade_shape='linear')``: ``x`` times a fade-in curve over its first
  ``fade_in_len`` samples and a fade-out curve over its last ``fade_out_len``; with ``r = linspace(0, 1, L)``
  the fade-in curves are ``linear`` r, ``exponential`` ``2 ** (5 (r - 1)) r``, ``logarithmic``
  ``log10(0.1 + r) + 1``, ``quarter_sine`` ``sin(pi r / 2)``, ``half_sine`` ``sin(pi r - pi / 2) / 2 + 1/2``;
  the fade-outs are ``1 - r``, ``2 ** (-5 r) (1 - r)``, ``log10(1.1 - r) + 1``, ``sin(pi r / 2 + pi / 2)``,
  ``sin(pi r + pi / 2) / 2 + 1/2``, each clipped to [0, 1].

>>> import ember
>>> from ember.audio import transforms as T
>>> T.Fade(fade_in_len=3, fade_out_len=2)(ember.ones(6))
tensor([0.0000, 0.5000, 1.0000, 1.0000, 1.0000, 0.0000])
>>> T.Vol(6.0206, "db")(ember.tensor([0.25, 0.75]))
tensor([0.5000, 1.0000])
"""
import math

import numpy as np

import ember
from ember import nn

from .. import functional as AF

__all__ = ["Vol", "Fade", "Preemphasis", "Deemphasis", "AddNoise", "Convolve", "FFTConvolve", "PitchShift"]

_SHAPES = ("linear", "exponential", "logarithmic", "quarter_sine", "half_sine")


class Vol(nn.Module):
    """Scale a waveform by ``gain`` (an amplitude ratio, a power ratio or decibels) and clip to [-1, 1]."""

    def __init__(self, gain, gain_type="amplitude"):
        super().__init__()
        if gain_type not in ("amplitude", "power", "db"):
            raise ValueError(f"Vol: gain_type must be 'amplitude', 'power' or 'db', got {gain_type!r}")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError(f"Vol: with gain_type={gain_type!r} the gain must be positive, got {gain}")
        self.gain, self.gain_type = gain, gain_type

    def forward(self, waveform):
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = AF.gain(waveform, self.gain)
        else:
            waveform = AF.gain(waveform, 10 * math.log10(self.gain))
        return ember.clamp(waveform, -1.0, 1.0)


def _fade_in(r, shape):
    if shape == "linear":
        return r
    if shape == "exponential":
        return np.power(2.0, (r - 1) * 5) * r
    if shape == "logarithmic":
        return np.log10(0.1 + r) + 1
    if shape == "quarter_sine":
        return np.sin(r * math.pi / 2)
    return np.sin(r * math.pi - math.pi / 2) / 2 + 0.5


def _fade_out(r, shape):
    if shape == "linear":
        return 1 - r
    if shape == "exponential":
        return np.power(2.0, -r * 5) * (1 - r)
    if shape == "logarithmic":
        return np.log10(1.1 - r) + 1
    if shape == "quarter_sine":
        return np.sin(r * math.pi / 2 + math.pi / 2)
    return np.sin(r * math.pi + math.pi / 2) / 2 + 0.5


class Fade(nn.Module):
    """Fade a waveform ``(..., time)`` in and out (see the module docstring for the curves)."""

    def __init__(self, fade_in_len=0, fade_out_len=0, fade_shape="linear"):
        super().__init__()
        if fade_shape not in _SHAPES:
            raise ValueError(f"Fade: fade_shape must be one of {', '.join(_SHAPES)}, got {fade_shape!r}")
        self.fade_in_len, self.fade_out_len, self.fade_shape = fade_in_len, fade_out_len, fade_shape

    def envelope(self, length, dtype=np.float32):
        """The ``(length,)`` gain curve the waveform is multiplied by."""
        if self.fade_in_len > length or self.fade_out_len > length:
            raise ValueError(f"Fade: fade_in_len={self.fade_in_len} and fade_out_len={self.fade_out_len} must "
                             f"not exceed the waveform's {length} samples")
        # linspace in the waveform's dtype, as torch.linspace, so float32 curves round alike
        r_in = np.linspace(0, 1, self.fade_in_len, dtype=dtype)
        r_out = np.linspace(0, 1, self.fade_out_len, dtype=dtype)
        fade_in = np.concatenate([_fade_in(r_in, self.fade_shape), np.ones(length - self.fade_in_len, dtype)])
        fade_out = np.concatenate([np.ones(length - self.fade_out_len, dtype), _fade_out(r_out, self.fade_shape)])
        return np.clip(fade_in, 0, 1).astype(dtype) * np.clip(fade_out, 0, 1).astype(dtype)

    def forward(self, waveform):
        curve = self.envelope(int(waveform.shape[-1]), waveform.detach().numpy().dtype)
        return waveform * ember.from_numpy(curve)

    def extra_repr(self):
        return f"fade_in_len={self.fade_in_len}, fade_out_len={self.fade_out_len}, fade_shape={self.fade_shape!r}"


class Preemphasis(nn.Module):
    """``y[n] = x[n] - coeff * x[n - 1]`` over the last dimension."""

    def __init__(self, coeff=0.97):
        super().__init__()
        self.coeff = coeff

    def forward(self, waveform):
        return AF.preemphasis(waveform, coeff=self.coeff)


class Deemphasis(nn.Module):
    """``y[n] = x[n] + coeff * y[n - 1]``, the inverse of :class:`Preemphasis` (clamped to [-1, 1])."""

    def __init__(self, coeff=0.97):
        super().__init__()
        self.coeff = coeff

    def forward(self, waveform):
        return AF.deemphasis(waveform, coeff=self.coeff)


class AddNoise(nn.Module):
    """``forward(waveform, noise, snr, lengths=None)``: :func:`ember.audio.functional.add_noise`."""

    def forward(self, waveform, noise, snr, lengths=None):
        return AF.add_noise(waveform, noise, snr, lengths)


class Convolve(nn.Module):
    """``forward(x, y)``: :func:`ember.audio.functional.convolve` with this ``mode``."""

    def __init__(self, mode="full"):
        super().__init__()
        if mode not in ("full", "valid", "same"):
            raise ValueError(f"Convolve: mode must be 'full', 'valid' or 'same', got {mode!r}")
        self.mode = mode

    def forward(self, x, y):
        return AF.convolve(x, y, mode=self.mode)


class FFTConvolve(Convolve):
    """``forward(x, y)``: :func:`ember.audio.functional.fftconvolve` with this ``mode``."""

    def forward(self, x, y):
        return AF.fftconvolve(x, y, mode=self.mode)


class PitchShift(nn.Module):
    """Shift a waveform ``(..., time)`` by ``n_steps`` (:func:`ember.audio.functional.pitch_shift`), the
    window ``window_fn(win_length)`` a buffer."""

    def __init__(self, sample_rate, n_steps, bins_per_octave=12, n_fft=512, win_length=None, hop_length=None,
                 window_fn=ember.hann_window, wkwargs=None):
        super().__init__()
        self.sample_rate, self.n_steps, self.bins_per_octave = sample_rate, n_steps, bins_per_octave
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 4
        window = window_fn(self.win_length) if wkwargs is None else window_fn(self.win_length, **wkwargs)
        self.register_buffer("window", window)

    def forward(self, waveform):
        return AF.pitch_shift(waveform, self.sample_rate, self.n_steps, self.bins_per_octave, self.n_fft,
                              self.hop_length, self.win_length, self.window.to(waveform.dtype))
