"""The process group API in one process (no launcher) against torch.distributed, and ``ember run``."""
import json
import os
import subprocess
import sys

import pytest
import torch.distributed as tdist

import ember
import ember.distributed as dist
from ember.cli import main as ember_main
from ember.distributed.launch import torchrun_environment

from ._launch import JOBS, ROOT, job_env


def test_import_ember_does_not_import_mpi4py():
    code = ("import sys, ember, ember.distributed, ember.nn.parallel; "
            "print('mpi4py' in sys.modules, ember.distributed.is_available())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=job_env(), timeout=60)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_reduce_ops_are_torchs():
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"):
        assert int(getattr(dist.ReduceOp, name)) == int(getattr(tdist.ReduceOp, name)), name
        assert getattr(dist.ReduceOp, name).name == name


@pytest.mark.parametrize("fn", ["get_rank", "get_world_size", "get_backend", "barrier", "destroy_process_group"])
def test_before_init_every_call_fails_as_torch(fn):
    with pytest.raises((ValueError, AssertionError)) as ours:
        getattr(dist, fn)()
    with pytest.raises((ValueError, AssertionError)) as theirs:
        getattr(tdist, fn)()
    assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value))
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.all_reduce(ember.ones(2))
    assert dist.is_initialized() is tdist.is_initialized() is False


def test_backend_names():
    assert dist.Backend("MPI") == dist.Backend.MPI == "mpi" and dist.Backend("GLOO") == dist.Backend.GLOO == "gloo"
    assert dist.Backend("gloo") == tdist.Backend("gloo") and dist.Backend("cpu:gloo") == "gloo"
    assert dist.is_nccl_available() is False and dist.is_mpi_available() is True and dist.is_gloo_available() is True
    with pytest.raises(ValueError, match=r"backend='nccl'.*needs GPUs"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="init_method must be None or 'env://'"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")


def test_torchrun_environment_from_mpich_and_open_mpi():
    mpich = torchrun_environment({"PMI_RANK": "3", "PMI_SIZE": "4", "MPI_LOCALRANKID": "1", "MPI_LOCALNRANKS": "2"})
    ompi = torchrun_environment({"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4",
                                 "OMPI_COMM_WORLD_LOCAL_RANK": "1", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"})
    for env in (mpich, ompi):
        assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"]) == ("3", "4", "1", "2")


def test_ember_run_gives_each_rank_torchruns_environment_and_propagates_the_exit_code(tmp_path):
    job = os.path.join(JOBS, "env_job.py")
    proc = subprocess.run([sys.executable, "-m", "ember", "run", "-n", "2", job, str(tmp_path), "--fail"],
                          capture_output=True, text=True, env=job_env(), cwd=ROOT, timeout=60)
    assert proc.returncode != 0          # rank 1 exits with 3: the job fails
    rows = [json.loads((tmp_path / f"env{r}.json").read_text()) for r in range(2)]
    assert [(r["RANK"], r["WORLD_SIZE"], r["LOCAL_RANK"], r["LOCAL_WORLD_SIZE"], r["OMP_NUM_THREADS"])
            for r in rows] == [("0", "2", "0", "2", "1"), ("1", "2", "1", "2", "1")]
    assert all(r["backend"] == "mpi" and r["argv"] == [str(tmp_path), "--fail"] and r["main"] == "__main__"
               for r in rows)


def test_ember_run_errors(capsys, tmp_path):
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    assert ember_main(["run", "-n", "2", "--mpiexec", str(tmp_path / "no-mpiexec"), str(script)]) == 127
    assert 'was not found; install ember\'s MPI extra' in capsys.readouterr().err
    assert ember_main(["run", "-n", "2", str(tmp_path / "missing.py")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert ember_main(["run", "-n", "0", str(script)]) == 2
    assert "-n must be at least 1, got 0" in capsys.readouterr().err


def test_one_process_without_a_launcher_and_a_world_size_mpi_did_not_start():
    code = ("import ember, ember.distributed as d\n"
            "try:\n    d.init_process_group('mpi', world_size=2)\nexcept ValueError as e:\n    print(e)\n"
            "d.init_process_group('mpi')\nt = ember.tensor([1.5, 2.0])\nd.all_reduce(t, op=d.ReduceOp.AVG)\n"
            "print(d.get_rank(), d.get_world_size(), t.tolist())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=job_env(), timeout=60)
    lines = proc.stdout.splitlines()
    assert lines[0] == ("ember.distributed.init_process_group: world_size 2 was asked for (argument or WORLD_SIZE), "
                        "but MPI started 1 process(es); launch with `ember run -n 2 script.py` (or mpiexec -n 2)")
    assert lines[1] == "0 1 [1.5, 2.0]", proc.stderr
