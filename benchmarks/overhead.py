"""Per-op overhead and import time, ember beside PyTorch eager.

The per-op figure is the time of a small op with gradient recording (``x * w`` on
a 4x4 float32 tensor that requires grad) minus the time of the bare NumPy call
on the same arrays: what ember adds on top of NumPy. PyTorch's figure is its
whole per-op time for the same op. Each measurement runs in its own process.
"""
import json
import os
import statistics
import subprocess
import sys
import time

_OP_SNIPPET = r"""
import json, time, sys
import numpy as np
fw = sys.argv[1]
n = int(sys.argv[2])
def bench(fn, reps=7):
    best = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best.append((time.perf_counter() - t0) / n)
    best.sort()
    return best[len(best) // 2]
res = {}
if fw == "ember":
    import ember
    a = np.random.rand(4, 4).astype(np.float32)
    b = np.random.rand(4, 4).astype(np.float32)
    x = ember.from_numpy(a).requires_grad_()
    w = ember.from_numpy(b)
    res["numpy_mul"] = bench(lambda: a * b)
    res["mul_grad"] = bench(lambda: x * w)
    res["exp_grad"] = bench(lambda: x.exp())
    res["numpy_exp"] = bench(lambda: np.exp(a))
    with ember.no_grad():
        res["mul_nograd"] = bench(lambda: x * w)
    res["add_scalar_grad"] = bench(lambda: x + 1.0)
    res["numpy_add_scalar"] = bench(lambda: a + 1.0)
else:
    import torch
    torch.set_num_threads(1)
    x = torch.rand(4, 4, requires_grad=True)
    w = torch.rand(4, 4)
    res["mul_grad"] = bench(lambda: x * w)
    res["exp_grad"] = bench(lambda: x.exp())
    with torch.no_grad():
        res["mul_nograd"] = bench(lambda: x * w)
    res["add_scalar_grad"] = bench(lambda: x + 1.0)
print(json.dumps(res))
"""


def op_overhead(n=20000):
    out = {}
    for fw in ("ember", "torch"):
        p = subprocess.run([sys.executable, "-c", _OP_SNIPPET, fw, str(n)], capture_output=True, text=True,
                           check=True)
        out[fw] = json.loads(p.stdout)
    e, t = out["ember"], out["torch"]
    rows = [
        ("x * w (4x4, requires grad)", e["mul_grad"] - e["numpy_mul"], e["mul_grad"], t["mul_grad"]),
        ("x.exp() (4x4, requires grad)", e["exp_grad"] - e["numpy_exp"], e["exp_grad"], t["exp_grad"]),
        ("x + 1.0 (4x4, requires grad)", e["add_scalar_grad"] - e["numpy_add_scalar"], e["add_scalar_grad"],
         t["add_scalar_grad"]),
        ("x * w under no_grad", e["mul_nograd"] - e["numpy_mul"], e["mul_nograd"], t["mul_nograd"]),
    ]
    return rows


def import_time(reps=7):
    """Median import times in fresh interpreters, with compiled bytecode cached as a user has it (pip
    compiles an installed package; an environment with PYTHONDONTWRITEBYTECODE set would otherwise time
    the compiler: ember's import is ~100 ms without its ``__pycache__``, ~13 ms with it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run(code):
        cmd = [sys.executable, "-c", code + "\nimport time; print(time.perf_counter() - t0)"]
        subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)   # writes the bytecode caches
        times = []
        for _ in range(reps):
            p = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
            times.append(float(p.stdout))
        return statistics.median(times)
    numpy_t = run("import time; t0 = time.perf_counter(); import numpy")
    ember_t = run("import numpy, time; t0 = time.perf_counter(); import ember")
    torch_t = run("import time; t0 = time.perf_counter(); import torch")
    return {"numpy": numpy_t, "ember_on_top_of_numpy": ember_t, "torch": torch_t}


if __name__ == "__main__":
    for r in op_overhead():
        print(r)
    print(import_time())
