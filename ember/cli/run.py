"""``ember run -n N script.py [args...]``: run a training script on N processes (over MPI).

It runs ``mpiexec -n N python -m ember.distributed.launch script.py args...``: each process
gets torchrun's environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``) and
``OMP_NUM_THREADS`` (``--threads``, default 1, so N processes do not fight over the cores), then
runs the script, in which ``ember.distributed.init_process_group("mpi")`` joins the job. A Keras
``model.fit`` trains data-parallel by itself. The command exits with mpiexec's exit code; a
rank that fails ends the whole job within seconds, and the others say on stderr which rank died
(with MPICH, ``-disable-auto-cleanup`` is passed so that they are told rather than killed).

Several machines: list them in a hostfile (one ``host[:slots]`` a line, MPICH's format) and pass
``--hostfile hosts.txt``; every machine needs the same Python environment and the script at the
same path, and password-less ssh from this one. ``mpiexec`` comes with ``pip install "ember[mpi]"``
(the MPICH wheel); ``--mpiexec`` names another (Open MPI's works too).

    ember run -n 2 train.py --epochs 3
    ember run -n 8 --hostfile hosts.txt train.py
"""
import argparse
import os
import shutil
import subprocess
import sys


def add_parser(sub):
    p = sub.add_parser("run", help="run a script on N processes over MPI (data-parallel training)",
                       description="Run a training script on N processes over MPI (mpiexec), with torchrun's "
                                   "environment (RANK, WORLD_SIZE, LOCAL_RANK) in each.")
    p.add_argument("-n", "--nproc", type=int, default=1, help="number of processes (default: %(default)s)")
    p.add_argument("--hostfile", default=None, help="machines to run on, one host[:slots] a line (MPICH format)")
    p.add_argument("--threads", type=int, default=None,
                   help="OMP_NUM_THREADS of each process (default: 1, or OMP_NUM_THREADS if set)")
    p.add_argument("--mpiexec", default=None, help="the mpiexec to use (default: the one on PATH)")
    p.add_argument("-m", dest="module", action="store_true", help="run a module (python -m) instead of a script")
    p.add_argument("script", help="the Python script (or module with -m) to run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    p.set_defaults(func=run)
    return p


def find_mpiexec(explicit=None):
    """The mpiexec to use: ``explicit``, else the one on PATH, else the one beside this Python."""
    if explicit:
        return shutil.which(explicit) or (explicit if os.path.isfile(explicit) else None)
    found = shutil.which("mpiexec")
    if found:
        return found
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.isfile(beside) else None


def is_hydra(mpiexec):
    """True for MPICH's launcher (hydra), whose options ``ember run`` adds."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "HYDRA" in out


def command(args, mpiexec):
    cmd = [mpiexec, "-n", str(args.nproc)]
    if is_hydra(mpiexec):
        # When a rank dies, signal the others (they say which rank died, then exit) instead of
        # killing them silently.
        cmd.append("-disable-auto-cleanup")
    if args.hostfile:
        cmd += ["-hostfile", args.hostfile]
    cmd += [sys.executable, "-m", "ember.distributed.launch"] + (["-m"] if args.module else [])
    return cmd + [args.script] + list(args.args)


def run(args):
    if args.nproc < 1:
        print(f"ember run: -n must be at least 1, got {args.nproc}", file=sys.stderr)
        return 2
    if args.hostfile and not os.path.isfile(args.hostfile):
        print(f"ember run: hostfile {args.hostfile!r} does not exist", file=sys.stderr)
        return 2
    if not args.module and not os.path.isfile(args.script):
        print(f"ember run: script {args.script!r} does not exist", file=sys.stderr)
        return 2
    mpiexec = find_mpiexec(args.mpiexec)
    if mpiexec is None:
        print(f"ember run: {'mpiexec ' + repr(args.mpiexec) if args.mpiexec else 'mpiexec'} was not found; "
              f"install ember's MPI extra, which brings mpi4py and the MPICH wheel's mpiexec: "
              f'pip install "ember[mpi]"', file=sys.stderr)
        return 127
    env = dict(os.environ)
    threads = args.threads if args.threads is not None else int(env.get("OMP_NUM_THREADS", 1))
    env["OMP_NUM_THREADS"] = str(threads)
    for key in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(key, str(threads))
    try:
        return subprocess.call(command(args, mpiexec), env=env)
    except KeyboardInterrupt:       # mpiexec got the Ctrl-C too and stops the ranks
        return 130
