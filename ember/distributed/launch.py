"""The per-rank entry point of ``ember run``: torchrun's environment, then the user's script.

``mpiexec`` starts ``python -m ember.distributed.launch [-m] script args...`` on every rank.
This module reads the rank that the MPI launcher gives the process (``PMI_RANK`` for MPICH,
``OMPI_COMM_WORLD_RANK`` for Open MPI) and sets the variables a torchrun-launched script
expects, then runs the script as ``__main__`` with ``sys.argv`` as if started directly:

- ``RANK``, ``WORLD_SIZE``: the global rank and the number of processes;
- ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``: the rank among the processes on this machine, and their number;
- ``GROUP_RANK`` (0), ``MASTER_ADDR`` (this machine for a one-machine job), ``MASTER_PORT`` (unused by MPI).

It imports no MPI itself: ``init_process_group("mpi")`` does, in the script.
"""
import os
import runpy
import sys

__all__ = ["torchrun_environment", "main"]


def torchrun_environment(environ):
    """The torchrun variables for a process whose MPI launcher environment is ``environ``."""
    def first(*keys, default=None):
        for k in keys:
            if k in environ:
                return environ[k]
        return default
    rank = first("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", default="0")
    size = first("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", default="1")
    local_rank = first("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", default=rank)
    local_size = first("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", default=size)
    return {"RANK": rank, "WORLD_SIZE": size, "LOCAL_RANK": local_rank, "LOCAL_WORLD_SIZE": local_size,
            "GROUP_RANK": environ.get("GROUP_RANK", "0"), "MASTER_ADDR": environ.get("MASTER_ADDR", "127.0.0.1"),
            "MASTER_PORT": environ.get("MASTER_PORT", "29500")}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    as_module = bool(argv) and argv[0] == "-m"
    if as_module:
        argv = argv[1:]
    if not argv:
        sys.stderr.write("usage: python -m ember.distributed.launch [-m] script.py [args...]\n")
        return 2
    os.environ.update(torchrun_environment(os.environ))
    sys.argv = argv
    if as_module:
        runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
