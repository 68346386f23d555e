"""The colour augmentation layers against Keras 3: with the same sampled parameters (drawn by ember,
handed to Keras's own ``transform_images``) the outputs agree; draws are in range, seeded layers repeat,
inference passes images through, and configs round-trip through Keras's."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ember import keras as ek  # noqa: E402

ROWS = [
    ("RandomGrayscale", dict(factor=0.5)),
    ("RandomInvert", dict(factor=0.8)),
    ("RandomInvert", dict(factor=(0.2, 1.0), value_range=(0, 1))),
    ("Solarization", dict(addition_factor=0.3, threshold_factor=(0.2, 0.8))),
    ("Solarization", dict(threshold_factor=0.5, value_range=(0, 1))),
    ("RandomPosterization", dict(factor=(2, 6))),
    ("RandomPosterization", dict(factor=(3, 3), value_range=(0, 1))),
    ("RandomColorDegeneration", dict(factor=0.7)),
    ("RandomSaturation", dict(factor=(0.2, 0.9))),
    ("RandomSaturation", dict(factor=0.5, value_range=(0, 1))),
    ("RandomHue", dict(factor=0.6)),
    ("RandomHue", dict(factor=(0.1, 0.9), value_range=(0, 1))),
    ("RandomSharpness", dict(factor=(0.0, 1.0))),
    ("RandomSharpness", dict(factor=0.4, data_format="channels_first")),
    ("RandomGaussianBlur", dict()),
    ("RandomGaussianBlur", dict(factor=0.7, kernel_size=5, sigma=(0.5, 2.0))),
    # (Keras 3.15's torch gaussian_blur mishandles non-square kernels, so the rows use square ones.)
    ("RandomGaussianBlur", dict(kernel_size=5, data_format="channels_first")),
]


def _images(kwargs, channels_first=False):
    hi = kwargs.get("value_range", (0, 255))[1]
    a = np.random.default_rng(0).uniform(0, hi, (3, 5, 6, 3)).astype(np.float32)
    return np.moveaxis(a, -1, 1).copy() if channels_first else a


@pytest.mark.parametrize("name,kwargs", ROWS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ROWS)])
def test_color_layer_matches_keras_with_the_same_parameters(name, kwargs):
    images = _images(kwargs, kwargs.get("data_format") == "channels_first")
    el = getattr(ek.layers, name)(seed=3, **kwargs)
    kl = getattr(keras.layers, name)(seed=3, **kwargs)
    params = el.get_random_transformation(images)
    got = el.transform_images(images, params).numpy()
    kparams = {k: torch.tensor(np.asarray(v)) for k, v in params.items()}
    if name == "RandomGrayscale":
        kparams = kparams["should_apply"].reshape(-1, 1, 1, 1)
    want = keras.ops.convert_to_numpy(kl.transform_images(torch.tensor(images), kparams, training=True))
    tol = 1e-3 if kwargs.get("value_range", (0, 255))[1] > 1 else 1e-5
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=tol)
    assert got.shape == images.shape and got.dtype == np.float32
    lo, hi = kwargs.get("value_range", (0, 255))
    # Keras's RandomSaturation clips the HSV saturation to value_range and so leaves [0, 255] images outside
    # their range (ember matches it, as checked above); every other layer stays in range.
    if not (name == "RandomSaturation" and hi > 1):
        assert got.min() >= lo - 1e-4 and got.max() <= hi + 1e-4

    # Seeded layers draw the same parameters again; inference (training=False) is the identity.
    again = getattr(ek.layers, name)(seed=3, **kwargs).get_random_transformation(images)
    for key in params:
        np.testing.assert_array_equal(np.asarray(params[key]), np.asarray(again[key]))
    np.testing.assert_array_equal(el(images, training=False).numpy(), images)
    out = el(images, training=True).numpy()
    assert out.shape == images.shape
    single = el(images[0], training=True).numpy()
    assert single.shape == images[0].shape

    # Keras's config builds the ember layer and back.
    cfg = kl.get_config()
    rebuilt = getattr(ek.layers, name).from_config(cfg).get_config()
    for key, value in rebuilt.items():
        if key in cfg and key not in ("name", "dtype", "trainable"):
            assert list(np.ravel(value)) == list(np.ravel(cfg[key])) if isinstance(value, (list, tuple)) \
                else value == cfg[key], (key, value, cfg[key])


def test_color_layer_factor_errors():
    with pytest.raises(ValueError, match="between 0 and 1"):
        ek.layers.RandomGrayscale(factor=1.5)
    with pytest.raises(ValueError, match="range \\[1, 8\\]"):
        ek.layers.RandomPosterization(factor=9)
    with pytest.raises(ValueError, match="addition_factor"):
        ek.layers.Solarization(addition_factor=2.0)
    with pytest.raises(ValueError, match="rank 3 or 4"):
        ek.layers.RandomHue(0.3)(np.ones((2, 3), np.float32), training=True)


@pytest.mark.parametrize("kwargs", [dict(), dict(bins=32), dict(value_range=(0, 1)), dict(data_format="channels_first")])
def test_equalization_matches_keras(kwargs):
    hi = kwargs.get("value_range", (0, 255))[1]
    x = (np.random.default_rng(0).random((2, 6, 5, 3)) ** 2 * hi).astype(np.float32)
    if kwargs.get("data_format") == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    got = ek.layers.Equalization(**kwargs)(x, training=True).numpy()
    want = keras.ops.convert_to_numpy(keras.layers.Equalization(**kwargs)(x, training=True))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)
    flat = np.full((1, 3, 3, 3), 7.0, np.float32)  # one bin: left as it is
    np.testing.assert_array_equal(ek.layers.Equalization()(flat, training=True).numpy(), flat)
    cfg = keras.layers.Equalization(**kwargs).get_config()
    assert ek.layers.Equalization.from_config(cfg).get_config()["bins"] == cfg["bins"]


def test_pipeline_matches_keras_and_round_trips_its_config():
    kp = keras.layers.Pipeline([keras.layers.RandomFlip("horizontal", data_format="channels_first"),
                                keras.layers.Rescaling(2.0, offset=1.0), keras.layers.Solarization(0.0, 0.5)])
    ep = ek.layers.Pipeline.from_config(kp.get_config())
    assert [type(layer).__name__ for layer in ep.layers] == [type(layer).__name__ for layer in kp.layers]
    assert ep.layers[0].data_format == "channels_first"
    x = np.random.default_rng(0).uniform(0, 100, (2, 3, 4, 4)).astype(np.float32)
    # At inference the random layers pass through: both apply only the rescaling.
    np.testing.assert_allclose(ep(x, training=False).numpy(),
                               keras.ops.convert_to_numpy(kp(x, training=False)), rtol=1e-6)
    again = ek.layers.Pipeline.from_config(ep.get_config())
    assert [type(layer).__name__ for layer in again.layers] == ["RandomFlip", "Rescaling", "Solarization"]
    out = ep(x, training=True).numpy()
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 255


def test_mix_up_matches_keras_with_the_same_draw():
    x = np.random.default_rng(0).uniform(0, 255, (5, 3, 4, 2)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]]
    el, kl = ek.layers.MixUp(alpha=0.4, seed=2), keras.layers.MixUp(alpha=0.4)
    params = el.get_random_transformation(x)
    assert sorted(params["permutation_order"].tolist()) == list(range(5))
    assert np.all((params["mix_weight"] >= 0) & (params["mix_weight"] <= 1))
    kparams = {k: torch.tensor(np.asarray(v)) for k, v in params.items()}
    np.testing.assert_allclose(el.transform_images(x, params).numpy(),
                               keras.ops.convert_to_numpy(kl.transform_images(torch.tensor(x), kparams)), atol=1e-4)
    np.testing.assert_allclose(el.transform_labels(y, params).numpy(),
                               keras.ops.convert_to_numpy(kl.transform_labels(torch.tensor(y), kparams)), atol=1e-6)
    out = el({"images": x, "labels": y}, training=True)
    np.testing.assert_allclose(out["labels"].numpy().sum(axis=1), np.ones(5), rtol=1e-6)
    np.testing.assert_array_equal(el({"images": x, "labels": y}, training=False)["images"].numpy(), x)
    again = ek.layers.MixUp(alpha=0.4, seed=2).get_random_transformation(x)
    np.testing.assert_array_equal(again["mix_weight"], params["mix_weight"])
    assert ek.layers.MixUp.from_config(kl.get_config()).get_config()["alpha"] == 0.4


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cut_mix_matches_keras_with_the_same_draw(data_format):
    x = np.random.default_rng(0).uniform(0, 255, (4, 6, 5, 2)).astype(np.float32)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    el, kl = ek.layers.CutMix(seed=1, data_format=data_format), keras.layers.CutMix(data_format=data_format)
    params = el.get_random_transformation(x)
    kshapes = {k: tuple(v.shape) for k, v in kl.get_random_transformation(torch.tensor(x)).items()}
    assert {k: np.asarray(v).shape for k, v in params.items()} == kshapes
    kparams = {k: torch.tensor(np.asarray(v)) for k, v in params.items()}
    got = el.transform_images(x, params).numpy()
    np.testing.assert_array_equal(got, keras.ops.convert_to_numpy(kl.transform_images(torch.tensor(x), kparams)))
    np.testing.assert_allclose(el.transform_labels(y, params).numpy(),
                               keras.ops.convert_to_numpy(kl.transform_labels(torch.tensor(y), kparams)), atol=1e-6)
    # The label weight is the box's continuous area left out (Keras's formula), a share in [0, 1].
    assert np.all((params["mix_weight"] >= 0) & (params["mix_weight"] <= 1))
    out = el({"images": x, "labels": y}, training=True)
    np.testing.assert_allclose(out["labels"].numpy().sum(axis=1), np.ones(4), rtol=1e-6)
    np.testing.assert_array_equal(el(x[0], training=True).numpy(), x[0])
    assert ek.layers.CutMix.from_config(kl.get_config()).get_config()["factor"] == [0, 1.0]


@pytest.mark.parametrize("kwargs", [dict(), dict(factor=0.6, scale=(0.1, 0.5), fill_value=7.0),
                                    dict(fill_value=(1.0, 2.0, 3.0)), dict(data_format="channels_first")])
def test_random_erasing_matches_keras_with_the_same_draw(kwargs):
    x = np.random.default_rng(0).uniform(0, 255, (4, 6, 5, 3)).astype(np.float32)
    if kwargs.get("data_format") == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    el, kl = ek.layers.RandomErasing(seed=4, **kwargs), keras.layers.RandomErasing(**kwargs)
    params = el.get_random_transformation(x)
    kshapes = {k: tuple(v.shape) for k, v in kl.get_random_transformation(torch.tensor(x)).items()}
    assert {k: np.asarray(v).shape for k, v in params.items()} == kshapes
    kparams = {k: torch.tensor(np.asarray(v)) for k, v in params.items()}
    got = el.transform_images(x, params).numpy()
    np.testing.assert_array_equal(got, keras.ops.convert_to_numpy(kl.transform_images(torch.tensor(x), kparams)))
    assert got.min() >= 0 and got.max() <= 255
    np.testing.assert_array_equal(el(x, training=False).numpy(), x)
    again = ek.layers.RandomErasing(seed=4, **kwargs).get_random_transformation(x)
    np.testing.assert_array_equal(again["batch_masks"], params["batch_masks"])
    cfg = kl.get_config()
    assert ek.layers.RandomErasing.from_config(cfg).get_config()["scale"] == list(cfg["scale"])


@pytest.mark.parametrize("max_number", [2, 5])
def test_max_num_bounding_boxes_matches_keras(max_number):
    rng = np.random.default_rng(0)
    data = {"images": rng.uniform(0, 255, (2, 8, 8, 3)).astype(np.float32),
            "bounding_boxes": {"boxes": rng.uniform(0, 8, (2, 3, 4)).astype(np.float32),
                               "labels": rng.integers(0, 4, (2, 3)).astype(np.float32)}}
    kl = keras.layers.MaxNumBoundingBoxes(max_number, fill_value=-2, bounding_box_format="xyxy")
    el = ek.layers.MaxNumBoundingBoxes(max_number, fill_value=-2, bounding_box_format="xyxy")
    want = kl({"images": data["images"], "bounding_boxes": dict(data["bounding_boxes"])})
    got = el({"images": data["images"], "bounding_boxes": dict(data["bounding_boxes"])})
    for key in ("boxes", "labels"):
        np.testing.assert_array_equal(got["bounding_boxes"][key].numpy(),
                                      keras.ops.convert_to_numpy(want["bounding_boxes"][key]))
    np.testing.assert_array_equal(np.asarray(got["images"]), data["images"])
    with pytest.raises(ValueError, match="bounding_box_format"):
        ek.layers.MaxNumBoundingBoxes(2)({"images": data["images"], "bounding_boxes": data["bounding_boxes"]})
    assert ek.layers.MaxNumBoundingBoxes.from_config(kl.get_config()).max_number == max_number


@pytest.mark.parametrize("kwargs", [dict(x_factor=0.3, y_factor=0.2),
                                    dict(x_factor=(0.1, 0.5), fill_mode="constant", fill_value=9.0,
                                         interpolation="nearest"),
                                    dict(y_factor=0.4, fill_mode="nearest", data_format="channels_first")])
def test_random_shear_matches_keras_with_the_same_draw(kwargs):
    x = np.random.default_rng(0).uniform(0, 255, (3, 7, 6, 2)).astype(np.float32)
    if kwargs.get("data_format") == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    el, kl = ek.layers.RandomShear(seed=1, **kwargs), keras.layers.RandomShear(**kwargs)
    params = el.get_random_transformation(x)
    assert params["shear_factor"].shape == tuple(kl.get_random_transformation(torch.tensor(x))["shear_factor"].shape)
    want = kl.transform_images(torch.tensor(x), {"shear_factor": torch.tensor(params["shear_factor"]),
                                                 "input_shape": x.shape})
    np.testing.assert_allclose(el.transform_images(x, params).numpy(), keras.ops.convert_to_numpy(want), atol=1e-3)
    np.testing.assert_array_equal(el(x, training=False).numpy(), x)
    cfg = kl.get_config()
    rebuilt = ek.layers.RandomShear.from_config(cfg).get_config()
    assert rebuilt["x_factor"] == list(cfg["x_factor"]) and rebuilt["fill_mode"] == cfg["fill_mode"]


@pytest.mark.parametrize("kwargs", [dict(), dict(factor=0.7, scale=0.5, fill_value=3.0, interpolation="nearest"),
                                    dict(data_format="channels_first")])
def test_random_perspective_matches_keras_with_the_same_draw(kwargs):
    x = np.random.default_rng(0).uniform(0, 255, (3, 7, 6, 2)).astype(np.float32)
    if kwargs.get("data_format") == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    el, kl = ek.layers.RandomPerspective(seed=1, **kwargs), keras.layers.RandomPerspective(**kwargs)
    params = el.get_random_transformation(x)
    kparams = {k: torch.tensor(v) for k, v in params.items()}
    kparams["input_shape"] = x.shape
    np.testing.assert_allclose(el.transform_images(x, params).numpy(),
                               keras.ops.convert_to_numpy(kl.transform_images(torch.tensor(x), kparams)), atol=1e-3)
    np.testing.assert_array_equal(el(x, training=False).numpy(), x)
    assert ek.layers.RandomPerspective.from_config(kl.get_config()).get_config()["scale"] == kl.scale


@pytest.mark.parametrize("name", ["RandomInvert", "RandomHue", "RandomSharpness"])
def test_single_number_factor_bounds_like_keras(name):
    """A number f means the range (0, f) for RandomInvert, RandomHue and RandomSharpness, as Keras's factor bounds
    (0, 1) for these layers give (ember used (-f, f): RandomInvert inverted a quarter as often as Keras)."""
    real = keras
    layers = [getattr(K.layers, name)(0.5, seed=3) for K in (real, ek)]
    assert [list(np.asarray(layer.factor, np.float64)) for layer in layers] == [[0.0, 0.5]] * 2
    assert layers[1].get_config()["factor"] == list(layers[0].get_config()["factor"])
    if name == "RandomInvert":   # each image is inverted with a probability drawn from U(0, 0.5): 1/4 of them
        images = np.zeros((4000, 1, 1, 1), "float32")
        rates = [float(np.mean(np.asarray(K.ops.convert_to_numpy(layer(images, training=True))) > 0))
                 for K, layer in zip((real, ek), layers)]
        assert all(abs(r - 0.25) < 0.03 for r in rates), rates
