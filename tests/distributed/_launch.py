"""Launch a job of ``tests/distributed/jobs`` under ``mpiexec -n N`` (the real MPI launcher), with a timeout."""
import os
import shutil
import subprocess
import sys
import time

import pytest

JOBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mpiexec():
    found = shutil.which("mpiexec") or os.path.join(os.path.dirname(sys.executable), "mpiexec")
    assert os.path.isfile(found), "mpiexec not found: the test extra installs mpich (pip install -e '.[test]')"
    return found


def job_env():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for key in [k for k in env if k.startswith(("PMI_", "OMPI_", "PMIX_")) or k in ("RANK", "WORLD_SIZE")]:
        del env[key]
    return env


def mpirun(job, *args, n=2, timeout=60):
    """``mpiexec -n n python jobs/<job> args...``: the finished process, with ``.elapsed`` seconds."""
    cmd = [mpiexec(), "-n", str(n), sys.executable, os.path.join(JOBS, job), *map(str, args)]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=job_env(), cwd=ROOT)
    proc.elapsed = time.monotonic() - start
    return proc
