"""Whole PyTorch programs, run unchanged on real torch and through ``python -m ember.torch_compat``.

Each program in this folder is written the way public PyTorch programs are (pytorch/examples,
nanoGPT, minGPT, makemore ...): argparse with small defaults, ``import torch`` and nothing of
ember. The torch runs go first, in one subprocess (one import of torch for all); the ember runs
follow in another. Where a program can load initial weights (``--init-in``, an ``.npz`` the torch
run wrote with ``--init-out``) and its data and noise do not come from torch's random stream, the
two runs must give the same losses to float32 round-off. Elsewhere the random streams differ,
so the check is on what does not depend on them: the starting loss and how far it falls.
"""
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MNIST = os.path.join(ROOT, "ember", "vision", "datasets", "_data", "mnist-5k")


@dataclass
class Run:
    name: str
    script: str
    args: list
    shared_init: bool = False   # torch writes --init-out, ember reads --init-in
    torch_args: list = field(default_factory=list)
    ember_args: list = field(default_factory=list)


RUNS = [
    Run("mnist_cnn", "mnist_cnn.py", ["--data", MNIST, "--dropout", "0", "--no-shuffle", "--train-size", "160",
                                      "--test-size", "100"], shared_init=True),
    Run("wlm_lstm", "word_language_model.py", ["--data", "{text}", "--model", "LSTM", "--tied", "--dropout", "0"],
        shared_init=True),
    Run("wlm_transformer", "word_language_model.py", ["--data", "{text}", "--model", "Transformer", "--dropout", "0"],
        shared_init=True),
    Run("wlm_gru", "word_language_model.py", ["--data", "{text}", "--model", "GRU", "--epochs", "1",
                                              "--dropout", "0", "--nlayers", "1"], shared_init=True),
    Run("time_sequence", "time_sequence_prediction.py", [], shared_init=True),
    Run("super_resolution", "super_resolution.py", ["--data", MNIST], shared_init=True),
    Run("dcgan", "dcgan.py", ["--data", MNIST, "--noise-seed", "3", "--no-shuffle"], shared_init=True),
    Run("wgan_gp", "dcgan.py", ["--data", MNIST, "--noise-seed", "3", "--no-shuffle", "--gp", "10"],
        shared_init=True),
    Run("vae", "vae.py", ["--data", MNIST], shared_init=True),
    # torch.compile of the real torch would spend minutes in inductor: only ember compiles.
    Run("nanogpt", "nanogpt_train.py", [], shared_init=True, torch_args=["--compile", "0"],
        ember_args=["--compile", "1"]),
    Run("mingpt_sort", "mingpt_sort.py", []),
    Run("makemore_transformer", "makemore.py", ["-i", "{names}", "--type", "transformer"]),
    Run("makemore_gru", "makemore.py", ["-i", "{names}", "--type", "gru"]),
    Run("forward_forward", "forward_forward.py", ["--data", MNIST]),
    Run("name_classifier", "name_classifier.py", []),
    Run("training_tricks", "training_tricks.py", []),
    Run("reinforce", "reinforce.py", [], shared_init=True),
    Run("seq2seq_attention", "seq2seq_attention.py", ["--dropout", "0"], shared_init=True),
    Run("func_and_stn", "func_and_stn.py", ["--data", MNIST], shared_init=True),
    Run("actor_critic", "reinforce.py", ["--actor-critic"], shared_init=True),
]


def _write_data(root):
    """A small text corpus and a names file, made with NumPy so both runs read the same bytes."""
    rng = np.random.RandomState(0)
    words = "the cat dog sat on a mat and ran to big small red house tree".split()

    def line():
        return " ".join(words[(i * 3 + rng.randint(0, 3)) % len(words)] for i in range(rng.randint(4, 9)))
    text = os.path.join(root, "text")
    os.makedirs(text, exist_ok=True)
    for name, n in (("train.txt", 120), ("valid.txt", 30)):
        with open(os.path.join(text, name), "w") as f:
            f.write("\n".join(line() for _ in range(n)) + "\n")
    syllables = ["an", "el", "mi", "ra", "jo", "li", "sa", "ta", "ne", "ko", "ri", "da"]
    names = os.path.join(root, "names.txt")
    with open(names, "w") as f:
        f.write("\n".join("".join(rng.choice(syllables, rng.randint(1, 4))) for _ in range(400)) + "\n")
    return {"text": text, "names": names}


def spec_for(runs, root, framework, paths=None):
    """The runner's ``[name, script, args]`` rows for ``runs``: arguments formatted with ``paths``,
    the framework's own extra arguments, and the shared-initial-weights file (torch writes it,
    ember reads it)."""
    spec = []
    for run in runs:
        args = [a.format(**(paths or {})) for a in run.args]
        args += run.torch_args if framework == "torch" else run.ember_args
        if run.shared_init:
            init = os.path.join(root, f"{run.name}-init.npz")
            args += ["--init-out" if framework == "torch" else "--init-in", init]
        spec.append([run.name, os.path.join(HERE, run.script), args])
    return spec


