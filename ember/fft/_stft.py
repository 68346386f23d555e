"""The short-time Fourier transform ``stft`` and its inverse ``istft``, with PyTorch's arguments.

``stft`` cuts the signal (shape ``(L,)`` or ``(B, L)``) into frames of ``n_fft`` samples every
``hop_length`` (default ``n_fft // 4``), multiplies each by ``window`` (default all ones, of length
``win_length``, zero-padded to ``n_fft`` in the centre) and takes its FFT:

    X[f, t] = sum_k w[k] x[t hop + k] exp(-2 pi i f k / n_fft)

``center=True`` first pads ``n_fft // 2`` samples on both sides (``pad_mode``: 'reflect', 'constant',
'replicate', 'circular'); ``normalized`` scales by ``n_fft ** -0.5``; ``onesided`` (default for real input
and window) keeps the ``n_fft // 2 + 1`` non-negative frequencies. The output is ``(B?, freq, frames)``.

``istft`` inverts it by weighted overlap-add: each frame's inverse FFT times the window is added at
``t hop``, and the sum is divided by the overlap-added squared window (which must not vanish: NOLA).

Both are made of differentiable ops (frame gathering, FFT, scatter-add), so gradients flow to the
signal, the spectrum and the window.

>>> import ember
>>> x = ember.arange(16.0)
>>> w = ember.hann_window(8)
>>> X = ember.stft(x, 8, hop_length=2, window=w, return_complex=True)
>>> X.shape
ember.Size([5, 9])
>>> ember.allclose(ember.istft(X, 8, hop_length=2, window=w, length=16), x, atol=1e-5)
True
"""
import numpy as np

from ..autograd.ops._util import out
from ..autograd.ops.complex_numbers import view_as_real, view_as_complex
from ..autograd.ops.elementwise import mul, div, abs as _abs
from ..autograd.ops.index import index_add_zeros
from ..autograd.ops.shape import transpose, reshape, cat, narrow, unsqueeze, squeeze
from . import fft as _fft, ifft as _ifft, rfft as _rfft, irfft as _irfft

__all__ = ["stft", "istft"]

_PAD_MODES = {"reflect": "reflect", "constant": "constant", "replicate": "edge", "circular": "wrap"}


def _full_window(window, win_length, n_fft, dtype, name):
    """The window as a length-``n_fft`` tensor (centred), and its unpadded length."""
    from ..creation import ones
    if window is None:
        window = ones(win_length, dtype=dtype)
    if window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"{name}: expected a 1D window tensor of size equal to win_length={win_length}, but "
                           f"got window with size {tuple(window.shape)}")
    left = (n_fft - win_length) // 2
    if left or n_fft - win_length - left:
        z = out(np.zeros(left, window._data.dtype)), out(np.zeros(n_fft - win_length - left, window._data.dtype))
        window = cat([z[0], window, z[1]])
    return window


def _lengths(name, n_fft, hop_length, win_length):
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    if n_fft <= 0:
        raise RuntimeError(f"{name}: expected 0 < n_fft, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"{name}: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"{name}: expected 0 < win_length <= n_fft, but got win_length={win}")
    return hop, win


