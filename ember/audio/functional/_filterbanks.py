"""Mel filter banks and the DCT matrix of MFCCs, as torchaudio.functional builds them.

Mel scales (``mel_scale``):

- ``'htk'``: ``m = 2595 log10(1 + f / 700)``.
- ``'slaney'`` (the Auditory Toolbox's): linear below 1 kHz, ``m = 3 f / 200``, and logarithmic above,
  ``m = 15 + 27 ln(f / 1000) / ln(6.4)``.

``melscale_fbanks`` puts ``n_mels + 2`` points evenly on the mel scale from ``f_min`` to ``f_max`` and makes
filter ``j`` the triangle rising from point ``j`` to 1 at point ``j + 1`` and falling to 0 at ``j + 2``,
sampled at the STFT bins ``linspace(0, sample_rate // 2, n_freqs)``. ``norm='slaney'`` scales each triangle
by ``2 / (f[j + 2] - f[j])`` (equal area). The result is ``(n_freqs, n_mels)``: ``mel = spec^T @ fb``.

``create_dct(n_mfcc, n_mels, norm)`` is the DCT-II as a ``(n_mels, n_mfcc)`` matrix,
``D[n, k] = cos(pi / N (n + 1/2) k)`` times 2 (``norm=None``) or, for ``'ortho'``, times
``sqrt(2 / N)`` with column 0 further divided by ``sqrt(2)``: ``mfcc = mel^T @ D``.

>>> from ember.audio import functional as AF
>>> fb = AF.melscale_fbanks(201, 0.0, 8000.0, 40, 16000)
>>> fb.shape, bool(fb.max() <= 1.0)
(ember.Size([201, 40]), True)
>>> AF.create_dct(13, 40, "ortho").shape
ember.Size([40, 13])
"""
import math
import warnings

import numpy as np

__all__ = ["melscale_fbanks", "linear_fbanks", "create_dct"]


def _check_scale(mel_scale):
    if mel_scale not in ("htk", "slaney"):
        raise ValueError(f"ember.audio.functional.melscale_fbanks: mel_scale must be 'htk' or 'slaney', "
                         f"got {mel_scale!r}")


def _hz_to_mel(freq, mel_scale="htk"):
    _check_scale(mel_scale)
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    if freq >= min_log_hz:
        return min_log_hz / f_sp + math.log(freq / min_log_hz) / (math.log(6.4) / 27.0)
    return freq / f_sp


def _mel_to_hz(mels, mel_scale="htk"):
    _check_scale(mel_scale)
    mels = np.asarray(mels, np.float64)
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels)


def _triangular(all_freqs, f_pts):
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk"):
    """The ``(n_freqs, n_mels)`` triangular mel filter bank (float32); see the module docstring."""
    import ember
    if norm not in (None, "slaney"):
        raise ValueError(f"ember.audio.functional.melscale_fbanks: norm must be None or 'slaney', got {norm!r}")
    if not 0.0 <= f_min < f_max:
        raise ValueError(f"ember.audio.functional.melscale_fbanks: expected 0 <= f_min < f_max, got "
                         f"f_min={f_min}, f_max={f_max}")
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    m_pts = np.linspace(_hz_to_mel(f_min, mel_scale), _hz_to_mel(f_max, mel_scale), n_mels + 2)
    f_pts = _mel_to_hz(m_pts, mel_scale)
    fb = _triangular(all_freqs, f_pts)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels]))[None, :]
    if (fb.max(axis=0) == 0.0).any():
        warnings.warn(f"At least one mel filterbank has all zero values: n_mels={n_mels} is too high for "
                      f"n_freqs={n_freqs}; fewer mels or a larger n_fft give every filter a bin")
    return ember.from_numpy(fb.astype(np.float32))


def linear_fbanks(n_freqs, f_min, f_max, n_filter, sample_rate):
    """The ``(n_freqs, n_filter)`` bank of triangular filters evenly spaced in Hz (float32): filter ``m``
    rises from ``f[m]`` to ``f[m + 1]`` and falls to ``f[m + 2]``, ``f = linspace(f_min, f_max, n_filter + 2)``,
    over the bins ``linspace(0, sample_rate // 2, n_freqs)``. :class:`LFCC` uses it."""
    import ember
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    f_pts = np.linspace(f_min, f_max, n_filter + 2)
    return ember.from_numpy(_triangular(all_freqs, f_pts).astype(np.float32))


def create_dct(n_mfcc, n_mels, norm):
    """The ``(n_mels, n_mfcc)`` DCT-II matrix (float32); ``norm`` is None or ``'ortho'``."""
    import ember
    if norm not in (None, "ortho"):
        raise ValueError(f"ember.audio.functional.create_dct: norm must be None or 'ortho', got {norm!r}")
    n = np.arange(float(n_mels))
    k = np.arange(float(n_mfcc))[:, None]
    dct = np.cos(math.pi / float(n_mels) * (n + 0.5) * k)
    if norm is None:
        dct *= 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct *= math.sqrt(2.0 / float(n_mels))
    return ember.from_numpy(np.ascontiguousarray(dct.T, np.float32))