def run_spec(root, spec, framework):
    """Run the ``spec`` rows in one subprocess of ``framework`` (real torch, or ember through
    ``python -m ember.torch_compat``) under ``root/framework``; ``{name: report}``."""
    work = os.path.join(root, framework)
    os.makedirs(work, exist_ok=True)
    spec_path, out_path = os.path.join(work, "spec.json"), os.path.join(work, "out.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    runner = [os.path.join(HERE, "_runner.py"), spec_path, out_path]
    command = [sys.executable, *runner] if framework == "torch" else [sys.executable, "-m", "ember.torch_compat",
                                                                      *runner]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, PYTHONWARNINGS="ignore")
    proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{framework} runner failed:\n{proc.stderr[-4000:]}"
    with open(out_path) as f:
        return json.load(f)


def _run_all(root, paths, framework, runs=None):
    return run_spec(root, spec_for(RUNS if runs is None else runs, root, framework, paths), framework)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs"))
    paths = _write_data(root)
    theirs = _run_all(root, paths, "torch")
    ours = _run_all(root, paths, "ember")
    return theirs, ours


def get(results, name):
    """The torch and ember results of program ``name``, after checking both runs succeeded."""
    theirs, ours = results
    t, e = theirs[name], ours[name]
    assert t["ok"], f"the torch run of {name} failed (the oracle itself):\n{t['error']}\n{t['stdout'][-2000:]}"
    assert e["ok"], f"the ember run of {name} failed:\n{e['error']}\n{e['stdout'][-2000:]}"
    return t["result"], e["result"]


def close(ours, theirs, rtol, atol=0.0):
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float), rtol=rtol, atol=atol)


def falls_alike(ours, theirs, start_rtol, ratio_rtol, tail=5):
    """Same starting loss, and the loss falls by a similar factor (mean of the last ``tail``)."""
    assert math.isclose(ours[0], theirs[0], rel_tol=start_rtol), (ours[0], theirs[0])
    ratio_ours = np.mean(ours[-tail:]) / ours[0]
    ratio_theirs = np.mean(theirs[-tail:]) / theirs[0]
    assert ratio_ours < 0.95 and ratio_theirs < 0.95, (ratio_ours, ratio_theirs)
    assert math.isclose(ratio_ours, ratio_theirs, rel_tol=ratio_rtol), (ratio_ours, ratio_theirs)


def test_mnist_cnn(results):
    t, e = get(results, "mnist_cnn")
    close(e["losses"], t["losses"], rtol=2e-3)
    close([x[0] for x in e["test"]], [x[0] for x in t["test"]], rtol=2e-3)
    assert [x[1] for x in e["test"]] == pytest.approx([x[1] for x in t["test"]], abs=2)
    assert e["reloaded_same"] and e["lr"] == pytest.approx(t["lr"])


@pytest.mark.parametrize("name", ["wlm_lstm", "wlm_transformer", "wlm_gru"])
def test_word_language_model(results, name):
    t, e = get(results, name)
    close(e["losses"], t["losses"], rtol=2e-3)
    close(e["val"] + [e["best"]], t["val"] + [t["best"]], rtol=2e-3)
    assert e["tied"] == t["tied"]


def test_time_sequence_prediction(results):
    t, e = get(results, "time_sequence")
    close(e["losses"], t["losses"], rtol=1e-7, atol=1e-12)
    close(e["test"], t["test"], rtol=1e-7, atol=1e-12)
    close(e["future_tail"], t["future_tail"], rtol=1e-6, atol=1e-9)
    assert e["state"] == t["state"]


def test_super_resolution(results):
    t, e = get(results, "super_resolution")
    close(e["losses"], t["losses"], rtol=1e-3)
    close(e["psnr"], t["psnr"], rtol=1e-4)
    assert e["gain"] == pytest.approx(t["gain"])


@pytest.mark.parametrize("name", ["dcgan", "wgan_gp"])
def test_dcgan(results, name):
    t, e = get(results, name)
    close(e["history"], t["history"], rtol=2e-3, atol=1e-5)
    close(e["fake_range"], t["fake_range"], rtol=2e-3)


def test_vae(results):
    # Shared weights, but the reparameterization noise comes from each framework's own stream.
    t, e = get(results, "vae")
    close(e["train"], t["train"], rtol=0.03)
    close(e["test"], t["test"], rtol=0.03)
    assert e["comparison"] == t["comparison"] and e["sample"] == t["sample"]


