"""``pitch_shift``: a waveform moved by ``n_steps`` steps of ``1 / bins_per_octave`` octave, its length kept
(torchaudio's recipe): stretch it in time by ``1 / rate``, ``rate = 2 ** (-n_steps / bins_per_octave)``, with
the phase vocoder (STFT ``n_fft=512``, hop ``n_fft // 4``, Hann window; ``round(length / rate)`` samples),
then resample from ``int(sample_rate / rate)`` to ``sample_rate`` Hz and cut or zero-pad to the original
length.

>>> import math, ember
>>> from ember.audio import functional as AF
>>> tone = ember.sin(2 * math.pi * 500 * ember.arange(8000.0) / 8000)[None]
>>> up = AF.pitch_shift(tone, 8000, 12)              # an octave up: 1 kHz
>>> spectrum = ember.fft.rfft(up[0, 2000:6000]).abs()
>>> int(spectrum.argmax()) * 8000 // 4000
1000
"""
import math

import ember

from ._phase_vocoder import phase_vocoder
from ._resample import resample

__all__ = ["pitch_shift"]


def pitch_shift(waveform, sample_rate, n_steps, bins_per_octave=12, n_fft=512, hop_length=None, win_length=None,
                window=None):
    """``waveform`` ``(..., time)`` shifted by ``n_steps`` (``bins_per_octave`` per octave)."""
    hop_length = hop_length if hop_length is not None else n_fft // 4
    win_length = win_length if win_length is not None else n_fft
    if window is None:
        window = ember.hann_window(win_length, dtype=waveform.dtype)
    shape = tuple(waveform.shape)
    flat = waveform.reshape(-1, shape[-1])
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    spec = ember.stft(flat, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=True,
                      pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    phase_advance = ember.linspace(0, math.pi * hop_length, spec.shape[-2], dtype=flat.dtype)[..., None]
    stretched = ember.istft(phase_vocoder(spec, rate, phase_advance), n_fft=n_fft, hop_length=hop_length,
                            win_length=win_length, window=window, length=int(round(shape[-1] / rate)))
    shifted = resample(stretched, int(sample_rate / rate), sample_rate)
    if shifted.shape[-1] > shape[-1]:
        shifted = shifted[..., :shape[-1]]
    else:
        shifted = ember.nn.functional.pad(shifted, (0, shape[-1] - shifted.shape[-1]))
    return shifted.reshape(shape)
