"""The ``ember`` command line: help, version, option checks, checkpoints, --resume and Ctrl-C."""
import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

import ember
from ember.cli import main


def _ember(*args, cwd):
    return subprocess.run([sys.executable, "-m", "ember", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def _digest(path):
    sd = ember.load(path)
    return hashlib.sha256(b"".join(sd[k].numpy().tobytes() for k in sorted(sd))).hexdigest()


def test_bare_ember_prints_help_and_version(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: ember" in out and "train" in out
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"ember {ember.__version__}"


def test_train_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "(default: 15)" in out and "(default: 64)" in out and "--resume" in out


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "-1"], "--epochs must be >= 0, got -1"),
    (["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
    (["--lr", "0"], "--lr must be > 0"),
    (["--out", "/nonexistent-folder/m.safetensors"], "the folder '/nonexistent-folder' does not exist"),
    (["--data-root", "/nonexistent-folder"], "is not a directory"),
    (["--resume"], "no checkpoint at"),
])
def test_bad_options_fail_before_training(tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["train", *argv])
    assert message in str(e.value)
    assert os.listdir(tmp_path) == []


def test_plots_without_matplotlib_fail_before_training(tmp_path, monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=r'pip install "ember\[plot\]"'):
        main(["train", "--plots", "plots"])


def test_never_overwrites_an_earlier_run(tmp_path):
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"an earlier run")
    r = _ember("train", "--epochs", "1", "--out", str(out), cwd=tmp_path)
    assert r.returncode != 0 and "is from an earlier run" in r.stderr and "--overwrite" in r.stderr
    assert out.read_bytes() == b"an earlier run"
    r = _ember("train", "--model", "mlp", "--epochs", "1", "--no-compile", "--out", str(out), "--overwrite",
               cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    from ember.vision.models import MnistMLP
    assert set(ember.load(out)) == set(MnistMLP().state_dict())


@pytest.mark.parametrize("compiled", [False, True])
def test_ctrl_c_keeps_a_checkpoint_and_resume_is_bit_identical(tmp_path, compiled):
    base = [sys.executable, "-m", "ember", "train", "--model", "mlp", "--epochs", "3"]
    if not compiled:
        base.append("--no-compile")
    subprocess.run(base + ["--out", "straight.safetensors"], cwd=tmp_path, check=True, capture_output=True,
                   timeout=300)
    cut = subprocess.Popen(base + ["--out", "cut.safetensors"], cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "cut.ckpt.safetensors").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    cut.send_signal(signal.SIGINT)
    out, _ = cut.communicate(timeout=120)
    if cut.returncode == 0:
        pytest.fail("the run finished before Ctrl-C reached it: " + out)
    assert cut.returncode == 130 and "interrupted: the checkpoint of epoch" in out, out
    assert not (tmp_path / "cut.safetensors").exists()
    state = ember.load(tmp_path / "cut.ckpt.safetensors")        # usable: it loads and names its epoch
    assert 1 <= state["epoch"] <= 3 and set(state) >= {"model", "optimizer", "scheduler", "history"}
    r = subprocess.run(base + ["--out", "cut.safetensors", "--resume"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"after epoch {state['epoch']}/3" in r.stdout
    assert _digest(tmp_path / "cut.safetensors") == _digest(tmp_path / "straight.safetensors")


def test_resume_refuses_a_checkpoint_of_other_options(tmp_path):
    r = _ember("train", "--model", "mlp", "--epochs", "1", "--no-compile", "--out", "m.safetensors", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _ember("train", "--model", "mlp", "--epochs", "2", "--lr", "0.01", "--no-compile", "--out", "m.safetensors",
               "--resume", cwd=tmp_path)
    assert r.returncode != 0 and "--lr was 0.002, now 0.01" in r.stderr and "--epochs was 1, now 2" in r.stderr


def test_readme_recipe_loads_the_saved_model_and_predicts(tmp_path):
    r = _ember("train", "--epochs", "1", "--no-compile", "--out", "cnn.safetensors", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    from ember.cli.train import _load
    from ember.vision.models import MnistCNN
    model = MnistCNN()
    model.load_state_dict(ember.load(tmp_path / "cnn.safetensors"))
    model.eval()
    x, y = _load(None, False)
    digits = model(ember.from_numpy(x[:200, None])).argmax(1)
    assert (digits.numpy() == y[:200]).mean() > 0.8
