"""``ember.fft``: discrete Fourier transforms over NumPy's ``np.fft``, differentiable, with PyTorch's API.

The forward transform of ``x`` (length ``n``) is ``X[k] = sum_j x[j] exp(-2 pi i jk/n)``; ``norm`` picks
where the scale goes: ``"backward"`` (default) puts ``1/n`` on the inverse, ``"forward"`` on the forward,
``"ortho"`` ``1/sqrt(n)`` on both. ``n``/``s`` zero-pad or trim the input first. A float32 (or integer)
input gives complex64, float64 gives complex128.

Three primitives carry the gradients (PyTorch's convention: for a complex input the gradient of a
real loss is ``dL/dRe + i dL/dIm``):

- complex to complex (``fftn``/``ifftn``): a linear map ``F``; its gradient is ``F^H g``, the opposite
  transform with the dual norm (``"backward"`` <-> ``"forward"``).
- real to complex (``rfft``): the one-sided part of ``F``; the gradient zero-pads ``g`` to the full length
  and takes the real part of ``F^H g``.
- complex to real (``irfft``): reads a one-sided Hermitian spectrum; bins 1 .. n - n//2 - 1 stand for two
  bins each, so the gradient is ``rfft(g)`` with the dual norm and those bins doubled.

Every other function (``fft2``, ``rfftn``, ``hfft``, ``ihfftn`` ...) is composed from these and ``conj``.

>>> import ember
>>> ember.fft.fft(ember.tensor([1.0, 2.0, 3.0, 4.0]))
tensor([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])
>>> ember.fft.irfft(ember.fft.rfft(ember.tensor([1.0, 2.0, 3.0, 4.0])))
tensor([1., 2., 3., 4.])
"""
import numpy as np

from ..backend import dtypes as _dt
from ..autograd import grad_mode
from ..autograd.node import record as _rec
from ..autograd.tensor import Tensor
from ..autograd.ops._util import out, wrap_dim
from ..autograd.ops.complex_numbers import conj, real as _real
from ..autograd.ops.elementwise import mul
from ..autograd.ops.shape import roll

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn",
           "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift",
           "ifftshift"]

_gm = grad_mode.state
_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _check_norm(norm, name):
    norm = "backward" if norm is None else norm
    if norm not in _DUAL:
        raise ValueError(f"fft.{name}: Invalid normalization mode: {norm!r} (expected 'backward', 'forward' "
                         "or 'ortho')")
    return norm


def _tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"fft.{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    return x


def _as_float(a):
    """The floating (or complex) array an FFT computes in: integers and bool take the default float."""
    if a.dtype.kind not in "fc" or a.dtype == np.float16:
        return a.astype(_dt.get_default_dtype().numpy)
    return a


def _complex_dtype(a):
    return _dt.from_numpy(a.dtype).to_complex().numpy


def _resize_np(a, axis, n):
    """Trim or zero-pad ``a`` along ``axis`` to length ``n``."""
    m = a.shape[axis]
    if m == n:
        return a
    if m > n:
        return a[(slice(None),) * axis + (slice(0, n),)]
    pad = [(0, 0)] * a.ndim
    pad[axis] = (0, n - m)
    return np.pad(a, pad)


def _resize(x, axes, ns):
    """Differentiable trim/zero-pad of ``x`` to lengths ``ns`` along ``axes`` (its own adjoint, reversed)."""
    a = x._data
    old = [a.shape[ax] for ax in axes]
    if old == list(ns):
        return x
    for ax, n in zip(axes, ns):
        a = _resize_np(a, ax, n)
    t = out(a)
    if _gm.enabled and x._rg:
        _rec(t, "ConstantPadNdBackward0", lambda g: (_resize(g, axes, old),), (x,), ())
    return t


def _c2c(x, axes, norm, forward):
    """The complex FFT (``forward``) or inverse FFT of ``x`` over ``axes``, already resized."""
    if not axes:
        return x
    a = _as_float(x._data)
    if a.dtype.kind != "c":
        a = a.astype(_complex_dtype(a))
    fn = np.fft.fftn if forward else np.fft.ifftn
    r = fn(a, axes=axes, norm=norm)
    t = out(r.astype(a.dtype, copy=False))
    if _gm.enabled and x._rg:
        _rec(t, "FftC2CBackward0", lambda g: (_c2c(g, axes, _DUAL[norm], not forward),), (x,), (),
             holomorphic=False)
    return t


