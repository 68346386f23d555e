"""Window functions, stft/istft and linalg.eig/eigvals against PyTorch: values and gradients."""
import numpy as np
import pytest
import torch

import ember
from .helpers import arrays, compare, gradcheck, to_numpy

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", [0, 1, 2, 7, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_window_matches_torch(name, n, periodic):
    for dtype in (None, "float64"):
        kw = {} if dtype is None else {"dtype": getattr(ember, dtype)}
        tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
        e, t = getattr(ember, name)(n, periodic, **kw), getattr(torch, name)(n, periodic, **tkw)
        assert e.dtype.name == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


def test_window_parameters_match_torch():
    np.testing.assert_allclose(ember.hamming_window(6, False, alpha=0.5, beta=0.3).numpy(),
                               torch.hamming_window(6, False, alpha=0.5, beta=0.3).numpy(), rtol=1e-6)
    np.testing.assert_allclose(ember.kaiser_window(9, True, 3.5).numpy(), torch.kaiser_window(9, True, 3.5).numpy(),
                               rtol=1e-5)
    with pytest.raises(RuntimeError, match="hann_window expects floating point"):
        ember.hann_window(4, dtype=ember.int64)


def _win(L, name, n):
    return getattr(L, name + "_window")(n, dtype=L.float64) if name else None


# stft arguments; "win" names a window built in both libraries (float64), None means the default.
STFT = [
    dict(n_fft=8),
    dict(n_fft=8, hop_length=3, win="hann"),
    dict(n_fft=16, hop_length=4, win_length=10, win="hann", normalized=True),
    dict(n_fft=8, center=False, win="hamming"),
    dict(n_fft=8, pad_mode="constant", win="hann"),
    dict(n_fft=8, pad_mode="replicate"),
    dict(n_fft=8, pad_mode="circular", hop_length=2),
    dict(n_fft=8, onesided=False, win="hann"),
    dict(n_fft=8, win_length=4, center=False, align_to_window=True, hop_length=4),
    dict(n_fft=7, hop_length=2, win="blackman"),
    dict(n_fft=8, return_complex=False),
]


def _stft(L, x, cfg, window_grad=False):
    c = dict(cfg)
    w = _win(L, c.pop("win", None), c.get("win_length", c["n_fft"]))
    if w is not None and window_grad:
        w.requires_grad_(True)
    rc = c.pop("return_complex", True)
    return L.stft(x, window=w, return_complex=rc, **c), w


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("cfg", STFT, ids=[str(i) for i in range(len(STFT))])
def test_stft_matches_torch(cfg, batched):
    shape = (2, 30) if batched else (30,)
    compare(lambda L, x: _stft(L, x, cfg)[0], arrays([shape]))


