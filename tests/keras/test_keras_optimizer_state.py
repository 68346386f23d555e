"""Optimizer state in ``.keras`` files (``optimizer/vars`` in ``model.weights.h5``): a model trained and saved
by Keras 3 (torch backend) and loaded by ember continues training exactly as Keras continues it, and the
other way round."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.standard_normal((16, 4)).astype("float32")
Y = RNG.standard_normal((16, 2)).astype("float32")


def _trained(K, optimizer, path):
    model = K.Sequential([K.Input((4,)), K.layers.Dense(5, activation="tanh"), K.layers.Dense(2)])
    rng = np.random.default_rng(1)
    model.set_weights([(rng.standard_normal(tuple(w.shape)) * 0.4).astype("float32") for w in model.get_weights()])
    model.compile(optimizer=optimizer(K), loss="mse")
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    model.save(path)
    return model


def _resume(K, path):
    model = K.saving.load_model(path)
    iterations = int(K.ops.convert_to_numpy(model.optimizer.iterations))
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return iterations, history.history["loss"], model.predict(X[:3], verbose=0)


OPTIMIZERS = {
    "adam": lambda K: K.optimizers.Adam(0.05),
    "sgd_momentum": lambda K: K.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda K: K.optimizers.RMSprop(0.01, momentum=0.5),
    "adamw_amsgrad": lambda K: K.optimizers.AdamW(0.02, amsgrad=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("writer,reader", [("keras", "ember"), ("ember", "keras")])
def test_training_resumes_from_the_saved_optimizer_state(tmp_path, name, writer, reader):
    frameworks = {"keras": keras, "ember": ek}
    path = str(tmp_path / f"{name}.keras")
    _trained(frameworks[writer], OPTIMIZERS[name], path)
    got = _resume(frameworks[reader], path)
    expected = _resume(frameworks[writer], path)
    assert got[0] == expected[0] == 8
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-4, atol=1e-5)


def test_a_fresh_optimizer_would_differ_and_a_mismatched_state_is_skipped(tmp_path):
    path = str(tmp_path / "adam.keras")
    _trained(keras, OPTIMIZERS["adam"], path)
    resumed = _resume(ek, path)
    fresh = ek.saving.load_model(path)
    fresh.compile(optimizer=ek.optimizers.Adam(0.05), loss="mse")
    restarted = fresh.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    assert not np.allclose(restarted, resumed[1], rtol=1e-3)  # the state matters, so the test above can fail
    # An SGD file read into a model compiled (from config) with SGD but a different slot layout is skipped.
    model = ek.saving.load_model(path, compile=False)
    model.compile(optimizer=ek.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    from ember.keras.saving import keras_h5
    import io
    import zipfile
    blob = zipfile.ZipFile(path).read("model.weights.h5")
    with pytest.warns(UserWarning, match="skipping the optimizer's saved state"):
        assert keras_h5.read_optimizer(model, io.BytesIO(blob), path) is False
