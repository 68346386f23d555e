"""More ember.keras layers against Keras 3 (torch backend), through the shared harness of
``test_keras_layers_vs_keras``: adaptive pooling and the other layers Keras 3.15 added."""
import pytest

from tests.keras.test_keras_layers_vs_keras import check_layer_against_keras

ROWS = [
    ("adaptive_avg1d", "AdaptiveAveragePooling1D", dict(output_size=3), [(2, 7, 3)], {}),
    ("adaptive_avg1d_grow", "AdaptiveAveragePooling1D", dict(output_size=5), [(2, 3, 2)], {}),
    ("adaptive_avg2d", "AdaptiveAveragePooling2D", dict(output_size=(2, 3)), [(2, 5, 7, 3)], {}),
    ("adaptive_avg2d_channels_first", "AdaptiveAveragePooling2D", dict(output_size=2, data_format="channels_first"),
     [(2, 3, 5, 4)], {}),
    ("adaptive_avg3d", "AdaptiveAveragePooling3D", dict(output_size=(2, 1, 3)), [(1, 4, 3, 5, 2)], {}),
    ("adaptive_max1d", "AdaptiveMaxPooling1D", dict(output_size=4), [(2, 9, 3)], {}),
    ("adaptive_max2d", "AdaptiveMaxPooling2D", dict(output_size=3), [(2, 7, 5, 2)], {}),
    ("adaptive_max2d_channels_first", "AdaptiveMaxPooling2D", dict(output_size=(2, 2), data_format="channels_first"),
     [(1, 3, 5, 6)], {}),
    ("adaptive_max3d", "AdaptiveMaxPooling3D", dict(output_size=2), [(1, 5, 4, 3, 2)], {}),
    ("reversible_embedding", "ReversibleEmbedding", dict(input_dim=7, output_dim=3), [(2, 5)], dict(int_input=7)),
    ("reversible_embedding_untied", "ReversibleEmbedding",
     dict(input_dim=6, output_dim=4, tie_weights=False, mask_zero=True), [(2, 3)], dict(int_input=6)),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_layer_matches_keras(row):
    _, name, kwargs, shapes, options = row
    check_layer_against_keras(name, kwargs, shapes, **options)


def test_adaptive_pooling_argument_errors():
    from ember import keras as ek
    with pytest.raises(TypeError, match="output_size"):
        ek.layers.AdaptiveMaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="expects inputs of rank 4"):
        ek.layers.AdaptiveAveragePooling2D(2)(ek.ops.ones((2, 3, 4)))


@pytest.mark.parametrize("kwargs", [dict(), dict(tie_weights=False), dict(logit_soft_cap=2.0),
                                    dict(tie_weights=False, reverse_dtype="float64")])
def test_reversible_embedding_reverse_matches_keras(kwargs):
    import keras
    import numpy as np
    import torch

    import ember
    from ember import keras as ek
    kl = keras.layers.ReversibleEmbedding(7, 3, **kwargs)
    el = ek.layers.ReversibleEmbedding(7, 3, **kwargs)
    ids = np.array([[1, 2, 0]])
    kl(torch.tensor(ids))
    el(ids)
    assert [w.name for w in el.weights] == [w.name for w in kl.weights]
    for e, k in zip(el.weights, kl.weights):
        e.assign(k.value.detach().numpy())
    h = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    kh, eh = torch.tensor(h, requires_grad=True), ember.tensor(h, requires_grad=True)
    ky, ey = kl(kh, reverse=True), el(eh, reverse=True)
    np.testing.assert_allclose(ey.numpy(force=True), ky.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert el.compute_output_shape((None, 4, 3), reverse=True) == tuple(kl.compute_output_shape((None, 4, 3),
                                                                                                 reverse=True))
    ky.sum().backward()
    ey.sum().backward()
    np.testing.assert_allclose(eh.grad.numpy(), kh.grad.numpy(), rtol=1e-5, atol=1e-5)
    for e, k in zip(el.weights, kl.weights):
        if k.value.grad is None:  # the untied lookup table is not used by the reverse pass
            assert e.grad is None or not np.any(e.grad.numpy())
        else:
            np.testing.assert_allclose(e.grad.numpy(), k.value.grad.numpy(), rtol=1e-5, atol=1e-5)


STFT_ROWS = [
    ("stft_log", dict(frame_length=8, frame_step=4), [(2, 20, 1)]),
    ("stft_magnitude_two_channels", dict(mode="magnitude", frame_length=6, fft_length=8), [(2, 16, 2)]),
    ("stft_psd_same", dict(mode="psd", frame_length=8, frame_step=3, padding="same"), [(1, 17, 1)]),
    ("stft_stft_expand", dict(mode="stft", frame_length=4, expand_dims=True), [(2, 12, 2)]),
    ("stft_real_channels_first", dict(mode="real", frame_length=8, data_format="channels_first"), [(2, 1, 20)]),
    ("stft_imag_hamming", dict(mode="imag", frame_length=8, window="hamming", periodic=True, scaling="spectrum"),
     [(1, 16, 1)]),
    ("stft_angle_no_window", dict(mode="angle", frame_length=8, window=None, scaling=None), [(1, 16, 1)]),
]


@pytest.mark.parametrize("row", STFT_ROWS, ids=[r[0] for r in STFT_ROWS])
def test_stft_spectrogram_matches_keras(row):
    _, kwargs, shapes = row
    # angle is not differentiable where both parts vanish; its gradient row is still compared (no zeros here).
    check_layer_against_keras("STFTSpectrogram", kwargs, shapes, tol=1e-4)


MEL_ROWS = [
    dict(fft_length=64, sequence_stride=16, num_mel_bins=10, sampling_rate=8000),
    dict(fft_length=32, sequence_stride=8, sequence_length=24, num_mel_bins=6, power_to_db=False, mag_exp=1.0,
         window="hamming"),
    dict(fft_length=64, sequence_stride=32, num_mel_bins=8, top_db=20.0, ref_power=2.0, min_freq=100, max_freq=3000,
         sampling_rate=8000),
]


@pytest.mark.parametrize("kwargs", MEL_ROWS, ids=[str(i) for i in range(len(MEL_ROWS))])
def test_mel_spectrogram_matches_keras(kwargs):
    import keras
    import numpy as np
    import torch

    import ember
    from ember import keras as ek
    x = np.random.default_rng(0).standard_normal((2, 300)).astype(np.float32)
    kx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    kl, el = keras.layers.MelSpectrogram(**kwargs), ek.layers.MelSpectrogram(**kwargs)
    ky, ey = kl(kx), el(ex)
    np.testing.assert_allclose(ey.numpy(force=True), ky.detach().numpy(), rtol=1e-4, atol=1e-4)
    assert el.compute_output_shape((None, 300)) == tuple(kl.compute_output_shape((None, 300)))
    if not kwargs.get("power_to_db", True):  # the dB floor's max is not smooth; compare gradients without it
        ky.sum().backward()
        ey.sum().backward()
        np.testing.assert_allclose(ex.grad.numpy(), kx.grad.numpy(), rtol=1e-3, atol=1e-3)
    cfg = kl.get_config()
    rebuilt = ek.layers.MelSpectrogram.from_config(cfg).get_config()
    assert {k: rebuilt[k] for k in cfg if k not in ("name", "dtype")} == \
        {k: v for k, v in cfg.items() if k not in ("name", "dtype")}
