"""Callbacks: EarlyStopping, ModelCheckpoint, BackupAndRestore (a killed process resumes to the same weights),
ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, LambdaCallback, TensorBoard."""
import csv
import glob
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from ember import keras
from ember.keras import layers
from ember.io import event_file as _event_file

HERE = os.path.dirname(os.path.abspath(__file__))


def _data(n=48):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def _model():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(6, activation="relu"),
                              layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Scripted(keras.callbacks.Callback):
    """Replaces ``val_loss`` by a scripted sequence and records the weights at the end of every epoch."""

    def __init__(self, values):
        super().__init__()
        self.values, self.weights = values, []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def test_early_stopping_stops_at_the_right_epoch_and_restores_the_best_weights():
    x, y = _data()
    model = _model()
    script = Scripted([1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(x, y, epochs=7, verbose=0, callbacks=[script, stop])
    # Best at epoch 1 (0.8); epochs 2, 3, 4 do not improve: with patience 3, training stops after epoch 4.
    assert stop.stopped_epoch == 4 and stop.best_epoch == 1
    assert history.epoch == [0, 1, 2, 3, 4]
    for a, b in zip(model.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(a, b)

    model = _model()
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.2)
    model.fit(x, y, epochs=7, verbose=0, callbacks=[Scripted([1.0, 0.7, 0.6, 0.55, 0.1, 0, 0]), stop])
    assert stop.stopped_epoch == 2  # 0.6 is not 0.2 better than 0.7

    model = _model()
    stop = keras.callbacks.EarlyStopping(monitor="accuracy", patience=0, mode="auto", baseline=2.0)
    model.fit(x, y, epochs=5, verbose=0, callbacks=[stop])
    assert stop.stopped_epoch == 1  # an accuracy never beats the baseline 2.0


def test_model_checkpoint_keeps_the_best(tmp_path):
    x, y = _data()
    model = _model()
    script = Scripted([1.0, 0.5, 0.7, 0.4, 0.9])
    path = str(tmp_path / "best.keras")
    every = str(tmp_path / "every-{epoch:02d}-{val_loss:.2f}.weights.h5")
    model.fit(x, y, epochs=5, verbose=0, callbacks=[
        script, keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True),
        keras.callbacks.ModelCheckpoint(every, save_weights_only=True)])
    best = keras.models.load_model(path)
    for a, b in zip(best.get_weights(), script.weights[3]):
        np.testing.assert_array_equal(a, b)
    assert sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "every-*"))) == [
        "every-01-1.00.weights.h5", "every-02-0.50.weights.h5", "every-03-0.70.weights.h5",
        "every-04-0.40.weights.h5", "every-05-0.90.weights.h5"]
    with pytest.raises(ValueError, match="must end in `.keras`"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "x.h5"))


def _run_script(backup, out, kill_epoch=None, save_freq=None):
    args = [sys.executable, os.path.join(HERE, "_backup_train.py"), backup, out]
    args.append("-" if kill_epoch is None else str(kill_epoch))
    if save_freq is not None:
        args.append(str(save_freq))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(HERE)))
    return subprocess.run(args, env=env, capture_output=True, timeout=300)


def test_backup_and_restore_resumes_a_killed_process_to_the_same_weights(tmp_path):
    reference = _run_script(str(tmp_path / "backup_ref"), str(tmp_path / "ref.npz"))
    assert reference.returncode == 0, reference.stderr.decode()
    backup, out = str(tmp_path / "backup"), str(tmp_path / "resumed.npz")
    killed = _run_script(backup, out, kill_epoch=3)
    assert killed.returncode == -signal.SIGKILL
    assert not os.path.exists(out) and os.path.exists(os.path.join(backup, "latest.safetensors"))
    resumed = _run_script(backup, out)
    assert resumed.returncode == 0, resumed.stderr.decode()
    ref, got = np.load(str(tmp_path / "ref.npz")), np.load(out)
    np.testing.assert_array_equal(got["epochs"], [3, 4, 5])  # epochs 0-2 were done before the kill
    np.testing.assert_array_equal(ref["epochs"], [0, 1, 2, 3, 4, 5])
    for key in ref.files:
        if key != "epochs":
            np.testing.assert_array_equal(ref[key], got[key])
    assert not os.path.exists(backup)  # deleted after a completed fit