def _r2c(x, axis, norm):
    """The one-sided FFT of real ``x`` along ``axis`` (already resized): ``n//2 + 1`` bins."""
    a = _as_float(x._data)
    if a.dtype.kind == "c":
        raise RuntimeError(f"rfft expects a real input tensor, but got {_dt.from_numpy(a.dtype)}")
    n = a.shape[axis]
    t = out(np.fft.rfft(a, axis=axis, norm=norm).astype(_complex_dtype(a), copy=False))
    if _gm.enabled and x._rg:
        def backward(g):
            full = _resize(g, (axis,), (n,))
            return (_real(_c2c(full, (axis,), _DUAL[norm], False)),)
        _rec(t, "FftR2CBackward0", backward, (x,), (), holomorphic=False)
    return t


def _c2r(x, axis, n, norm):
    """The real signal of length ``n`` whose one-sided spectrum along ``axis`` is ``x`` (``n//2 + 1`` bins)."""
    a = _as_float(x._data)
    if a.dtype.kind != "c":
        a = a.astype(_complex_dtype(a))
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    t = out(np.fft.irfft(a, n=n, axis=axis, norm=norm).astype(a.real.dtype, copy=False))
    if _gm.enabled and x._rg:
        def backward(g):
            gi = _r2c(g, axis, _DUAL[norm])
            w = np.ones(gi._data.shape[axis], g._data.dtype)
            w[1:n - gi._data.shape[axis] + 1] = 2.0
            shape = [1] * gi._data.ndim
            shape[axis] = w.size
            return (mul(gi, out(w.reshape(shape))),)
        _rec(t, "FftC2RBackward0", backward, (x,), (), holomorphic=False)
    return t


def _many_dims(x, s, dim, name):
    """PyTorch's (axes, sizes) for an n-dimensional transform: ``s`` picks the last len(s) dims by default."""
    x = _tensor(x, name)
    if dim is None:
        axes = list(range(x.ndim)) if s is None else list(range(x.ndim - len(s), x.ndim))
    else:
        axes = [wrap_dim(d, x.ndim) for d in ([dim] if isinstance(dim, int) else dim)]
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"fft.{name}: FFT dims must be unique, got {tuple(dim)}")
    if s is None:
        ns = [x.shape[a] for a in axes]
    else:
        s = list(s)
        if len(s) != len(axes):
            raise RuntimeError(f"fft.{name}: When given, dim and shape arguments must have the same length, "
                               f"got dim {tuple(axes)} and s {tuple(s)}")
        ns = [x.shape[a] if v == -1 else int(v) for a, v in zip(axes, s)]
        if any(v < 1 for v in ns):
            raise RuntimeError(f"fft.{name}: Invalid number of data points ({min(ns)}) specified")
    return x, axes, ns


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dimensional FFT over ``dim`` (all dims by default), sizes ``s``."""
    x, axes, ns = _many_dims(input, s, dim, "fftn")
    return _c2c(_resize(x, axes, ns), tuple(axes), _check_norm(norm, "fftn"), True)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dimensional inverse FFT over ``dim``."""
    x, axes, ns = _many_dims(input, s, dim, "ifftn")
    return _c2c(_resize(x, axes, ns), tuple(axes), _check_norm(norm, "ifftn"), False)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The FFT of a real input over ``dim``, one-sided (``s[-1]//2 + 1`` bins) in the last of them."""
    x, axes, ns = _many_dims(input, s, dim, "rfftn")
    norm = _check_norm(norm, "rfftn")
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"fft.rfftn expects a real-valued input tensor, but got {x.dtype}")
    half = _r2c(_resize(x, axes, ns), axes[-1], norm)
    return _c2c(half, tuple(axes[:-1]), norm, True)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The real inverse of :func:`rfftn`; the last dim's output length defaults to ``2 (m - 1)``."""
    x, axes, ns = _many_dims(input, s, dim, "irfftn")
    norm = _check_norm(norm, "irfftn")
    last = 2 * (x.shape[axes[-1]] - 1) if s is None or list(s)[-1] == -1 else ns[-1]
    if last < 1:
        raise RuntimeError(f"fft.irfftn: Invalid number of data points ({last}) specified")
    ns[-1] = last // 2 + 1
    inner = _c2c(_resize(x, axes, ns), tuple(axes[:-1]), norm, False)
    return _c2r(inner, axes[-1], last, norm)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The real FFT of a Hermitian-symmetric signal given by its one-sided half: ``irfftn(conj(x))``
    with the dual norm."""
    return irfftn(conj(_tensor(input, "hfftn")), s, dim, _DUAL[_check_norm(norm, "hfftn")])


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of :func:`hfftn` for a real input: ``conj(rfftn(x))`` with the dual norm."""
    return conj(rfftn(_tensor(input, "ihfftn"), s, dim, _DUAL[_check_norm(norm, "ihfftn")]))


