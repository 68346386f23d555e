"""``speed``: play a waveform ``factor`` times faster (pitch moves with it), torchaudio's way: resample it
from ``int(factor * orig_freq)`` to ``orig_freq`` Hz (both divided by their gcd), so it keeps its sample
rate and lasts ``1 / factor`` as long; ``lengths`` become ``ceil(lengths * target / source)``.

>>> import ember
>>> from ember.audio import functional as AF
>>> fast, lengths = AF.speed(ember.zeros(2, 1000), 16000, 1.25, ember.tensor([1000, 600]))
>>> fast.shape, lengths
(ember.Size([2, 800]), tensor([800, 480]))
"""
import math

import ember

from ._resample import resample

__all__ = ["speed"]


def speed(waveform, orig_freq, factor, lengths=None):
    """``(waveform sped up by factor, new lengths or None)``."""
    source, target = int(factor * orig_freq), int(orig_freq)
    if source <= 0:
        raise ValueError(f"ember.audio.functional.speed: factor * orig_freq must be >= 1, got {factor} * {orig_freq}")
    gcd = math.gcd(source, target)
    source, target = source // gcd, target // gcd
    out_lengths = None
    if lengths is not None:
        out_lengths = ember.ceil(lengths * target / source).to(lengths.dtype)
    return resample(waveform, source, target), out_lengths
