"""``python -m ember.distributed.run``: torchrun's launcher, over ember's TCP (gloo) transport.

It starts ``--nproc_per_node`` copies of a training script on this machine, each with torchrun's
environment, and watches them::

    python -m ember.distributed.run --nproc_per_node 2 train.py --epochs 3
    python -m ember.distributed.run --nproc_per_node 2 -m ember.torch_compat train_written_for_torch.py
    ember torchrun --nproc_per_node 2 train.py          # the same

Each worker gets ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``GROUP_RANK``,
``ROLE_RANK``, ``ROLE_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``, ``TORCHELASTIC_RUN_ID``,
``TORCHELASTIC_RESTART_COUNT``, ``TORCHELASTIC_MAX_RESTARTS`` and ``OMP_NUM_THREADS`` (1 unless set,
as torchrun does for several workers), so ``init_process_group("gloo")`` (``env://``) in the script
meets the others at ``MASTER_ADDR:MASTER_PORT``, where rank 0 serves the store.

As torchrun: when a worker fails (a non-zero exit), the others are stopped (SIGTERM, then SIGKILL
after ``--stop-grace`` seconds), and with ``--max_restarts K`` the whole group is started again up to
K times; the launcher then exits with 1 and names the failed ranks (a worker's own code on a clean
exit of all is 0). Several machines: run it on each with the same ``--nnodes``, ``--master_addr``,
``--master_port`` and its own ``--node_rank``.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

__all__ = ["main", "parse_args", "worker_environments"]


def parse_args(argv):
    p = argparse.ArgumentParser(prog="torchrun (ember.distributed.run)",
                                description="Start a training script on several processes with torchrun's "
                                            "environment; ember's gloo transport connects them.")
    add = p.add_argument
    add("--nproc_per_node", "--nproc-per-node", default="1",
        help="workers on this machine: a number, 'cpu' (one per core) or 'auto' (default: 1)")
    add("--nnodes", default="1", help="machines in the job (a number; MIN:MAX takes MAX)")
    add("--node_rank", "--node-rank", type=int, default=0, help="this machine's rank among them")
    add("--master_addr", "--master-addr", default="127.0.0.1", help="rank 0's machine (default: this one)")
    add("--master_port", "--master-port", type=int, default=None, help="the store's port (default: 29500, or a "
                                                                        "free one with --standalone)")
    add("--standalone", action="store_true", help="one machine, on a free port")
    add("--rdzv_backend", "--rdzv-backend", default="static")
    add("--rdzv_endpoint", "--rdzv-endpoint", default="", help="host:port of the store (as master_addr:port)")
    add("--rdzv_id", "--rdzv-id", default="none")
    add("--rdzv_conf", "--rdzv-conf", default="")
    add("--max_restarts", "--max-restarts", type=int, default=0, help="restarts of the group after a failure")
    add("--monitor_interval", "--monitor-interval", type=float, default=0.1)
    add("--role", default="default")
    add("--stop-grace", type=float, default=5.0, help="seconds from SIGTERM to SIGKILL when stopping workers")
    add("--redirects", default="0")
    add("--tee", default="0")
    add("--log_dir", "--log-dir", default=None)
    add("--start_method", "--start-method", default="spawn")
    add("--run_path", "--run-path", action="store_true")
    add("-m", "--module", action="store_true", help="run the script as a module (python -m)")
    add("--no_python", "--no-python", action="store_true", help="run the script as an executable")
    add("training_script")
    add("training_script_args", nargs=argparse.REMAINDER)
    return p.parse_args(argv)


def _nproc(value):
    if value in ("cpu", "auto"):
        return os.cpu_count() or 1
    n = int(value)
    if n < 1:
        raise SystemExit(f"torchrun (ember): --nproc_per_node must be at least 1, got {n}")
    return n


def _free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def worker_environments(args, base=None, restart=0, run_id=None, error_dir=None):
    """The environment of each local worker, in local-rank order (``error_dir``: where each worker's
    ``TORCHELASTIC_ERROR_FILE`` goes)."""
    base = dict(os.environ if base is None else base)
    nproc = _nproc(args.nproc_per_node)
    nnodes = int(str(args.nnodes).split(":")[-1])
    world = nproc * nnodes
    addr, port = args.master_addr, args.master_port
    if args.rdzv_endpoint:
        host, _, p = args.rdzv_endpoint.rpartition(":")
        addr, port = (host or addr), int(p) if p else port
    if port is None:
        port = _free_port() if args.standalone else 29500
    envs = []
    for local in range(nproc):
        rank = args.node_rank * nproc + local
        env = dict(base)
        env.update({"RANK": str(rank), "LOCAL_RANK": str(local), "WORLD_SIZE": str(world),
                    "LOCAL_WORLD_SIZE": str(nproc), "GROUP_RANK": str(args.node_rank), "GROUP_WORLD_SIZE": str(nnodes),
                    "ROLE_RANK": str(rank), "ROLE_NAME": args.role, "ROLE_WORLD_SIZE": str(world),
                    "MASTER_ADDR": addr, "MASTER_PORT": str(port), "TORCHELASTIC_RUN_ID": run_id or args.rdzv_id,
                    "TORCHELASTIC_RESTART_COUNT": str(restart), "TORCHELASTIC_MAX_RESTARTS": str(args.max_restarts)})
        if error_dir is not None:
            env["TORCHELASTIC_ERROR_FILE"] = os.path.join(error_dir, f"attempt_{restart}", str(local), "error.json")
            os.makedirs(os.path.dirname(env["TORCHELASTIC_ERROR_FILE"]), exist_ok=True)
        if world > 1 and "OMP_NUM_THREADS" not in base:
            env["OMP_NUM_THREADS"] = "1"
        for key in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMIX_SIZE"):
            env.pop(key, None)          # not an MPI job: gloo must take the TCP transport
        envs.append(env)
    return envs


def _command(args):
    if args.no_python:
        return [args.training_script] + args.training_script_args
    if args.module:
        return [sys.executable, "-u", "-m", args.training_script] + args.training_script_args
    return [sys.executable, "-u", args.training_script] + args.training_script_args


def _stop(procs, grace):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        left = deadline - time.monotonic()
        try:
            p.wait(max(0.0, left))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _run_group(args, envs):
    """Start the workers and wait; ``(failed, codes)``: the local ranks that failed, in the order they
    exited (the first is the cause: the others usually fail because it did), and every exit code."""
    import queue
    import threading
    procs = [subprocess.Popen(_command(args), env=env) for env in envs]
    exits = queue.Queue()
    for i, p in enumerate(procs):
        threading.Thread(target=lambda i=i, p=p: exits.put((i, p.wait())), daemon=True).start()
    failed, finished = [], 0
    try:
        while finished < len(procs):
            i, code = exits.get()
            finished += 1
            if code != 0:
                failed.append(i)
                _stop(procs, args.stop_grace)
                while not exits.empty():          # the ones that had failed on their own meanwhile
                    j, c = exits.get()
                    if c != 0 and j not in failed and c != -signal.SIGTERM and c != -signal.SIGKILL:
                        failed.append(j)
                return failed, [p.returncode for p in procs]
        return [], [p.returncode for p in procs]
    except KeyboardInterrupt:
        _stop(procs, args.stop_grace)
        raise


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.module and not args.no_python and not os.path.isfile(args.training_script):
        sys.stderr.write(f"torchrun (ember): script {args.training_script!r} does not exist\n")
        return 2
    run_id = args.rdzv_id if args.rdzv_id != "none" else uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix=f"torchelastic_{run_id}_") as error_dir:
        return _supervise(args, run_id, args.log_dir or error_dir)


def _supervise(args, run_id, error_dir):
    for restart in range(args.max_restarts + 1):
        envs = worker_environments(args, restart=restart, run_id=run_id, error_dir=error_dir)
        try:
            failed, codes = _run_group(args, envs)
        except KeyboardInterrupt:
            return 130
        if not failed:
            return 0
        first, *then = failed
        left = args.max_restarts - restart
        also = f" (then rank {', '.join(envs[i]['RANK'] for i in then)} failed too)" if then else ""
        sys.stderr.write(f"torchrun (ember): worker with rank {envs[first]['RANK']} failed first (exit code "
                         f"{codes[first]}){also}; the other workers were stopped"
                         f"{f'; restarting the group ({left} restart(s) left)' if left else ''}.\n")
        cause = _recorded_error(envs[first]["TORCHELASTIC_ERROR_FILE"])
        if cause:
            sys.stderr.write(f"torchrun (ember): root cause (rank {envs[first]['RANK']}, recorded by @record): "
                             f"{cause}\n")
    return 1


def _recorded_error(path):
    """The message a worker's ``@record`` wrote, or None."""
    import json
    try:
        with open(path) as f:
            message = json.load(f)["message"]
        return message["message"] if isinstance(message, dict) else str(message)
    except (OSError, ValueError, KeyError, TypeError):
        return None


if __name__ == "__main__":
    sys.exit(main())
