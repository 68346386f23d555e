"""``ember train --track/--register-as`` and the ``ember runs`` / ``ember models`` commands, run in-process
on a 128-image MNIST slice. Oracles: the saved model file (hashlib, and its accuracy recomputed
here from the registered file), sqlite3's own view of the rows, and the options passed."""
import hashlib
import json
import sqlite3
import struct

import numpy as np
import pytest

import ember
import ember.registry as registry
from ember.cli import main


def _write_idx(path, array):
    code = {3: 0x0803, 1: 0x0801}[array.ndim]
    path.write_bytes(struct.pack(">I", code) + struct.pack(f">{array.ndim}I", *array.shape) +
                     array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist(tmp_path):
    from ember.vision.datasets import load_mnist_sample
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for train, prefix, n in [(True, "train", 128), (False, "t10k", 64)]:
        x, y = load_mnist_sample(train=train)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", np.asarray(x)[:n])
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.asarray(y)[:n])
    return str(tmp_path / "data")


def _train(tmp_path, data, *extra):
    out = str(tmp_path / "m.safetensors")
    argv = ["train", "--model", "mlp", "--epochs", "2", "--no-compile", "--data-root", data, "--out", out,
            "--overwrite", *extra]
    return main(argv), out


def _accuracy(path, data):
    from ember.cli.train import _load
    from ember.vision.models import MnistMLP
    model = MnistMLP()
    model.load_state_dict(ember.load(path))
    model.eval()
    x, y = _load(data, False)
    with ember.no_grad():
        pred = model(ember.from_numpy(x[:, None])).numpy().argmax(1)
    return float((pred == y).mean())


