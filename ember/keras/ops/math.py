"""``keras.ops`` math: segment reductions, top-k, logsumexp, distances, framing, the special
functions, and Fourier transforms on ``(real, imag)`` pairs.

ember has no complex dtype, and Keras's FFT ops take and return ``(real, imag)`` tuples anyway: the
transforms here are products with the DFT's cosine and sine matrices, written with ember ops, so
they are differentiable (O(n^2) per axis, fine for the frame sizes of audio features).

>>> from ember.keras import ops
>>> ops.segment_sum([1.0, 2.0, 3.0], [0, 0, 1]).tolist()
[3.0, 3.0]
>>> [t.tolist() for t in ops.fft(([1.0, 0.0], [0.0, 0.0]))]
[[1.0, 1.0], [0.0, 0.0]]
"""
import numpy as np

from ...autograd import ops as _E
from ...autograd.node import needs_grad, record
from ...autograd.tensor import make
from .core import cast, convert_to_tensor as _T
from .dtypes import standardize_dtype
from .numpy_math import _to_float


def _segment(data, segment_ids, num_segments, reduce):
    """Reduce the rows of ``data`` by segment id; ids outside ``[0, num_segments)`` are dropped.

    Gradients: a sum passes ``g[s]`` to each row; max/min split ``g[s]`` evenly among the rows equal to
    the result; a product passes ``g[s] * out[s] / x`` (the product of the other rows, for one zero)."""
    data, ids = _T(data), _T(segment_ids)
    seg = ids._data.astype(np.int64).reshape(-1)
    n = int(num_segments) if num_segments is not None else (int(seg.max()) + 1 if seg.size else 0)
    keep = (seg >= 0) & (seg < n)
    rest = tuple(data.shape[1:])
    a = data._data.astype(np.float64)
    fill = {"sum": 0.0, "max": -np.inf, "min": np.inf, "prod": 1.0}[reduce]
    res = np.full((n,) + rest, fill)
    ufunc = {"sum": np.add, "max": np.maximum, "min": np.minimum, "prod": np.multiply}[reduce]
    ufunc.at(res, seg[keep], a[keep])
    out = make(res.astype(data._data.dtype))
    if needs_grad(data):
        def backward(g):
            gs = g._data[np.where(keep, seg, 0)] * keep.reshape((-1,) + (1,) * len(rest))
            if reduce == "sum":
                return (make(gs.astype(a.dtype).astype(data._data.dtype)),)
            if reduce in ("max", "min"):
                hit = (a == res[np.where(keep, seg, 0)]) & keep.reshape((-1,) + (1,) * len(rest))
                cnt = np.zeros((n,) + rest)
                np.add.at(cnt, seg[keep], hit[keep])
                share = hit / np.maximum(cnt[np.where(keep, seg, 0)], 1)
                return (make((gs * share).astype(data._data.dtype)),)
            zero = a == 0
            zeros = np.zeros((n,) + rest)
            np.add.at(zeros, seg[keep], zero[keep])
            nonzero_prod = np.ones((n,) + rest)
            np.multiply.at(nonzero_prod, seg[keep], np.where(zero, 1.0, a)[keep])
            s_ = np.where(keep, seg, 0)
            others = np.where(zero, np.where(zeros[s_] == 1, nonzero_prod[s_], 0.0),
                              np.where(zeros[s_] > 0, 0.0, res[s_] / np.where(zero, 1.0, a)))
            return (make((gs * others).astype(data._data.dtype)),)
        record(out, "SegmentReduceBackward0", backward, (data,), ())
    return out


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """``out[s] = sum(data[i] for i with segment_ids[i] == s)``; ids out of range are dropped."""
    return _segment(data, segment_ids, num_segments, "sum")


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Per-segment maximum (-inf for an empty segment)."""
    return _segment(data, segment_ids, num_segments, "max")


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    return _segment(data, segment_ids, num_segments, "min")


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return _segment(data, segment_ids, num_segments, "prod")


def top_k(x, k, sorted=True):
    """``(values, indices)`` of the ``k`` largest entries along the last axis."""
    values, indices = _E.topk(_T(x), int(k), -1, True, True)
    return values, indices


def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the ``k`` largest of its row (ties count as in)."""
    t = _T(targets)._data.astype(np.int64)[:, None]
    p = _T(predictions)
    kth = np.sort(p._data, axis=-1)[:, -int(k)][:, None]
    return make((np.take_along_axis(p._data, t, -1) >= kth).any(-1))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` along ``axis`` (all axes when None), computed without overflow."""
    x = _T(x)
    dims = tuple(range(x.ndim)) if axis is None else axis
    return _E.logsumexp(x, dims, keepdim=keepdims)


def cdist(x, y):
    """Euclidean distances between the rows of ``x`` ``(..., n, d)`` and of ``y`` ``(..., m, d)``."""
    x, y = _T(x), _T(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError("`cdist` inputs must have rank >= 2")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError("Last dimension of inputs to `cdist` must match")
    d = _E.sub(x.unsqueeze(-2), y.unsqueeze(-3))
    return _E.sqrt(_E.sum(_E.mul(d, d), -1))


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along the last axis: ``(..., n, len)``."""
    x = _T(x)
    n = (x.shape[-1] - sequence_length) // sequence_stride + 1
    idx = np.arange(n)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return _E.index_select(x, x.ndim - 1, make(idx.reshape(-1))).reshape(*x.shape[:-1], n, sequence_length)


def rsqrt(x):
    return _E.rsqrt(_T(x))


def erf(x):
    return _E.erf(_T(x))


def erfc(x):
    """``1 - erf(x)``."""
    x = _T(x)
    return _E.rsub(_E.erf(x), 1.0)


def erfinv(x):
    return _E.erfinv(_T(x))


def logdet(x):
    from .linalg import logdet as _logdet
    return _logdet(x)


def _pair(x):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary. Received: x={x}")
    re, im = _T(x[0]), _T(x[1])
    if tuple(re.shape) != tuple(im.shape):
        raise ValueError("Input `x` should be a tuple of two tensors - real and imaginary. Both the real and "
                         f"imaginary parts should have the same shape. Received: x[0].shape = {tuple(re.shape)}, "
                         f"x[1].shape = {tuple(im.shape)}")
    if not re.is_floating_point() or not im.is_floating_point():
        raise ValueError(f"At least one tensor in input `x` is not of type float. Received: x={x}.")
    return re, cast(im, re.dtype) if im.dtype is not re.dtype else im


def _dft(n_in, n_out, dtype, inverse=False):
    """Cosine and sine matrices ``(n_in, n_out)`` of the DFT: ``X[k] = sum_j x[j] e^{-+2 pi i jk / n}``."""
    n = max(n_in, n_out) if not inverse else n_out
    ang = 2 * np.pi * np.outer(np.arange(n_in), np.arange(n_out)) / n
    return make(np.cos(ang).astype(dtype)), make(np.sin(ang).astype(dtype))


def _cdft_last(re, im, inverse=False):
    n = re.shape[-1]
    C, S = _dft(n, n, re._data.dtype)
    if inverse:
        # e^{+i a}: (re + i im)(C + iS) / n
        out_re = _E.sub(_E.matmul(re, C), _E.matmul(im, S))
        out_im = _E.add(_E.matmul(re, S), _E.matmul(im, C))
        return _E.div(out_re, n), _E.div(out_im, n)
    # e^{-i a}: (re + i im)(C - iS)
    return _E.add(_E.matmul(re, C), _E.matmul(im, S)), _E.sub(_E.matmul(im, C), _E.matmul(re, S))


def fft(x):
    """The DFT of ``(real, imag)`` along the last axis, as ``(real, imag)``."""
    return _cdft_last(*_pair(x))


def _two_axes(re, im, inverse):
    re, im = _cdft_last(re, im, inverse)
    re, im = _cdft_last(_E.transpose(re, -1, -2), _E.transpose(im, -1, -2), inverse)
    return _E.transpose(re, -1, -2), _E.transpose(im, -1, -2)


def fft2(x):
    """The 2-D DFT over the last two axes."""
    return _two_axes(*_pair(x), False)


def ifft2(x):
    """The inverse 2-D DFT over the last two axes (divided by the number of points)."""
    return _two_axes(*_pair(x), True)


def _fit(x, n):
    m = x.shape[-1]
    if n == m:
        return x
    if n < m:
        return x[..., :n]
    return _E.cat([x, make(np.zeros(tuple(x.shape[:-1]) + (n - m,), x._data.dtype))], -1)


def rfft(x, fft_length=None):
    """The one-sided DFT of a real signal along the last axis: ``fft_length // 2 + 1`` bins."""
    x = _to_float(x)
    n = x.shape[-1] if fft_length is None else int(fft_length)
    x = _fit(x, n)
    ang = 2 * np.pi * np.outer(np.arange(n), np.arange(n // 2 + 1)) / n
    C, S = make(np.cos(ang).astype(x._data.dtype)), make(np.sin(ang).astype(x._data.dtype))
    return _E.matmul(x, C), _E.neg(_E.matmul(x, S))


def irfft(x, fft_length=None):
    """The real inverse of a one-sided spectrum: ``fft_length`` (default ``2 * (bins - 1)``) samples."""
    re, im = _pair(x)
    n = 2 * (re.shape[-1] - 1) if fft_length is None else int(fft_length)
    bins = n // 2 + 1
    re, im = _fit(re, bins), _fit(im, bins)
    # x[j] = (1/n) sum_k w_k (re_k cos(a) - im_k sin(a)), the non-edge bins counted twice.
    w = np.full(bins, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    ang = 2 * np.pi * np.outer(np.arange(bins), np.arange(n)) / n
    C = make((w[:, None] * np.cos(ang) / n).astype(re._data.dtype))
    S = make((w[:, None] * np.sin(ang) / n).astype(re._data.dtype))
    return _E.sub(_E.matmul(re, C), _E.matmul(im, S))


def _window(window, length, dtype):
    if window is None:
        return make(np.ones(length, dtype))
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError('If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                             f"Received: window={window}")
        k = np.arange(length)
        a = 0.5 if window == "hann" else 0.54
        return make((a - (1 - a) * np.cos(2 * np.pi * k / length)).astype(dtype))
    w = _T(window, standardize_dtype(dtype))
    if w.ndim != 1 or w.shape[0] != length:
        raise ValueError(f"The shape of `window` must be equal to [sequence_length]. Received: window shape="
                         f"{tuple(w.shape)}")
    return w


def _centered(win, fft_length):
    left = (fft_length - win.shape[0]) // 2
    return _E.cat([make(np.zeros(left, win._data.dtype)), win,
                   make(np.zeros(fft_length - win.shape[0] - left, win._data.dtype))], 0)


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform: ``(real, imag)`` of shape ``(..., frames, fft_length // 2 + 1)``."""
    x = _T(x)
    if standardize_dtype(x.dtype) not in ("float32", "float64"):
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: input type={x.dtype}")
    if fft_length < sequence_length:
        raise ValueError("`fft_length` must equal or larger than `sequence_length`. Received: "
                         f"sequence_length={sequence_length}, fft_length={fft_length}")
    win = _centered(_window(window, sequence_length, x._data.dtype), fft_length)
    if center:
        from .numpy_shape import pad
        p = fft_length // 2
        x = pad(x, [(0, 0)] * (x.ndim - 1) + [(p, p)], mode="reflect")
    frames = extract_sequences(x, fft_length, sequence_stride)
    return rfft(_E.mul(frames, win), fft_length)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse STFT: frames by ``irfft``, windowed, overlap-added and divided by the summed squared window."""
    re, _ = _pair(x)
    frames = irfft(x, fft_length)
    n_frames = frames.shape[-2]
    win = _centered(_window(window, sequence_length, re._data.dtype), fft_length)
    frames = _E.mul(frames, win)
    total = fft_length + sequence_stride * (n_frames - 1)
    pos = (np.arange(n_frames)[:, None] * sequence_stride + np.arange(fft_length)[None, :]).reshape(-1)
    flat = frames.reshape(*frames.shape[:-2], -1)
    base = make(np.zeros(tuple(flat.shape[:-1]) + (total,), re._data.dtype))
    idx = make(np.broadcast_to(pos, tuple(flat.shape)).copy())
    y = _E.scatter_add(base, flat.ndim - 1, idx, flat)
    env = np.zeros(total, re._data.dtype)
    np.add.at(env, pos, np.tile(win._data ** 2, n_frames))
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else (total - fft_length // 2 if center else total)
    env = env[start:end]
    y = y[..., start:end]
    return _E.div(y, make(np.where(env > 1e-11, env, 1.0).astype(re._data.dtype)))


def view_as_real(x):
    raise NotImplementedError("view_as_real: ember has no complex dtype; Keras's FFT ops here take and return "
                              "(real, imag) pairs")


def view_as_complex(x):
    raise NotImplementedError("view_as_complex: ember has no complex dtype; Keras's FFT ops here take and "
                              "return (real, imag) pairs")

