"""Resampling against a float64 evaluation of the windowed-sinc formula, one output sample at a time, and
against the signal itself (a band-limited tone resampled is the same tone at the new rate); SpecAugment
masks against their definition on the generator's own draws. Gradients: float64 central differences."""
import math

import numpy as np
import pytest

import ember
from ember.audio import functional as AF, transforms as T


def _reference_resample(x, orig, new, width=6, rolloff=0.99, method="sinc_interp_hann", beta=14.769656459379492):
    """y[m] = sum_i x[i] (b/o) sinc(b (i - m o/n) / o) w(.), b = rolloff min(o, n): a direct sum per sample."""
    g = math.gcd(orig, new)
    o, n = orig // g, new // g
    b = min(o, n) * rolloff
    i = np.arange(x.shape[-1], dtype=np.float64)
    out_len = math.ceil(n * x.shape[-1] / o)
    y = np.zeros(x.shape[:-1] + (out_len,))
    for m in range(out_len):
        t = b * (i - m * o / n) / o                      # distance in zero crossings of the low-pass
        inside = np.abs(t) <= width
        if method == "sinc_interp_hann":
            w = np.cos(np.pi * t / (2 * width)) ** 2
        else:
            w = np.i0(beta * np.sqrt(np.clip(1 - (t / width) ** 2, 0, None))) / np.i0(beta)
        h = np.where(inside, (b / o) * np.sinc(t) * w, 0.0)
        y[..., m] = x @ h
    return y


@pytest.mark.parametrize("orig,new,method", [(22050, 16000, "sinc_interp_hann"), (16000, 8000, "sinc_interp_hann"),
                                             (8000, 11025, "sinc_interp_kaiser"), (3, 5, "sinc_interp_hann")])
def test_resample_equals_the_windowed_sinc_formula(orig, new, method):
    x = np.random.default_rng(0).standard_normal((2, 700))
    ours = AF.resample(ember.tensor(x), orig, new, resampling_method=method).numpy()
    ref = _reference_resample(x, orig, new, method=method)
    assert ours.shape == ref.shape == (2, math.ceil(new * 700 / orig))
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-10)
    module = T.Resample(orig, new, resampling_method=method, dtype=ember.float64)
    np.testing.assert_allclose(module(ember.tensor(x)).numpy(), ref, rtol=1e-9, atol=1e-10)


def test_resampled_tone_is_the_tone_at_the_new_rate():
    f = 440.0
    x = np.sin(2 * np.pi * f * np.arange(22050) / 22050)
    y = AF.resample(ember.tensor(x[None], dtype=ember.float32), 22050, 16000)[0].numpy()
    truth = np.sin(2 * np.pi * f * np.arange(16000) / 16000)
    interior = slice(200, -200)                          # the ends see the zero padding
    assert np.abs(y[interior] - truth[interior]).max() < 2e-3
    # a tone above the new Nyquist frequency is filtered out, not aliased
    z = np.sin(2 * np.pi * 10000 * np.arange(22050) / 22050)
    assert np.abs(AF.resample(ember.tensor(z[None]), 22050, 16000)[0].numpy()[interior]).max() < 1e-2


def test_resample_gradient_matches_finite_differences():
    x = ember.tensor(np.random.default_rng(1).standard_normal((1, 23)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: AF.resample(t, 5, 3), (x,))
    assert ember.autograd.gradcheck(lambda t: AF.resample(t, 2, 3, lowpass_filter_width=3), (x,))


def test_resample_errors():
    with pytest.raises(ValueError, match="positive integers"):
        AF.resample(ember.zeros(1, 10), 44100.5, 16000)
    with pytest.raises(ValueError, match="resampling_method"):
        AF.resample(ember.zeros(1, 10), 2, 3, resampling_method="linear")


def _expected_mask(size, mask_param, u1, u2):
    value = u1 * mask_param
    start = int(u2 * (size - value))
    return start, start + int(value)


@pytest.mark.parametrize("axis", [1, 2])
def test_mask_along_axis_follows_its_definition(axis):
    x = ember.tensor(np.random.default_rng(2).standard_normal((3, 12, 30)) + 10.0, requires_grad=True)
    for seed in range(5):
        ember.manual_seed(seed)
        u = ember.rand(2).numpy()                      # the two draws mask_along_axis will make
        ember.manual_seed(seed)
        out = AF.mask_along_axis(x, mask_param=8, mask_value=-1.0, axis=axis)
        start, end = _expected_mask(x.shape[axis], 8, float(u[0]), float(u[1]))
        expected = x.detach().numpy().copy()
        idx = [slice(None)] * 3
        idx[axis] = slice(start, end)
        expected[tuple(idx)] = -1.0
        np.testing.assert_array_equal(out.detach().numpy(), expected)
        assert end - start < 8
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (expected != -1.0).astype(np.float64))


def test_iid_masks_differ_per_example_and_follow_the_definition():
    x = ember.ones(4, 2, 10, 50)
    ember.manual_seed(3)
    value = ember.rand(4, 2).numpy() * 20
    lo = ember.rand(4, 2).numpy() * (50 - value)
    ember.manual_seed(3)
    out = T.TimeMasking(time_mask_param=20, iid_masks=True)(x).numpy()
    for b in range(4):
        for c in range(2):
            start, end = int(lo[b, c]), int(lo[b, c]) + int(value[b, c])
            cols = np.where(out[b, c].min(0) == 0)[0]
            np.testing.assert_array_equal(cols, np.arange(start, end))
            assert (out[b, c][:, cols] == 0).all()
    assert len({tuple(np.where(out[b, 0].min(0) == 0)[0]) for b in range(4)}) > 1


def test_frequency_masking_and_time_masking_p():
    ember.manual_seed(4)
    out = T.FrequencyMasking(freq_mask_param=15)(ember.ones(1, 40, 20)).numpy()[0]
    rows = np.where(out.min(1) == 0)[0]
    assert len(rows) < 15 and (rows.size == 0 or np.array_equal(rows, np.arange(rows[0], rows[-1] + 1)))
    assert (out[:, 0] == out[:, 5]).all()               # a frequency mask spans all time
    for seed in range(10):
        ember.manual_seed(seed)
        m = T.TimeMasking(time_mask_param=50, p=0.1)(ember.ones(1, 4, 60)).numpy()[0]
        assert (m.min(0) == 0).sum() < 6                # at most p * 60 columns
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        T.TimeMasking(5, iid_masks=True)(ember.ones(8, 20))


def test_mu_law_follows_its_formula_and_round_trips():
    x = np.linspace(-1, 1, 2001)
    mu = 255.0
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    ref = np.floor((y + 1) / 2 * mu + 0.5)
    q = AF.mu_law_encoding(ember.tensor(x), 256).numpy()
    np.testing.assert_array_equal(q, ref)
    back = AF.mu_law_decoding(ember.tensor(q), 256).numpy()
    yq = q / mu * 2 - 1
    np.testing.assert_allclose(back, np.sign(yq) * ((1 + mu) ** np.abs(yq) - 1) / mu, rtol=1e-6, atol=1e-7)
    # 8-bit mu-law: the error is relative, about 3% of the level at most
    loud = np.abs(x) > 0.01
    assert (np.abs(back - x)[loud] / np.abs(x)[loud]).max() < 0.04
