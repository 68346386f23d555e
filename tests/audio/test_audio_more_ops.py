"""compute_deltas, gain/Vol, Fade, griffinlim/GriffinLim, InverseMelScale, LFCC, spectral_centroid,
mu-law transforms and the lfilter biquads, each against an independent oracle: librosa (deltas), PyTorch 2.13
(torch.stft/istft for Griffin-Lim, torch.linalg.lstsq, and every gradient through the same
recipe written in torch), scipy.signal.lfilter (biquads, with float64 finite differences for the coefficient
gradients) and float64 NumPy closed forms (fades, gains, LFCC's filter bank, spectral centroid,
mu-law)."""
import math

import librosa
import numpy as np
import pytest
import scipy.fft
import scipy.signal
import torch

import ember
from ember.audio import functional as AF, transforms as T


def _wave(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _grads(ember_fn, torch_fn, x, seed=5):
    """Forward of both and the gradient of <out, g> for a random g, as NumPy arrays."""
    ours, ref = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_e, out_t = ember_fn(ours), torch_fn(ref)
    g = _wave(tuple(out_t.shape), seed)
    (out_e * ember.tensor(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    return out_e.detach().numpy(), out_t.detach().numpy(), ours.grad.numpy(), ref.grad.numpy()


# compute_deltas ----------------------------------------------------------------------------

@pytest.mark.parametrize("win_length", [3, 5, 9])
def test_compute_deltas_equals_librosa_delta_and_torch_gradient(win_length):
    x = _wave((2, 6, 30))
    ours = AF.compute_deltas(ember.tensor(x), win_length=win_length)
    ref = librosa.feature.delta(x, width=win_length, order=1, axis=-1, mode="nearest")
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-10, atol=1e-12)

    def torch_deltas(t):
        n = (win_length - 1) // 2
        flat = torch.nn.functional.pad(t.reshape(1, -1, t.shape[-1]), (n, n), mode="replicate")
        kernel = torch.arange(-n, n + 1, dtype=t.dtype).repeat(flat.shape[1], 1, 1)
        out = torch.nn.functional.conv1d(flat, kernel, groups=flat.shape[1]) / (n * (n + 1) * (2 * n + 1) / 3)
        return out.reshape(t.shape)

    out_e, out_t, g_e, g_t = _grads(T.ComputeDeltas(win_length), torch_deltas, x)
    np.testing.assert_allclose(out_e, out_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="win_length must be >= 3, got 2"):
        AF.compute_deltas(ember.tensor(x), win_length=2)


# gain, Vol ---------------------------------------------------------------------------------

@pytest.mark.parametrize("gain, gain_type, factor", [(0.7, "amplitude", 0.7), (2.5, "power", math.sqrt(2.5)),
                                                     (-3.0, "db", 10 ** (-3 / 20)), (8.0, "db", 10 ** (8 / 20))])
def test_vol_scales_and_clips(gain, gain_type, factor):
    x = _wave((2, 50)) * 0.6
    out_e, out_t, g_e, g_t = _grads(T.Vol(gain, gain_type), lambda t: torch.clamp(t * factor, -1, 1), x)
    np.testing.assert_allclose(out_e, np.clip(x * factor, -1, 1), rtol=1e-12)
    np.testing.assert_allclose(out_e, out_t, rtol=1e-12)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-12)
    np.testing.assert_allclose(AF.gain(ember.tensor(x), 6.0).numpy(), x * 10 ** (6 / 20), rtol=1e-12)
    with pytest.raises(ValueError, match="gain must be positive, got -1"):
        T.Vol(-1, "amplitude")


# Fade --------------------------------------------------------------------------------------

def _fade_oracle(length, n_in, n_out, shape):
    """The curves written out in float64 (torchaudio's Fade)."""
    r, s = np.linspace(0, 1, n_in), np.linspace(0, 1, n_out)
    ins = {"linear": r, "exponential": 2 ** ((r - 1) * 5) * r, "logarithmic": np.log10(0.1 + r) + 1,
           "quarter_sine": np.sin(r * np.pi / 2), "half_sine": np.sin(r * np.pi - np.pi / 2) / 2 + 0.5}
    outs = {"linear": 1 - s, "exponential": 2 ** (-s * 5) * (1 - s), "logarithmic": np.log10(1.1 - s) + 1,
            "quarter_sine": np.sin(s * np.pi / 2 + np.pi / 2), "half_sine": np.sin(s * np.pi + np.pi / 2) / 2 + 0.5}
    fade_in = np.clip(np.concatenate([ins[shape], np.ones(length - n_in)]), 0, 1)
    fade_out = np.clip(np.concatenate([np.ones(length - n_out), outs[shape]]), 0, 1)
    return fade_in * fade_out


@pytest.mark.parametrize("shape", ["linear", "exponential", "logarithmic", "quarter_sine", "half_sine"])
def test_fade_curves_and_gradient(shape):
    x = _wave((3, 40))
    curve = _fade_oracle(40, 11, 7, shape)
    out_e, out_t, g_e, g_t = _grads(T.Fade(11, 7, shape), lambda t: t * torch.tensor(curve), x)
    np.testing.assert_allclose(out_e, x * curve, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="fade_shape must be one of"):
        T.Fade(fade_shape="cubic")
    with pytest.raises(ValueError, match="must not exceed the waveform's 40 samples"):
        T.Fade(41)(ember.tensor(x))


# griffinlim --------------------------------------------------------------------------------

def _torch_griffinlim(S, n_fft, hop, win, power, n_iter, momentum, length):
    """torchaudio's fast Griffin-Lim recipe written in torch (torch.stft / torch.istft)."""
    w = torch.hann_window(win, dtype=S.dtype)
    S = S.pow(1 / power)
    angles = torch.ones(S.shape, dtype=torch.complex128)
    prev = None
    for _ in range(n_iter):
        inv = torch.istft(S * angles, n_fft, hop, win, w, length=length)
        rebuilt = torch.stft(inv, n_fft, hop, win, w, center=True, pad_mode="reflect", return_complex=True)
        angles = rebuilt if prev is None else rebuilt - prev * (momentum / (1 + momentum))
        angles = angles / (angles.abs() + 1e-16)
        prev = rebuilt
    return torch.istft(S * angles, n_fft, hop, win, w, length=length)


def test_griffinlim_equals_the_torch_recipe_with_gradient():
    n_fft, hop, length = 64, 16, 600
    x = torch.tensor(_wave((2, length)))
    S = torch.stft(x, n_fft, hop, window=torch.hann_window(n_fft, dtype=torch.float64),
                   return_complex=True).abs().pow(2).numpy()
    gl = T.GriffinLim(n_fft=n_fft, n_iter=6, hop_length=hop, length=length, rand_init=False,
                      window_fn=lambda n: ember.hann_window(n, dtype=ember.float64))
    # librosa.griffinlim (init=None, momentum 0.99) agrees to 2e-14 on these inputs, but its istft costs a
    # ~14 s numba compile per process, so the oracle here is the same recipe on torch.stft / torch.istft
    out_e, out_t, g_e, g_t = _grads(gl, lambda s: _torch_griffinlim(s, n_fft, hop, n_fft, 2.0, 6, 0.99, length),
                                    S + 0.1)
    np.testing.assert_allclose(out_e, out_t, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-6, atol=1e-8)
    rand = T.GriffinLim(n_fft=n_fft, n_iter=2, hop_length=hop, length=length)(ember.tensor(S, dtype=ember.float32))
    assert tuple(rand.shape) == (2, length) and rand.dtype == ember.float32
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5"):
        T.GriffinLim(momentum=1.5)


# InverseMelScale ---------------------------------------------------------------------------

def test_inverse_mel_scale_is_torch_lstsq_min_norm_with_relu():
    n_stft, n_mels = 33, 10
    inv = T.InverseMelScale(n_stft=n_stft, n_mels=n_mels, sample_rate=8000)
    fb = torch.tensor(inv.fb.numpy(), dtype=torch.float64)
    mel = np.abs(_wave((2, n_mels, 7)))
    ref_np = np.maximum(np.stack([np.linalg.lstsq(fb.numpy().T, m, rcond=None)[0] for m in mel]), 0)

    def torch_inverse(m):
        return torch.relu(torch.linalg.lstsq(fb.T[None].expand(m.shape[0], -1, -1), m, driver="gels").solution)

    out_e, out_t, g_e, g_t = _grads(inv, torch_inverse, mel)
    np.testing.assert_allclose(out_e, ref_np, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(out_e, out_t, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-7, atol=1e-9)
    # the round trip: projecting the inverse again gives the mel spectrogram back where nothing was clipped
    mel_of_inverse = np.einsum("fm,bft->bmt", fb.numpy(), out_e)
    assert np.abs(mel_of_inverse - mel).max() < np.abs(mel).max()
    with pytest.raises(ValueError, match=r"expected a mel spectrogram \(\.\.\., 10, time\), got shape \(2, 9, 7\)"):
        inv(ember.tensor(mel[:, :9]))


# LFCC --------------------------------------------------------------------------------------

def _linear_fb_oracle(n_freqs, f_min, f_max, n_filter, sample_rate):
    """Triangles written out bin by bin in float64."""
    freqs = np.linspace(0, sample_rate // 2, n_freqs)
    pts = np.linspace(f_min, f_max, n_filter + 2)
    fb = np.zeros((n_freqs, n_filter))
    for m in range(n_filter):
        lo, mid, hi = pts[m], pts[m + 1], pts[m + 2]
        for i, f in enumerate(freqs):
            if lo <= f <= mid:
                fb[i, m] = (f - lo) / (mid - lo)
            elif mid < f <= hi:
                fb[i, m] = (hi - f) / (hi - mid)
    return fb


@pytest.mark.parametrize("log_lf", [False, True])
def test_lfcc_equals_stft_linear_bank_db_dct(log_lf):
    sr, n_fft, n_filter, n_lfcc = 8000, 128, 20, 8
    x = _wave((2, 900))
    lfcc = T.LFCC(sample_rate=sr, n_filter=n_filter, n_lfcc=n_lfcc, f_min=50.0, log_lf=log_lf,
                  speckwargs={"n_fft": n_fft, "window_fn": lambda n: ember.hann_window(n, dtype=ember.float64)})
    fb = _linear_fb_oracle(n_fft // 2 + 1, 50.0, sr / 2, n_filter, sr)
    np.testing.assert_allclose(lfcc.filter_mat.numpy(), fb, rtol=1e-5, atol=1e-6)
    fb32 = torch.tensor(lfcc.filter_mat.numpy(), dtype=torch.float64)  # the float32 buffer, as torchaudio keeps it
    dct = torch.tensor(scipy.fft.dct(np.eye(n_filter), type=2, norm="ortho", axis=0)[:n_lfcc].T)

    def torch_lfcc(t):
        spec = torch.stft(t, n_fft, n_fft // 2, window=torch.hann_window(n_fft, dtype=t.dtype),
                          return_complex=True).abs().pow(2)
        lin = (spec.transpose(-2, -1) @ fb32).transpose(-2, -1)
        if log_lf:
            lin = torch.log(lin + 1e-6)
        else:
            lin = 10 * torch.log10(torch.clamp(lin, min=1e-10))
            lin = torch.maximum(lin, lin.amax(dim=(-2, -1), keepdim=True) - 80.0)
        return (lin.transpose(-2, -1) @ dct).transpose(-2, -1)

    out_e, out_t, g_e, g_t = _grads(lfcc, torch_lfcc, x)
    np.testing.assert_allclose(out_e, out_t, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match=r"n_lfcc \(30\) cannot be larger than n_filter \(20\)"):
        T.LFCC(n_filter=20, n_lfcc=30)


# spectral centroid -------------------------------------------------------------------------

def test_spectral_centroid_closed_form_and_torch_gradient():
    sr, n_fft, hop = 16000, 256, 64
    x = _wave((2, 1000))
    module = T.SpectralCentroid(sr, n_fft=n_fft, hop_length=hop,
                                window_fn=lambda n: ember.hann_window(n, dtype=ember.float64))
    w = torch.hann_window(n_fft, dtype=torch.float64)
    mag = torch.stft(torch.tensor(x), n_fft, hop, window=w, return_complex=True).abs().numpy()
    # librosa.feature.spectral_centroid(S=mag) is this closed form too, but costs an ~8 s numba compile
    ref = (np.linspace(0, sr / 2, n_fft // 2 + 1)[:, None] * mag).sum(-2) / mag.sum(-2)
    freqs = torch.linspace(0, sr // 2, n_fft // 2 + 1, dtype=torch.float64)[:, None]

    def torch_centroid(t):
        s = torch.stft(t, n_fft, hop, window=w, return_complex=True).abs()
        return (freqs * s).sum(-2) / s.sum(-2)

    out_e, out_t, g_e, g_t = _grads(module, torch_centroid, x)
    np.testing.assert_allclose(out_e, ref, rtol=1e-9)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-7, atol=1e-9)


# mu-law transforms -------------------------------------------------------------------------

def test_mu_law_transforms_closed_form():
    x = np.linspace(-1, 1, 101)
    mu = 255.0
    codes = np.floor((np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu) + 1) / 2 * mu + 0.5).astype(np.int64)
    encoded = T.MuLawEncoding()(ember.tensor(x))
    assert encoded.dtype == ember.int64 and encoded.tolist() == codes.tolist()
    y = codes / mu * 2 - 1
    decoded = np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu
    np.testing.assert_allclose(T.MuLawDecoding()(encoded).numpy(), decoded, rtol=1e-6, atol=1e-7)
    assert T.MuLawEncoding(16)(ember.tensor([1.0])).tolist() == [15]


# lfilter, biquads --------------------------------------------------------------------------

def _cookbook(kind, sr, fc, Q):
    w0 = 2 * math.pi * fc / sr
    alpha, c = math.sin(w0) / 2 / Q, math.cos(w0)
    b = [(1 - c) / 2, 1 - c, (1 - c) / 2] if kind == "low" else [(1 + c) / 2, -1 - c, (1 + c) / 2]
    return np.array(b), np.array([1 + alpha, -2 * c, 1 - alpha])


@pytest.mark.parametrize("kind, fn, length", [("low", AF.lowpass_biquad, 60), ("high", AF.highpass_biquad, 60),
                                              ("low", AF.lowpass_biquad, 300)])  # 300: several 128-sample blocks
def test_biquads_equal_scipy_lfilter_and_the_transposed_filter_gradient(kind, fn, length):
    sr, fc, q = 8000, 700.0, 0.9
    x = _wave((2, 3, length)) * 0.5
    b, a = _cookbook(kind, sr, fc, q)
    y_raw = scipy.signal.lfilter(b, a, x)
    xe = ember.tensor(x, requires_grad=True)
    y = fn(xe, sr, fc, q)
    np.testing.assert_allclose(y.detach().numpy(), np.clip(y_raw, -1, 1), rtol=1e-10, atol=1e-12)
    g = _wave(x.shape, 3)
    (y * ember.tensor(g)).sum().backward()
    # the filter is linear: dL/dx = H^T (g masked where clamped), H's columns the responses to unit impulses
    H = scipy.signal.lfilter(b, a, np.eye(length), axis=0)
    expected = np.einsum("nm,...n->...m", H, g * (np.abs(y_raw) <= 1))
    np.testing.assert_allclose(xe.grad.numpy(), expected, rtol=1e-9, atol=1e-11)


def test_lfilter_coefficient_gradients_match_finite_differences_and_shapes():
    x = _wave((2, 2, 40)) * 0.2
    a = np.array([[1.2, -0.5, 0.3], [0.9, 0.2, -0.1]])
    b = np.array([[0.4, 0.1, -0.2], [0.3, -0.3, 0.05]])
    g = _wave(x.shape, 9)

    def loss_np(a_, b_):
        return sum((scipy.signal.lfilter(b_[i], a_[i], x[:, i]) * g[:, i]).sum() for i in range(2))

    ae, be, xe = (ember.tensor(v, requires_grad=True) for v in (a, b, x))
    y = AF.lfilter(xe, ae, be, clamp=False)
    ref = np.stack([scipy.signal.lfilter(b[i], a[i], x[:, i]) for i in range(2)], 1)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    (y * ember.tensor(g)).sum().backward()
    eps = 1e-6
    for coeffs, grad, is_a in ((a, ae.grad.numpy(), True), (b, be.grad.numpy(), False)):
        fd = np.zeros_like(coeffs)
        for idx in np.ndindex(coeffs.shape):
            up, down = coeffs.copy(), coeffs.copy()
            up[idx] += eps
            down[idx] -= eps
            fd[idx] = ((loss_np(up, b) - loss_np(down, b)) if is_a else (loss_np(a, up) - loss_np(a, down))) / (2 * eps)
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)
    # batching=False runs every filter on the whole waveform
    wide = AF.lfilter(ember.tensor(x[:, 0]), ember.tensor(a), ember.tensor(b), clamp=False, batching=False)
    assert tuple(wide.shape) == (2, 2, 40)
    np.testing.assert_allclose(wide.numpy()[:, 1], scipy.signal.lfilter(b[1], a[1], x[:, 0]), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"waveform must be \(\.\.\., 2, time\), got \(40,\)"):
        AF.lfilter(ember.tensor(x[0, 0]), ember.tensor(a), ember.tensor(b))


def _analog_prototype(kind, Q, A=1.0):
    """The cookbook's analog sections H(s) at unit centre frequency: (numerator, denominator) in s."""
    den = [1.0, 1.0 / Q, 1.0]
    return {"low": ([1.0], den), "high": ([1.0, 0.0, 0.0], den), "allpass": ([1.0, -1.0 / Q, 1.0], den),
            "bandpass": ([1.0 / Q, 0.0], den), "bandpass_skirt": ([1.0, 0.0], den), "notch": ([1.0, 0.0, 1.0], den),
            "eq": ([1.0, A / Q, 1.0], [1.0, 1.0 / (A * Q), 1.0]),
            "bass": ([A, A * math.sqrt(A) / Q, A * A], [A, math.sqrt(A) / Q, 1.0]),
            "treble": ([A * A, A * math.sqrt(A) / Q, A], [1.0, math.sqrt(A) / Q, A])}[kind]


@pytest.mark.parametrize("kind, call", [
    ("low", lambda x, sr, f, q: AF.lowpass_biquad(x, sr, f, q)),
    ("high", lambda x, sr, f, q: AF.highpass_biquad(x, sr, f, q)),
    ("allpass", lambda x, sr, f, q: AF.allpass_biquad(x, sr, f, q)),
    ("bandpass", lambda x, sr, f, q: AF.bandpass_biquad(x, sr, f, q)),
    ("bandpass_skirt", lambda x, sr, f, q: AF.bandpass_biquad(x, sr, f, q, const_skirt_gain=True)),
    ("notch", lambda x, sr, f, q: AF.bandreject_biquad(x, sr, f, q)),
    ("eq", lambda x, sr, f, q: AF.equalizer_biquad(x, sr, f, 6.0, q)),
    ("bass", lambda x, sr, f, q: AF.bass_biquad(x, sr, 6.0, f, q)),
    ("treble", lambda x, sr, f, q: AF.treble_biquad(x, sr, 6.0, f, q))])
def test_biquads_are_the_bilinear_transform_of_the_analog_sections(kind, call):
    sr, fc, q = 16000, 1200.0, 1.3
    x = _wave((2, 200)) * 0.3
    num, den = _analog_prototype(kind, q, A=10 ** (6.0 / 40))
    # s -> (1 - z^-1) / (tan(w0 / 2) (1 + z^-1)): scipy's bilinear with 2 fs = 1 / tan(w0 / 2)
    bz, az = scipy.signal.bilinear(num, den, fs=1 / (2 * math.tan(math.pi * fc / sr)))
    ref = np.clip(scipy.signal.lfilter(bz, az, x), -1, 1)
    np.testing.assert_allclose(call(ember.tensor(x), sr, fc, q).numpy(), ref, rtol=1e-9, atol=1e-11)


def test_filtfilt_is_forward_then_backward_with_gradient():
    x = _wave((2, 90)) * 0.3
    b, a = np.array([0.2, 0.3, 0.1]), np.array([1.0, -0.6, 0.25])
    ref = scipy.signal.lfilter(b, a, scipy.signal.lfilter(b, a, x)[..., ::-1])[..., ::-1]
    xe = ember.tensor(x, requires_grad=True)
    y = AF.filtfilt(xe, ember.tensor(a), ember.tensor(b), clamp=False)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    g = _wave(x.shape, 4)
    (y * ember.tensor(g)).sum().backward()
    H = scipy.signal.lfilter(b, a, np.eye(90), axis=0)
    R = np.eye(90)[::-1]
    total = R @ H @ R @ H  # y = R H R H x
    np.testing.assert_allclose(xe.grad.numpy(), g @ total, rtol=1e-9, atol=1e-11)


# convolve, fftconvolve, pre/deemphasis, add_noise ------------------------------------------

def _torch_convolve(x, y, mode):
    """torchaudio's recipe in torch: a grouped conv1d of the broadcast rows, then the mode's slice."""
    nx, ny = x.shape[-1], y.shape[-1]
    if nx < ny:
        x, y = y, x
    lead = torch.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    x, y = x.expand(lead + x.shape[-1:]), y.expand(lead + y.shape[-1:])
    n = int(np.prod(lead))
    out = torch.nn.functional.conv1d(x.reshape(1, n, -1), y.reshape(n, 1, -1).flip(-1), groups=n,
                                     padding=y.shape[-1] - 1).reshape(lead + (-1,))
    target = {"full": out.shape[-1], "valid": max(nx, ny) - min(nx, ny) + 1, "same": nx}[mode]
    start = (out.shape[-1] - target) // 2
    return out[..., start:start + target]


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("fn", [T.Convolve, T.FFTConvolve])
@pytest.mark.parametrize("nx, ny", [(30, 7), (6, 11)])
def test_convolve_and_fftconvolve_equal_scipy_and_torch_gradients(mode, fn, nx, ny):
    x, y = _wave((2, 1, nx)), _wave((1, 3, ny), 1)
    module = fn(mode)
    xe, ye = ember.tensor(x, requires_grad=True), ember.tensor(y, requires_grad=True)
    out = module(xe, ye)
    ref = np.stack([np.stack([scipy.signal.convolve(x[i, 0], y[0, j], mode=mode) for j in range(3)])
                    for i in range(2)])
    if mode == "same":  # scipy centres "same" on its first input, as torchaudio does
        assert ref.shape[-1] == nx
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-9, atol=1e-11)
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    out_t = _torch_convolve(xt, yt, mode)
    g = _wave(tuple(out_t.shape), 2)
    (out * ember.tensor(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ye.grad.numpy(), yt.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_preemphasis_and_deemphasis_are_the_first_order_filters():
    x = _wave((2, 50)) * 0.1
    c = 0.9
    out_e, out_t, g_e, g_t = _grads(T.Preemphasis(c), lambda t: torch.cat([t[..., :1], t[..., 1:] - c * t[..., :-1]],
                                                                           -1), x)
    np.testing.assert_allclose(out_e, scipy.signal.lfilter([1, -c], [1], x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-12)
    de = T.Deemphasis(c)(ember.tensor(x)).numpy()
    np.testing.assert_allclose(de, np.clip(scipy.signal.lfilter([1], [1, -c], x), -1, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(AF.deemphasis(ember.tensor(out_e), c).numpy(), x, rtol=1e-9, atol=1e-12)


def test_add_noise_reaches_the_snr_with_lengths_and_gradient():
    x, noise = _wave((3, 40)), _wave((3, 40), 1) * 0.3
    snr, lengths = np.array([10.0, 0.0, -5.0]), np.array([40, 25, 10])
    out_e = T.AddNoise()(ember.tensor(x), ember.tensor(noise), ember.tensor(snr), ember.tensor(lengths)).numpy()
    for i in range(3):
        k = lengths[i]
        scale = 10 ** ((10 * np.log10((x[i, :k] ** 2).sum() / (noise[i, :k] ** 2).sum()) - snr[i]) / 20)
        np.testing.assert_allclose(out_e[i], x[i] + scale * noise[i], rtol=1e-12)
        mixed_noise = out_e[i, :k] - x[i, :k]
        assert abs(10 * np.log10((x[i, :k] ** 2).sum() / (mixed_noise ** 2).sum()) - snr[i]) < 1e-9

    def torch_add(t):
        e_s, e_n = (t ** 2).sum(-1), (torch.tensor(noise) ** 2).sum(-1)
        scale = 10 ** ((10 * (torch.log10(e_s) - torch.log10(e_n)) - torch.tensor(snr)) / 20)
        return t + scale[:, None] * torch.tensor(noise)

    _, _, g_e, g_t = _grads(lambda t: AF.add_noise(t, ember.tensor(noise), ember.tensor(snr)), torch_add, x)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="waveform has 40 samples but noise has 39"):
        AF.add_noise(ember.tensor(x), ember.tensor(noise[:, :39]), ember.tensor(snr))


# phase vocoder -----------------------------------------------------------------------------

def _vocoder_loop(D, rate, hop):
    """The phase vocoder frame by frame in float64 (librosa.phase_vocoder's loop; librosa itself agrees to
    1.5e-13 but costs an ~18 s numba compile per process)."""
    advance = np.linspace(0, np.pi * hop, D.shape[-2])
    steps = np.arange(0, D.shape[-1], rate)
    padded = np.concatenate([D, np.zeros(D.shape[:-1] + (2,))], -1)
    out = np.zeros(D.shape[:-1] + (len(steps),), complex)
    acc = np.angle(D[..., 0])
    for t, s in enumerate(steps):
        c0, c1, alpha = padded[..., int(s)], padded[..., int(s) + 1], s % 1.0
        out[..., t] = ((1 - alpha) * np.abs(c0) + alpha * np.abs(c1)) * np.exp(1j * acc)
        d = np.angle(c1) - np.angle(c0) - advance
        acc = acc + advance + d - 2 * np.pi * np.round(d / (2 * np.pi))
    return out


@pytest.mark.parametrize("rate", [1.3, 0.8])
def test_time_stretch_equals_the_frame_loop_and_torch_gradient(rate):
    n_fft, hop = 64, 16
    x = _wave((2, 400))
    w64 = torch.hann_window(n_fft, dtype=torch.float64)
    ts = T.TimeStretch(hop_length=hop, n_freq=n_fft // 2 + 1, fixed_rate=rate)
    advance = torch.tensor(ts.phase_advance.numpy(), dtype=torch.float64)  # float32 buffer, as torchaudio's
    D = torch.stft(torch.tensor(x), n_fft, hop, window=w64, return_complex=True).numpy()
    ours = ts(ember.tensor(D)).numpy()
    np.testing.assert_allclose(ours, _vocoder_loop(D, rate, hop), rtol=1e-6, atol=1e-6)

    def ember_fn(t):
        out = ts(ember.stft(t, n_fft, hop, window=ember.hann_window(n_fft, dtype=ember.float64),
                            return_complex=True))
        return ember.stack([out.real, out.imag], -1)

    def torch_fn(t):
        spec = torch.stft(t, n_fft, hop, window=w64, return_complex=True)
        steps = torch.arange(0, spec.shape[-1], rate, dtype=torch.float64)
        padded = torch.nn.functional.pad(spec, [0, 2])
        s0, s1 = padded.index_select(-1, steps.long()), padded.index_select(-1, steps.long() + 1)
        phase = s1.angle() - s0.angle() - advance
        phase = phase - 2 * math.pi * torch.round(phase / (2 * math.pi)) + advance
        phase = torch.cat([spec[..., :1].angle(), phase[..., :-1]], -1)
        alphas = steps % 1.0
        out = torch.polar(alphas * s1.abs() + (1 - alphas) * s0.abs(), torch.cumsum(phase, -1))
        return torch.view_as_real(out)

    out_e, out_t, g_e, g_t = _grads(ember_fn, torch_fn, x)
    np.testing.assert_allclose(out_e, out_t, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(g_e, g_t, rtol=1e-7, atol=1e-8)
    with pytest.raises(ValueError, match="no rate"):
        T.TimeStretch(n_freq=33)(ember.tensor(D))


# pitch shift -------------------------------------------------------------------------------

def _torch_vocoder(spec, rate, advance):
    steps = torch.arange(0, spec.shape[-1], rate, dtype=torch.float64)
    padded = torch.nn.functional.pad(spec, [0, 2])
    s0, s1 = padded.index_select(-1, steps.long()), padded.index_select(-1, steps.long() + 1)
    phase = s1.angle() - s0.angle() - advance
    phase = torch.cat([spec[..., :1].angle(), (phase - 2 * math.pi * torch.round(phase / (2 * math.pi)) + advance)[..., :-1]], -1)
    alphas = steps % 1.0
    return torch.polar(alphas * s1.abs() + (1 - alphas) * s0.abs(), torch.cumsum(phase, -1))


@pytest.mark.parametrize("n_steps", [12, -12])
def test_pitch_shift_is_stretch_then_resample(n_steps):
    from tests.audio.test_resample_masking import _reference_resample
    sr, n_fft, length = 8000, 128, 700
    x = _wave((2, length)) * 0.3
    module = T.PitchShift(sr, n_steps, n_fft=n_fft, window_fn=lambda n: ember.hann_window(n, dtype=ember.float64))
    ours = module(ember.tensor(x)).numpy()
    rate = 2.0 ** (-n_steps / 12)
    w = torch.hann_window(n_fft, dtype=torch.float64)
    spec = torch.stft(torch.tensor(x), n_fft, n_fft // 4, window=w, return_complex=True)
    advance = torch.linspace(0, math.pi * (n_fft // 4), spec.shape[-2], dtype=torch.float64)[..., None]
    stretched = torch.istft(_torch_vocoder(spec, rate, advance), n_fft, n_fft // 4, window=w,
                            length=int(round(length / rate))).numpy()
    shifted = _reference_resample(stretched, int(sr / rate), sr)[..., :length]
    ref = np.concatenate([shifted, np.zeros(shifted.shape[:-1] + (length - shifted.shape[-1],))], -1)
    assert ours.shape == (2, length)
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=1e-9)
    # gradient: the derivative along a random direction against float64 central differences
    xe = ember.tensor(x, requires_grad=True)
    g, v = _wave((2, length), 1), _wave((2, length), 2)
    (module(xe) * ember.tensor(g)).sum().backward()
    eps = 1e-6
    f = [float((module(ember.tensor(x + s * eps * v)) * ember.tensor(g)).sum()) for s in (1, -1)]
    np.testing.assert_allclose((xe.grad.numpy() * v).sum(), (f[0] - f[1]) / (2 * eps), rtol=1e-5)


# speed -------------------------------------------------------------------------------------

def test_speed_is_resampling_from_factor_times_the_rate_and_perturbation_draws():
    from tests.audio.test_resample_masking import _reference_resample
    x = _wave((2, 300))
    lengths = ember.tensor([300, 170])
    out, new_lengths = AF.speed(ember.tensor(x), 8000, 1.25, lengths)
    np.testing.assert_allclose(out.numpy(), _reference_resample(x, 10000, 8000), rtol=1e-9, atol=1e-11)
    assert new_lengths.tolist() == [math.ceil(300 * 4 / 5), math.ceil(170 * 4 / 5)] and new_lengths.dtype == ember.int64
    slow, none = T.Speed(8000, 0.5)(ember.tensor(x))
    assert none is None
    np.testing.assert_allclose(slow.numpy(), _reference_resample(x, 4000, 8000), rtol=1e-6, atol=1e-6)
    factors = [0.9, 1.0, 1.1]
    perturb = T.SpeedPerturbation(8000, factors)
    seen = set()
    for seed in range(6):
        ember.manual_seed(seed)
        index = int(ember.randint(3, ()))
        ember.manual_seed(seed)
        y, _ = perturb(ember.tensor(x))
        assert y.shape[-1] == math.ceil(300 / factors[index] - 1e-9)
        seen.add(index)
    assert len(seen) > 1
