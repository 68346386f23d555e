"""The same seed gives the same weights, bit for bit, in every run with 2 threads.

Each run is a fresh process (new memory addresses, new hash seed, ember's kernel threads
and OpenBLAS's threads started anew) that trains from ``ember.manual_seed(0)``: a small
CNN (its convolution and pooling big enough to run on both threads) eagerly, and an MLP
with AdamW through ``ember.compile`` (whose replay-or-eager decisions must not depend on
timing, or runs would round differently).
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = r"""
import hashlib
import numpy as np
import ember
from ember import nn, optim

def digest(model):
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(np.ascontiguousarray(v.numpy()).tobytes())
    return h.hexdigest()

ember.set_num_threads(2)
ember.manual_seed(0)
cnn = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 13 * 13, 10))
opt = optim.SGD(cnn.parameters(), lr=0.05, momentum=0.9)
x, y = ember.randn(32, 1, 28, 28), ember.randint(0, 10, (32,))
for _ in range(3):
    opt.zero_grad()
    nn.functional.cross_entropy(cnn(x), y).backward()
    opt.step()

mlp = nn.Sequential(nn.Linear(20, 64), nn.GELU(), nn.Linear(64, 5))
opt2 = optim.AdamW(mlp.parameters(), lr=1e-2)
a, b = ember.randn(64, 20), ember.randint(0, 5, (64,))

@ember.compile
def step():
    opt2.zero_grad()
    loss = nn.functional.cross_entropy(mlp(a), b)
    loss.backward()
    opt2.step()
    return loss

for _ in range(8):
    step()
print(digest(cnn), digest(mlp), step.fallback_reason)
"""


def _start(hash_seed):
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", PYTHONHASHSEED=str(hash_seed),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT)


def test_same_seed_gives_the_same_weights_in_every_process():
    procs = [_start(seed) for seed in (1, 2, 3)]   # at the same time: they also compete for the cores
    runs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        runs.append(out.strip().splitlines()[-1])
    assert runs[0].endswith(" None"), runs[0]       # the compiled step replayed (did not fall back)
    assert runs.count(runs[0]) == 3, runs
