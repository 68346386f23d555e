"""ember.fft against torch.fft: values, output dtypes and gradients on the same inputs, and gradcheck."""
import numpy as np
import pytest
import torch

import ember
from .helpers import arrays, compare, gradcheck


def _c(L, a, b):
    return L.complex(a, b)


# (name, fn(lib, norm, *real tensors), input shapes)
FFTS = [
    ("fft", lambda L, m, a, b: L.fft.fft(_c(L, a, b), norm=m), [(3, 6)] * 2),
    ("fft_real_pad", lambda L, m, a: L.fft.fft(a, n=8, dim=0, norm=m), [(3, 6)]),
    ("ifft_trim", lambda L, m, a, b: L.fft.ifft(_c(L, a, b), n=4, norm=m), [(3, 6)] * 2),
    ("fft2", lambda L, m, a, b: L.fft.fft2(_c(L, a, b), s=(4, 7), norm=m), [(3, 6)] * 2),
    ("ifft2", lambda L, m, a, b: L.fft.ifft2(_c(L, a, b), norm=m), [(2, 3, 4)] * 2),
    ("fftn", lambda L, m, a, b: L.fft.fftn(_c(L, a, b), dim=(0, 2), norm=m), [(2, 3, 4)] * 2),
    ("ifftn", lambda L, m, a, b: L.fft.ifftn(_c(L, a, b), s=(3, 5), norm=m), [(2, 3, 4)] * 2),
    ("rfft", lambda L, m, a: L.fft.rfft(a, norm=m), [(3, 6)]),
    ("rfft_odd_n", lambda L, m, a: L.fft.rfft(a, n=5, dim=0, norm=m), [(3, 6)]),
    ("irfft", lambda L, m, a, b: L.fft.irfft(_c(L, a, b), norm=m), [(3, 4)] * 2),
    ("irfft_odd", lambda L, m, a, b: L.fft.irfft(_c(L, a, b), n=7, norm=m), [(3, 4)] * 2),
    ("irfft_trim", lambda L, m, a, b: L.fft.irfft(_c(L, a, b), n=4, norm=m), [(3, 6)] * 2),
    ("rfft2", lambda L, m, a: L.fft.rfft2(a, norm=m), [(2, 4, 5)]),
    ("irfft2", lambda L, m, a, b: L.fft.irfft2(_c(L, a, b), norm=m), [(3, 4)] * 2),
    ("rfftn", lambda L, m, a: L.fft.rfftn(a, s=(5, 4), norm=m), [(3, 6)]),
    ("irfftn", lambda L, m, a, b: L.fft.irfftn(_c(L, a, b), s=(3, 5), norm=m), [(2, 3, 4)] * 2),
    ("hfft", lambda L, m, a, b: L.fft.hfft(_c(L, a, b), norm=m), [(3, 4)] * 2),
    ("hfft_n", lambda L, m, a, b: L.fft.hfft(_c(L, a, b), n=9, norm=m), [(3, 4)] * 2),
    ("ihfft", lambda L, m, a: L.fft.ihfft(a, norm=m), [(3, 6)]),
    ("hfft2", lambda L, m, a, b: L.fft.hfft2(_c(L, a, b), norm=m), [(3, 4)] * 2),
    ("ihfft2", lambda L, m, a: L.fft.ihfft2(a, norm=m), [(3, 6)]),
    ("hfftn", lambda L, m, a, b: L.fft.hfftn(_c(L, a, b), s=(3, 6), norm=m), [(2, 3, 4)] * 2),
    ("ihfftn", lambda L, m, a: L.fft.ihfftn(a, s=(3, 5), norm=m), [(2, 3, 4)]),
    ("fftshift", lambda L, m, a: L.fft.fftshift(a), [(3, 5)]),
    ("ifftshift", lambda L, m, a: L.fft.ifftshift(a, dim=1), [(3, 5)]),
    ("roundtrip", lambda L, m, a: L.fft.irfft(L.fft.rfft(a, norm=m), n=6, norm=m), [(2, 6)]),
]
NORMS = [None, "ortho", "forward"]
IDS = [f[0] for f in FFTS]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,fn,shapes", FFTS, ids=IDS)
def test_fft_matches_torch(name, fn, shapes, norm, dtype):
    compare(lambda L, *xs: fn(L, norm, *xs), arrays(shapes), dtype)


@pytest.mark.parametrize("name,fn,shapes", FFTS, ids=IDS)
def test_fft_gradcheck(name, fn, shapes):
    gradcheck(lambda L, *xs: fn(L, "ortho", *xs), arrays(shapes, seed=2))


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64", "complex64", "complex128"])
def test_output_dtypes_match_torch(dtype):
    e = ember.ones(4, dtype=getattr(ember, dtype))
    t = torch.ones(4, dtype=getattr(torch, dtype))
    assert ember.fft.fft(e).dtype.name == str(torch.fft.fft(t).dtype).split(".")[-1]
    assert ember.fft.irfft(e).dtype.name == str(torch.fft.irfft(t).dtype).split(".")[-1]
    if not e.is_complex():
        assert ember.fft.rfft(e).dtype.name == str(torch.fft.rfft(t).dtype).split(".")[-1]


@pytest.mark.parametrize("fn", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize("n,d", [(1, 1.0), (4, 1.0), (5, 0.1), (8, 2.5)])
def test_frequencies_match_torch(fn, n, d):
    for dtype in (None, "float64"):
        kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
        tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
        e = getattr(ember.fft, fn)(n, d, **kw)
        t = getattr(torch.fft, fn)(n, d, **tkw)
        assert e.dtype.name == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_errors_name_the_function():
    x = ember.ones(4)
    with pytest.raises(ValueError, match="fft.fft.*normalization"):
        ember.fft.fft(x, norm="bad")
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        ember.fft.fft(x, n=0)
    with pytest.raises(RuntimeError, match="rfft"):
        ember.fft.rfft(ember.ones(4, dtype=ember.complex64))
    with pytest.raises(RuntimeError, match="dims must be unique"):
        ember.fft.fftn(ember.ones(2, 2), dim=(0, 0))
