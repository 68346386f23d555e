"""Eager ember step times of one source tree, for A/B comparisons of two checkouts in the same session.

    python benchmarks/step_time_ab.py TREE WORKLOAD[,WORKLOAD...] THREADS

``TREE`` is a checkout (e.g. ``git worktree add /tmp/old <rev>``) whose ``ember`` and ``benchmarks`` are
imported; each workload is warmed up for 3 steps, then timed as the best of 3 runs of 5 steps (ms a step).
Run two trees alternately, twice, so that machine noise shows.
"""
import sys
import time

sys.path.insert(0, sys.argv[1])

import ember  # noqa: E402
from benchmarks.workloads import make_step  # noqa: E402


def main():
    ember.set_num_threads(int(sys.argv[3]))
    out = []
    for name in sys.argv[2].split(","):
        _, step = make_step(ember, name)
        for _ in range(3):
            step()
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(5):
                step()
            runs.append((time.perf_counter() - t) / 5)
        out.append(f"{name} {1e3 * min(runs):.2f}ms")
    print(sys.argv[1], " ".join(out))


if __name__ == "__main__":
    main()
