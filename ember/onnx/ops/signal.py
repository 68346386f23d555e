"""ONNX signal ops: DFT, STFT and the Hann/Hamming/Blackman windows.

Complex values are ONNX's real representation, a trailing axis of 2 (real, imaginary); a real
input has a trailing axis of 1. The transforms run in NumPy (no gradient: these ops sit in
feature front-ends, not in trained layers). Windows, for n = 0..size-1 and N = size (periodic)
or size - 1 (symmetric)::

    Hann      0.5 - 0.5 cos(2 pi n / N)
    Hamming   25/46 - 21/46 cos(2 pi n / N)
    Blackman  0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)
"""
import numpy as np

from . import register, arr, tensor


def _complex(a):
    return a[..., 0] if a.shape[-1] == 1 else a[..., 0] + 1j * a[..., 1]


def _real_repr(c, dtype):
    return np.stack([np.real(c), np.imag(c)], axis=-1).astype(dtype)


@register("DFT")
def dft(ctx, x, dft_length=None, axis_in=None):
    a = arr(x)
    if ctx.opset < 20:
        axis = ctx.attr("axis", 1)
    else:
        axis = int(arr(axis_in).reshape(-1)[0]) if axis_in is not None else -2
    axis %= a.ndim
    inverse, onesided = ctx.attr("inverse", 0), ctx.attr("onesided", 0)
    n = int(arr(dft_length).reshape(-1)[0]) if dft_length is not None else \
        (2 * (a.shape[axis] - 1) if inverse and onesided else a.shape[axis])
    sig = _complex(a)
    if inverse:
        if onesided:
            return tensor(np.fft.irfft(sig, n=n, axis=axis)[..., None].astype(a.dtype))
        return tensor(_real_repr(np.fft.ifft(sig, n=n, axis=axis), a.dtype))
    out = np.fft.fft(sig, n=n, axis=axis)
    if onesided:
        out = np.take(out, np.arange(out.shape[axis] // 2 + 1), axis=axis)
    return tensor(_real_repr(out, a.dtype))


@register("STFT")
def stft(ctx, signal, frame_step, window=None, frame_length=None):
    a = arr(signal)
    step = int(arr(frame_step).reshape(-1)[0])
    w = None if window is None else arr(window)
    length = int(arr(frame_length).reshape(-1)[0]) if frame_length is not None else len(w)
    sig = _complex(a)  # (batch, samples)
    n_frames = (sig.shape[1] - length) // step + 1
    frames = np.stack([sig[:, i * step:i * step + length] for i in range(n_frames)], axis=1)
    if w is not None:
        frames = frames * w
    spec = np.fft.fft(frames, n=length, axis=-1)
    if ctx.attr("onesided", 1):
        spec = spec[..., :length // 2 + 1]
    return tensor(_real_repr(spec, a.dtype))


def _window(coeffs):
    def op(ctx, size):
        n_total = int(arr(size).reshape(-1)[0])
        N = n_total if ctx.attr("periodic", 1) else n_total - 1
        n = np.arange(n_total, dtype=np.float64)
        w = np.zeros(n_total)
        for k, c in enumerate(coeffs):
            w = w + c * np.cos(2 * np.pi * k * n / N) if N else w + (c if k == 0 else 0)
        from .elementwise import onnx_np_dtype
        return tensor(w.astype(onnx_np_dtype(ctx, ctx.attr("output_datatype", 1))))
    return op


register("HannWindow")(_window([0.5, -0.5]))
register("HammingWindow")(_window([25 / 46, -21 / 46]))
register("BlackmanWindow")(_window([0.42, -0.5, 0.08]))
