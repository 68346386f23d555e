"""Time one optimizer step, ember against PyTorch, over the parameters of the 784-128-64-10 MLP.

``python -m benchmarks.optim_step [STEPS]``. Gradients are fixed float32 arrays, so only the
update is timed (no forward or backward). PyTorch runs with 2 threads and its default
implementation for CPU tensors (a loop over the parameters).
"""
import sys
import time

import numpy as np
import torch

import ember

SHAPES = [(128, 784), (128,), (64, 128), (64,), (10, 64), (10,)]
CASES = {
    "SGD(momentum=0.9)": ("SGD", dict(lr=0.01, momentum=0.9)),
    "SGD(momentum, nesterov, wd)": ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    "Adam": ("Adam", dict(lr=1e-3)),
    "AdamW(amsgrad)": ("AdamW", dict(lr=1e-3, amsgrad=True)),
    "RMSprop": ("RMSprop", dict(lr=1e-3)),
    "Adagrad": ("Adagrad", dict(lr=1e-2)),
}


def _params(lib, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    out = []
    for shape in SHAPES:
        w = rng.standard_normal(shape).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32) * 1e-2
        if lib == "torch":
            p = torch.tensor(w, requires_grad=True)
            p.grad = torch.tensor(g)
        else:
            p = ember.tensor(w, requires_grad=True)
            p.grad = ember.tensor(g)
        out.append(p)
    return out


def time_steps(lib, name, kwargs, steps, repeats=5):
    params = _params(lib)
    opt = getattr(torch.optim if lib == "torch" else ember.optim, name)(params, **kwargs)
    for _ in range(5):
        opt.step()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            opt.step()
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(2)
    n = sum(int(np.prod(s)) for s in SHAPES)
    print(f"optimizer step over {len(SHAPES)} tensors, {n} float32 parameters; best of 5 x {steps} steps")
    print(f"{'optimizer':30s} {'ember us':>10s} {'torch us':>10s} {'ember/torch':>12s}")
    for label, (name, kwargs) in CASES.items():
        e = time_steps("ember", name, kwargs, steps)
        t = time_steps("torch", name, kwargs, steps)
        print(f"{label:30s} {e * 1e6:10.1f} {t * 1e6:10.1f} {e / t:12.2f}")


if __name__ == "__main__":
    main()
