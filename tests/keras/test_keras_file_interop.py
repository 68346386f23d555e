""".keras and .weights.h5 files shared with real Keras 3 (the oracle): a model Keras saved loads in ember with the
same predictions, a model ember saved loads in Keras with the same predictions, weights files both ways; weights
match by Keras's structural path (never by position), mismatches name the layer and both shapes; Lambda is
refused in safe mode; seeded, bounded fuzzing of the loader gives only ValueError naming the file."""
import io
import json
import random
import zipfile

import numpy as np
import pytest

from ember import keras as ek
from tests.reliability.test_loader_fuzz import _mutations

N_FUZZ = int(__import__("os").environ.get("EMBER_FUZZ_N", 150))


def _build(K, name):
    L = K.layers
    if name == "cnn":
        return K.Sequential([K.Input((8, 8, 3)), L.Conv2D(4, 3, activation="relu"), L.BatchNormalization(),
                             L.MaxPooling2D(), L.Flatten(), L.Dropout(0.2), L.Dense(5, activation="softmax")])
    if name == "functional":
        i = K.Input((6,))
        a = L.Dense(4, activation="tanh")(i)
        b = L.Dense(4)(i)
        return K.Model(i, L.Dense(2)(L.Concatenate()([L.Add()([a, b]), i])))
    if name == "recurrent":
        return K.Sequential([K.Input((5,)), L.Embedding(10, 4), L.LSTM(3, return_sequences=True), L.GRU(3),
                             L.Dense(2)])
    if name == "conv_variants":
        return K.Sequential([K.Input((6, 6, 2)), L.SeparableConv2D(3, 3), L.DepthwiseConv2D(2),
                             L.Conv2DTranspose(2, 3, strides=2), L.UpSampling2D(), L.GlobalAveragePooling2D(),
                             L.Dense(2)])
    if name == "nested_shared":
        inner = K.Sequential([K.Input((4,)), L.Dense(3, activation="relu"), L.Dense(3)])
        i = K.Input((4,))
        shared = L.Dense(4)
        return K.Model(i, inner(L.Multiply()([shared(i), shared(L.Dense(4)(i))])))
    if name == "sequence_misc":
        return K.Sequential([K.Input((5, 3)), L.SimpleRNN(4, return_sequences=True), L.TimeDistributed(L.Dense(2)),
                             L.Permute((2, 1)), L.Conv1D(2, 2, padding="same"), L.Reshape((4,)), L.Dense(1)])
    i = K.Input((5, 6))
    a = L.MultiHeadAttention(2, 3)(i, i)
    a = L.LayerNormalization()(L.Add()([a, i]))
    return K.Model(i, L.Bidirectional(L.LSTM(2))(a))


NAMES = ["cnn", "functional", "recurrent", "attention", "conv_variants", "nested_shared", "sequence_misc"]


def _input(model, name):
    rng = np.random.default_rng(0)
    shape = [d or 3 for d in model.inputs[0].shape]
    if name == "recurrent":
        return rng.integers(0, 10, shape).astype("float32")
    return rng.normal(size=shape).astype("float32")