def _one_dim(nd, name, doc):
    def transform(input, n=None, dim=-1, norm=None, *, out=None):
        return nd(input, None if n is None else [n], [dim], norm)
    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = doc
    return transform


def _two_dim(nd, name):
    def transform(input, s=None, dim=(-2, -1), norm=None, *, out=None):
        return nd(input, s, dim, norm)
    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = f"``{nd.__name__}`` over the last two dims (``dim=(-2, -1)``)."
    return transform


fft = _one_dim(fftn, "fft", "The 1-D FFT of ``input`` along ``dim`` (padded or trimmed to ``n``).")
ifft = _one_dim(ifftn, "ifft", "The 1-D inverse FFT along ``dim``.")
rfft = _one_dim(rfftn, "rfft", "The one-sided FFT of a real signal: ``n//2 + 1`` bins along ``dim``.")
irfft = _one_dim(irfftn, "irfft", "The real signal of length ``n`` (default ``2 (m - 1)``) with one-sided "
                 "spectrum ``input``.")
hfft = _one_dim(hfftn, "hfft", "The real FFT of a one-sided Hermitian signal along ``dim`` (output length ``n``, "
                "default ``2 (m - 1)``).")
ihfft = _one_dim(ihfftn, "ihfft", "The inverse of :func:`hfft` for a real signal: ``n//2 + 1`` bins.")
fft2 = _two_dim(fftn, "fft2")
ifft2 = _two_dim(ifftn, "ifft2")
rfft2 = _two_dim(rfftn, "rfft2")
irfft2 = _two_dim(irfftn, "irfft2")
hfft2 = _two_dim(hfftn, "hfft2")
ihfft2 = _two_dim(ihfftn, "ihfft2")


def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False, out=None):
    """The sample frequencies ``[0, 1, ..., n//2 - 1 (or (n-1)//2), -n//2, ..., -1] / (d n)`` of an FFT."""
    return _freq(np.fft.fftfreq(int(n), d), dtype, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False, out=None):
    """The sample frequencies ``[0, 1, ..., n//2] / (d n)`` of an :func:`rfft`."""
    return _freq(np.fft.rfftfreq(int(n), d), dtype, requires_grad)


def _freq(arr, dtype, requires_grad):
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    t = out(arr.astype(d.numpy))
    if requires_grad:
        t.requires_grad = True
    return t


def _shift_dims(x, dim):
    if dim is None:
        return tuple(range(x.ndim))
    return tuple(wrap_dim(d, x.ndim) for d in ([dim] if isinstance(dim, int) else dim))


def fftshift(input, dim=None):
    """Move the zero frequency to the centre: roll each of ``dim`` (all by default) by ``n//2``."""
    dims = _shift_dims(input, dim)
    return roll(input, tuple(input.shape[d] // 2 for d in dims), dims) if dims else input


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift`: roll each dim by ``-(n//2)``."""
    dims = _shift_dims(input, dim)
    return roll(input, tuple(-(input.shape[d] // 2) for d in dims), dims) if dims else input
