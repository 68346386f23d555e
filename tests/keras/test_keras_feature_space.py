"""keras.utils.FeatureSpace against closed-form NumPy encodings built here from Keras's documented rules
(Keras's own FeatureSpace needs TensorFlow): features in sorted name order; a normalized float is
(x - mean) / sqrt(population variance) of the adapted column; a categorical feature is one-hot over
[OOV] + the adapted values by descending frequency; a discretized float is one-hot over its bins
(``bin_boundaries[i-1] <= x < bin_boundaries[i]``). Also: output_mode='dict', a scalar row, adapt on a list of
dict batches, get_inputs/get_encoded_features in a functional model, and the .keras round trip (vocabulary
and statistics kept), plus an adapted Normalization file that real Keras loads (0-d ``count`` kept 0-d)."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

FS = ek.utils.FeatureSpace


def _data():
    # Counts without ties so the vocabulary order is fixed: cls 3 x5, 1 x2, 2 x1; city b x4, a x3, c x1.
    return {"age": np.array([20, 30, 40, 50, 60, 25, 35, 45], "float32"),
            "fare": np.array([1.0, 5.0, 9.0, 2.0, 6.0, 3.0, 8.0, 4.0], "float32"),
            "cls": np.array([3, 3, 1, 3, 2, 3, 1, 3], "int32"),
            "city": np.array(["b", "a", "b", "a", "c", "b", "a", "b"])}


def _one_hot(values, vocabulary):
    out = np.zeros((len(values), len(vocabulary) + 1), "float32")
    for i, v in enumerate(values):
        out[i, vocabulary.index(v) + 1 if v in vocabulary else 0] = 1
    return out


def _expected(data, train):
    age = train["age"]
    age_col = ((data["age"] - age.mean()) / np.sqrt(age.var()))[:, None]
    city = _one_hot(list(data["city"]), ["b", "a", "c"])
    cls = _one_hot(list(data["cls"]), [3, 1, 2])
    fare = np.zeros((len(data["fare"]), 3), "float32")
    fare[np.arange(len(data["fare"])), np.searchsorted([3.0, 6.0], data["fare"], side="right")] = 1
    return np.concatenate([age_col, city, cls, fare], axis=1)   # sorted names: age, city, cls, fare


def _space(output_mode="concat"):
    return FS(features={"age": "float_normalized", "city": "string_categorical", "cls": "integer_categorical",
                        "fare": FS.float_discretized(num_bins=None, bin_boundaries=[3.0, 6.0])},
              output_mode=output_mode)


def test_concat_encoding_matches_the_closed_form():
    train = _data()
    fs = _space()
    fs.adapt(train)
    new = {"age": np.array([33.0, 61.0], "float32"), "fare": np.array([6.0, 0.5], "float32"),
           "cls": np.array([2, 7], "int32"), "city": np.array(["c", "zzz"])}
    np.testing.assert_allclose(np.asarray(fs(new)), _expected(new, train), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(fs(train)), _expected(train, train), rtol=1e-5, atol=1e-6)
    one = fs({k: v[0] for k, v in new.items()})   # a scalar row: one unbatched vector
    np.testing.assert_allclose(np.asarray(one), _expected(new, train)[0], rtol=1e-5, atol=1e-6)


def test_dict_mode_and_adapt_on_batches():
    train = _data()
    fs = _space("dict")
    fs.adapt([{k: v[:4] for k, v in train.items()}, {k: v[4:] for k, v in train.items()}])
    out = fs(train)
    expected = _expected(train, train)
    assert sorted(out) == ["age", "city", "cls", "fare"]
    np.testing.assert_allclose(np.asarray(out["age"]), expected[:, :1], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(out["city"]), expected[:, 1:5])
    np.testing.assert_array_equal(np.asarray(out["cls"]), expected[:, 5:9])
    np.testing.assert_array_equal(np.asarray(out["fare"]), expected[:, 9:])


def test_unadapted_space_refuses_to_encode():
    with pytest.raises(ValueError, match="adapt"):
        _space()(_data())


def test_encoded_features_feed_a_functional_model():
    train = _data()
    fs = FS(features={"age": "float_normalized", "cls": "integer_categorical"})
    fs.adapt(train)
    encoded = fs.get_encoded_features()
    dense = ek.layers.Dense(1, kernel_initializer="ones")
    model = ek.Model(fs.get_inputs(), dense(encoded))
    got = model.predict({"age": train["age"][:, None], "cls": train["cls"][:, None]}, verbose=0)
    np.testing.assert_allclose(got, np.asarray(fs(train)).sum(1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_saved_feature_space_reloads_with_its_vocabulary_and_statistics(tmp_path):
    train = _data()
    fs = _space()
    fs.adapt(train)
    path = str(tmp_path / "fs.keras")
    fs.save(path)
    reloaded = ek.models.load_model(path)
    np.testing.assert_allclose(np.asarray(reloaded(train)), _expected(train, train), rtol=1e-5, atol=1e-6)


def test_adapted_normalization_file_loads_in_keras(tmp_path):
    x = np.array([[1.0], [2.0], [4.0], [9.0]], "float32")
    norm = ek.layers.Normalization()
    norm.adapt(x)
    model = ek.Sequential([ek.Input((1,)), norm])
    path = str(tmp_path / "norm.keras")
    model.save(path)
    for loaded in (keras.models.load_model(path), ek.models.load_model(path)):
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), (x - x.mean()) / x.std(),
                                   rtol=1e-5, atol=1e-6)
