"""Levels: ``gain`` scales a waveform by ``gain_db`` decibels, ``x * 10 ** (gain_db / 20)`` (no clipping);
``add_noise`` mixes noise in at a signal-to-noise ratio:

    y = x + 10 ** ((SNR_0 - snr) / 20) * noise,   SNR_0 = 10 log10(||x||^2 / ||noise||^2),

energies over the last dimension (the first ``lengths`` samples of each row when given).

>>> import ember
>>> from ember.audio import functional as AF
>>> AF.gain(ember.tensor([0.1, -0.2]), 20.0)
tensor([ 1., -2.])
"""
import ember

__all__ = ["gain", "add_noise"]


def gain(waveform, gain_db=1.0):
    """``waveform * 10 ** (gain_db / 20)``; ``gain_db=0`` returns ``waveform`` itself."""
    if gain_db == 0:
        return waveform
    return waveform * (10.0 ** (gain_db / 20.0))


def add_noise(waveform, noise, snr, lengths=None):
    """``waveform`` ``(..., L)`` plus ``noise`` ``(..., L)`` scaled to ``snr`` dB (``snr`` shaped ``(...)``)."""
    if not (waveform.ndim - 1 == noise.ndim - 1 == snr.ndim and (lengths is None or lengths.ndim == snr.ndim)):
        raise ValueError(f"ember.audio.functional.add_noise: expected waveform and noise (..., L) with snr (and "
                         f"lengths) (...), got shapes {tuple(waveform.shape)}, {tuple(noise.shape)}, "
                         f"{tuple(snr.shape)}" + ("" if lengths is None else f", {tuple(lengths.shape)}"))
    length = waveform.shape[-1]
    if noise.shape[-1] != length:
        raise ValueError(f"ember.audio.functional.add_noise: waveform has {length} samples but noise has "
                         f"{noise.shape[-1]}")
    signal, masked_noise = waveform, noise
    if lengths is not None:
        mask = (ember.arange(length).expand(tuple(waveform.shape)) < lengths.unsqueeze(-1)).to(waveform.dtype)
        signal, masked_noise = waveform * mask, noise * mask
    energy_signal = (signal * signal).sum(dim=-1)
    energy_noise = (masked_noise * masked_noise).sum(dim=-1)
    original_snr_db = 10 * (ember.log10(energy_signal) - ember.log10(energy_noise))
    scale = ember.pow(10.0, (original_snr_db - snr) / 20.0)
    return waveform + scale.unsqueeze(-1) * noise
