"""``ember.multiprocessing``: Python's :mod:`multiprocessing`, plus PyTorch's ``spawn``.

ember tensors are NumPy arrays, which pickle by value, so the standard library's
``multiprocessing`` carries them between processes as it is; this module re-exports it (``Process``,
``Queue``, ``Pool``, ``set_start_method`` ...) under PyTorch's name and adds
``spawn(fn, args, nprocs)``, which runs ``fn(i, *args)`` in ``nprocs`` processes and re-raises
the first failure in the parent, and the sharing-strategy switches (accepted; NumPy arrays
have no shared-memory strategy to choose).
"""
import multiprocessing as _mp
import traceback
from multiprocessing import *  # noqa: F401,F403

__all__ = list(getattr(_mp, "__all__", [])) + ["spawn", "start_processes", "ProcessContext",
                                                "ProcessRaisedException", "ProcessExitedException",
                                                "get_all_sharing_strategies", "get_sharing_strategy",
                                                "set_sharing_strategy"]

_strategy = ["file_descriptor"]


def get_all_sharing_strategies():
    return {"file_descriptor", "file_system"}


def get_sharing_strategy():
    return _strategy[0]


def set_sharing_strategy(new_strategy):
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"set_sharing_strategy: expected one of {sorted(get_all_sharing_strategies())}, "
                         f"got {new_strategy!r}")
    _strategy[0] = new_strategy


class ProcessException(Exception):
    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid


class ProcessRaisedException(ProcessException):
    """A spawned process raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero status without raising (killed, ``os._exit``)."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name


def _wrap(fn, i, args, errors):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except BaseException:  # noqa: BLE001 (sent to the parent, which raises it)
        errors.put((i, traceback.format_exc()))
        raise SystemExit(1)


class ProcessContext:
    """The processes started by :func:`spawn`; ``join()`` waits and raises the first failure."""

    def __init__(self, processes, errors):
        self.processes, self._errors = processes, errors

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """Wait for every process; True when all finished. Raises on the first one that failed."""
        for p in self.processes:
            p.join(timeout)
        failed = [(i, p) for i, p in enumerate(self.processes) if p.exitcode not in (None, 0)]
        if failed:
            for p in self.processes:
                if p.is_alive():
                    p.terminate()
            reported = {}
            while not self._errors.empty():
                i, tb = self._errors.get()
                reported[i] = tb
            i, p = failed[0]
            if i in reported:
                raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the following error:\n"
                                             f"{reported[i]}", i, p.pid)
            raise ProcessExitedException(f"process {i} terminated with exit code {p.exitcode}", i, p.pid,
                                         p.exitcode)
        return all(p.exitcode is not None for p in self.processes)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)``; join them unless ``join=False``."""
    ctx = _mp.get_context(start_method)
    errors = ctx.SimpleQueue()
    processes = [ctx.Process(target=_wrap, args=(fn, i, tuple(args), errors), daemon=daemon)
                 for i in range(nprocs)]
    for p in processes:
        p.start()
    context = ProcessContext(processes, errors)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """PyTorch's ``torch.multiprocessing.spawn``: ``fn(i, *args)`` for ``i`` in ``range(nprocs)``."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
