"""gloo over TCP, ember beside PyTorch in the same run: all-reduce time and DDP training throughput, 2 ranks.

Run ``python benchmarks/gloo_bench.py`` (PyTorch must be installed). It starts two processes for each
library with torchrun's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``,
one thread each), in which ``init_process_group("gloo")`` meets over TCP: ember's own transport
(``ember.distributed.tcp``) and PyTorch's gloo. It prints a Markdown report with the ratios
(ember time / torch time; below 1 is ember faster).

- all-reduce: ``all_reduce`` (SUM, in place) of float32 tensors of 1 KiB to 16 MiB; each size the
  best of 5 rounds, a round the mean of several calls after a barrier.
- training: an MLP 784-512-512-10, SGD with momentum, batch 64 per rank, DistributedDataParallel;
  the best of 3 rounds of 20 steps after 3 warm-up steps.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

SIZES = [1 << k for k in range(10, 25, 2)]     # 1 KiB ... 16 MiB
BATCH = 64


def _fmt_size(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


def rank_main(lib_name, out):
    if lib_name == "torch":
        import torch as lib
    else:
        import ember as lib
    dist, nn = lib.distributed, lib.nn
    dist.init_process_group("gloo")
    rank = dist.get_rank()

    def timed(fn, calls, rounds=5):
        best = float("inf")
        for _ in range(rounds):
            dist.barrier()
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            best = min(best, (time.perf_counter() - start) / calls)
        return best

    result = {"allreduce": [], "train": None}
    for size in SIZES:
        t = lib.zeros(size // 4)
        calls = max(3, min(100, (4 << 20) // size))
        result["allreduce"].append({"bytes": size, "s": timed(lambda: dist.all_reduce(t), calls)})
    lib.manual_seed(0)
    step = ddp_mlp_step(lib)
    for _ in range(3):
        step()
    result["train"] = {"step_s": timed(step, 20, rounds=3)}
    if rank == 0:
        with open(out, "w") as f:
            json.dump(result, f)
    dist.destroy_process_group()


def ddp_mlp_step(lib, wrap=True):
    """One training step of the benchmarks' MLP 784-512-512-10 (SGD with momentum, batch 64), in ``lib``
    (ember or torch), wrapped in DistributedDataParallel when ``wrap``."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    net = nn.parallel.DistributedDataParallel(model) if wrap else model
    opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.randn(BATCH, 784), lib.randint(0, 10, (BATCH,))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    return step


def _free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def run_library(lib_name, out):
    port = str(_free_port())
    env = dict(os.environ, WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=port, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--rank-main", lib_name, out],
                              env=dict(env, RANK=str(r), LOCAL_RANK=str(r))) for r in range(2)]
    codes = [p.wait(timeout=900) for p in procs]
    if any(codes):
        raise SystemExit(f"{lib_name}: ranks exited with {codes}")
    with open(out) as f:
        return json.load(f)


def report(ours, theirs):
    lines = ["| size | ember (us) | torch (us) | ember / torch |", "| --- | --- | --- | --- |"]
    for o, t in zip(ours["allreduce"], theirs["allreduce"]):
        lines.append(f"| {_fmt_size(o['bytes'])} | {o['s'] * 1e6:,.0f} | {t['s'] * 1e6:,.0f} | {o['s'] / t['s']:.2f} |")
    o, t = ours["train"]["step_s"], theirs["train"]["step_s"]
    lines += ["", "| DDP MLP step, 2 ranks | ember (ms) | torch (ms) | ember / torch |", "| --- | --- | --- | --- |",
              f"| batch {BATCH} per rank | {o * 1e3:.1f} | {t * 1e3:.1f} | {o / t:.2f} |"]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rank-main", nargs=2, metavar=("LIB", "OUT"), help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help="also write the raw figures here")
    args = p.parse_args()
    if args.rank_main:
        return rank_main(*args.rank_main)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        theirs = run_library("torch", os.path.join(tmp, "torch.json"))
        ours = run_library("ember", os.path.join(tmp, "ember.json"))
    print(f"gloo over TCP, 2 ranks on {socket.gethostname()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(report(ours, theirs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"ember": ours, "torch": theirs}, f, indent=1)


if __name__ == "__main__":
    main()
