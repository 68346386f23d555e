"""Preprocessing layers. Against Keras 3 (PyTorch backend) where Keras runs without TensorFlow
(CategoryEncoding, Discretization, Resizing, CenterCrop, AutoContrast, RandomCrop at inference, the
augmentations at inference); the TensorFlow-only layers (StringLookup, IntegerLookup, TextVectorization,
Hashing) against the outputs printed in Keras's own documentation, and the random layers by their
definition (shapes, ranges, identity at inference)."""
import numpy as np
import pytest
import torch

import keras

import ember
from ember import keras as ek

RNG = np.random.default_rng(9)


def _k(layer, x, **kw):
    out = layer(torch.tensor(x) if isinstance(x, np.ndarray) else x, **kw)
    return out.detach().numpy() if hasattr(out, "detach") else np.asarray(out)


@pytest.mark.parametrize("mode,x", [("multi_hot", np.array([[0, 1], [0, 0], [1, 2], [3, 1]])),
                                    ("one_hot", np.array([3, 2, 0, 1])),
                                    ("one_hot", np.array([[3], [2], [0], [1]])),
                                    ("count", np.array([[0, 1], [0, 0], [1, 2], [3, 1]])),
                                    ("multi_hot", np.array([1, 2, 2]))])
def test_category_encoding_matches_keras(mode, x):
    np.testing.assert_array_equal(ek.layers.CategoryEncoding(4, mode)(x).numpy(),
                                  _k(keras.layers.CategoryEncoding(4, mode), x))


def test_category_encoding_count_weights_and_errors():
    x, w = np.array([[0, 1], [0, 0], [1, 2], [3, 1]]), RNG.random((4, 2)).astype(np.float32)
    np.testing.assert_allclose(ek.layers.CategoryEncoding(4, "count")(x, count_weights=w).numpy(),
                               _k(keras.layers.CategoryEncoding(4, "count"), x, count_weights=torch.tensor(w)))
    with pytest.raises(ValueError, match="num_tokens"):
        ek.layers.CategoryEncoding(3)(np.array([[3]]))


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_with_boundaries_matches_keras(mode):
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    if mode == "one_hot":
        x = x[:, 0]
    kw = {"bin_boundaries": [-0.5, 0.0, 0.7], "output_mode": mode}
    np.testing.assert_array_equal(ek.layers.Discretization(**kw)(x).numpy(), _k(keras.layers.Discretization(**kw), x))


@pytest.mark.parametrize("n,num_bins,epsilon", [(50, 4, 0.01), (1000, 5, 0.01), (3000, 7, 0.05)])
def test_discretization_adapt_matches_keras(n, num_bins, epsilon):
    data = RNG.standard_normal(n).astype(np.float32)
    k = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    e = ek.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    k.reset_state()  # Keras's adapt() itself needs TensorFlow; its summary steps do not
    k.update_state(data)
    k.finalize_state()
    e.adapt(data)
    np.testing.assert_allclose(e.bin_boundaries, k.bin_boundaries, rtol=1e-6)
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(e(x).numpy(), _k(k, x))
    assert e.get_config()["bin_boundaries"] == pytest.approx(k.get_config()["bin_boundaries"])


def test_hashing_matches_keras_documentation():
    # Keras's Hashing docstring: Hashing(num_bins=3) on [['A'], ['B'], ['C'], ['D'], ['E']].
    x = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    assert ek.layers.Hashing(num_bins=3)(x).tolist() == [[1], [0], [1], [1], [2]]
    # ... with mask_value='' : [['A'], ['B'], [''], ['C'], ['D']] -> [[1], [1], [0], [2], [2]].
    x = np.array([["A"], ["B"], [""], ["C"], ["D"]])
    assert ek.layers.Hashing(num_bins=3, mask_value="")(x).tolist() == [[1], [1], [0], [2], [2]]
    # tf.strings.to_hash_bucket_fast's docstring: ["Hello", "TensorFlow", "2.x"], 3 buckets -> [0, 2, 2].
    assert ek.layers.Hashing(3)(np.array(["Hello", "TensorFlow", "2.x"])).tolist() == [0, 2, 2]
    ints = ek.layers.Hashing(5)(np.array([[12], [7], [12]]))
    assert ints.tolist()[0] == ints.tolist()[2]
    out = ek.layers.Hashing(4, output_mode="one_hot")(np.array(["a", "b", "c"]))
    assert out.shape == (3, 4) and out.numpy().sum() == 3
    with pytest.raises(NotImplementedError, match="SipHash"):
        ek.layers.Hashing(3, salt=[1, 2])


