"""In-process A/B of OpenBLAS's idle-thread spin (ember.backend.threads.quiet_idle_threads).

``python -m benchmarks.blas_spin_ab WORKLOAD 28,20,16 [THREADS]`` restarts OpenBLAS's threads with each
spin time (log2 CPU cycles; 28 is OpenBLAS's default) in turn, for 8 rounds of about 0.15 s of training
steps each, and prints ``{spin: (min, median) ms per step}``. Alternating inside one process cancels the
drift of a shared machine, which separate runs do not.
"""
import os
import sys
import time

os.environ["EMBER_QUIET_BLAS_THREADS"] = "0"   # this script sets the spin itself

import ember  # noqa: E402
from ember.backend import threads  # noqa: E402

from .workloads import make_step  # noqa: E402


def main():
    name, spins = sys.argv[1], [int(v) for v in sys.argv[2].split(",")]
    ember.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    _, step = make_step(ember, name, None)
    for _ in range(3):
        step()
    t0 = time.perf_counter()
    step()
    n = max(3, int(0.15 / max(1e-4, time.perf_counter() - t0)))
    ms = {v: [] for v in spins}
    for _ in range(8):
        for v in spins:
            threads.quiet_idle_threads(v)
            step()
            t = time.perf_counter()
            for _ in range(n):
                step()
            ms[v].append((time.perf_counter() - t) / n * 1e3)
    print(name, {v: (round(min(r), 2), round(sorted(r)[len(r) // 2], 2)) for v, r in ms.items()})


if __name__ == "__main__":
    main()
