"""``RandAugment`` and ``AugMix`` against Keras 3 (torch backend).

Keras draws from torch's generator and Python's ``random``, so draws cannot be reproduced; instead a
transformation drawn by Keras (nested dicts of each sub-layer's own parameters) is handed to both
frameworks' ``transform_images``.

Two in-place writes of Keras's torch backend are worked around, not copied: ``affine_transform`` swaps
entries of the transform it is given (so every Keras call gets a fresh copy of the draw), and
``RandomBrightness.transform_images`` adds its delta to its input in place — RandAugment calls every
sub-layer on each op and keeps the selected one, so an unselected brightness would still shift the
images. Where Keras's RandAugment itself is the oracle, the brightness delta is zeroed unless selected;
with two ops the oracle is Keras's sub-layers composed by RandAugment's rule (op ``i`` applies the
sub-layer ``layer_idxes[i]`` to the whole batch).
"""
import copy
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ember import keras as ek  # noqa: E402

NAMES = ["random_shear", "random_translation", "random_rotation", "random_brightness", "random_color_degeneration",
         "random_contrast", "random_sharpness", "random_posterization", "solarization", "auto_contrast",
         "equalization"]


def _np(t):
    if isinstance(t, dict):
        return {k: _np(v) for k, v in t.items()}
    if isinstance(t, list):
        return [_np(v) for v in t]
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return t


def _torch(t):
    """A fresh torch copy of a NumPy draw for one Keras call (Keras may write into it)."""
    if isinstance(t, dict):
        return {k: _torch(v) for k, v in t.items()}
    if isinstance(t, list):
        return [_torch(v) for v in t]
    if isinstance(t, np.ndarray):
        return torch.tensor(t.copy())
    return copy.deepcopy(t)


def _images(n=3, h=8, w=8, seed=0, scale=255.0):
    return (np.random.default_rng(seed).random((n, h, w, 3)) * scale).astype("float32")


def _keras(layer, x, t):
    return _np(layer.transform_images(torch.tensor(x.copy()), _torch(t)))


@pytest.mark.parametrize("factor,value_range", [(0.5, (0, 255)), ((0.2, 0.8), (0, 1))])
def test_rand_augment_sub_layers_apply_keras_draws_like_keras(factor, value_range):
    x = _images(scale=value_range[1])
    k, e = keras.layers.RandAugment(value_range=value_range, factor=factor), ek.layers.RandAugment(
        value_range=value_range, factor=factor)
    assert e.factor == tuple(k.factor)
    for name in NAMES:
        t = _np(getattr(k, name).get_random_transformation(x))
        np.testing.assert_allclose(getattr(e, name).transform_images(x, t).numpy(), _keras(getattr(k, name), x, t),
                                   rtol=1e-5, atol=1e-4 * value_range[1], err_msg=name)


def test_rand_augment_one_op_equals_keras_for_every_augmentation():
    x = _images()
    k, e = keras.layers.RandAugment(num_ops=1, seed=3), ek.layers.RandAugment(num_ops=1, seed=3)
    t = _np(k.get_random_transformation(x))
    assert list(t["transforms"]) == NAMES and t["layer_idxes"].shape == (1,)
    for idx, name in enumerate(NAMES):
        draw = copy.deepcopy(t)
        draw["layer_idxes"] = np.array([idx], np.int32)
        if name != "random_brightness":
            draw["transforms"]["random_brightness"]["rgb_delta"] *= 0
        np.testing.assert_allclose(e.transform_images(x, draw).numpy(), _keras(k, x, draw), rtol=1e-5, atol=3e-3,
                                   err_msg=name)


def test_rand_augment_ops_compose_keras_sub_layers_in_order():
    x = _images(seed=1)
    k, e = keras.layers.RandAugment(num_ops=3), ek.layers.RandAugment(num_ops=3)
    rng = np.random.default_rng(5)
    for _ in range(4):
        t = _np(k.get_random_transformation(x))
        t["layer_idxes"] = rng.integers(0, len(NAMES), 3)
        expected = x
        for i in t["layer_idxes"]:
            expected = _keras(getattr(k, NAMES[i]), expected, t["transforms"][NAMES[i]])
        np.testing.assert_allclose(e.transform_images(x, t).numpy(), expected, rtol=1e-5, atol=3e-3,
                                   err_msg=str(t["layer_idxes"]))


@pytest.mark.parametrize("kwargs", [{}, {"all_ops": False, "num_chains": 2, "chain_depth": 4, "factor": 0.6,
                                          "value_range": (0, 1)}])
