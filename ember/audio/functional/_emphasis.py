"""``preemphasis`` and ``deemphasis``: the first-order filters that tilt speech's spectrum up before
analysis (``y[n] = x[n] - coeff x[n-1]``) and back down (``y[n] = x[n] + coeff y[n-1]``, an ``lfilter``,
clamped to [-1, 1] as torchaudio). Each inverts the other.

>>> import ember
>>> from ember.audio import functional as AF
>>> x = ember.tensor([0.5, 0.25, -0.5, 0.1])
>>> AF.preemphasis(x, 0.5)
tensor([ 0.5000,  0.0000, -0.6250,  0.3500])
>>> bool(ember.allclose(AF.deemphasis(AF.preemphasis(x, 0.5), 0.5), x, atol=1e-6))
True
"""
import ember

from ._filtering import lfilter

__all__ = ["preemphasis", "deemphasis"]


def preemphasis(waveform, coeff=0.97):
    """``y[..., n] = x[..., n] - coeff * x[..., n - 1]`` (``y[..., 0] = x[..., 0]``)."""
    head = waveform[..., :1]
    return ember.cat([head, waveform[..., 1:] - coeff * waveform[..., :-1]], dim=-1)


def deemphasis(waveform, coeff=0.97):
    """The inverse of :func:`preemphasis`: ``y[n] = x[n] + coeff * y[n - 1]``, clamped to [-1, 1]."""
    a = ember.tensor([1.0, -coeff], dtype=waveform.dtype)
    b = ember.tensor([1.0, 0.0], dtype=waveform.dtype)
    return lfilter(waveform, a, b)
