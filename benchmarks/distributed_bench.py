"""ember.distributed over MPI: all-reduce bandwidth and data-parallel training throughput, 1 and 2 ranks.

Run ``python benchmarks/distributed_bench.py`` (it starts itself under ``mpiexec -n 1`` and
``-n 2``, one thread per rank) and it prints a Markdown report (``docs/distributed.md`` holds one).

- all-reduce: ``ember.distributed.all_reduce`` (SUM, in place) of float32 tensors of 1 KiB to
  64 MiB, beside mpi4py's blocking ``Allreduce`` on the same buffer (what the polling watchdog
  costs). Each size: the best of 5 rounds, a round being the mean of several calls. Algorithm
  bandwidth = bytes / time; bus bandwidth = 2 (n - 1) / n x that (the data a ring all-reduce moves
  per rank, the figure comparable across world sizes).
- training: an MLP 784-512-512-10 (670k parameters, 2.7 MB of gradients in 2 buckets), SGD with momentum,
  batch 64 per rank, wrapped in DistributedDataParallel; samples/s over all ranks, best of 3
  rounds of 20 steps after 3 warm-up steps (and, on 1 rank, the same step without the wrapper).
  With 2 ranks each rank reads 64 samples a step, so perfect scaling would double the samples/s.
"""
import argparse
import json
import os
import subprocess
import sys
import time

SIZES = [1 << k for k in range(10, 27, 2)]     # 1 KiB ... 64 MiB
BATCH = 64


def _fmt_size(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


def _time(fn, calls, rounds=5):
    from ember.distributed import barrier
    best = float("inf")
    for _ in range(rounds):
        barrier()
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def rank_main(out):
    import numpy as np
    import ember
    import ember.distributed as dist
    from ember import nn
    from mpi4py import MPI
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    result = {"world": world, "allreduce": [], "train": None}
    for size in SIZES:
        t = ember.zeros(size // 4)
        buf = np.zeros(size // 4, np.float32)
        calls = max(3, min(200, (8 << 20) // size))
        ours = _time(lambda: dist.all_reduce(t), calls)
        raw = _time(lambda: MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, buf, MPI.SUM), calls)
        result["allreduce"].append({"bytes": size, "ember_s": ours, "mpi4py_s": raw})

    def train_step_time(wrap):
        from gloo_bench import ddp_mlp_step
        ember.manual_seed(0)
        step = ddp_mlp_step(ember, wrap)
        for _ in range(3):
            step()
        return _time(step, 20, rounds=3)
    per_step = train_step_time(True)
    result["train"] = {"step_s": per_step, "samples_per_s": world * BATCH / per_step}
    if world == 1:   # the same step without DistributedDataParallel: what the wrapper costs alone
        result["plain_step_s"] = train_step_time(False)
    if rank == 0:
        with open(out, "w") as f:
            json.dump(result, f)
    dist.destroy_process_group()


def launch(n, out):
    from ember.cli.run import find_mpiexec
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    subprocess.run([find_mpiexec(), "-n", str(n), sys.executable, os.path.abspath(__file__), "--rank-main", out],
                   check=True, env=env, timeout=1800)
    with open(out) as f:
        return json.load(f)


def report(runs):
    lines = ["| size | " + " | ".join(f"{r['world']} rank{'s' if r['world'] > 1 else ''}: ember / mpi4py (µs)"
                                      for r in runs) + " | 2 ranks: ember algbw / busbw (MB/s) |",
             "| --- |" + " --- |" * len(runs) + " --- |"]
    two = next((r for r in runs if r["world"] == 2), None)
    for i, size in enumerate(SIZES):
        cells = [f"{r['allreduce'][i]['ember_s'] * 1e6:,.0f} / {r['allreduce'][i]['mpi4py_s'] * 1e6:,.0f}"
                 for r in runs]
        bw = "-"
        if two is not None:
            alg = size / two["allreduce"][i]["ember_s"] / 1e6
            bw = f"{alg:,.0f} / {alg * 2 * (2 - 1) / 2:,.0f}"
        lines.append(f"| {_fmt_size(size)} | " + " | ".join(cells) + f" | {bw} |")
    lines += ["", "| ranks | step (ms) | samples/s (all ranks) | speed-up |", "| --- | --- | --- | --- |"]
    base = runs[0]["train"]["samples_per_s"]
    if "plain_step_s" in runs[0]:
        plain = runs[0]["plain_step_s"]
        lines.append(f"| 1, no DDP | {plain * 1e3:.1f} | {BATCH / plain:,.0f} | - |")
    for r in runs:
        t = r["train"]
        lines.append(f"| {r['world']} | {t['step_s'] * 1e3:.1f} | {t['samples_per_s']:,.0f} | "
                     f"{t['samples_per_s'] / base:.2f}x |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", default="1,2", help="world sizes to run (default: %(default)s)")
    p.add_argument("--rank-main", default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help="also write the raw figures here")
    args = p.parse_args(argv)
    if args.rank_main:
        return rank_main(args.rank_main)
    import tempfile
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(v) for v in args.ranks.split(",")):
            runs.append(launch(n, os.path.join(tmp, f"bench{n}.json")))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the end; one thread per rank\n")
    print(report(runs))


if __name__ == "__main__":
    main()