def _pad_signal(x, pad, mode):
    if mode not in _PAD_MODES:
        raise RuntimeError(f"stft: pad_mode must be one of {sorted(_PAD_MODES)}, got {mode!r}")
    n = x.shape[-1]
    if mode == "reflect" and pad >= n:
        raise RuntimeError(f"stft: reflect padding of {pad} needs a signal longer than {pad}, got length {n}")
    if mode == "constant":
        z = out(np.zeros(x.shape[:-1] + (pad,), x._data.dtype))
        return cat([z, x, z], -1)
    idx = np.pad(np.arange(n), pad, mode=_PAD_MODES[mode])
    return x[..., idx]


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """The short-time Fourier transform of ``input`` (``(L,)`` or ``(B, L)``): ``(B?, freq, frames)``."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got a tensor of shape {tuple(input.shape)}")
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will "
                               "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if onesided is None:
        onesided = not complex_in
    elif onesided and complex_in:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    hop, win = _lengths("stft", n_fft, hop_length, win_length)
    x = input
    if center:
        x = _pad_signal(x, n_fft // 2, pad_mode)
    length = x.shape[-1]
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(f"stft: expected a tensor of floating point or complex values, got {x.dtype}")
    w = _full_window(window, win, n_fft, x.dtype.to_real(), "stft")
    if align_to_window:
        # Frame t's window starts at sample t * hop (the centred window's frame starts `left` earlier),
        # and frames run while the window fits in the signal.
        left = (n_fft - win) // 2
        frames_n = 1 + (length - win) // hop
        tail = max((frames_n - 1) * hop - left + n_fft - length, 0)
        zeros = np.zeros
        x = cat([out(zeros(x.shape[:-1] + (left,), x._data.dtype)), x,
                 out(zeros(x.shape[:-1] + (tail,), x._data.dtype))], -1)
    else:
        frames_n = 1 + (length - n_fft) // hop
    if frames_n < 1:
        raise RuntimeError(f"stft: expected 0 < n_fft <= signal length {length} (after padding), but got "
                           f"n_fft={n_fft}")
    idx = np.arange(frames_n)[:, None] * hop + np.arange(n_fft)[None, :]
    frames = mul(x[..., idx], w)
    spec = _rfft(frames, dim=-1) if onesided else _fft(frames, dim=-1)
    if normalized:
        spec = mul(spec, n_fft ** -0.5)
    spec = transpose(spec, -1, -2)
    return spec if return_complex else view_as_real(spec)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """The signal whose :func:`stft` is ``input`` (``(B?, freq, frames)``), by weighted overlap-add."""
    if not input.is_complex():
        if input.ndim in (3, 4) and input.shape[-1] == 2:
            input = view_as_complex(input.contiguous())
        else:
            raise RuntimeError("istft requires a complex-valued input tensor matching the output from "
                               "stft with return_complex=True.")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex dtype, but got "
                           f"shape {tuple(input.shape)}")
    hop, win = _lengths("istft", n_fft, hop_length, win_length)
    freq, frames_n = input.shape[-2], input.shape[-1]
    if onesided is None:
        onesided = freq != n_fft
    if onesided and freq != n_fft // 2 + 1:
        raise RuntimeError(f"istft: expected the frequency dimension (dim -2) of input to be n_fft // 2 + 1 "
                           f"= {n_fft // 2 + 1} when onesided=True, but got {freq}")
    if not onesided and freq != n_fft:
        raise RuntimeError(f"istft: expected the frequency dimension (dim -2) of input to equal n_fft = {n_fft} "
                           f"when onesided=False, but got {freq}")
    if return_complex and onesided:
        raise RuntimeError("istft: cannot have onesided output if the signal is complex (return_complex=True)")
    batched = input.ndim == 3
    spec = input if batched else unsqueeze(input, 0)
    if normalized:
        spec = mul(spec, n_fft ** 0.5)
    spec = transpose(spec, -1, -2)
    if return_complex:
        frames = _ifft(spec, n=n_fft, dim=-1)
    else:
        frames = _irfft(narrow(spec, -1, 0, n_fft // 2 + 1) if not onesided else spec, n=n_fft, dim=-1)
    w = _full_window(window, win, n_fft, input.dtype.to_real(), "istft")
    frames = mul(frames, w)
    expected = n_fft + hop * (frames_n - 1)
    pos = (np.arange(frames_n)[:, None] * hop + np.arange(n_fft)[None, :]).reshape(-1)
    b = spec.shape[0]
    y = index_add_zeros(reshape(frames, (b, frames_n * n_fft)), 1, pos, (b, expected))
    wsq = mul(w, w) if not w.is_complex() else mul(_abs(w), _abs(w))
    env = index_add_zeros(reshape(wsq.expand(frames_n, n_fft), (frames_n * n_fft,)), 0, pos, (expected,))
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + int(length)
    else:
        end = expected - n_fft // 2 if center else expected
    stop = min(end, expected)
    y = narrow(y, -1, start, stop - start)
    env = narrow(env, 0, start, stop - start)
    if env.numel() and float(_abs(env).min()) < 1e-11:
        raise RuntimeError("istft: window overlap add min: the overlap-added squared window is (nearly) zero; "
                           "choose a window and hop_length that satisfy the NOLA condition")
    y = div(y, env)
    if end > expected:
        y = cat([y, out(np.zeros((b, end - expected), y._data.dtype))], -1)
    return y if batched else squeeze(y, 0)