def test_backup_and_restore_with_integer_save_freq_resumes_inside_the_epoch(tmp_path):
    # 6 batches an epoch, a save every 4 batches: the last save before the kill (epoch 3, after its
    # third batch) is after batch 1 of epoch 3, so the resumed fit starts there, not at batch 0.
    reference = _run_script(str(tmp_path / "backup_ref"), str(tmp_path / "ref.npz"), save_freq=4)
    assert reference.returncode == 0, reference.stderr.decode()
    backup, out = str(tmp_path / "backup"), str(tmp_path / "resumed.npz")
    killed = _run_script(backup, out, kill_epoch=3, save_freq=4)
    assert killed.returncode == -signal.SIGKILL
    import ember
    saved = ember.load(os.path.join(backup, "latest.safetensors"))
    assert (saved["epoch"], saved["step"], saved["epoch_done"]) == (3, 1, False)
    resumed = _run_script(backup, out, save_freq=4)
    assert resumed.returncode == 0, resumed.stderr.decode()
    ref, got = np.load(str(tmp_path / "ref.npz")), np.load(out)
    np.testing.assert_array_equal(got["epochs"], [3, 4, 5])
    for key in ref.files:
        if key != "epochs":
            np.testing.assert_array_equal(ref[key], got[key])


def test_reduce_lr_on_plateau_and_learning_rate_scheduler():
    x, y = _data()
    model = _model()
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.01)
    h = model.fit(x, y, epochs=5, verbose=0, callbacks=[Scripted([1.0, 1.0, 1.0, 1.0, 1.0]), reduce])
    # Logged before each epoch's reduction: no improvement after epoch 0 halves the rate every epoch (patience 1),
    # down to min_lr.
    assert h.history["learning_rate"] == pytest.approx([0.05, 0.05, 0.025, 0.0125, 0.01])
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    model = _model()
    sched = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    h = model.fit(x, y, epochs=3, verbose=0, callbacks=[sched])
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])


def test_csv_logger_terminate_on_nan_and_lambda(tmp_path):
    x, y = _data()
    model = _model()
    path = str(tmp_path / "log.csv")
    ends = []
    model.fit(x, y, epochs=3, verbose=0, callbacks=[
        keras.callbacks.CSVLogger(path), keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: ends.append(e))])
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and list(rows[0]) == ["epoch", "accuracy", "loss"]
    assert ends == [0, 1, 2]
    bad = x.copy()
    bad[5, 0] = np.nan
    model = _model()
    h = model.fit(bad, y, epochs=3, batch_size=8, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert len(h.epoch) == 1 and np.isnan(h.history["loss"][0])


def test_tensorboard_event_files(tmp_path):
    x, y = _data()
    model = _model()
    log_dir = str(tmp_path / "logs")
    model.fit(x, y, epochs=3, verbose=0, validation_split=0.25,
              callbacks=[keras.callbacks.TensorBoard(log_dir, histogram_freq=1)])
    train_files = glob.glob(os.path.join(log_dir, "train", "events.out.tfevents.*.v2"))
    val_files = glob.glob(os.path.join(log_dir, "validation", "events.out.tfevents.*.v2"))
    assert len(train_files) == 1 and len(val_files) == 1
    events = _event_file.read_events(train_files[0])
    assert events[0]["file_version"] == "brain.Event:2"
    losses = [(e["step"], e["value"]) for e in events if e.get("tag") == "epoch_loss"]
    assert [s for s, _ in losses] == [0, 1, 2]
    assert [v for _, v in losses] == pytest.approx(model.history.history["loss"], rel=1e-6)
    assert any("histogram" in e for e in events)
    val = [e["value"] for e in _event_file.read_events(val_files[0]) if e.get("tag") == "epoch_accuracy"]
    assert val == pytest.approx(model.history.history["val_accuracy"], rel=1e-6)


def test_crc32c_and_framing():
    # Known CRC-32C check value, and a corrupted record is detected.
    assert _event_file.crc32c(b"123456789") == 0xE3069283
    record = _event_file.frame(b"hello")
    assert record[:8] == (5).to_bytes(8, "little")


def test_tensorboard_package_reads_the_files(tmp_path):
    """The oracle: TensorBoard's own event-file loader reads what we wrote."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    x, y = _data()
    model = _model()
    log_dir = str(tmp_path / "logs")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.TensorBoard(log_dir)])
    acc = EventAccumulator(os.path.join(log_dir, "train"))
    acc.Reload()
    assert "epoch_loss" in acc.Tags()["scalars"]
    values = [e.value for e in acc.Scalars("epoch_loss")]
    assert values == pytest.approx(model.history.history["loss"], rel=1e-6)
    assert [e.step for e in acc.Scalars("epoch_accuracy")] == [0, 1]
