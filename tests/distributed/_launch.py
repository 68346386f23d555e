"""Launch a job of ``tests/distributed/jobs`` under ``mpiexec -n N`` (the real MPI launcher), with a timeout."""
import os
import shutil
import signal
import subprocess
import sys
import time


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


def start(cmd, **env):
    """Start ``cmd`` in a session of its own, so that :func:`finish` can stop every rank it started."""
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(job_env(), **env),
                            cwd=ROOT, start_new_session=True)


def finish(proc, timeout=60):
    """Wait for ``proc``; past ``timeout`` kill its whole session (mpiexec and the ranks) and fail."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def stop(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()


def mpirun(job, *args, n=2, timeout=60):
    """``mpiexec -n n python jobs/<job> args...``: the finished process, with ``.elapsed`` seconds."""
    start_time = time.monotonic()
    proc = finish(start([mpiexec(), "-n", str(n), sys.executable, os.path.join(JOBS, job), *map(str, args)]), timeout)
    proc.elapsed = time.monotonic() - start_time
    return proc


def torchrun(job, *args, n=2, timeout=60):
    """``python -m ember.distributed.run --nproc_per_node n jobs/<job> args...`` with the gloo backend over TCP
    (``JOB_BACKEND=gloo``; no MPI launcher): the finished process, with ``.elapsed`` seconds."""
    start_time = time.monotonic()
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc_per_node", str(n), "--standalone",
           os.path.join(JOBS, job), *map(str, args)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=dict(job_env(), JOB_BACKEND="gloo"), start_new_session=True)
    proc = finish(proc, timeout)
    proc.elapsed = time.monotonic() - start_time
    return proc


LAUNCHERS = {"mpiexec": mpirun, "gloo": torchrun}


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def torch_and_ember(job, *args, n=2, timeout=180):
    """Run ``jobs/<job>`` (a program written for torch) on ``n`` ranks with torchrun's environment, once on real
    torch and once under ``ember.torch_compat``, both at once; ``args`` may hold ``{lib}``, replaced by the
    library's name. Fails with the stderr of a run that did not exit 0."""
    procs = []
    for lib, prefix in (("torch", []), ("ember", ["-m", "ember.torch_compat"])):
        port = str(_free_port())
        for r in range(n):
            env = dict(job_env(), RANK=str(r), WORLD_SIZE=str(n), MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
            cmd = [sys.executable, *prefix, os.path.join(JOBS, job), *[str(a).format(lib=lib) for a in args]]
            procs.append((lib, subprocess.Popen(cmd, env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE)))
    for lib, p in procs:
        _, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, f"{lib}: {err[-3000:]}"
