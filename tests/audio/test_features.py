"""ember.audio's spectrogram, mel, dB and MFCC features against independent oracles.

torch.stft (PyTorch 2.13) for the spectrogram and every gradient; librosa for the mel filter banks
(``librosa.filters.mel``: htk or Slaney scale, with or without Slaney's area norm), the mel
spectrogram, ``power_to_db`` and MFCCs; scipy.fft.dct for the DCT matrix.
"""
import numpy as np
import pytest
import scipy.fft
import torch

import librosa

import ember
from ember.audio import functional as AF, transforms as T


def _hann64(n):
    return ember.hann_window(n, dtype=ember.float64)


def _wave(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _torch_spec(x, n_fft, hop, win, power, normalized=False, center=True, pad_mode="reflect", pad=0):
    if pad:
        x = torch.nn.functional.pad(x, (pad, pad))
    w = torch.hann_window(win, dtype=x.dtype)
    shape = x.shape
    spec = torch.stft(x.reshape(-1, shape[-1]), n_fft, hop, win, w, center=center, pad_mode=pad_mode,
                      return_complex=True)
    spec = spec.reshape(shape[:-1] + spec.shape[-2:])
    if normalized:
        spec = spec / w.pow(2).sum().sqrt()
    return spec if power is None else spec.abs().pow(power)


@pytest.mark.parametrize("kwargs", [{}, {"n_fft": 256, "hop_length": 64, "power": 1.0},
                                    {"n_fft": 128, "win_length": 100, "normalized": True, "pad": 7},
                                    {"n_fft": 64, "center": False}, {"n_fft": 64, "pad_mode": "constant"}])
def test_spectrogram_equals_torch_stft_forward_and_gradient(kwargs):
    x = _wave((2, 3, 900))
    module = T.Spectrogram(window_fn=_hann64, **kwargs)
    ours = ember.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ref = _torch_spec(xt, module.n_fft, module.hop_length, module.win_length, module.power, module.normalized,
                      module.center, module.pad_mode, module.pad)
    out = module(ours)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-9)
    g = _wave(tuple(ref.shape), seed=1)
    (out * ember.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-8)


def test_complex_spectrogram_power_none():
    x = _wave((500,))
    out = T.Spectrogram(n_fft=100, power=None, window_fn=_hann64)(ember.tensor(x, dtype=ember.float64))
    ref = torch.stft(torch.tensor(x), 100, 50, 100, torch.hann_window(100, dtype=torch.float64),
                     return_complex=True)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-9)


@pytest.mark.parametrize("mel_scale,norm,n_mels,f_min,f_max,sr,n_fft", [
    ("htk", None, 40, 0.0, None, 16000, 400), ("slaney", "slaney", 64, 20.0, 7600.0, 16000, 512),
    ("htk", "slaney", 23, 50.0, 4000.0, 8000, 256), ("slaney", None, 128, 0.0, None, 22050, 2048)])
def test_melscale_fbanks_equal_librosa(mel_scale, norm, n_mels, f_min, f_max, sr, n_fft):
    fmax = sr / 2 if f_max is None else f_max
    ours = AF.melscale_fbanks(n_fft // 2 + 1, f_min, fmax, n_mels, sr, norm, mel_scale).numpy()
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=f_min, fmax=fmax, htk=mel_scale == "htk",
                              norm=norm, dtype=np.float64).T
    scale = np.abs(ref).max()
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-6 * scale)


def test_create_dct_equals_scipy_dct():
    for norm in (None, "ortho"):
        D = AF.create_dct(13, 40, norm).numpy()
        ref = scipy.fft.dct(np.eye(40), type=2, norm=norm, axis=0)[:13].T  # column k: DCT of each basis vector
        np.testing.assert_allclose(D, ref, rtol=1e-6, atol=1e-6)


def test_mel_spectrogram_equals_librosa_and_gradient_equals_torch():
    x = _wave((1, 4000), seed=3) * 0.1
    module = T.MelSpectrogram(sample_rate=16000, n_fft=512, hop_length=160, n_mels=40, norm="slaney",
                              mel_scale="slaney", window_fn=_hann64).double()
    ours = ember.tensor(x, requires_grad=True)
    out = module(ours)
    ref = librosa.feature.melspectrogram(y=x[0], sr=16000, n_fft=512, hop_length=160, window="hann",
                                         center=True, pad_mode="reflect", power=2.0, n_mels=40, htk=False,
                                         norm="slaney")
    np.testing.assert_allclose(out.detach().numpy()[0], ref, rtol=2e-5, atol=1e-7 * ref.max())
    # gradient: torch's stft power spectrogram times librosa's filter bank (float64)
    fb = torch.tensor(librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, htk=False, norm="slaney",
                                          dtype=np.float64).T)
    xt = torch.tensor(x, requires_grad=True)
    mel_t = torch.matmul(_torch_spec(xt, 512, 160, 512, 2.0).transpose(-1, -2), fb).transpose(-1, -2)
    g = _wave(tuple(mel_t.shape), seed=4)
    (out * ember.tensor(g)).sum().backward()
    (mel_t * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), xt.grad.numpy(), rtol=2e-5, atol=1e-6 * xt.grad.abs().max().item())


