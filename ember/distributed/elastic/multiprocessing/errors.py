"""Errors of a worker, written where its launcher reads them (``torch.distributed.elastic``'s ``@record``).

``python -m ember.distributed.run`` gives each worker a ``TORCHELASTIC_ERROR_FILE``; a ``main``
decorated with :func:`record` that raises writes the exception and its traceback there as JSON
(torch's layout: ``{"message": {"message": ..., "extraInfo": {"py_callstack": ..., "timestamp": ...}}}``),
then re-raises it. When the job fails the launcher prints the first failed worker's message.

Example::

    from ember.distributed.elastic.multiprocessing.errors import record

    @record
    def main():
        ...

    if __name__ == "__main__":
        main()
"""
import functools
import json
import os
import time
import traceback
from dataclasses import dataclass

__all__ = ["ProcessFailure", "ChildFailedError", "record", "ErrorHandler", "get_error_handler"]

_NOT_AVAILABLE = "<N/A>"


class ErrorHandler:
    """Writes a worker's exception to ``TORCHELASTIC_ERROR_FILE`` (when the launcher set it)."""

    def _error_file_path(self):
        return os.environ.get("TORCHELASTIC_ERROR_FILE")

    def initialize(self):
        pass

    def record_exception(self, e):
        path = self._error_file_path()
        if not path:
            return
        data = {"message": {"message": f"{type(e).__name__}: {e}",
                            "extraInfo": {"py_callstack": traceback.format_exc(),
                                          "timestamp": str(int(time.time()))}}}
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, path)           # whole or not at all

    def dump_error_file(self, rootcause_error_file, error_code=0):
        path = self._error_file_path()
        if not path or not os.path.isfile(rootcause_error_file):
            return
        with open(rootcause_error_file) as f:
            data = json.load(f)
        if error_code and isinstance(data.get("message"), dict):
            data["message"].setdefault("errorCode", error_code)
        with open(path, "w") as f:
            json.dump(data, f)


def get_error_handler():
    return ErrorHandler()


@dataclass
class ProcessFailure:
    """A failed worker: its local rank, pid, exit code and error file (and the message read from it)."""
    local_rank: int
    pid: int
    exitcode: int
    error_file: str = _NOT_AVAILABLE

    def __post_init__(self):
        self.message = ""
        self.timestamp = int(time.time())
        if self.error_file != _NOT_AVAILABLE and os.path.isfile(self.error_file):
            try:
                with open(self.error_file) as f:
                    data = json.load(f)
                msg = data.get("message", "")
                self.message = msg.get("message", "") if isinstance(msg, dict) else str(msg)
                if isinstance(msg, dict):
                    self.timestamp = int(msg.get("extraInfo", {}).get("timestamp", self.timestamp))
            except (OSError, ValueError):
                pass
        if not self.message:
            self.message = (f"Signal {-self.exitcode} received" if self.exitcode < 0 else
                            "To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html")

    def signal_name(self):
        import signal
        return signal.Signals(-self.exitcode).name if self.exitcode < 0 else _NOT_AVAILABLE


class ChildFailedError(Exception):
    """Workers of ``name`` failed: ``failures`` maps global rank to :class:`ProcessFailure`."""

    def __init__(self, name, failures):
        self.name, self.failures = name, failures
        super().__init__(self.format_msg())

    def get_first_failure(self):
        rank = min(self.failures, key=lambda r: self.failures[r].timestamp)
        return rank, self.failures[rank]

    def format_msg(self, boarder_delim="=", section_delim="-"):
        lines = [f"{self.name} FAILED"]
        for rank, f in self.failures.items():
            lines.append(f"  rank {rank} (local_rank {f.local_rank}, pid {f.pid}) exitcode {f.exitcode}: {f.message}")
        return "\n".join(lines)


def record(fn, error_handler=None):
    """Decorate a worker's entry point: an exception is written to the launcher's error file, then re-raised."""
    handler = error_handler or get_error_handler()

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        handler.initialize()
        try:
            return fn(*args, **kwargs)
        except SystemExit as se:
            if se.code == 0:
                return None
            raise
        except ChildFailedError as e:
            _, failure = e.get_first_failure()
            if failure.error_file != _NOT_AVAILABLE:
                handler.dump_error_file(failure.error_file, failure.exitcode)
            raise
        except Exception as e:
            handler.record_exception(e)
            raise
    return wrapper
