"""``FeatureSpace.get_encoded_features()`` in both output modes and models built on it, against real Keras 3
(torch backend) where Keras runs without TensorFlow (float, rescaled and preset-normalized features: Keras's
lookups, hashing and ``adapt`` need TensorFlow), and against ember's own eager encoding for categorical and
string features. Also a functional model whose inputs are intermediate tensors (keras.io's
``training_model = keras.Model(encoded_features, predictions)``), which Keras allows."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

from .test_keras_feature_space import _data, _space  # noqa: E402

RAW = {"f": np.array([[1.0], [2.5], [-1.0], [0.5]], "float32"), "r": np.array([[1.0], [2.0], [0.0], [3.0]], "float32"),
       "n": np.array([[0.0], [3.0], [2.0], [6.0]], "float32")}
TARGETS = np.array([[1.0], [0.0], [1.0], [0.5]], "float32")


def _np(K, x):
    return np.asarray(K.ops.convert_to_numpy(x))


def _float_space(K, mode):
    FS = K.utils.FeatureSpace
    return FS({"f": "float", "r": FS.float_rescaled(scale=2.0, offset=1.0),
               "n": FS.feature("float32", K.layers.Normalization(mean=2.0, variance=4.0), "float")}, output_mode=mode)


def _models(K, mode):
    fs = _float_space(K, mode)
    encoded = fs.get_encoded_features()
    x = K.layers.Concatenate()([encoded[k] for k in ("r", "f", "n")]) if mode == "dict" else encoded
    x = K.layers.Dense(3, activation="relu")(x)
    predictions = K.layers.Dense(1)(x)
    training_model = K.Model(encoded, predictions)
    inference_model = K.Model(fs.get_inputs(), predictions)
    rng = np.random.default_rng(0)
    for w in training_model.weights:
        w.assign((rng.standard_normal(tuple(w.shape)) * 0.5).astype("float32"))
    return fs, encoded, training_model, inference_model


def _run(K, mode):
    fs, encoded, training_model, inference_model = _models(K, mode)
    if mode == "dict":
        spec = {k: (tuple(v.shape), str(v.dtype)) for k, v in encoded.items()}
        features = {k: RAW[k] * {"f": 1.0, "r": 2.0, "n": 0.5}[k] + {"f": 0.0, "r": 1.0, "n": -1.0}[k] for k in RAW}
    else:
        spec = (tuple(encoded.shape), str(encoded.dtype))
        features = np.concatenate([RAW["f"], (RAW["n"] - 2.0) / 2.0, RAW["r"] * 2.0 + 1.0], axis=1)
    training_model.compile(optimizer=K.optimizers.SGD(0.1), loss="mse", jit_compile=False)
    history = training_model.fit(features, TARGETS, epochs=2, batch_size=2, shuffle=False, verbose=0)
    return {"keys": sorted(encoded) if mode == "dict" else [], "spec": spec,
            "layers": [type(layer).__name__ for layer in training_model.layers if type(layer).__name__ != "InputLayer"],
            "history": history.history["loss"], "inference": inference_model.predict(RAW, verbose=0),
            "training": training_model.predict(features, verbose=0)}


@pytest.mark.parametrize("mode", ["dict", "concat"])
def test_encoded_features_and_their_models_equal_keras(mode):
    got, expected = _run(ek, mode), _run(keras, mode)
    assert got["keys"] == expected["keys"]
    assert str(got["spec"]).replace("'", "") == str(expected["spec"]).replace("'", "")
    assert got["layers"] == expected["layers"]
    for key in ("history", "inference", "training"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("mode", ["dict", "concat"])
def test_encoded_categorical_and_string_features_feed_both_models(mode):
    """keras.io "Structured data classification with FeatureSpace": the inference model on raw columns (strings
    included) equals the training model on what calling the FeatureSpace gives."""
    train = _data()
    fs = _space(mode)
    fs.adapt(train)
    encoded = fs.get_encoded_features()
    if mode == "dict":
        assert {k: v.shape for k, v in encoded.items()} == {"age": (None, 1), "city": (None, 4), "cls": (None, 4),
                                                             "fare": (None, 3)}
    x = ek.layers.Concatenate()([encoded[k] for k in sorted(encoded)]) if mode == "dict" else encoded
    out = ek.layers.Dense(1, kernel_initializer="ones")(ek.layers.Dense(4, kernel_initializer="ones")(x))
    training_model, inference_model = ek.Model(encoded, out), ek.Model(fs.get_inputs(), out)
    on_raw = inference_model.predict({k: v[:, None] for k, v in train.items()}, verbose=0)
    on_encoded = training_model.predict(fs(train), verbose=0)
    np.testing.assert_allclose(on_raw, on_encoded, rtol=1e-6)
    flat = np.concatenate([np.asarray(v) for _, v in sorted(fs(train).items())], 1) if mode == "dict" \
        else np.asarray(fs(train))
    np.testing.assert_allclose(on_raw[:, 0], 4 * flat.sum(1), rtol=1e-5)


def test_int_encoded_feature_is_int64_in_dict_mode():
    FS = ek.utils.FeatureSpace
    fs = FS({"c": FS.integer_categorical(output_mode="int"), "x": "float"}, output_mode="dict")
    fs.adapt({"c": np.array([4, 4, 7]), "x": np.array([1.0, 2.0, 3.0], "float32")})
    encoded = fs.get_encoded_features()
    assert (encoded["c"].shape, encoded["c"].dtype) == ((None, 1), "int64")
    assert str(fs({"c": np.array([7]), "x": np.array([1.0], "float32")})["c"].dtype) == "ember.int64"
    concat = FS({"c": FS.integer_categorical(output_mode="int"), "x": "float"})
    concat.adapt({"c": np.array([4, 4, 7]), "x": np.array([1.0, 2.0, 3.0], "float32")})
    for encode in (concat.get_encoded_features, lambda: concat({"c": np.array([7]), "x": np.array([1.0])})):
        with pytest.raises(ValueError, match="Cannot concatenate features because feature 'c'"):
            encode()


def _intermediate(K):
    i = K.Input((3,))
    h = K.layers.Dense(4, name="first")(i)
    o = K.layers.Dense(2, name="second")(K.layers.Activation("tanh")(h))
    model = K.Model(h, o)
    rng = np.random.default_rng(1)
    for w in model.weights:
        w.assign(rng.standard_normal(tuple(w.shape)).astype("float32"))
    x = rng.standard_normal((5, 4)).astype("float32")
    return [layer.name for layer in model.layers if type(layer).__name__ != "InputLayer"], len(model.weights), \
        model.predict(x, verbose=0)


def test_model_from_an_intermediate_tensor_starts_there_as_keras():
    (e_layers, e_n, e_out), (k_layers, k_n, k_out) = _intermediate(ek), _intermediate(keras)
    assert e_layers == k_layers and e_n == k_n
    np.testing.assert_allclose(e_out, k_out, rtol=1e-5, atol=1e-6)