@pytest.mark.parametrize("top_db", [None, 60.0])
def test_amplitude_to_db_equals_librosa_power_to_db(top_db):
    S = np.abs(_wave((20, 30), seed=5)) ** 4 + 0.0
    S[0, 0] = 0.0                                      # below amin: clamped
    ours = T.AmplitudeToDB("power", top_db)(ember.tensor(S)).numpy()
    ref = librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=top_db)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-9)
    mag = T.AmplitudeToDB("magnitude", top_db)(ember.tensor(np.sqrt(S))).numpy()
    # librosa.amplitude_to_db clamps at amin=1e-5 before squaring; torchaudio at 1e-10 on the magnitude
    db = 20 * np.log10(np.maximum(np.sqrt(S), 1e-10))
    np.testing.assert_allclose(mag, db if top_db is None else np.maximum(db, db.max() - top_db), atol=1e-9)


def test_amplitude_to_db_top_db_is_per_spectrogram_and_gradient_equals_torch():
    S = np.abs(_wave((2, 3, 8, 9), seed=6)) ** 2
    S[1] *= 1e-4                                      # a quiet example: its own floor, not the batch's
    ours = ember.tensor(S, requires_grad=True)
    out = AF.amplitude_to_DB(ours, 10.0, 1e-10, 0.0, top_db=20.0)
    for b in range(2):
        np.testing.assert_allclose(out.detach().numpy()[b], librosa.power_to_db(S[b], top_db=20.0), atol=1e-9)
    st = torch.tensor(S, requires_grad=True)
    db = 10 * torch.log10(st.clamp(min=1e-10))
    ref = torch.max(db, db.amax(dim=(-3, -2, -1), keepdim=True) - 20.0)
    g = _wave(S.shape, seed=7)
    (out * ember.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), st.grad.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("log_mels", [False, True])
def test_mfcc_equals_librosa(log_mels):
    x = _wave((3000,), seed=8) * 0.05
    melkwargs = {"n_fft": 400, "hop_length": 160, "n_mels": 40}
    module = T.MFCC(sample_rate=16000, n_mfcc=13, log_mels=log_mels, melkwargs=melkwargs)
    ours = module(ember.tensor(x, dtype=ember.float32)).numpy()
    mel = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, pad_mode="reflect", n_mels=40,
                                         htk=True, norm=None)
    logmel = np.log(mel + 1e-6) if log_mels else librosa.power_to_db(mel, top_db=80.0)
    ref = scipy.fft.dct(logmel, type=2, norm="ortho", axis=0)[:13]
    np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=2e-3)
    if not log_mels:
        np.testing.assert_allclose(ours, librosa.feature.mfcc(S=logmel, n_mfcc=13), rtol=1e-3, atol=2e-3)


def test_mfcc_gradient_equals_torch():
    x = _wave((1, 1200), seed=9) * 0.1
    module = T.MFCC(sample_rate=8000, n_mfcc=10, melkwargs={"n_fft": 256, "n_mels": 20, "window_fn": _hann64})
    module = module.double()     # its filter bank and DCT buffers were made in float32, as torchaudio's
    ours = ember.tensor(x, requires_grad=True)
    out = module(ours)
    fb = torch.tensor(librosa.filters.mel(sr=8000, n_fft=256, n_mels=20, htk=True, norm=None, dtype=np.float64).T)
    dct = torch.tensor(scipy.fft.dct(np.eye(20), type=2, norm="ortho", axis=0)[:10].T)
    xt = torch.tensor(x, requires_grad=True)
    mel = torch.matmul(_torch_spec(xt, 256, 128, 256, 2.0).transpose(-1, -2), fb).transpose(-1, -2)
    db = 10 * torch.log10(mel.clamp(min=1e-10))
    db = torch.max(db, db.amax() - 80.0)
    ref = torch.matmul(db.transpose(-1, -2), dct).transpose(-1, -2)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = _wave(tuple(ref.shape), seed=10)
    (out * ember.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5 * xt.grad.abs().max().item())


def test_module_defaults_are_torchaudios():
    s = T.Spectrogram()
    assert (s.n_fft, s.win_length, s.hop_length, s.power, s.center, s.pad_mode) == (400, 400, 200, 2.0, True,
                                                                                    "reflect")
    np.testing.assert_allclose(s.window.numpy(), torch.hann_window(400).numpy(), atol=3e-7)
    with pytest.warns(UserWarning, match="all zero values"):   # 128 mels over 201 bins: torchaudio warns too
        m = T.MelSpectrogram()
    assert (m.sample_rate, m.n_mels, m.mel_scale.f_max, tuple(m.mel_scale.fb.shape)) == (16000, 128, 8000.0,
                                                                                       (201, 128))
    with pytest.warns(UserWarning, match="all zero values"):
        mf = T.MFCC()
    assert (mf.n_mfcc, mf.top_db, tuple(mf.dct_mat.shape)) == (40, 80.0, (128, 40))
    assert "window" in dict(s.named_buffers()) and "mel_scale.fb" in dict(m.named_buffers())


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="MelScale.*201"):
        T.MelScale(n_mels=40)(ember.zeros(1, 100, 5))
    with pytest.raises(ValueError, match="n_mfcc.*n_mels"):
        T.MFCC(n_mfcc=50, melkwargs={"n_mels": 40})
    with pytest.raises(ValueError, match="mel_scale"):
        AF.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, mel_scale="bark")
