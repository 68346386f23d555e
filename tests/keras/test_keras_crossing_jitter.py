"""``HashedCrossing`` and ``RandomColorJitter`` against Keras 3.

Keras's ``HashedCrossing`` needs TensorFlow, which is not installed here (the test checks that Keras
refuses without it), so its oracle values are the ones Keras's own test suite
(``keras/src/layers/preprocessing/hashed_crossing_test.py``) records from ``tf.sparse.cross_hashed``.
``RandomColorJitter``'s parameters are drawn by ember and handed to Keras's own ``RandomBrightness``,
``RandomContrast``, ``RandomSaturation`` and ``RandomHue`` ``transform_images`` in Keras's order.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ember import keras as ek  # noqa: E402
from ember.keras.layers.preprocessing_compose import RandomColorJitter  # noqa: E402
from ember.keras.layers.preprocessing_crossing import HashedCrossing  # noqa: E402

FEAT1 = np.array(["A", "B", "A", "B", "A"])
FEAT2 = np.array([101, 101, 101, 102, 102])
# From Keras's hashed_crossing_test.py (computed there by TensorFlow's cross_hashed).
KERAS_BINS_5 = [1, 4, 1, 1, 3]


def test_keras_hashed_crossing_needs_tensorflow_here():
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="TensorFlow"):
            keras.layers.HashedCrossing(num_bins=5)
    else:  # with TensorFlow present, Keras itself is the oracle
        got = HashedCrossing(num_bins=7)((FEAT1, FEAT2)).numpy()
        want = keras.ops.convert_to_numpy(keras.layers.HashedCrossing(num_bins=7)((FEAT1, FEAT2)))
        np.testing.assert_array_equal(got, want)


def test_hashed_crossing_bins_match_keras():
    out = HashedCrossing(num_bins=5)((FEAT1, FEAT2))
    assert out.numpy().tolist() == KERAS_BINS_5 and str(out.numpy().dtype) == "int64"
    # Keras's scalar case: ("A", 101) with 10 bins is bin 1; (batch, 1) inputs keep their shape.
    assert HashedCrossing(num_bins=10)((np.array("A"), np.array(101))).numpy().tolist() == 1
    col = HashedCrossing(num_bins=5)((FEAT1[:, None], FEAT2[:, None])).numpy()
    assert col.shape == (5, 1) and col[:, 0].tolist() == KERAS_BINS_5
    # bytes, object arrays and ember tensors of ints hash like str / int64 arrays.
    same = HashedCrossing(num_bins=5)((np.array([s.encode() for s in FEAT1]), ek.ops.convert_to_tensor(FEAT2)))
    assert same.numpy().tolist() == KERAS_BINS_5
    assert HashedCrossing(num_bins=5)((FEAT1.astype(object), FEAT2.astype(np.int32))).numpy().tolist() == KERAS_BINS_5


def test_hashed_crossing_one_hot_and_dtypes_match_keras():
    hot = HashedCrossing(num_bins=5, output_mode="one_hot")((FEAT1, FEAT2)).numpy()
    np.testing.assert_array_equal(hot, np.eye(5, dtype=np.float32)[KERAS_BINS_5])
    assert hot.dtype == np.float32
    col = HashedCrossing(num_bins=5, output_mode="one_hot")((FEAT1[:, None], FEAT2[:, None])).numpy()
    np.testing.assert_array_equal(col, hot)
    one = (np.array([1]), np.array([1]))
    assert str(HashedCrossing(num_bins=2, dtype="int32")(one).numpy().dtype) == "int32"
    assert str(HashedCrossing(num_bins=2, output_mode="one_hot", dtype="float64")(one).numpy().dtype) == "float64"
    layer = HashedCrossing(num_bins=4, output_mode="one_hot")
    assert layer.compute_output_shape(((3, 1), (3, 1))) == (3, 4)
    assert layer.compute_output_shape(((3,), (3,))) == (3, 4)


def test_hashed_crossing_int_and_string_features_and_order():
    ints = HashedCrossing(num_bins=1000)((np.array([1, 2, 3, -4]), np.array([4, 5, 6, 7]))).numpy()
    strs = HashedCrossing(num_bins=1000)((np.array(["a", "b", "c", "d"]), np.array(["x", "y", "z", "w"]))).numpy()
    assert ints.shape == strs.shape == (4,) and ints.min() >= 0 and ints.max() < 1000
    assert len(set(ints.tolist())) == 4 and len(set(strs.tolist())) == 4
    # The cross is ordered and the integer 1 is not the string "1" (ints are hashed as their value).
    swapped = HashedCrossing(num_bins=1000)((np.array([4, 5, 6, 7]), np.array([1, 2, 3, -4]))).numpy()
    assert (swapped != ints).any()
    as_str = HashedCrossing(num_bins=1000)((np.array(["1", "2", "3", "-4"]), np.array([4, 5, 6, 7]))).numpy()
    assert (as_str != ints).any()
    three = HashedCrossing(num_bins=1000)((FEAT1, FEAT2, FEAT2)).numpy()
    assert three.shape == (5,) and three[0] == three[2]


def test_hashed_crossing_errors_and_config():
    with pytest.raises(ValueError, match="list or tuple"):
        HashedCrossing(num_bins=10)(np.array(1))
    with pytest.raises(ValueError, match="at least two inputs"):
        HashedCrossing(num_bins=10)([np.array(1)])
    with pytest.raises(ValueError, match="integer or string dtype"):
        HashedCrossing(num_bins=10)((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError, match="inputs should have shape"):
        HashedCrossing(num_bins=10)((np.array([[[1]]]), np.array([[[1]]])))
    with pytest.raises(ValueError, match="equal shape"):
        HashedCrossing(num_bins=10)((np.array([1, 2]), np.array([1])))
    with pytest.raises(ValueError, match="output_mode"):
        HashedCrossing(num_bins=10, output_mode="multi_hot")
    cfg = HashedCrossing(num_bins=6, output_mode="one_hot", name="hc").get_config()
    again = HashedCrossing.from_config(cfg)
    assert (again.num_bins, again.output_mode, again.name) == (6, "one_hot", "hc")
    assert again((FEAT1, FEAT2)).numpy().shape == (5, 6)


JITTER_ROWS = [
    dict(brightness_factor=0.3, contrast_factor=0.5, saturation_factor=(0.3, 0.8), hue_factor=0.4),
    dict(brightness_factor=(-0.2, 0.4), hue_factor=(0.1, 0.6), value_range=(0, 1)),
    dict(contrast_factor=(0.1, 0.9), saturation_factor=0.6, data_format="channels_first"),
    dict(),
]


def _images(kwargs):
    hi = kwargs.get("value_range", (0, 255))[1]
    a = np.random.default_rng(0).uniform(0, hi, (3, 5, 6, 3)).astype(np.float32)
    return np.moveaxis(a, -1, 1).copy() if kwargs.get("data_format") == "channels_first" else a


def _keras_jitter(images, kwargs, p):
    """Keras's sub-layers applied in RandomColorJitter's order with ember's draws."""
    common = dict(value_range=kwargs.get("value_range", (0, 255)))
    cf = kwargs.get("data_format") == "channels_first"
    x = torch.tensor(np.moveaxis(images, 1, -1).copy() if cf else images)
    per = (-1, 1, 1, 1)
    t = lambda k: torch.tensor(np.asarray(p[k], np.float32))  # noqa: E731
    L = keras.layers
    if "brightness_factor" in kwargs:
        x = L.RandomBrightness(kwargs["brightness_factor"], **common).transform_images(
            x, {"rgb_delta": t("rgb_delta").reshape(per)})
    if "contrast_factor" in kwargs:
        x = L.RandomContrast(kwargs["contrast_factor"], **common).transform_images(
            x, {"contrast_factor": t("contrast_factor").reshape(per)})
    if "saturation_factor" in kwargs:
        x = L.RandomSaturation(kwargs["saturation_factor"], **common).transform_images(
            x, {"factor": t("saturation_factor")})
    if "hue_factor" in kwargs:
        x = L.RandomHue(kwargs["hue_factor"], **common).transform_images(x, {"factor": t("hue_factor")})
    out = keras.ops.convert_to_numpy(x)
    return np.moveaxis(out, -1, 1) if cf else out


