"""Spectrograms and the decibel scale, with torchaudio.functional's signatures.

``spectrogram`` is ``|STFT(x)| ** power`` over the last dimension of a waveform ``(..., time)``:

    S[..., f, t] = | sum_k w[k] x[t hop + k] exp(-2 pi i f k / n_fft) | ** power

(``power=None`` keeps the complex STFT). ``normalized=True`` or ``'window'`` divides the STFT by
``sqrt(sum w^2)``, ``'frame_length'`` by ``sqrt(n_fft)``; ``pad`` zero-pads both ends first. It is
made of ember's differentiable ``stft``, so gradients reach the waveform and the window.

``amplitude_to_DB`` is ``multiplier * log10(max(x, amin)) - multiplier * db_multiplier``, then, with
``top_db``, floored at ``max - top_db``, the maximum taken per spectrogram over the last three
dimensions (``(channel, freq, time)``); ``DB_to_amplitude`` inverts it: ``ref * (10 ** (x / 10)) ** power``.

>>> import ember
>>> from ember.audio import functional as AF
>>> x = ember.sin(ember.arange(1600.0) * 0.3)[None]
>>> S = AF.spectrogram(x, 0, ember.hann_window(400), 400, 200, 400, 2.0, False)
>>> S.shape
ember.Size([1, 201, 9])
>>> int(S[0, :, 4].argmax())    # 0.3 rad/sample is bin 0.3 * 400 / (2 pi) = 19.1
19
"""
import ember

__all__ = ["spectrogram", "amplitude_to_DB", "DB_to_amplitude"]


def _spec_norms(normalized):
    if isinstance(normalized, str):
        if normalized not in ("frame_length", "window"):
            raise ValueError(f"ember.audio.functional.spectrogram: normalized must be a bool, 'window' or "
                             f"'frame_length', got {normalized!r}")
        return normalized == "frame_length", normalized == "window"
    if isinstance(normalized, bool):
        return False, normalized
    raise TypeError(f"ember.audio.functional.spectrogram: normalized must be a bool or str, got "
                    f"{type(normalized).__name__}")


def spectrogram(waveform, pad, window, n_fft, hop_length, win_length, power, normalized, center=True,
                pad_mode="reflect", onesided=True, return_complex=None):
    """The (power) spectrogram of ``waveform`` ``(..., time)``: ``(..., n_fft // 2 + 1, frames)``."""
    if pad > 0:
        waveform = ember.nn.functional.pad(waveform, (pad, pad), "constant")
    frame_length_norm, window_norm = _spec_norms(normalized)
    shape = tuple(waveform.shape)
    if not shape:
        raise ValueError("ember.audio.functional.spectrogram: expected a waveform of shape (..., time), got a scalar")
    flat = waveform.reshape(-1, shape[-1])
    spec = ember.stft(flat, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                      center=center, pad_mode=pad_mode, normalized=frame_length_norm, onesided=onesided,
                      return_complex=True)
    spec = spec.reshape(shape[:-1] + tuple(spec.shape[-2:]))
    if window_norm:
        spec = spec / window.pow(2.0).sum().sqrt()
    if power is None:
        return spec
    if power == 1.0:
        return spec.abs()
    return spec.abs().pow(power)


def amplitude_to_DB(x, multiplier, amin, db_multiplier, top_db=None):
    """``x`` (power or amplitude) in decibels; see the module docstring for the formula and ``top_db``."""
    x_db = ember.log10(ember.clamp(x, min=amin)) * multiplier
    x_db = x_db - multiplier * db_multiplier
    if top_db is not None:
        shape = tuple(x_db.shape)
        if len(shape) < 2:
            raise ValueError(f"ember.audio.functional.amplitude_to_DB: top_db needs a (..., freq, time) input, "
                             f"got shape {shape}")
        channels = shape[-3] if len(shape) > 2 else 1
        packed = x_db.reshape(-1, channels, shape[-2], shape[-1])
        floor = (packed.amax(dim=(-3, -2, -1)) - top_db).reshape(-1, 1, 1, 1)
        x_db = ember.maximum(packed, floor).reshape(shape)
    return x_db


def DB_to_amplitude(x, ref, power):
    """The inverse of :func:`amplitude_to_DB` (without its floor): ``ref * (10 ** (x / 10)) ** power``."""
    return ember.pow(ember.pow(10.0, x * 0.1), power) * ref