def test_train_logs_params_epochs_model_and_registers_it(tmp_path, tiny_mnist, tracking, capsys):
    db = tracking[len("sqlite:///"):]
    code, out = _train(tmp_path, tiny_mnist, "--tracking-uri", tracking, "--experiment", "mnist",
                       "--run-name", "tiny", "--register-as", "mnist-mlp", "--alias", "production")
    assert code == 0
    printed = capsys.readouterr().out
    assert "registered the model as models:/mnist-mlp/1, models:/mnist-mlp@production" in printed
    run = registry.search_runs(experiment_names=["mnist"])[0]
    assert run.info.run_name == "tiny" and run.info.status == "FINISHED"
    assert {k: run.data.params[k] for k in ("model", "epochs", "batch_size", "lr", "compiled", "train_size")} == {
        "model": "mlp", "epochs": "2", "batch_size": "64", "lr": "0.002", "compiled": "false", "train_size": "128"}
    con = sqlite3.connect(db)
    steps = con.execute("SELECT key, step FROM metrics WHERE run_id = ? AND key != 'test_accuracy' ORDER BY key, step",
                        (run.info.run_id,)).fetchall()
    assert steps == [(k, s) for k in ("accuracy", "loss", "val_accuracy", "val_loss") for s in (0, 1)]
    # The logged and registered file is the saved model, and its logged test accuracy is its own.
    digest = hashlib.sha256(open(out, "rb").read()).hexdigest()
    checkpoint = hashlib.sha256(open(tmp_path / "m.ckpt.safetensors", "rb").read()).hexdigest()
    assert [(a.path, a.sha256) for a in registry.Client().list_artifacts(run.info.run_id)] == [
        ("checkpoint/m.ckpt.safetensors", checkpoint), ("model/m.safetensors", digest)]
    served = registry.resolve_model_uri("models:/mnist-mlp@production")
    assert hashlib.sha256(open(served, "rb").read()).hexdigest() == digest
    assert run.data.metrics["test_accuracy"] == pytest.approx(_accuracy(served, tiny_mnist), abs=1e-12)
    assert run.data.metrics["val_accuracy"] == run.data.metrics["test_accuracy"]

    assert main(["runs", "ls", "--tracking-uri", tracking, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in listed] == [run.info.run_id]
    assert main(["runs", "show", run.info.run_id[:6], "--tracking-uri", tracking]) == 0
    shown = capsys.readouterr().out
    assert run.info.run_id in shown and "model/m.safetensors" in shown and digest in shown
    assert main(["models", "ls", "--tracking-uri", tracking]) == 0
    assert "mnist-mlp  1       production->1" in capsys.readouterr().out


def test_train_without_tracking_options_writes_no_database(tmp_path, tiny_mnist, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _ = _train(tmp_path, tiny_mnist, "--epochs", "0")
    assert code == 0 and not (tmp_path / "ember-runs.db").exists()


@pytest.mark.parametrize("error, status, code", [(RuntimeError, "FAILED", None), (KeyboardInterrupt, "KILLED", 130)])
def test_a_failed_or_interrupted_training_ends_its_run(tmp_path, tiny_mnist, tracking, monkeypatch, error, status,
                                                       code):
    import ember.cli.train as train

    def broken(*args, **kwargs):
        raise error("stop")
    monkeypatch.setattr(train, "evaluate", broken)
    if code is None:
        with pytest.raises(error):
            _train(tmp_path, tiny_mnist, "--track")
    else:
        assert _train(tmp_path, tiny_mnist, "--track")[0] == code
    assert [r.info.status for r in registry.search_runs()] == [status]


@pytest.mark.parametrize("argv, message", [(["--alias", "production"], "--alias needs --register-as"),
                                           (["--register-as", "a/b"], "a registered model name is"),
                                           (["--register-as", "m", "--alias", "latest"], "an alias is"),
                                           (["--tracking-uri", "postgresql://x/y"], "only sqlite tracking URIs"),
                                           (["--register-as", "m", "--out", ""], "--register-as needs the model saved")])
def test_bad_tracking_options_fail_before_training(tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=message):
        main(["train", *argv])
    assert list(tmp_path.iterdir()) == []


def test_models_register_alias_resolve_commands(tmp_path, tracking, capsys):
    src = tmp_path / "w.bin"
    src.write_bytes(b"weights")
    assert main(["models", "register", str(src), "--name", "net", "--alias", "staging", "--tracking-uri",
                 tracking, "--json"]) == 0
    version = json.loads(capsys.readouterr().out)
    assert (version["version"], version["aliases"], version["sha256"]) == (
        "1", ["staging"], hashlib.sha256(b"weights").hexdigest())
    assert main(["models", "alias", "net", "production", "1", "--tracking-uri", tracking]) == 0
    capsys.readouterr()
    assert main(["models", "resolve", "models:/net@production", "--tracking-uri", tracking]) == 0
    assert open(capsys.readouterr().out.strip(), "rb").read() == b"weights"
    assert main(["models", "alias", "net", "production", "--delete", "--tracking-uri", tracking]) == 0
    with pytest.raises(SystemExit, match=r"ember models resolve: error: .*no alias 'production' \(aliases: staging"):
        main(["models", "resolve", "models:/net@production", "--tracking-uri", tracking])
    with pytest.raises(SystemExit, match="no registered model named 'other'"):
        main(["models", "show", "other", "--tracking-uri", tracking])
    with pytest.raises(SystemExit, match="no run with an id starting 'abc'"):
        main(["runs", "show", "abc", "--tracking-uri", tracking])
    with pytest.raises(SystemExit, match="no experiment named 'x'"):
        main(["runs", "ls", "--experiment", "x", "--tracking-uri", tracking])


def test_resume_continues_the_interrupted_run(tmp_path, tiny_mnist, tracking, monkeypatch):
    import ember.cli.train as train
    real, calls = train.evaluate, []

    def interrupt_second_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(train, "evaluate", interrupt_second_epoch)
    assert _train(tmp_path, tiny_mnist, "--track")[0] == 130
    (killed,) = registry.search_runs()
    assert killed.info.status == "KILLED"
    monkeypatch.setattr(train, "evaluate", real)
    assert main(["train", "--model", "mlp", "--epochs", "2", "--no-compile", "--data-root", tiny_mnist, "--out",
                 str(tmp_path / "m.safetensors"), "--resume", "--track"]) == 0
    (resumed,) = registry.search_runs()
    assert resumed.info.run_id == killed.info.run_id and resumed.info.status == "FINISHED"
    history = registry.get_metric_history(resumed.info.run_id, "val_accuracy")
    assert [m.step for m in history] == [0, 1]


def test_reading_commands_never_create_a_database(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EMBER_TRACKING_URI", raising=False)
    registry.set_tracking_uri(None)
    assert main(["runs", "ls"]) == 0 and main(["models", "ls", "--json"]) == 0
    assert "no tracking database at" in capsys.readouterr().out
    for argv in (["runs", "show", "abc"], ["models", "show", "m"], ["models", "resolve", "models:/m/1"],
                 ["models", "alias", "m", "prod", "1"]):
        with pytest.raises(SystemExit, match="no tracking database at"):
            main(argv)
    with pytest.raises(registry.NotFoundError, match="there is no tracking database at"):
        registry.resolve_model_uri("models:/mnist-cnn@production")
    assert list(tmp_path.iterdir()) == []


def test_runs_ls_table_filters_by_status_and_experiment(tracking, capsys):
    for name, fail in [("good", False), ("bad", True)]:
        try:
            with registry.start_run(run_name=name, experiment_name="e"):
                registry.log_metric("loss", 0.5)
                if fail:
                    raise ValueError
        except ValueError:
            pass
    assert main(["runs", "ls", "--status", "FAILED", "--experiment", "e", "--tracking-uri", tracking]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "ID", "NAME", "EXPERIMENT", "STATUS", "STARTED", "DURATION", "METRICS"]
    assert len(lines) == 2 and lines[1].split()[1:4] == ["bad", "e", "FAILED"] and "loss=0.5" in lines[1]


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "runs" in out and "models" in out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--track" in out and "--register-as" in out and "--tracking-uri" in out