def _perturb_keras(model, seed=1):
    """Non-default weights everywhere (moving variances kept positive), so that a weight given to the wrong
    place shows in the predictions."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        value = np.asarray(w) + 0.3 * rng.normal(size=w.shape).astype("float32")
        w.assign(np.abs(value) + 0.5 if "moving_variance" in w.path else value)


def _perturb_ember(model, seed=2):
    rng = np.random.default_rng(seed)
    model.set_weights([np.abs(w) + 0.5 if w.ndim == 1 and (w > 0).all() else w + 0.3 * rng.normal(size=w.shape)
                       .astype("float32") for w in model.get_weights()])


@pytest.mark.parametrize("name", NAMES)
def test_a_model_keras_saved_loads_in_ember(tmp_path, name):
    import keras
    model = _build(keras, name)
    _perturb_keras(model)
    model.compile(optimizer="adam", loss="mse")
    x = _input(model, name)
    model.fit(x, np.asarray(model.predict(x, verbose=0)) * 0.5, epochs=1, verbose=0)  # optimizer state in the file
    path = str(tmp_path / "k.keras")
    model.save(path)
    want = np.asarray(model.predict(x, verbose=0))
    loaded = ek.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    model.save_weights(str(tmp_path / "k.weights.h5"))
    fresh = _build(ek, name)
    fresh.load_weights(str(tmp_path / "k.weights.h5"))
    np.testing.assert_allclose(fresh.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_a_model_ember_saved_loads_in_keras(tmp_path, name):
    import keras
    model = _build(ek, name)
    _perturb_ember(model)
    model.compile(optimizer="adam", loss="mse")
    x = _input(model, name)
    want = model.predict(x, verbose=0)
    path = str(tmp_path / "e.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), want, rtol=1e-5, atol=1e-6)
    model.save_weights(str(tmp_path / "e.weights.h5"))
    fresh = _build(keras, name)
    fresh.load_weights(str(tmp_path / "e.weights.h5"))
    np.testing.assert_allclose(np.asarray(fresh.predict(x, verbose=0)), want, rtol=1e-5, atol=1e-6)


def _two_dense(K, first=3, second=3, names=("a", "b")):
    return K.Sequential([K.Input((3,)), K.layers.Dense(first, name=names[0]), K.layers.Dense(second, name=names[1])])


def test_weights_go_to_their_own_layer_never_by_position(tmp_path):
    # A file of ember's older layout names each weight by its place in the model ("a.kernel"); two layers of one
    # shape whose weights are stored in the other order must each get their own (issue 12 #2).
    model = _two_dense(ek)
    _perturb_ember(model)
    tensors = dict(sorted(((n, p.numpy()) for n, p in model.named_parameters()), reverse=True))
    from ember.io import safetensors
    path = tmp_path / "legacy.safetensors"
    path.write_bytes(safetensors.save(tensors))
    other = _two_dense(ek)
    other.load_weights(str(path))
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    renamed = _two_dense(ek, names=("c", "d"))
    with pytest.raises(ValueError, match="do not match the model's"):
        renamed.load_weights(str(path))


def test_a_mismatch_names_the_layer_and_both_shapes(tmp_path):
    import keras
    _two_dense(keras, first=4).save_weights(str(tmp_path / "k.weights.h5"))
    with pytest.raises(ValueError, match=r"layer 'a' \(Dense, path layers/dense\) weight 'kernel' has shape "
                                         r"\(3, 3\) in the model but \(3, 4\) in the file"):
        _two_dense(ek).load_weights(str(tmp_path / "k.weights.h5"))
    bigger = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3), keras.layers.Dense(3),
                               keras.layers.Dense(3)])
    bigger.save_weights(str(tmp_path / "big.weights.h5"))
    with pytest.raises(ValueError, match="no place for.*layers/dense_2/vars/0"):
        _two_dense(ek).load_weights(str(tmp_path / "big.weights.h5"))
    model = _two_dense(ek)
    model.load_weights(str(tmp_path / "big.weights.h5"), skip_mismatch=True)


def test_lambda_is_refused_unless_safe_mode_is_off(tmp_path):
    import keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2.0), keras.layers.Dense(2)])
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match="Lambda"):
        ek.saving.load_model(path)
    x = np.ones((2, 3), np.float32)
    loaded = ek.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.asarray(model.predict(x, verbose=0)), rtol=1e-6)


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _archive(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return buffer.getvalue()


def _mutate_json(value, rng, depth=0):
    """One random structural change somewhere in a JSON value: a key dropped, a value swapped for another type."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(sorted(value))
        if rng.random() < 0.25:
            value.pop(key)
        else:
            value[key] = _mutate_json(value[key], rng, depth + 1)
        return value
    if isinstance(value, list) and value and rng.random() < 0.7:
        i = rng.randrange(len(value))
        value[i] = _mutate_json(value[i], rng, depth + 1)
        return value
    return rng.choice([None, -1, 10 ** 12, "x", [], {}, [None, 3], {"class_name": "Popen"}, 2.5, True])


def test_loader_fuzz_gives_only_clean_errors(tmp_path):
    import keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization(),
                              keras.layers.Dense(2)])
    good = str(tmp_path / "good.keras")
    model.save(good)
    members = _members(good)
    config = json.loads(members["config.json"])
    rng = random.Random(7)
    path = tmp_path / "case.keras"
    outcomes = {"clean error": 0, "loaded": 0}
    for i in range(N_FUZZ):
        kind = i % 3
        if kind == 0:
            case = _mutations(open(good, "rb").read(), rng)
        elif kind == 1:
            mutated = json.loads(json.dumps(config))
            for _ in range(rng.randint(1, 3)):
                mutated = _mutate_json(mutated, rng)
            case = _archive(dict(members, **{"config.json": json.dumps(mutated).encode()}))
        else:
            case = _archive(dict(members, **{"model.weights.h5": _mutations(members["model.weights.h5"], rng)}))
        path.write_bytes(case)
        try:
            ek.saving.load_model(str(path))
        except ValueError as e:
            assert "case.keras" in str(e), f"case {i}: the error does not name the file: {e}"
            outcomes["clean error"] += 1
        else:
            outcomes["loaded"] += 1
    print(f".keras loader fuzz: {N_FUZZ} inputs, {outcomes}")
    assert outcomes["clean error"] > N_FUZZ // 2