def test_aug_mix_applies_keras_draws_like_keras(kwargs):
    keras.utils.set_random_seed(0)      # Keras's draws, not whatever earlier tests left in its stream
    x = _images(seed=2, scale=kwargs.get("value_range", (0, 255))[1])
    k, e = keras.layers.AugMix(**kwargs), ek.layers.AugMix(**kwargs)
    assert e._augment_layers == k._augment_layers
    scale = kwargs.get("value_range", (0, 255))[1]
    for _ in range(6):
        t = _np(k.get_random_transformation(x))
        got, expected = e.transform_images(x, t).numpy(), _keras(k, x, t)
        # A value within round-off of a solarization threshold or an equalization bin edge may land on the
        # other side in one of the two: allow a few such pixels, the rest must agree to round-off.
        off = np.abs(got - expected) > 1e-4 * scale
        assert off.mean() < 0.01, (off.mean(), [[s["layer_name"] for s in c] for c in t["chain_transforms"]])


def test_draws_are_in_keras_format_and_seeded():
    x = _images(n=4)
    a = ek.layers.RandAugment(seed=7).get_random_transformation(x)
    b = ek.layers.RandAugment(seed=7).get_random_transformation(x)
    keras_draw = _np(keras.layers.RandAugment().get_random_transformation(x))
    assert list(a["transforms"]) == list(keras_draw["transforms"])
    for name in NAMES:
        ours, theirs = a["transforms"][name], keras_draw["transforms"][name]
        assert (ours is None) == (theirs is None), name
        if theirs is not None:
            assert set(ours) == set(theirs), name
            for key in theirs:
                assert np.shape(ours[key]) == np.shape(theirs[key]), (name, key)
    np.testing.assert_array_equal(a["layer_idxes"], b["layer_idxes"])
    np.testing.assert_array_equal(ek.layers.RandAugment(seed=7)(x).numpy(), ek.layers.RandAugment(seed=7)(x).numpy())
    m = ek.layers.AugMix(seed=4).get_random_transformation(x)
    km = _np(keras.layers.AugMix().get_random_transformation(x))
    assert set(m) == set(km) and np.shape(m["chain_mixing_weights"]) == np.shape(km["chain_mixing_weights"])
    assert np.isclose(m["chain_mixing_weights"].sum(), 1.0) and 0 <= m["weight_sample"] <= 1


def test_op_choice_is_uniform_and_sub_layer_draws_follow_keras_ranges():
    x = _images(n=64, h=4, w=4)
    layer = ek.layers.RandAugment(num_ops=2, seed=0)
    counts = np.zeros(len(NAMES))
    for _ in range(300):
        for i in layer.get_random_transformation(x[:1])["layer_idxes"]:
            counts[i] += 1
    expected = 600 / len(NAMES)
    assert ((counts - expected) ** 2 / expected).sum() < 30  # chi-square, 10 dof: p ~ 0.001
    # Each sub-layer's draws span Keras's ranges (Keras's draws of the same layer, same batch).
    k = keras.layers.RandAugment()
    ours = layer.get_random_transformation(x)["transforms"]
    theirs = _np(k.get_random_transformation(x))["transforms"]
    for name, key in [("random_contrast", "contrast_factor"), ("random_brightness", "rgb_delta"),
                      ("random_color_degeneration", "factor"), ("random_sharpness", "factor"),
                      ("random_rotation", "angle"), ("random_translation", "translations"),
                      ("random_shear", "shear_factor"), ("solarization", "thresholds"),
                      ("random_posterization", "shift_factor")]:
        a, b = np.asarray(ours[name][key], float), theirs[name][key].astype(float)
        span = max(b.max() - b.min(), 1e-6)
        assert abs(a.min() - b.min()) < 0.35 * span and abs(a.max() - b.max()) < 0.35 * span, (name, a, b)


def test_inference_passes_through_and_config_round_trips():
    x = _images()
    for cls, kwargs in [("RandAugment", {"num_ops": 3, "factor": 0.4, "value_range": (0, 255)}),
                        ("AugMix", {"num_chains": 2, "chain_depth": 2, "alpha": 0.5, "all_ops": False})]:
        e, k = getattr(ek.layers, cls)(**kwargs), getattr(keras.layers, cls)(**kwargs)
        np.testing.assert_array_equal(e(x, training=False).numpy(), x)
        np.testing.assert_array_equal(_np(k(x, training=False)), x)
        config = e.get_config()
        for key, value in k.get_config().items():
            if key in ("name", "dtype"):
                continue
            assert np.all(np.asarray(config[key]) == np.asarray(value)), (cls, key, config[key], value)
        again = getattr(ek.layers, cls).from_config(config)
        assert again.get_config() == config
        out = e(x, training=True).numpy()
        assert out.shape == x.shape and out.min() >= 0 and out.max() <= 255
    # Inside a model fit: augmentation runs while training, predict passes through.
    model = ek.Sequential([ek.Input((8, 8, 3)), ek.layers.RandAugment(seed=0), ek.layers.Flatten(),
                           ek.layers.Dense(2)])
    model.compile(optimizer=ek.optimizers.SGD(1e-7), loss="mse")
    model.fit(x, np.zeros((3, 2), "float32"), epochs=1, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), ek.ops.convert_to_numpy(model.layers[-1](x.reshape(3, -1))),
                               rtol=1e-5)