def test_farmhash_lengths_are_deterministic_and_spread():
    from ember.keras.layers._farmhash import fingerprint64
    words = ["x" * n for n in (1, 3, 5, 9, 17, 33, 65, 130, 300)]
    hashes = [fingerprint64(w.encode()) for w in words]
    assert len(set(hashes)) == len(hashes) and all(0 <= h < 2 ** 64 for h in hashes)
    assert hashes == [fingerprint64(w.encode()) for w in words]


def test_string_lookup_matches_keras_documentation():
    vocab = ["a", "b", "c", "d"]
    data = [["a", "c", "d"], ["d", "z", "b"]]
    assert ek.layers.StringLookup(vocabulary=vocab)(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = ek.layers.StringLookup()
    layer.adapt(np.array(data))
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert ek.layers.StringLookup(vocabulary=vocab, num_oov_indices=2)([["a", "c", "d"], ["m", "z", "b"]]).tolist() \
        == [[2, 4, 5], [0, 1, 3]]
    assert ek.layers.StringLookup(vocabulary=vocab, output_mode="one_hot")(["a", "b", "c", "d", "z"]).tolist() == \
        np.eye(5)[[1, 2, 3, 4, 0]].tolist()
    assert ek.layers.StringLookup(vocabulary=vocab, output_mode="multi_hot")(data).tolist() == \
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    assert ek.layers.StringLookup(vocabulary=vocab, output_mode="count")([["a", "c", "d", "d"],
                                                                         ["d", "z", "b", "z"]]).tolist() == \
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]
    tfidf = ek.layers.StringLookup(output_mode="tf_idf", vocabulary=vocab, idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf([["a", "c", "d", "d"], ["d", "z", "b", "z"]]).numpy(),
                               [[0.0, 0.25, 0.0, 0.6, 0.8], [1.0, 0.0, 0.75, 0.0, 0.4]])
    inv = ek.layers.StringLookup(vocabulary=vocab, invert=True)([[1, 3, 4], [4, 0, 2]])
    assert inv.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]
    assert ek.layers.StringLookup(vocabulary=vocab, mask_token="[MASK]").get_vocabulary() == \
        ["[MASK]", "[UNK]", "a", "b", "c", "d"]
    with pytest.raises(ValueError, match="repeated"):
        ek.layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="num_oov_indices=1"):
        ek.layers.StringLookup(vocabulary=vocab, num_oov_indices=0)(["z"])


def test_integer_lookup_matches_keras_documentation():
    vocab = [12, 36, 1138, 42]
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    assert ek.layers.IntegerLookup(vocabulary=vocab)(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = ek.layers.IntegerLookup()
    layer.adapt(np.array([[12, 1138, 42], [42, 1000, 36]]))
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    assert ek.layers.IntegerLookup(vocabulary=vocab, num_oov_indices=2)(np.array([[12, 1138, 42],
                                                                                [37, 1000, 36]])).tolist() == \
        [[2, 4, 5], [1, 0, 3]]
    assert ek.layers.IntegerLookup(vocabulary=vocab, mask_token=0)(np.array([[12, 1138, 0],
                                                                           [0, 1000, 36]])).tolist() == \
        [[2, 4, 0], [0, 1, 3]]
    inv = ek.layers.IntegerLookup(vocabulary=vocab, invert=True)(np.array([[1, 3, 4], [4, 0, 2]]))
    assert inv.tolist() == [[12, 1138, 42], [42, -1, 36]]


def test_text_vectorization_matches_keras_documentation():
    layer = ek.layers.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer([["foo qux bar"], ["qux baz"]]).tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    layer = ek.layers.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4,
                                        vocabulary=["earth", "wind", "and", "fire"])
    assert layer([["earth wind and also fire"], ["fire and earth michigan"]]).tolist() == \
        [[2, 3, 4, 1], [5, 4, 2, 1]]


