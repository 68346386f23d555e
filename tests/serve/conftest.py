"""Fixtures for the serving tests: a model repository on disk and `ember serve` started as a real subprocess.

Every server is started by the test that needs it, on 127.0.0.1 with a free port the server picks
itself (``--port 0``; its first line of output names the port), and is always stopped.
"""
import contextlib
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ServerProcess:
    """`python -m ember serve ...` in a subprocess; ``url`` is ``127.0.0.1:PORT`` (tritonclient's form)."""

    def __init__(self, *args, startup_timeout=120):
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "ember", "serve", *map(str, args), "--port", "0"],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()          # blocks until the socket is bound or the process dies
        if "http://" not in line:
            self.stop()
            raise RuntimeError(f"ember serve did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line.strip().rsplit("http://", 1)[1]
        self.base = "http://" + self.url
        import httpx
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                if httpx.get(self.base + "/v2/health/ready", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"ember serve never became ready: {self.proc.stderr.read()}")
            time.sleep(0.05)

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        return self.proc.returncode


@contextlib.contextmanager
def running_server(*args):
    server = ServerProcess(*args)
    try:
        yield server
    finally:
        server.stop()


def torch_mnist_cnn(ember_model):
    """The same network in PyTorch with the ember model's weights: the oracle of served checkpoints."""
    import torch
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(1600, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    sd = ember_model.state_dict()
    names = {"0": "features.0", "3": "features.3", "7": "classifier.2", "9": "classifier.4"}
    net.load_state_dict({k: torch.from_numpy(sd[names[k.split(".")[0]] + "." + k.split(".")[1]].numpy().copy())
                         for k in net.state_dict()})
    return net.eval()


@pytest.fixture(scope="session")
def repo(tmp_path_factory):
    """A repository: ``mnist.onnx`` and ``cnn.safetensors`` (the same MnistCNN weights), ``dense.keras``
    (an ember.keras functional model), and ``mlp/1``, ``mlp/2`` (two MnistMLP state dicts)."""
    import ember
    from ember import keras
    from ember.vision.models import MnistCNN, MnistMLP
    from .mnist_onnx import mnist_cnn_onnx
    root = tmp_path_factory.mktemp("repo")
    ember.manual_seed(1)
    cnn = MnistCNN().eval()
    mnist_cnn_onnx(cnn, str(root / "mnist.onnx"))
    ember.save(cnn.state_dict(), str(root / "cnn.safetensors"))
    inp = keras.Input((4,), name="features")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inp)
    dense = keras.Model(inp, keras.layers.Dense(3, name="scores")(hidden))
    dense.save(str(root / "dense.keras"))
    mlps = {}
    for version in ("1", "2"):
        os.makedirs(root / "mlp" / version)
        mlps[version] = MnistMLP().eval()
        ember.save(mlps[version].state_dict(), str(root / "mlp" / version / "model.safetensors"))
    weights = [w.astype(np.float64) for w in dense.get_weights()]
    return {"root": root, "cnn": cnn, "dense_weights": weights, "mlps": mlps}


@pytest.fixture(scope="session")
def server(repo):
    """One server over the repository for the tests that do not stop it: a 1 MB request limit and a
    20 ms batching window (so that concurrent requests batch)."""
    with running_server(repo["root"], "--max-request-bytes", 1 << 20, "--max-delay-ms", 20,
                        "--max-batch-size", 64) as s:
        yield s