def test_nanogpt(results):
    # Batches come from torch.randint: each framework draws its own.
    t, e = get(results, "nanogpt")
    falls_alike(e["train"], t["train"], start_rtol=0.02, ratio_rtol=0.06)
    close(e["evals"][0], t["evals"][0], rtol=0.02)
    close(e["evals"][-1], t["evals"][-1], rtol=0.06)
    for key in ("sample_len", "resumed_iter", "tied", "n_params"):
        assert e[key] == t[key], key


def test_mingpt_sort(results):
    t, e = get(results, "mingpt_sort")
    falls_alike(e["losses"], t["losses"], start_rtol=0.05, ratio_rtol=0.25)
    assert e["accuracy"] > 0.2 and t["accuracy"] > 0.2


@pytest.mark.parametrize("name", ["makemore_transformer", "makemore_gru"])
def test_makemore(results, name):
    t, e = get(results, name)
    falls_alike(e["losses"], t["losses"], start_rtol=0.1, ratio_rtol=0.1)
    assert e["best"] == pytest.approx(t["best"], rel=0.15)
    assert e["samples"] == t["samples"] == 4


def test_forward_forward(results):
    t, e = get(results, "forward_forward")
    for ours, theirs in zip(e["losses"], t["losses"]):
        falls_alike(ours, theirs, start_rtol=0.02, ratio_rtol=0.05)


def test_name_classifier(results):
    t, e = get(results, "name_classifier")
    assert e["sizes"] == t["sizes"] == [360, 120]
    close(e["history"][0][0], t["history"][0][0], rtol=0.4)
    assert e["history"][-1][2] > 0.9 and t["history"][-1][2] > 0.9
    assert e["reloaded"] == pytest.approx([e["history"][-1][1], e["history"][-1][2]])


def test_training_tricks(results):
    t, e = get(results, "training_tricks")
    falls_alike(e["losses"], t["losses"], start_rtol=0.1, ratio_rtol=0.2)
    assert e["state_keys"] == t["state_keys"]
    for key in ("n_params", "feature_shape", "n_averaged"):
        assert e[key] == t[key], key
    assert e["accuracy"] == pytest.approx(t["accuracy"], abs=0.25)


@pytest.mark.parametrize("name", ["reinforce", "actor_critic"])
def test_reinforce(results, name):
    # The distributions on shared weights agree; the episodes then follow each framework's samples.
    t, e = get(results, name)
    for key in ("log_prob", "entropy", "logits", "normal_log_prob", "normal_entropy"):
        close(e["check"][key], t["check"][key], rtol=1e-5, atol=1e-6)
    for key in ("sample_shape", "normal_rsample_shape"):
        assert e["check"][key] == t["check"][key]
    assert len(e["lengths"]) == len(t["lengths"]) and np.isfinite(e["losses"]).all()
    assert 5 < e["running_reward"] < 200


def test_seq2seq_attention(results):
    t, e = get(results, "seq2seq_attention")
    close(e["losses"], t["losses"], rtol=2e-3)
    assert e["accuracy"] == pytest.approx(t["accuracy"], abs=0.05)
    assert e["attention"] == t["attention"] and e["attention_sums"] == pytest.approx(1.0)


def test_func_and_stn(results):
    # The identity-initialized spatial transformer samples exactly at pixel centres, where the
    # bilinear gradient is one-sided and its side is set by the last bit of each grid point:
    # the first loss is exact, later ones follow a slightly different (valid) descent.
    t, e = get(results, "func_and_stn")
    assert e["losses"][0] == pytest.approx(t["losses"][0], rel=1e-6)
    close(e["losses"], t["losses"], rtol=0.03)
    assert e["per_sample_max_diff"] < 1e-5 and t["per_sample_max_diff"] < 1e-5
    assert e["grad_shapes"] == t["grad_shapes"]
    close(e["jvp"], t["jvp"], rtol=1e-5, atol=1e-6)


def test_the_install_entry_point_runs_a_program_too(tmp_path, results):
    # ember.compat.install() at the top of a launcher, instead of python -m ember.torch_compat.
    theirs, _ = results
    script = os.path.join(HERE, "time_sequence_prediction.py")
    init = os.path.join(str(tmp_path), "init.npz")
    code = ("import sys, runpy, ember.compat\nember.compat.install()\n"
            f"sys.argv = [{script!r}, '--steps', '1', '--init-out', {init!r}]\n"
            f"runpy.run_path({script!r}, run_name='__main__')\nimport torch\nprint('ALIAS', torch.__name__)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("RESULT ")][0][7:])
    assert "ALIAS ember" in proc.stdout and len(result["losses"]) >= 2 and result["losses"][-1] < result["losses"][0]
    assert theirs["time_sequence"]["ok"]