def test_text_vectorization_modes_standardize_split_and_ngrams():
    docs = ["The cat sat.", "The dog sat!", "A cat, a DOG"]
    layer = ek.layers.TextVectorization()
    layer.adapt(docs)
    vocab = layer.get_vocabulary()
    assert vocab[:2] == ["", "[UNK]"] and set(vocab[2:]) == {"the", "cat", "sat", "dog", "a"}
    assert vocab[2:4] == ["the", "sat"] or vocab[2] in ("a", "cat", "dog", "sat", "the")
    out = layer(["the dog ran"]).tolist()[0]
    assert out == [vocab.index("the"), vocab.index("dog"), 1]
    mh = ek.layers.TextVectorization(output_mode="multi_hot", ngrams=2, standardize="lower", split="whitespace")
    mh.adapt(["a b", "b c"])
    v = mh.get_vocabulary()
    assert v[0] == "[UNK]" and {"a b", "b c", "a", "b", "c"} == set(v[1:])
    row = mh(["a b c"]).numpy()[0]
    assert row[v.index("a b")] == 1 and row[v.index("b c")] == 1 and row[0] == 0
    tf = ek.layers.TextVectorization(output_mode="tf_idf")
    tf.adapt(["x y", "y z"])
    tv = tf.get_vocabulary()
    out = tf(["y y x"]).numpy()[0]
    assert out[tv.index("y")] == pytest.approx(2 * np.log(1 + 2 / 3))
    assert out[tv.index("x")] == pytest.approx(np.log(1 + 2 / 2))
    cnt = ek.layers.TextVectorization(output_mode="count", split="character", standardize=None,
                                      vocabulary=["a", "b"])
    assert cnt(["abba!"]).tolist() == [[1, 2, 2]]
    custom = ek.layers.TextVectorization(standardize=lambda s: s.upper(), split=lambda s: s.split("-"),
                                         vocabulary=["A", "B"], output_sequence_length=3)
    assert custom(["a-b-c-a"]).tolist() == [[2, 3, 1]]


def _images(n=2, h=7, w=6, c=3):
    return (RNG.random((n, h, w, c)) * 255).astype(np.float32)


@pytest.mark.parametrize("kw", [{"height": 4, "width": 3}, {"height": 9, "width": 5},
                                {"height": 4, "width": 4, "interpolation": "nearest"},
                                {"height": 5, "width": 3, "crop_to_aspect_ratio": True},
                                {"height": 3, "width": 5, "pad_to_aspect_ratio": True, "fill_value": 7.0}])
def test_resizing_matches_keras(kw):
    x = _images()
    np.testing.assert_allclose(ek.layers.Resizing(**kw)(x).numpy(), _k(keras.layers.Resizing(**kw), x),
                               rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("h,w", [(4, 3), (7, 6), (5, 2)])
def test_center_crop_and_random_crop_at_inference_match_keras(h, w):
    x = _images()
    np.testing.assert_allclose(ek.layers.CenterCrop(h, w)(x).numpy(), _k(keras.layers.CenterCrop(h, w), x))
    np.testing.assert_allclose(ek.layers.RandomCrop(h, w)(x, training=False).numpy(),
                               _k(keras.layers.RandomCrop(h, w), x, training=False), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1), (-1, 1)])
def test_auto_contrast_matches_keras(value_range):
    lo, hi = value_range
    x = (RNG.random((2, 5, 4, 3)) * 0.6 + 0.2) * (hi - lo) + lo
    x = x.astype(np.float32)
    np.testing.assert_allclose(ek.layers.AutoContrast(value_range=value_range)(x).numpy(),
                               _k(keras.layers.AutoContrast(value_range=value_range), x), rtol=1e-5, atol=1e-4)


def test_random_layers_pass_through_at_inference_like_keras():
    x = _images()
    for name, args in [("RandomZoom", (0.3,)), ("RandomTranslation", (0.2, 0.1)), ("RandomContrast", (0.4,)),
                       ("RandomBrightness", (0.3,))]:
        np.testing.assert_allclose(getattr(ek.layers, name)(*args)(x, training=False).numpy(),
                                   _k(getattr(keras.layers, name)(*args), x, training=False), err_msg=name)


