"""Time one workload in one framework, in this process; print a JSON line.

``python -m benchmarks.run_one FRAMEWORK WORKLOAD WEIGHTS.npz STEPS REPEATS [compile] [threads=N]``.
The weights file (written by the torch run) gives both frameworks the same start. Besides the
wall-clock median it reports the median CPU time per step (``cpu_s``): with one thread, on a
machine shared with other work, that is the steadier figure.
"""
import json
import resource
import sys
import time

import numpy as np

from .workloads import make_step


def main():
    fw, name, weights, steps, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    extra = sys.argv[6:]
    compiled = "compile" in extra
    threads = int(next((a.split("=")[1] for a in extra if a.startswith("threads=")), 2))
    if fw == "torch":
        import torch as lib
    else:
        import ember as lib
    lib.set_num_threads(threads)
    lib.manual_seed(0)
    def share_weights(model):
        if fw == "torch":
            np.savez(weights, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
        else:
            w = np.load(weights)
            model.load_state_dict({k: lib.from_numpy(w[k].copy()) for k in w.files})
    _, step = make_step(lib, name, share_weights if weights != "-" else None)
    if compiled and fw == "ember":
        step = lib.compile(step)
    # The first losses show that both frameworks do the same work from the same start.
    losses = [float(step()) for _ in range(3)]
    for _ in range(2):
        step()
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - t0) / steps)
        cpu.append((time.process_time() - c0) / steps)
    times.sort()
    cpu.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"framework": fw, "workload": name, "median_s": times[len(times) // 2],
                      "cpu_s": cpu[len(cpu) // 2], "losses": losses,
                      "peak_rss_mb": rss}))


if __name__ == "__main__":
    main()
