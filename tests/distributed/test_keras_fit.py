"""Keras ``fit`` under ``mpiexec -n 2`` trains data-parallel: the final weights and the logged loss equal
Keras 3's (torch backend) in one process with the same global ``batch_size``; only rank 0 prints and
writes its CSVLogger and ModelCheckpoint files."""
import json
import os

import numpy as np
import pytest

from ._launch import mpirun
from .jobs._data import B, HIDDEN, IN, LR, MOMENTUM, OUT, data


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("keras_fit"))
    proc = mpirun("keras_fit_job.py", out, n=2)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def _keras3_fit(init):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    model = keras.Sequential([keras.Input((IN,)), keras.layers.Dense(HIDDEN, activation="tanh"),
                              keras.layers.Dense(OUT)])
    model.set_weights(init)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM), loss="mse")
    x, y = data(6 * 2 * B + 3, seed=3)
    history = model.fit(x, y, batch_size=2 * B, epochs=2, shuffle=False, verbose=0)
    return [w.numpy() for w in model.weights], history.history


def test_two_ranks_fit_as_keras_in_one_process(job):
    out, _ = job
    with np.load(os.path.join(out, "keras_init.npz")) as f:
        init = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    theirs, their_history = _keras3_fit(init)
    finals = []
    for rank in range(2):
        with np.load(os.path.join(out, f"keras_final{rank}.npz")) as f:
            finals.append([f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))])
    for a, b, t, w0 in zip(finals[0], finals[1], theirs, init):
        np.testing.assert_array_equal(a, b)                 # the replicas agree
        np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-6)
        assert not np.allclose(a, w0)
    ours = json.load(open(os.path.join(out, "history0.json")))
    np.testing.assert_allclose(ours["loss"], their_history["loss"], rtol=1e-5)


def test_only_rank_0_prints_and_writes(job):
    out, proc = job
    assert proc.stdout.count("Epoch 1/2") == 1 and proc.stdout.count("Epoch 2/2") == 1
    assert proc.stdout.count("4/4") == 1                     # evaluate's progress bar, from rank 0 only
    results = [json.load(open(os.path.join(out, f"history{r}.json")))["evaluate"] for r in range(2)]
    assert results[0] == results[1]
    files = set(os.listdir(out))
    assert {"log0.csv", "ckpt0.weights.safetensors"} <= files
    assert not {"log1.csv", "ckpt1.weights.safetensors"} & files
    assert len(open(os.path.join(out, "log0.csv")).read().strip().splitlines()) == 3   # header + 2 epochs