def test_random_layers_while_training():
    x = _images(4, 8, 8, 3)
    crop = ek.layers.RandomCrop(5, 4)(x, training=True).numpy()
    assert crop.shape == (4, 5, 4, 3)
    found = [(i, j) for i in range(4) for j in range(5) if np.array_equal(x[:, i:i + 5, j:j + 4], crop)]
    assert len(found) == 1
    # Zero factors are the identity; a zoom-in of factor -0.5 magnifies the centre.
    np.testing.assert_allclose(ek.layers.RandomZoom(0.0)(x, training=True).numpy(), x, rtol=1e-5)
    np.testing.assert_allclose(ek.layers.RandomTranslation(0.0, 0.0)(x, training=True).numpy(), x, rtol=1e-5)
    ramp = np.tile(np.arange(8, dtype=np.float32)[None, :, None, None], (1, 1, 8, 1))
    zoomed = ek.layers.RandomZoom((-0.5, -0.5))(ramp, training=True).numpy()
    np.testing.assert_allclose(zoomed[0, :, 0, 0], (np.arange(8) - 3.5) * 0.5 + 3.5, rtol=1e-5)
    shifted = ek.layers.RandomTranslation((0.25, 0.25), 0.0, fill_mode="constant")(ramp, training=True).numpy()
    np.testing.assert_allclose(shifted[0, 2:, 0, 0], np.arange(6)) and not shifted[0, :2].any()
    c = ek.layers.RandomContrast(0.5)(x, training=True).numpy()
    assert c.shape == x.shape and c.min() >= 0 and c.max() <= 255
    # c = clip((x - mean) * factor + mean): read the factor off the pixels the clip left alone (with the
    # clipped ones included, c's own mean moves and the ratio can leave [0.5, 1.5] for a third of the draws)
    m = x.mean((1, 2), keepdims=True)
    spread = ((c - m) / (x - m))[(c > 0) & (c < 255) & (np.abs(x - m) > 40)]
    assert 0.5 - 1e-3 <= spread.min() and spread.max() <= 1.5 + 1e-3
    b = ek.layers.RandomBrightness((0.1, 0.1))(x, training=True).numpy()
    np.testing.assert_allclose(b, np.clip(x + 25.5, 0, 255), rtol=1e-5)
    with pytest.raises(ValueError):
        ek.layers.RandomContrast(1.5)
    with pytest.raises(ValueError):
        ek.layers.RandomZoom(0.2, fill_mode="mirror")


def test_preprocessing_in_a_model_and_configs_round_trip():
    x = _images(8, 8, 8, 3)
    y = RNG.integers(0, 2, 8)
    model = ek.Sequential([ek.layers.Input((8, 8, 3)), ek.layers.RandomZoom(0.1), ek.layers.RandomContrast(0.2),
                           ek.layers.Resizing(4, 4), ek.layers.CenterCrop(3, 3), ek.layers.Flatten(),
                           ek.layers.Dense(2)])
    model.compile(optimizer="adam", loss=ek.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = model.fit(x, y, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2
    assert model.predict(x, verbose=0).shape == (8, 2)
    for layer in [ek.layers.Resizing(3, 4), ek.layers.RandomZoom(0.2, 0.3), ek.layers.StringLookup(
            vocabulary=["a"]), ek.layers.Discretization(bin_boundaries=[0.0]), ek.layers.Hashing(4),
            ek.layers.CategoryEncoding(3)]:
        cfg = layer.get_config()
        again = type(layer).from_config(cfg)
        assert again.get_config() == cfg


@pytest.mark.parametrize("kwargs, data", [({}, (6, 3)), ({"axis": (1, 2)}, (4, 3, 2)),
                                          ({"mean": 2.0, "variance": 4.0}, (5, 3))])
def test_normalization_mean_variance_and_weights_like_keras(kwargs, data):
    """layer.mean / layer.variance are the statistics broadcast against the inputs ((1, 3) for the last axis), also
    when given in the constructor, and the weights are mean, variance and an int32 count (ember's mean was the
    (3,) weight, missing when given, and its count int64)."""
    x = np.random.default_rng(0).standard_normal(data).astype("float32") * 3 + 1
    got = []
    for K in (keras, ek):
        K.backend.clear_session()   # the weights' paths hold the automatic layer name
        layer = K.layers.Normalization(**kwargs)
        if "mean" in kwargs:
            layer.build(x.shape)
        else:
            layer.adapt(x)
        got.append(([(w.path, tuple(w.shape), np.asarray(K.ops.convert_to_numpy(w)).dtype.name) for w in layer.weights],
                    np.asarray(K.ops.convert_to_numpy(layer.mean)), np.asarray(K.ops.convert_to_numpy(layer.variance)),
                    np.asarray(K.ops.convert_to_numpy(layer(x)))))
    assert got[1][0] == got[0][0]
    for e, k in zip(got[1][1:], got[0][1:]):
        assert e.shape == k.shape
        np.testing.assert_allclose(e, k, rtol=1e-5, atol=1e-5)
