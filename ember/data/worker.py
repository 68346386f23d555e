"""What runs inside a DataLoader worker process, and ``get_worker_info``.

Each worker gets a copy of the dataset and a seed ``base_seed + worker_id`` (``base_seed``
is drawn from the loader's generator, or the global one, each epoch the workers start); it
seeds Python's ``random``, NumPy's legacy global generator and ember's global generator with
it, so random transforms differ between workers yet repeat under ``ember.manual_seed``.
The worker reads ``(epoch, task_id, index)`` tasks from its own queue and sends
``(epoch, task_id, batch)`` back on its own pipe; ``None`` tells it to exit.

Each worker has a pipe of its own (not one queue shared by all) so that a worker killed in the
middle of sending a batch cannot leave a lock held or half a message in a channel the others
use: the main process sees end-of-file on that worker's pipe and raises at once. A watchdog
thread ends the worker when its parent process dies, wherever the worker is blocked.
"""
import os
import pickle
import queue
import random
import sys
import threading
import time
import traceback

import numpy as np

import ember
from ember.data.fetch import make_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

POLL_SECONDS = 1.0
_worker_info = None


class WorkerInfo:
    """Describes the current DataLoader worker: ``id``, ``num_workers``, ``seed`` and
    ``dataset`` (this worker's copy). Read-only."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, value):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, value)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__keys)
        return f"{type(self).__name__}({items})"


def get_worker_info():
    """The :class:`WorkerInfo` of the DataLoader worker process calling it, or None in the
    main process.

    Use it in an ``IterableDataset.__iter__`` to give each worker its own share of the
    stream, or in ``worker_init_fn`` to configure the worker's copy of the dataset:

    >>> class Range(ember.utils.data.IterableDataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         info = get_worker_info()
    ...         if info is None:
    ...             return iter(range(self.n))
    ...         return iter(range(info.id, self.n, info.num_workers))
    >>> get_worker_info() is None
    True
    """
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        try:
            pickle.dumps(self.exc_type)
        except Exception:
            self.exc_type = RuntimeError
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = KeyErrorMessage(message)
        try:
            exception = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exception


class KeyErrorMessage(str):
    """KeyError quotes its argument with repr; keep the traceback readable."""

    def __repr__(self):
        return str(self)


class WorkerDone:
    """An iterable-style worker's dataset is exhausted for this epoch."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


def _encode(epoch, task_id, data, worker_id):
    # Pickle here rather than in the queue's feeder thread, so an unpicklable batch becomes
    # an error the main process sees instead of a batch that never arrives.
    try:
        return pickle.dumps((epoch, task_id, data), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        error = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id} "
                                                 f"while sending a batch")
        return pickle.dumps((epoch, task_id, error), protocol=pickle.HIGHEST_PROTOCOL)


def _seed_worker(seed, worker_id, base_seed):
    random.seed(seed)
    ember.manual_seed(seed)
    state = np.random.SeedSequence([base_seed, worker_id]).generate_state(4)
    np.random.seed(state)


def _watch_parent(parent_pid):
    # The parent is gone when we are re-parented; exit without flushing anything (nobody reads).
    while True:
        time.sleep(POLL_SECONDS / 4)
        if os.getppid() != parent_pid:
            os._exit(0)


class _Sender:
    """Sends encoded batches on the worker's pipe from a thread, so that the worker goes on to
    the next batch while the main process is busy (the role of a multiprocessing.Queue's
    feeder thread, over a pipe that only this worker writes)."""

    def __init__(self, conn):
        self._conn = conn
        self._pending = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            payload = self._pending.get()
            if payload is None:
                return
            try:
                self._conn.send_bytes(payload)
            except OSError:
                return  # the main process closed its end: it is shutting down

    def put(self, payload):
        self._pending.put(payload)

    def close(self, flush):
        self._pending.put(None)
        if flush:
            self._thread.join()
        self._conn.close()


def worker_loop(iterable, dataset, index_queue, result_conn, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers, parent_pid):
    global _worker_info
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    sender = _Sender(result_conn)
    try:
        seed = (base_seed + worker_id) % (2 ** 63)
        _seed_worker(seed, worker_id, base_seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
        except Exception:
            init_error = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process "
                                                          f"{worker_id}")
        fetcher, fetcher_epoch, exhausted = None, None, False
        while True:
            try:
                task = index_queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if done_event.is_set() or os.getppid() != parent_pid:
                    break  # shut down, even if the stop message never came (its queue closed first)
                continue
            if task is None:
                break
            if done_event.is_set():
                continue
            epoch, task_id, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                if fetcher_epoch != epoch:
                    fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn,
                                           drop_last)
                    fetcher_epoch, exhausted = epoch, False
                if exhausted:
                    data = WorkerDone(worker_id)
                else:
                    try:
                        data = fetcher.fetch(index)
                    except StopIteration:
                        if not iterable:
                            data = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker "
                                                                    f"process {worker_id}")
                        else:
                            data, exhausted = WorkerDone(worker_id), True
                    except Exception:
                        data = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process "
                                                                f"{worker_id}")
            sender.put(_encode(epoch, task_id, data, worker_id))
            del data, index, task
    except KeyboardInterrupt:
        pass
    sender.close(flush=not done_event.is_set())