def test_stft_window_gradient_and_method():
    x = arrays([(20,)])[0]
    grads = []
    for L in (ember, torch):
        y, w = _stft(L, L.tensor(x), dict(n_fft=8, hop_length=2, win="hann"), window_grad=True)
        (y.abs() ** 2).sum().backward()
        grads.append(to_numpy(w.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-7)
    e = ember.tensor(x)
    assert ember.allclose(e.stft(8, return_complex=True), ember.stft(e, 8, return_complex=True))


def test_stft_of_complex_input_matches_torch():
    compare(lambda L, re, im: L.stft(L.complex(re, im), 8, hop_length=3, window=L.hann_window(8, dtype=L.float64),
                                     return_complex=True), arrays([(2, 20)] * 2))


def test_stft_gradcheck():
    gradcheck(lambda L, x: _stft(L, x, dict(n_fft=8, hop_length=3, win="hann"))[0], arrays([(2, 20)]))


def test_stft_errors_match_torch():
    x = ember.ones(20)
    with pytest.raises(RuntimeError, match="return_complex"):
        ember.stft(x, 8)
    with pytest.raises(RuntimeError, match="onesided"):
        ember.stft(ember.ones(20, dtype=ember.complex64), 8, onesided=True, return_complex=True)


ISTFT = [
    dict(n_fft=8, hop_length=2, win="hann"),
    dict(n_fft=8, hop_length=2, win="hann", length=27),
    dict(n_fft=16, hop_length=4, win_length=12, win="hann", normalized=True),
    dict(n_fft=8, hop_length=2, win="hamming", center=False),
    dict(n_fft=8, hop_length=2, win="hann", onesided=False),
    dict(n_fft=8, hop_length=2, win="hann", length=40),
]


def _spectrum(cfg, batched):
    c = {k: v for k, v in cfg.items() if k not in ("length",)}
    x = torch.tensor(arrays([(2, 30) if batched else (30,)])[0])
    S, _ = _stft(torch, x, c)
    return [S.real.numpy(), S.imag.numpy()]


def _istft(L, re, im, cfg):
    c = dict(cfg)
    w = _win(L, c.pop("win"), c.get("win_length", c["n_fft"]))
    return L.istft(L.complex(re, im), window=w, **c)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("cfg", ISTFT, ids=[str(i) for i in range(len(ISTFT))])
def test_istft_matches_torch(cfg, batched):
    compare(lambda L, re, im: _istft(L, re, im, cfg), _spectrum(cfg, batched))


def test_istft_inverts_stft_and_gradcheck():
    x = ember.tensor(arrays([(2, 24)])[0])
    w = ember.hann_window(8, dtype=ember.float64)
    S = ember.stft(x, 8, hop_length=2, window=w, return_complex=True)
    np.testing.assert_allclose(ember.istft(S, 8, hop_length=2, window=w, length=24).numpy(), x.numpy(), atol=1e-12)
    cfg = dict(n_fft=8, hop_length=2, win="hann", length=20)
    gradcheck(lambda L, re, im: _istft(L, re, im, cfg), [a[..., :9] for a in _spectrum(ISTFT[0], False)])


def test_istft_rejects_a_vanishing_window_envelope():
    w = ember.hann_window(8, dtype=ember.float64)
    S = ember.stft(ember.ones(20, dtype=ember.float64), 8, hop_length=2, window=w, center=False, return_complex=True)
    with pytest.raises(RuntimeError, match="window overlap add min"):
        ember.istft(S, 8, hop_length=2, window=w, center=False)
    with pytest.raises(RuntimeError, match="window overlap add min"):
        torch.istft(torch.tensor(S.numpy()), 8, hop_length=2, window=torch.tensor(w.numpy()), center=False)


def _phase_fixed(v):
    """Eigenvectors up to phase: scale each column so its largest-modulus entry is real and positive."""
    v = np.asarray(v)
    k = np.abs(v).argmax(-2)
    p = np.take_along_axis(v, k[..., None, :], -2)
    return v / (p / np.abs(p))


def _eig_loss(L, M):
    w, v = L.linalg.eig(M)
    # Gauge invariant: eigenvalues and the moduli of the eigenvector entries.
    return w, v.abs(), L.linalg.eigvals(M)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("complex_input", [False, True])
def test_eig_matches_torch(dtype, complex_input):
    arrs = arrays([(2, 4, 4)] * (2 if complex_input else 1), seed=5)

    def fn(L, *xs):
        return _eig_loss(L, L.complex(*xs) if complex_input else xs[0])
    compare(fn, arrs, dtype, rtol=1e-3 if dtype == "float32" else 1e-7, atol=1e-3 if dtype == "float32" else 1e-8)
    ve = ember.linalg.eig(ember.tensor(arrs[0])).eigenvectors
    vt = torch.linalg.eig(torch.tensor(arrs[0])).eigenvectors
    np.testing.assert_allclose(_phase_fixed(to_numpy(ve)), _phase_fixed(to_numpy(vt)), atol=1e-10)


def test_eig_gradcheck_and_gauge_error():
    a = arrays([(3, 3)], seed=6)
    gradcheck(lambda L, x: L.view_as_real(L.linalg.eig(x).eigenvalues), a)
    gradcheck(lambda L, x: L.linalg.eig(x).eigenvectors.abs(), a)
    x = ember.tensor(a[0], requires_grad=True)
    with pytest.raises(RuntimeError, match="e\\^\\{i phi\\}"):
        ember.linalg.eig(x).eigenvectors.imag.sum().backward()
