"""IIR filtering as torchaudio.functional: ``lfilter`` and the RBJ-cookbook ``biquad`` filters.

``lfilter(x, a, b)`` runs the difference equation (coefficients normalised by ``a[0]``, zero initial
state)

    a0 y[n] = b0 x[n] + b1 x[n-1] + ... + bK x[n-K] - a1 y[n-1] - ... - aK y[n-K],

then, with ``clamp=True`` (the default), clips ``y`` to [-1, 1]. Gradients reach the waveform and both
coefficient vectors: with ``u`` the gradient run backwards in time through ``1 / A``,
``dL/dx[m] = sum_k b_k u[m+k]``, ``dL/db_k = sum_n u[n] x[n-k]``, ``dL/da_k = -sum_n u[n] y[n-k]``.

``filtfilt`` runs ``lfilter`` forwards, then backwards over the result (zero phase, squared magnitude),
clamping only at the end.

``biquad`` is ``lfilter`` with 3 + 3 coefficients; the ``*_biquad`` filters take them from the Audio EQ
Cookbook (R. Bristow-Johnson): ``w0 = 2 pi f_c / sr``, ``alpha = sin(w0) / (2 Q)``, and, except for the
equalizer, ``a = (1 + alpha, -2 cos w0, 1 - alpha)`` with

- low-pass ``b = ((1 - cos w0) / 2, 1 - cos w0, (1 - cos w0) / 2)``, high-pass
  ``b = ((1 + cos w0) / 2, -(1 + cos w0), (1 + cos w0) / 2)``;
- all-pass ``b = (1 - alpha, -2 cos w0, 1 + alpha)``; band-reject (notch) ``b = (1, -2 cos w0, 1)``;
- band-pass ``b = (alpha, 0, -alpha)`` (0 dB peak), or ``(sin(w0) / 2, 0, -sin(w0) / 2)`` with
  ``const_skirt_gain=True``;
- equalizer (peaking, ``gain`` dB, ``A = 10 ** (gain / 40)``): ``b = (1 + alpha A, -2 cos w0, 1 - alpha A)``,
  ``a = (1 + alpha / A, -2 cos w0, 1 - alpha / A)``;
- bass / treble (low / high shelf, ``gain`` dB below / above ``central_freq``): the cookbook's shelving
  sections with ``2 sqrt(A) alpha`` and ``(A -+ 1) cos w0`` terms.

Each is the bilinear transform (frequency prewarped to ``w0``) of an analog second-order section.

>>> import math, ember
>>> from ember.audio import functional as AF
>>> t = ember.arange(4000.0) / 8000
>>> hum, hiss = 0.5 * ember.sin(2 * math.pi * 100 * t), 0.5 * ember.sin(2 * math.pi * 3000 * t)
>>> round(float(AF.lowpass_biquad(hum, 8000, 500.0)[2000:].abs().max()), 2)
0.5
>>> bool(AF.lowpass_biquad(hiss, 8000, 500.0)[2000:].abs().max() < 0.02)
True
"""
import math

import numpy as np

import ember
from ember.autograd.function import Function

__all__ = ["lfilter", "filtfilt", "biquad", "lowpass_biquad", "highpass_biquad", "allpass_biquad", "bandpass_biquad",
           "bandreject_biquad", "equalizer_biquad", "bass_biquad", "treble_biquad"]


def _fir(x, b):
    """``sum_k b[:, k] x[..., n - k]`` over the last axis, x ``(N, F, T)``, b ``(F, K)``."""
    out = np.zeros_like(x)
    length = x.shape[-1]
    for k in range(b.shape[1]):
        if k < length:
            out[..., k:] += b[None, :, k, None] * x[..., :length - k]
    return out


_BLOCK = 128


