"""A failing rank never leaves the others hanging: under ``mpiexec -n 2`` (and ``ember run -n 2``), and with gloo
over TCP under ``python -m ember.distributed.run`` (torchrun's launcher), the job
ends within seconds with a nonzero exit code and, where a process can still speak, says which rank
failed and how. The four jobs run at once (each waits mostly for its ranks to start)."""
import os
import sys
import time

import pytest

from ._launch import JOBS, finish, mpiexec, start, stop


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("failure")
    job = os.path.join(JOBS, "fail_job.py")
    cmds = {
        "mpiexec_die": [mpiexec(), "-n", "2", sys.executable, job, "die", "5", str(tmp / "died_mpiexec")],
        "run_die": [sys.executable, "-m", "ember", "run", "-n", "2", job, "die", "5", str(tmp / "died_run")],
        "raise": [mpiexec(), "-n", "2", sys.executable, job, "raise", "3"],
        "hang": [mpiexec(), "-n", "2", sys.executable, job, "hang", "3"],
    }
    torchrun = [sys.executable, "-m", "ember.distributed.run", "--nproc_per_node", "2", "--standalone", job]
    gloo = {"gloo_die": torchrun + ["die", "5", str(tmp / "died_gloo")], "gloo_raise": torchrun + ["raise", "3"],
            "gloo_hang": torchrun + ["hang", "3"]}
    procs = {name: start(cmd) for name, cmd in cmds.items()}
    procs.update({name: start(cmd, JOB_BACKEND="gloo") for name, cmd in gloo.items()})
    results = {}
    try:
        for name, proc in procs.items():
            done = finish(proc, timeout=60)
            results[name] = (done.returncode, done.stderr, time.time())
    finally:
        for proc in procs.values():
            stop(proc)
    return tmp, results


def _death_to_exit(tmp, name, ended):
    return ended - float(open(tmp / name).read())


def test_a_rank_that_dies_ends_the_job_within_seconds(jobs):
    tmp, results = jobs
    code, err, ended = results["mpiexec_die"]
    assert code != 0
    assert _death_to_exit(tmp, "died_mpiexec", ended) < 10


def test_under_ember_run_the_others_name_the_dead_rank(jobs):
    tmp, results = jobs
    code, err, ended = results["run_die"]
    assert code != 0 and _death_to_exit(tmp, "died_run", ended) < 10
    assert "ember.distributed: rank 0 of 2 stops (signal SIGUSR1 from the MPI launcher" in err
    assert "rank 1 (pid " in err and "exited; a rank that dies ends the whole job" in err


def test_an_uncaught_exception_aborts_the_job_with_its_traceback(jobs):
    _, results = jobs
    code, err, _ = results["raise"]
    assert code != 0
    assert "ValueError: bad batch at step 3" in err
    assert "ember.distributed: rank 1 of 2 raised ValueError: bad batch at step 3; aborting the job" in err


def test_a_rank_that_stops_answering_times_the_others_out(jobs):
    _, results = jobs
    code, err, _ = results["hang"]
    assert code != 0
    assert "ember.distributed.DistributedDataParallel(backward): rank 0 of 2 waited 2 s (the process group's " \
           "timeout)" in err


def test_gloo_a_rank_that_dies_ends_the_job_and_the_launcher_names_it(jobs):
    tmp, results = jobs
    code, err, ended = results["gloo_die"]
    assert code == 1 and _death_to_exit(tmp, "died_gloo", ended) < 10
    assert "torchrun (ember): worker with rank 1 failed first (exit code 1)" in err


def test_gloo_an_uncaught_exception_aborts_the_job_with_its_traceback(jobs):
    _, results = jobs
    code, err, _ = results["gloo_raise"]
    assert code == 1
    assert "ValueError: bad batch at step 3" in err
    assert "ember.distributed: rank 1 of 2 raised ValueError: bad batch at step 3; aborting the job" in err


def test_gloo_a_rank_that_stops_answering_times_the_others_out(jobs):
    _, results = jobs
    code, err, _ = results["gloo_hang"]
    assert code == 1
    assert "ember.distributed.DistributedDataParallel(backward): rank 0 of 2 waited 2 s (the process group's " \
           "timeout)" in err