@pytest.mark.parametrize("kwargs", JITTER_ROWS, ids=[str(i) for i in range(len(JITTER_ROWS))])
def test_color_jitter_matches_keras_with_the_same_parameters(kwargs):
    images = _images(kwargs)
    layer = RandomColorJitter(seed=4, **kwargs)
    p = layer.get_random_transformation(images)
    got = layer.transform_images(images, p).numpy()
    want = _keras_jitter(images, kwargs, p)
    hi = kwargs.get("value_range", (0, 255))[1]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3 if hi > 1 else 1e-5)
    assert got.shape == images.shape and got.dtype == np.float32
    if "saturation_factor" not in kwargs:  # Keras's saturation step may leave [0, 255] (matched above)
        assert got.min() >= 0 and got.max() <= hi
    # seeded layers repeat their draws; the draws lie in Keras's ranges
    again = RandomColorJitter(seed=4, **kwargs).get_random_transformation(images)
    assert p.keys() == again.keys() and all(np.array_equal(p[k], again[k]) for k in p)
    if "brightness_factor" in kwargs:
        lo_b, hi_b = layer._brightness
        assert (p["rgb_delta"] >= lo_b * hi).all() and (p["rgb_delta"] <= hi_b * hi).all()
    if "contrast_factor" in kwargs:
        lo_c, hi_c = layer._contrast
        assert (p["contrast_factor"] >= 1 - lo_c).all() and (p["contrast_factor"] <= 1 + hi_c).all()


def test_color_jitter_identity_inference_and_config():
    images = _images({})
    # zero factors change nothing, as in Keras
    zero = RandomColorJitter(brightness_factor=0.0, contrast_factor=0.0, seed=0)
    np.testing.assert_allclose(zero(images, training=True).numpy(), images, atol=1e-4)
    kzero = keras.layers.RandomColorJitter(brightness_factor=0.0, contrast_factor=0.0, seed=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(kzero(torch.tensor(images), training=True)), images,
                               atol=1e-4)
    layer = RandomColorJitter(brightness_factor=0.5, hue_factor=0.3, seed=1)
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    moved = layer(images, training=True).numpy()
    assert moved.shape == images.shape and not np.allclose(moved, images)
    single = layer(images[0], training=True).numpy()
    assert single.shape == images[0].shape
    kcfg = keras.layers.RandomColorJitter(value_range=(0, 1), brightness_factor=0.2, contrast_factor=(0.1, 0.4),
                                          saturation_factor=(0.2, 0.7), hue_factor=0.3, seed=5).get_config()
    rebuilt = RandomColorJitter.from_config(kcfg).get_config()
    for key in ("brightness_factor", "contrast_factor", "saturation_factor", "hue_factor", "seed"):
        want = kcfg[key]
        assert rebuilt[key] == (list(want) if isinstance(want, tuple) else want)
    assert tuple(rebuilt["value_range"]) == tuple(kcfg["value_range"])
    with pytest.raises(ValueError, match="contrast_factor"):
        RandomColorJitter(contrast_factor=1.5)
