"""``ember.keras.callbacks.RegistryLogger`` on a tiny model fit on random data. Oracles: real Keras 3
(the optimizer config MLflow's callback would log, and the logged .keras file loaded in Keras
predicts as the trained model), fit's own History, and hashlib for the registered file."""
import hashlib
import json
import os

import numpy as np
import pytest

import ember.registry as registry
from ember import keras as ek


def _model():
    model = ek.Sequential([ek.Input((4,)), ek.layers.Dense(8, activation="relu"), ek.layers.Dense(3)])
    model.compile(optimizer=ek.optimizers.Adam(learning_rate=0.01),
                  loss=ek.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def _data(seed=0, n=24):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype("float32"), rng.integers(0, 3, n)


def _value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def test_logs_optimizer_config_epochs_and_the_model_into_the_active_run(tracking):
    import keras
    x, y = _data()
    model = _model()
    with registry.start_run() as run:
        history = model.fit(x, y, epochs=3, batch_size=8, validation_data=_data(1, 8), verbose=0,
                            callbacks=[ek.callbacks.RegistryLogger()])
        assert registry.active_run().info.run_id == run.info.run_id       # the callback does not end it
    got = registry.get_run(run.info.run_id)
    # Keras (and ember, as Keras) numbers a default name by how many optimizers this process made
    # ("adam_40" late in the suite): name Keras's as ember's is named, so the rest is compared.
    expected = keras.optimizers.Adam(learning_rate=0.01, name=model.optimizer.name).get_config()
    logged = {k[len("optimizer_"):]: _value(v) for k, v in got.data.params.items() if k.startswith("optimizer_")}
    assert set(logged) == set(expected)
    for key, value in expected.items():
        assert logged[key] == (pytest.approx(value, rel=1e-6) if isinstance(value, float) else value), key
    assert (got.data.params["epochs"], got.data.params["steps"]) == ("3", "3")
    assert set(got.data.metrics) == set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in history.history.items():
        logged = registry.get_metric_history(run.info.run_id, key)
        assert [m.step for m in logged] == [0, 1, 2]
        np.testing.assert_allclose([m.value for m in logged], values, rtol=1e-7)
    paths = {a.path for a in registry.Client().list_artifacts(run.info.run_id)}
    assert paths == {"model_summary.txt", "model/model.keras"}
    summary = open(registry.resolve_model_uri(f"runs:/{run.info.run_id}/model_summary.txt")).read()
    assert "Trainable params: 67" in summary
    # The logged file is a .keras that real Keras loads and that predicts as the trained model.
    path = registry.resolve_model_uri(f"runs:/{run.info.run_id}/model/model.keras")
    theirs = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)


def test_without_an_active_run_it_starts_its_own_and_registers_the_model(tracking):
    x, y = _data()
    logger = ek.callbacks.RegistryLogger(run_name="fit", experiment_name="keras", register_as="tiny")
    _model().fit(x, y, epochs=2, batch_size=12, verbose=0, callbacks=[logger])
    assert registry.active_run() is None
    (run,) = registry.search_runs(experiment_names=["keras"])
    assert (run.info.run_id, run.info.run_name, run.info.status) == (logger.run_id, "fit", "FINISHED")
    assert logger.model_version.version == "1"
    artifact = {a.path: a.sha256 for a in registry.Client().list_artifacts(run.info.run_id)}["model/model.keras"]
    registered = registry.resolve_model_uri("models:/tiny/latest")
    assert hashlib.sha256(open(registered, "rb").read()).hexdigest() == artifact


def test_log_every_n_steps_logs_batches_at_optimizer_steps(tracking):
    x, y = _data()
    logger = ek.callbacks.RegistryLogger(log_every_epoch=False, log_every_n_steps=2, log_model=False)
    _model().fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[logger])     # 3 steps an epoch
    assert [m.step for m in registry.get_metric_history(logger.run_id, "loss")] == [2, 4, 6]
    assert not os.path.exists(os.path.join(registry.get_run(logger.run_id).info.artifact_uri, "model"))


@pytest.mark.parametrize("kwargs, message", [
    ({"log_every_n_steps": 2}, "must be None if `log_every_epoch=True`"),
    ({"log_every_epoch": False}, "give `log_every_n_steps`"),
    ({"log_every_epoch": False, "log_every_n_steps": 0}, "positive int"),
    ({"register_as": "x", "log_model": False}, "register_as needs log_model=True")])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ek.callbacks.RegistryLogger(**kwargs)