def _allpole(v, a):
    """``y[n] = v[n] - sum_{k>=1} a[:, k] y[n - k]``, v ``(N, F, T)``, a ``(F, K)`` with a[:, 0] == 1.

    Exact, in blocks of ``L`` samples: inside a block the output is the zero-state response (``v``'s block
    times the ``L x L`` lower-triangular Toeplitz matrix of the impulse response, all blocks in one product)
    plus the zero-input response of the ``K - 1`` outputs before the block (``K - 1`` basis responses), so
    only the carry between blocks is sequential: T / L small products instead of T NumPy steps."""
    n_batch, filters, length = v.shape
    order = a.shape[1] - 1
    if order == 0 or length == 0:
        return np.array(v, copy=True)
    block = min(max(_BLOCK, order), length)
    # impulse responses h (F, L) and zero-input responses Z (F, L, order) by the recursion, once
    h = np.zeros((filters, block + order))
    z = np.zeros((filters, block + order, order))
    h[:, order] = 1.0
    for j in range(order):
        z[:, order - 1 - j, j] = 1.0  # basis j: y[-1 - j] = 1
    for n in range(order, block + order):
        for k in range(1, order + 1):
            h[:, n] -= a[:, k] * h[:, n - k]
            z[:, n] -= a[:, k, None] * z[:, n - k]
    h, z = h[:, order:], z[:, order:]
    idx = np.arange(block)
    lag = idx[:, None] - idx[None, :]
    toeplitz = np.where(lag >= 0, h[:, np.clip(lag, 0, None)], 0.0)  # (F, L, L): row n, column m
    n_blocks = -(-length // block)
    padded = np.zeros((n_batch, filters, n_blocks * block))
    padded[..., :length] = v
    blocks = padded.reshape(n_batch, filters, n_blocks, block)
    y = np.einsum("fnm,bfkm->bfkn", toeplitz, blocks)  # zero-state part of every block
    state = None                                       # (y[-1], y[-2], ...) before the block
    for k in range(n_blocks):
        if k:
            y[:, :, k] += np.einsum("fnj,bfj->bfn", z, state)
        state = y[:, :, k, ::-1][..., :order]  # a block holds at least `order` samples when there are several
    return y.reshape(n_batch, filters, -1)[..., :length]


def _lagged_dot(u, x, order):
    """``sum_{batch, n} u[..., n] x[..., n - k]`` for k = 0..order: ``(F, order + 1)``."""
    length = x.shape[-1]
    cols = [np.einsum("nft,nft->f", u[..., k:], x[..., :length - k]) if k < length else np.zeros(x.shape[1])
            for k in range(order + 1)]
    return np.stack(cols, axis=1)


class _LFilter(Function):
    """The normalised (``a[:, 0] == 1``) filter of ``(N, F, T)`` by ``(F, K)`` coefficients, unclamped."""

    @staticmethod
    def forward(ctx, x, a, b):
        xd, ad, bd = (t.detach().numpy().astype(np.float64) for t in (x, a, b))
        y = _allpole(_fir(xd, bd), ad)
        ctx.arrays = (xd, ad, bd, y)
        return ember.from_numpy(y.astype(x.detach().numpy().dtype))

    @staticmethod
    def backward(ctx, grad):
        xd, ad, bd, y = ctx.arrays
        g = grad.numpy().astype(np.float64)
        u = _allpole(g[..., ::-1], ad)[..., ::-1]  # A^-T g: the recursion run backwards in time
        grad_x = _fir(u[..., ::-1], bd)[..., ::-1]  # B^T u
        order = ad.shape[1] - 1
        dtype = grad.numpy().dtype
        grad_a = -_lagged_dot(u, y, order)
        grad_b = _lagged_dot(u, xd, bd.shape[1] - 1)
        return (ember.from_numpy(np.ascontiguousarray(grad_x).astype(dtype)),
                ember.from_numpy(grad_a.astype(dtype)), ember.from_numpy(grad_b.astype(dtype)))


def lfilter(waveform, a_coeffs, b_coeffs, clamp=True, batching=True):
    """IIR-filter ``waveform`` ``(..., time)`` by denominator ``a_coeffs`` and numerator ``b_coeffs``.

    Args:
        waveform (Tensor): ``(..., time)``; with 2-D coefficients and ``batching=True``,
            ``(..., num_filters, time)`` (filter ``i`` runs on channel ``i``).
        a_coeffs, b_coeffs (Tensor): ``(order + 1,)`` or ``(num_filters, order + 1)``, the same shape;
            ``a_coeffs[..., 0]`` must be non-zero.
        clamp (bool): clip the output to [-1, 1].
        batching (bool): with 2-D coefficients, False runs every filter on the whole waveform, giving
            ``(..., num_filters, time)``.

    Returns:
        Tensor: ``(..., time)`` for 1-D coefficients, else ``(..., num_filters, time)``.
    """
    if tuple(a_coeffs.shape) != tuple(b_coeffs.shape) or a_coeffs.ndim not in (1, 2):
        raise ValueError(f"ember.audio.functional.lfilter: a_coeffs and b_coeffs must have the same shape, "
                         f"(order + 1,) or (num_filters, order + 1); got {tuple(a_coeffs.shape)} and "
                         f"{tuple(b_coeffs.shape)}")
    shape = tuple(waveform.shape)
    if not shape:
        raise ValueError("ember.audio.functional.lfilter: expected a waveform (..., time), got a scalar")
    a2 = a_coeffs.reshape(1, -1) if a_coeffs.ndim == 1 else a_coeffs
    b2 = b_coeffs.reshape(1, -1) if b_coeffs.ndim == 1 else b_coeffs
    filters = a2.shape[0]
    if a_coeffs.ndim == 1:
        x = waveform.reshape(-1, 1, shape[-1])
        out_shape = shape
    elif batching:
        if len(shape) < 2 or shape[-2] != filters:
            raise ValueError(f"ember.audio.functional.lfilter: with {filters} filters and batching=True the "
                             f"waveform must be (..., {filters}, time), got {shape}")
        x = waveform.reshape(-1, filters, shape[-1])
        out_shape = shape
    else:
        x = waveform.reshape(-1, 1, shape[-1]).expand(-1, filters, shape[-1])
        out_shape = shape[:-1] + (filters, shape[-1])
    if bool((a2[:, 0] == 0).any()):
        raise ValueError("ember.audio.functional.lfilter: a_coeffs[..., 0] must be non-zero")
    a0 = a2[:, :1]
    y = _LFilter.apply(x, (a2 / a0).to(waveform.dtype), (b2 / a0).to(waveform.dtype))
    if clamp:
        y = ember.clamp(y, -1.0, 1.0)
    return y.reshape(out_shape)


def filtfilt(waveform, a_coeffs, b_coeffs, clamp=True):
    """``lfilter`` forwards and then backwards in time (zero phase), clamped (optionally) at the end only."""
    forward = lfilter(waveform, a_coeffs, b_coeffs, clamp=False, batching=True)
    return lfilter(forward.flip(-1), a_coeffs, b_coeffs, clamp=clamp, batching=True).flip(-1)


def biquad(waveform, b0, b1, b2, a0, a1, a2):
    """The second-order IIR filter with these six coefficients (``lfilter``, clamped)."""
    a = ember.tensor([a0, a1, a2], dtype=waveform.dtype)
    b = ember.tensor([b0, b1, b2], dtype=waveform.dtype)
    return lfilter(waveform, a, b)


def _cookbook(sample_rate, cutoff_freq, Q):
    w0 = 2 * math.pi * cutoff_freq / sample_rate
    return math.cos(w0), math.sin(w0) / 2.0 / Q


def lowpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    """A two-pole low-pass filter at ``cutoff_freq`` Hz with quality factor ``Q``."""
    cos_w0, alpha = _cookbook(sample_rate, cutoff_freq, Q)
    b0 = (1 - cos_w0) / 2
    return biquad(waveform, b0, 1 - cos_w0, b0, 1 + alpha, -2 * cos_w0, 1 - alpha)


def highpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    """A two-pole high-pass filter at ``cutoff_freq`` Hz with quality factor ``Q``."""
    cos_w0, alpha = _cookbook(sample_rate, cutoff_freq, Q)
    b0 = (1 + cos_w0) / 2
    return biquad(waveform, b0, -1 - cos_w0, b0, 1 + alpha, -2 * cos_w0, 1 - alpha)


def allpass_biquad(waveform, sample_rate, central_freq, Q=0.707):
    """A two-pole all-pass filter: unit gain, phase turning through -180 degrees at ``central_freq``."""
    cos_w0, alpha = _cookbook(sample_rate, central_freq, Q)
    return biquad(waveform, 1 - alpha, -2 * cos_w0, 1 + alpha, 1 + alpha, -2 * cos_w0, 1 - alpha)


def bandpass_biquad(waveform, sample_rate, central_freq, Q=0.707, const_skirt_gain=False):
    """A two-pole band-pass filter around ``central_freq`` (0 dB peak, or constant skirt gain ``Q``)."""
    cos_w0, alpha = _cookbook(sample_rate, central_freq, Q)
    temp = math.sin(2 * math.pi * central_freq / sample_rate) / 2 if const_skirt_gain else alpha
    return biquad(waveform, temp, 0.0, -temp, 1 + alpha, -2 * cos_w0, 1 - alpha)


def bandreject_biquad(waveform, sample_rate, central_freq, Q=0.707):
    """A two-pole band-reject (notch) filter at ``central_freq``."""
    cos_w0, alpha = _cookbook(sample_rate, central_freq, Q)
    return biquad(waveform, 1.0, -2 * cos_w0, 1.0, 1 + alpha, -2 * cos_w0, 1 - alpha)


def equalizer_biquad(waveform, sample_rate, center_freq, gain, Q=0.707):
    """A peaking equalizer: ``gain`` dB at ``center_freq``, 0 dB far from it."""
    cos_w0, alpha = _cookbook(sample_rate, center_freq, Q)
    A = math.exp(gain / 40.0 * math.log(10))
    return biquad(waveform, 1 + alpha * A, -2 * cos_w0, 1 - alpha * A, 1 + alpha / A, -2 * cos_w0, 1 - alpha / A)


def _shelf(sample_rate, gain, central_freq, Q):
    w0 = 2 * math.pi * central_freq / sample_rate
    alpha = math.sin(w0) / 2 / Q
    A = math.exp(gain / 40 * math.log(10))
    return A, 2 * math.sqrt(A) * alpha, (A - 1) * math.cos(w0), (A + 1) * math.cos(w0)


def bass_biquad(waveform, sample_rate, gain, central_freq=100, Q=0.707):
    """A low-shelf filter: ``gain`` dB below ``central_freq``, 0 dB above."""
    A, t1, t2, t3 = _shelf(sample_rate, gain, central_freq, Q)
    return biquad(waveform, A * ((A + 1) - t2 + t1), 2 * A * ((A - 1) - t3), A * ((A + 1) - t2 - t1),
                  (A + 1) + t2 + t1, -2 * ((A - 1) + t3), (A + 1) + t2 - t1)


def treble_biquad(waveform, sample_rate, gain, central_freq=3000, Q=0.707):
    """A high-shelf filter: ``gain`` dB above ``central_freq``, 0 dB below."""
    A, t1, t2, t3 = _shelf(sample_rate, gain, central_freq, Q)
    return biquad(waveform, A * ((A + 1) + t2 + t1), -2 * A * ((A - 1) + t3), A * ((A + 1) + t2 - t1),
                  (A + 1) - t2 + t1, 2 * ((A - 1) - t3), (A + 1) - t2 - t1)