def test_member_sizes_are_checked_before_reading(tmp_path, monkeypatch):
    from ember.keras.saving import saving_api
    path = str(tmp_path / "m.keras")
    _two_dense(ek).save(path)
    monkeypatch.setattr(saving_api, "MAX_CONFIG_BYTES", 16)
    with pytest.raises(ValueError, match="config.json is .* bytes uncompressed, above the limit of 16"):
        ek.saving.load_model(path)
    monkeypatch.setattr(saving_api, "MAX_CONFIG_BYTES", 1 << 20)
    monkeypatch.setattr(saving_api, "MAX_WEIGHTS_BYTES", 16)
    with pytest.raises(ValueError, match="model.weights.h5 is .* above the limit"):
        ek.saving.load_model(path)


def test_without_h5py_the_error_names_the_extra(monkeypatch, tmp_path):
    import builtins
    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("No module named 'h5py'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_h5py)
    with pytest.raises(ImportError, match=r"pip install ember\[h5\]"):
        _two_dense(ek).save_weights(str(tmp_path / "w.weights.h5"))
    with pytest.warns(UserWarning, match=r"ember\[h5\]"):
        _two_dense(ek).save(str(tmp_path / "m.keras"))
    assert "model.weights.safetensors" in _members(tmp_path / "m.keras")
    assert isinstance(ek.saving.load_model(str(tmp_path / "m.keras")), ek.Sequential)


@pytest.mark.parametrize("name", ["cnn", "attention", "nested_shared"])
def test_legacy_hdf5_files_keras_wrote_load_in_ember(tmp_path, name):
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format
    model = _build(keras, name)
    _perturb_keras(model)
    x = _input(model, name)
    want = np.asarray(model.predict(x, verbose=0))
    path = str(tmp_path / "legacy.h5")
    model.save(path)
    np.testing.assert_allclose(ek.saving.load_model(path).predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    weights = str(tmp_path / "legacy_weights.h5")  # Keras 2's save_weights("w.h5") layout
    with h5py.File(weights, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    fresh = ek.saving.load_model(path)
    fresh.set_weights([np.zeros_like(w) for w in fresh.get_weights()])
    fresh.load_weights(weights)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    last = [layer for layer in fresh.layers if layer.weights][-1]
    last.name = "renamed"  # a legacy file is matched by layer name, so this must refuse
    with pytest.raises(ValueError, match="does not have"):
        fresh.load_weights(weights)


def test_legacy_hdf5_fuzz_gives_only_clean_errors(tmp_path):
    import keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()])
    good = tmp_path / "good.h5"
    model.save(str(good))
    data = good.read_bytes()
    rng = random.Random(11)
    path = tmp_path / "case.h5"
    clean = loaded = 0
    for _ in range(N_FUZZ // 3):
        path.write_bytes(_mutations(data, rng))
        try:
            ek.saving.load_model(str(path))
            loaded += 1
        except ValueError as e:
            assert "case.h5" in str(e)
            clean += 1
    print(f"legacy .h5 loader fuzz: {N_FUZZ // 3} inputs, {clean} clean errors, {loaded} loaded")
    assert clean > 0


@pytest.mark.parametrize("field,value", [("units", 1 << 30), ("units", -5), ("kernel_size", [1 << 25, 1])])
def test_oversized_layers_are_refused_before_building(tmp_path, field, value):
    import keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    if field == "kernel_size":
        model = keras.Sequential([keras.Input((6, 2)), keras.layers.Conv1D(3, 2)])
    path = str(tmp_path / "big.keras")
    model.save(path)
    members = _members(path)
    config = json.loads(members["config.json"])
    config["config"]["layers"][-1]["config"][field] = value
    (tmp_path / "big.keras").write_bytes(_archive(dict(members, **{"config.json": json.dumps(config).encode()})))
    with pytest.raises(ValueError, match="big.keras: .*(outside the accepted range|above the limit)"):
        ek.saving.load_model(path)


def _saving_hooks_model(K):
    """The "Customizing Saving" guide's layers: a Dense subclass saving an extra variable of its own
    (save_own_variables / load_own_variables), a layer with a build_from_config that builds through a helper, and
    one writing a vocabulary file (save_assets / load_assets)."""
    import os

    @K.saving.register_keras_serializable(package="interop_hooks")
    class DenseWithExtra(K.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.extra = K.Variable(np.full((3, 3), 2.0, "float32"), name="extra")

        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["extra"] = self.extra.numpy()

        def load_own_variables(self, store):
            self.extra.assign(store["extra"])
            super().load_own_variables(store)

        def call(self, inputs):
            return super().call(inputs) + K.ops.sum(self.extra)

    @K.saving.register_keras_serializable(package="interop_hooks")
    class BuiltByHelper(K.layers.Layer):
        def build(self, input_shape):
            self.make(input_shape, "ones")

        def make(self, input_shape, init):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer=init)
            self.shape_seen, self.init = tuple(input_shape), init

        def get_build_config(self):
            return {"input_shape": self.shape_seen, "init": self.init}

        def build_from_config(self, config):
            self.make(config["input_shape"], config["init"])

        def call(self, x):
            return K.ops.matmul(x, self.w)

    @K.saving.register_keras_serializable(package="interop_hooks")
    class WithVocabulary(K.layers.Layer):
        vocab = None

        def save_assets(self, inner_path):
            with open(os.path.join(inner_path, "vocabulary.txt"), "w") as f:
                f.write("\n".join(self.vocab))

        def load_assets(self, inner_path):
            with open(os.path.join(inner_path, "vocabulary.txt")) as f:
                self.vocab = f.read().split("\n")

        def call(self, x):
            return x

    model = K.Sequential([K.Input((5,)), DenseWithExtra(4), BuiltByHelper(), WithVocabulary()])
    model.layers[-1].vocab = ["a", "b", "c"]
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(size=tuple(w.shape)).astype("float32"))
    return model


def _h5_keys(path):
    import h5py
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.startswith("assets/"))
        f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        keys = []
        f.visititems(lambda n, o: keys.append(n) if isinstance(o, h5py.Dataset) and "optimizer" not in n else None)
    return names, sorted(keys)


