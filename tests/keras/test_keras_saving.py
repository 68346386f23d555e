"""model.save / load_model (JSON config + Keras's HDF5 weights in a .keras zip), to_json, weights files, and the
refusal of configs that name unknown or non-layer classes."""
import json
import os
import zipfile

import numpy as np
import pytest

import ember
from ember import keras
from ember.keras import layers


def _cnn():
    return keras.Sequential([
        keras.Input((12, 12, 2)),
        layers.Conv2D(4, 3, activation="relu", padding="same"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.SeparableConv2D(3, 3),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(5, activation="softmax", kernel_regularizer="l2"),
    ])


def _branches():
    a = keras.Input((6, 4), name="seq")
    b = keras.Input((3,), name="extra")
    x = layers.Bidirectional(layers.LSTM(5, return_sequences=True))(a)
    x = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x)
    x = layers.GlobalAveragePooling1D()(x)
    y = layers.Dense(4, activation="relu")(b)
    merged = layers.Concatenate()([x, y])
    skip = layers.Add()([layers.Dense(4)(merged), y])
    return keras.Model([a, b], [layers.Dense(2, activation="softmax", name="cls")(skip),
                                layers.Dense(1, name="reg")(merged)], name="branchy")


def _train_a_little(model, x, ys):
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=["sparse_categorical_crossentropy", "mse"]
                  if isinstance(ys, list) else "sparse_categorical_crossentropy", metrics=None)
    model.fit(x, ys, epochs=2, batch_size=4, verbose=0)


@pytest.mark.parametrize("factory", [_cnn, _branches])
def test_save_load_round_trip_gives_identical_predictions(tmp_path, factory):
    rng = np.random.default_rng(0)
    model = factory()
    if factory is _cnn:
        x = rng.standard_normal((8, 12, 12, 2)).astype(np.float32)
        ys = rng.integers(0, 5, 8)
    else:
        x = [rng.standard_normal((8, 6, 4)).astype(np.float32), rng.standard_normal((8, 3)).astype(np.float32)]
        ys = [rng.integers(0, 2, 8), rng.standard_normal((8, 1)).astype(np.float32)]
    _train_a_little(model, x, ys)
    path = str(tmp_path / "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(z.read("config.json"))
    assert config["class_name"] == type(model).__name__
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    before = model.predict(x, verbose=0)
    after = loaded.predict(x, verbose=0)
    for a, b in zip(before if isinstance(before, list) else [before], after if isinstance(after, list) else [after]):
        np.testing.assert_array_equal(a, b)
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in model.get_weights()]
    assert loaded.optimizer.learning_rate == 0.01
    loaded.fit(x, ys, epochs=1, batch_size=4, verbose=0)  # the restored compile settings train


def test_to_json_and_model_from_json_rebuild_the_architecture():
    model = _branches()
    clone = keras.models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in clone.layers] == [type(layer).__name__ for layer in model.layers]
    assert clone.count_params() == model.count_params()
    clone.set_weights(model.get_weights())
    x = [np.ones((2, 6, 4), np.float32), np.ones((2, 3), np.float32)]
    for a, b in zip(model.predict(x, verbose=0), clone.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_weights_files_round_trip(tmp_path):
    model = _cnn()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    other = _cnn()
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    # A .weights.h5 file is Keras's HDF5 layout; any other name gets safetensors (readable by ember.load), under
    # the same Keras paths.
    import h5py
    with h5py.File(path) as f:
        stored = []
        f.visititems(lambda name, obj: stored.append(name) if isinstance(obj, h5py.Dataset) else None)
    assert len(stored) == len(model.get_weights()) and "layers/conv2d/vars/0" in stored
    other_path = tmp_path / "w.safetensors"
    model.save_weights(other_path)
    assert sorted(ember.load(str(other_path))) == sorted(stored)
    fresh = _cnn()
    fresh.load_weights(other_path)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)


@keras.saving.register_keras_serializable(package="tests")
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="tests")
class NotALayer:
    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        raise AssertionError("from_config of a non-layer class must never run")


def _saved(tmp_path, mutate):
    model = keras.Sequential([keras.Input((3,)), Scale(3.0), layers.Dense(2)])
    path = str(tmp_path / "custom.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    config = json.loads(files["config.json"])
    mutate(config)
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return model, path


def test_registered_custom_layer_round_trips(tmp_path):
    model, path = _saved(tmp_path, lambda config: None)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.layers[0], Scale) and loaded.layers[0].factor == 3.0
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_unknown_class_is_refused(tmp_path):
    def rename(config):
        config["config"]["layers"][1]["class_name"] = "Popen"
        config["config"]["layers"][1]["registered_name"] = "Popen"
        config["config"]["layers"][1]["module"] = "subprocess"
    _, path = _saved(tmp_path, rename)
    with pytest.raises(ValueError, match="Could not locate class 'Popen'"):
        keras.models.load_model(path)


def test_non_layer_class_is_refused(tmp_path):
    def swap(config):
        config["config"]["layers"][1]["class_name"] = "NotALayer"
        config["config"]["layers"][1]["registered_name"] = "tests>NotALayer"
    _, path = _saved(tmp_path, swap)
    with pytest.raises(ValueError, match="Refusing to load 'NotALayer': a model config may only name Keras layer"):
        keras.models.load_model(path)
    with pytest.raises(ValueError, match="Could not locate class 'Scale'"):
        keras.saving.deserialize_keras_object({"class_name": "Scale", "config": {}})


def test_unregistered_custom_layer_needs_custom_objects(tmp_path):
    class Unregistered(layers.Layer):
        def call(self, inputs):
            return inputs
    model = keras.Sequential([keras.Input((3,)), Unregistered(), layers.Dense(2)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    with pytest.raises(ValueError, match="Could not locate class 'Unregistered'"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 3), np.float32), verbose=0),
                                  model.predict(np.ones((1, 3), np.float32), verbose=0))


def test_bad_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="Please add the `.keras` extension"):
        _cnn().save(str(tmp_path / "model.h5"))
    bogus = tmp_path / "bogus.keras"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="is not a .keras archive"):
        keras.models.load_model(str(bogus))
    assert not os.path.exists(tmp_path / "model.h5")
