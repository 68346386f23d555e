"""RandomElasticTransform and ContrastLimitedAdaptiveHistogramEqualization against Keras 3 (torch backend):
CLAHE gives Keras's output on the same images; the elastic warp, with the same standard-normal fields that
Keras's torch ``elastic_transform`` draws (replayed by reseeding torch), gives Keras's output; draws are
seeded, factor 0 is the identity, configs round-trip through Keras's."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ember import keras as ek  # noqa: E402
from ember.keras.layers import preprocessing_spatial_more as psm  # noqa: E402

CLAHE = psm.ContrastLimitedAdaptiveHistogramEqualization
KCLAHE = keras.layers.ContrastLimitedAdaptiveHistogramEqualization


@pytest.mark.parametrize("shape,kwargs", [
    ((2, 16, 16, 3), dict()),
    ((2, 13, 10, 2), dict(tile_grid_size=(3, 4), clip_limit=2.0)),
    ((1, 9, 12, 1), dict(tile_grid_size=(2, 2), clip_limit=0.0)),
    ((2, 3, 11, 7), dict(tile_grid_size=(4, 3), clip_limit=1.5, data_format="channels_first")),
    ((12, 10, 3), dict(tile_grid_size=(2, 5), clip_limit=40.0)),
    ((1, 32, 30, 2), dict(tile_grid_size=(2, 2), clip_limit=2.5)),  # 240-pixel tiles: a clip limit of 2
])
def test_clahe_matches_keras(shape, kwargs):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, shape).astype(np.float32)
    x[..., :3, :] = np.floor(x[..., :3, :] / 64) * 64  # a few flat regions so that clipping matters
    got = CLAHE(**kwargs)(x).numpy()
    want = keras.ops.convert_to_numpy(KCLAHE(**kwargs)(torch.tensor(x)))
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-3)


def test_clahe_value_range_inference_and_config():
    x = np.random.default_rng(1).uniform(0, 1, (2, 8, 8, 3)).astype(np.float32)
    kl = KCLAHE(value_range=(0, 1), tile_grid_size=(2, 2), clip_limit=3.0)
    el = CLAHE.from_config(kl.get_config())
    want = keras.ops.convert_to_numpy(kl(torch.tensor(x), training=False))
    np.testing.assert_allclose(el(x, training=False).numpy(), want, atol=1e-5)
    np.testing.assert_allclose(el.transform_images(x).numpy(), want, atol=1e-5)
    cfg = el.get_config()
    assert cfg["tile_grid_size"] == [2, 2] and cfg["clip_limit"] == 3.0 and cfg["value_range"] == [0, 1]
    assert KCLAHE.from_config(cfg).get_config()["clip_limit"] == 3.0
    with pytest.raises(ValueError, match="tile_grid_size"):
        CLAHE(tile_grid_size=(0, 2))


def _keras_elastic(kl, x, params):
    """Keras's output with ember's draw: reseeding torch makes Keras's elastic_transform draw, on its own,
    the same standard-normal fields that were handed to ember."""
    torch.manual_seed(7)
    n = 1 if x.ndim == 3 else x.shape[0]
    h, w = (x.shape[-3], x.shape[-2]) if kl.data_format == "channels_last" else (x.shape[-2], x.shape[-1])
    dx = torch.normal(0.0, 1.0, size=(n, h, w))
    dy = torch.normal(0.0, 1.0, size=(n, h, w))
    params = dict(params, displacement_noise=np.stack([dx.numpy(), dy.numpy()]))
    torch.manual_seed(7)
    kparams = {"apply_transform": torch.tensor(params["apply_transform"]),
               "distortion_factor": torch.tensor(params["distortion_factor"]), "seed": None}
    return params, keras.ops.convert_to_numpy(kl.transform_images(torch.tensor(x), kparams))


@pytest.mark.parametrize("shape,kwargs", [
    ((3, 16, 16, 2), dict()),
    ((2, 12, 20, 3), dict(factor=0.8, scale=(0.5, 1.0), fill_mode="constant", fill_value=9.0)),
    ((2, 14, 14, 1), dict(interpolation="nearest", fill_mode="nearest")),
    ((2, 2, 15, 18), dict(scale=0.9, fill_mode="mirror", data_format="channels_first")),
    ((10, 20, 3), dict(value_range=(0, 1), fill_mode="wrap")),
])
def test_elastic_matches_keras_with_the_same_draw(shape, kwargs):
    hi = kwargs.get("value_range", (0, 255))[1]
    x = np.random.default_rng(2).uniform(0, hi, shape).astype(np.float32)
    el, kl = psm.RandomElasticTransform(seed=4, **kwargs), keras.layers.RandomElasticTransform(**kwargs)
    params = el.get_random_transformation(x)
    n = 1 if x.ndim == 3 else x.shape[0]
    kdraw = kl.get_random_transformation(torch.tensor(x))
    assert params["apply_transform"].shape == tuple(kdraw["apply_transform"].shape) == (n,)
    assert params["displacement_noise"].shape[:2] == (2, n) and params["distortion_factor"].shape == ()
    params, want = _keras_elastic(kl, x, params)
    got = el.transform_images(x, params).numpy()
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-3 * hi)
    assert got.min() >= 0 and got.max() <= hi
    if params["apply_transform"].any():
        assert not np.allclose(got, x)


def test_elastic_seed_identity_inference_and_config():
    x = np.random.default_rng(3).uniform(0, 255, (2, 10, 10, 3)).astype(np.float32)
    a = psm.RandomElasticTransform(seed=5).get_random_transformation(x)
    b = psm.RandomElasticTransform(seed=5).get_random_transformation(x)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    np.testing.assert_array_equal(psm.RandomElasticTransform(seed=5)(x, training=True).numpy(),
                                  psm.RandomElasticTransform(seed=5)(x, training=True).numpy())
    for kwargs in (dict(factor=0.0), dict(scale=0.0)):
        el, kl = psm.RandomElasticTransform(**kwargs), keras.layers.RandomElasticTransform(**kwargs)
        assert el.get_random_transformation(x) is None and kl.get_random_transformation(torch.tensor(x)) is None
        np.testing.assert_array_equal(el(x, training=True).numpy(), x)
    np.testing.assert_array_equal(psm.RandomElasticTransform()(x, training=False).numpy(), x)
    kl = keras.layers.RandomElasticTransform(factor=(0.2, 0.6), scale=0.3, fill_mode="constant", seed=2)
    cfg = psm.RandomElasticTransform.from_config(kl.get_config()).get_config()
    assert cfg["factor"] == [0.2, 0.6] and cfg["scale"] == [0.0, 0.3] and cfg["fill_mode"] == "constant"
    assert keras.layers.RandomElasticTransform.from_config(cfg).get_config()["scale"] == (0.0, 0.3)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        psm.RandomElasticTransform(fill_mode="bogus")
    with pytest.raises(ValueError, match="scale"):
        psm.RandomElasticTransform(scale=2.0)