@pytest.mark.parametrize("direction", ["keras_to_ember", "ember_to_keras"])
def test_saving_hooks_of_the_customizing_saving_guide_round_trip_with_keras(tmp_path, direction):
    """save_own_variables / load_own_variables overrides write and read their own keys (ember ignored them and
    had no Layer.save_own_variables for super()), save_assets / load_assets files travel under
    assets/<layer path>/ (ember dropped them), Dense saves kernel and bias only as Keras's does, and a layer whose
    build_from_config builds through a helper is not built twice (ember made a second set of weights)."""
    import keras
    src, dst = (keras, ek) if direction == "keras_to_ember" else (ek, keras)
    model = _saving_hooks_model(src)
    model.layers[0].extra.assign(np.full((3, 3), 0.1, "float32"))
    model.compile(optimizer="sgd", loss="mse")
    _saving_hooks_model(dst)   # registers the classes in the loading framework
    x = np.random.default_rng(1).normal(size=(3, 5)).astype("float32")
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = dst.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(loaded.layers[0].extra.numpy()), 0.1)
    assert loaded.layers[2].vocab == ["a", "b", "c"]
    assert len(loaded.weights) == len(model.weights) == 4
    assert loaded.layers[1].init == "ones"
    again = str(tmp_path / "again.keras")
    loaded.save(again)
    assert _h5_keys(again) == _h5_keys(path) == (
        ["assets/layers/with_vocabulary/vocabulary.txt"],
        ["layers/built_by_helper/vars/0", "layers/dense_with_extra/vars/0", "layers/dense_with_extra/vars/1",
         "layers/dense_with_extra/vars/extra"])


def test_compile_config_has_keras_keys_and_round_trips():
    """get_compile_config gives Keras's keys (ember lacked weighted_metrics, run_eagerly, steps_per_execution,
    jit_compile, and kept an optimizer given by name as a string where Keras serializes it)."""
    import keras
    configs = []
    for K in (keras, ek):
        model = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
        model.compile("adam", "mse", metrics=["mae"], weighted_metrics=["mse"])
        config = model.get_compile_config()
        clone = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
        clone.compile_from_config(config)
        configs.append((config, clone.get_compile_config()))
    (k, k_again), (e, e_again) = configs
    assert sorted(e) == sorted(k)
    assert {key: e[key] for key in e if key != "optimizer"} == {key: k[key] for key in k if key != "optimizer"}
    assert e["optimizer"]["class_name"] == k["optimizer"]["class_name"] == "Adam"
    assert e_again["weighted_metrics"] == ["mse"] and sorted(e_again) == sorted(k_again)
