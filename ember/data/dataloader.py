"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

>>> import ember
>>> from ember.utils.data import DataLoader, TensorDataset
>>> ds = TensorDataset(ember.arange(10).float().reshape(5, 2), ember.arange(5))
>>> [y.tolist() for x, y in DataLoader(ds, batch_size=2)]
[[0, 1], [2, 3], [4]]
"""
import itertools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import time
import weakref

import ember
from ember.data import worker as _worker
from ember.data.collate import default_collate, default_convert
from ember.data.dataset import IterableDataset
from ember.data.fetch import make_fetcher
from ember.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


class _InfiniteConstantSampler(Sampler):
    """Yields None forever: the 'indices' of an iterable-style dataset."""

    def __iter__(self):
        return itertools.repeat(None)


def _draw_seed(generator):
    """torch's base seed: ``empty((), dtype=int64).random_(generator=...)`` (a random64 modulo 2**63)."""
    return int(ember.empty((), dtype=ember.int64).random_(generator=generator).item())


class DataLoader:
    """Iterates over ``dataset`` in batches.

    Args:
        dataset (Dataset): map-style (``__getitem__``/``__len__``) or an ``IterableDataset``.
        batch_size (int or None): samples per batch (default 1); None turns automatic batching
            off, so each item is one sample converted by ``default_convert``.
        shuffle (bool): a new random order every epoch (map-style only). Default: False.
        sampler (Sampler or iterable): the order of indices; excludes ``shuffle``.
        batch_sampler (Sampler or iterable): yields lists of indices; excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int): worker processes loading batches in parallel; 0 (default) loads
            in the main process. The batches and their order are the same either way.
        collate_fn (callable): turns a list of samples into a batch; default
            ``default_collate`` (``default_convert`` without automatic batching).
        pin_memory (bool): accepted for PyTorch compatibility; ember is CPU-only, no-op.
        drop_last (bool): drop a last batch smaller than ``batch_size``. Default: False.
        timeout (float): seconds to wait for a batch from the workers before raising; 0
            waits forever.
        worker_init_fn (callable): called as ``worker_init_fn(worker_id)`` in each worker
            after seeding and before loading.
        multiprocessing_context (str or context): ``'fork'``, ``'spawn'``,
            ``'forkserver'`` or a ``multiprocessing`` context; default the platform's.
        generator (ember.Generator): source of the shuffle order and of the workers' base
            seed; the global generator when None.
        prefetch_factor (int): batches each worker loads ahead (default 2 with workers;
            must be None without).
        persistent_workers (bool): keep the workers alive between epochs.

    The shuffle order is reproducible: ``ember.manual_seed(s)`` (or ``generator=``) before
    iterating gives the same batches.

    >>> import ember
    >>> from ember.utils.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(ember.zeros(10, 3)), batch_size=4, drop_last=True)
    >>> len(loader), next(iter(loader))[0].shape
    (2, ember.Size([4, 3]))
    """

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device=""):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"num_workers option should be a non-negative int; use "
                             f"num_workers=0 to disable multiprocessing, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got {timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. "
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"prefetch_factor option should be non-negative, got "
                             f"{prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        if isinstance(multiprocessing_context, str):
            multiprocessing_context = multiprocessing.get_context(multiprocessing_context)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._iterable = iterable
        self._iterator = None
        self.__initialized = True

    def __setattr__(self, name, value):
        if self.__initialized and name in _FROZEN:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _indices(self):
        """An iterator over what to fetch: index lists (arrays on the fast path) or indices."""
        if self._auto_collation and type(self.batch_sampler) is BatchSampler:
            arrays = self.batch_sampler._batches()
            if arrays is not None:
                return arrays
        return iter(self._index_sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _SingleProcessIter:
    def __init__(self, loader):
        self._loader = loader
        self._base_seed = _draw_seed(loader.generator)
        self._index_iter = loader._indices()
        self._fetcher = make_fetcher(loader._iterable, loader.dataset, loader._auto_collation,
                                     loader.collate_fn, loader.drop_last)

    def __iter__(self):
        return self

    def __next__(self):
        return self._fetcher.fetch(next(self._index_iter))

    def __len__(self):
        return len(self._loader)


class _MultiProcessIter:
    """Feeds index batches round-robin to ``num_workers`` processes, keeping
    ``prefetch_factor * num_workers`` in flight, and hands batches back in sampler order."""

    def __init__(self, loader):
        # A persistent loader keeps this iterator: a strong reference back would make a cycle, freed only by the
        # garbage collector, which may close the index queues first so that no worker hears it should stop.
        self._loader = weakref.proxy(loader) if loader.persistent_workers else loader
        self._num_workers = loader.num_workers
        self._iterable = loader._iterable
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._base_seed = _draw_seed(loader.generator)
        self._done_event = context.Event()
        self._index_queues, self._workers, self._conns = [], [], []
        self._shutdown = False
        self._epoch = 0
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker.worker_loop,
                args=(self._iterable, loader.dataset, index_queue, writer,
                      self._done_event, loader._auto_collation, loader.collate_fn,
                      loader.drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                      self._num_workers, os.getpid()),
                daemon=True)
            process.start()
            # Only the worker may hold its pipe's write end (the next workers fork without it),
            # so a dead worker's pipe reads as end-of-file instead of blocking.
            writer.close()
            self._index_queues.append(index_queue)
            self._workers.append(process)
            self._conns.append(reader)
        self._reset(loader, first=True)

    def _reset(self, loader, first=False):
        if not first:
            self._epoch += 1
        self._index_iter = loader._indices()
        self._send_idx = 0
        self._rcvd_idx = 0
        self._tasks = {}  # task id -> [worker id] or [worker id, batch]
        self._stash = []  # results read from the pipes, not yet handed to __next__
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch):
            self._put_task()

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _put_task(self):
        if self._outstanding >= self._prefetch:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return
        try:
            index = next(self._index_iter)
        except StopIteration:
            return
        self._index_queues[worker_id].put((self._epoch, self._send_idx, index))
        self._tasks[self._send_idx] = [worker_id]
        self._outstanding += 1
        self._send_idx += 1

    def _get_result(self):
        if self._stash:  # read together with an earlier one: waiting on the pipes first would stall a second
            return self._stash.pop(0)
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _worker.POLL_SECONDS
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0.0))
            ready = multiprocessing.connection.wait(self._conns, timeout=wait)
            for conn in ready:
                worker_id = self._conns.index(conn)
                try:
                    payload = conn.recv_bytes()
                except (EOFError, OSError):
                    self._worker_died(worker_id)
                epoch, task_id, data = pickle.loads(payload)
                if epoch == self._epoch:
                    self._stash.append((task_id, data))
            if self._stash:
                return self._stash.pop(0)
            if not ready:
                self._check_workers_alive()
                if deadline is not None and time.monotonic() >= deadline:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds "
                                       f"waiting for a batch from its workers") from None

    def _worker_died(self, worker_id):
        process = self._workers[worker_id]
        process.join(timeout=_worker.POLL_SECONDS)
        code = process.exitcode
        self._shutdown_workers()
        if code is not None and code < 0:
            import signal
            how = f": killed by signal {-code} ({signal.Signals(-code).name})"
        else:
            how = f" with exit code {code}"
        raise RuntimeError(f"DataLoader worker {worker_id} (pid {process.pid}) exited unexpectedly{how}") from None

    def _check_workers_alive(self):
        for worker_id, process in enumerate(self._workers):
            if not process.is_alive():
                self._worker_died(worker_id)

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                task = self._tasks[self._rcvd_idx]
                if len(task) == 2 or self._active[task[0]]:
                    break
                del self._tasks[self._rcvd_idx]  # its worker finished; nothing will come
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            task = self._tasks[self._rcvd_idx]
            if len(task) == 2:
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
                self._put_task()
                return self._process(task[1])
            task_id, data = self._get_result()
            self._outstanding -= 1
            if isinstance(data, _worker.WorkerDone):
                # Its pending tasks are skipped by the loop above; no batch will come for them.
                self._active[data.worker_id] = False
                self._put_task()
                continue
            if task_id != self._rcvd_idx:
                self._tasks[task_id].append(data)
                continue
            del self._tasks[task_id]
            self._rcvd_idx += 1
            self._put_task()
            return self._process(data)

    def _process(self, data):
        if isinstance(data, _worker.ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        return data

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for index_queue in self._index_queues:
            try:
                index_queue.put(None)
            except (OSError, ValueError):
                pass
        for conn in self._conns:
            conn.close()  # a worker blocked sending a batch nobody will read gets an error and ends
        for process in self._workers:
            process.join(timeout=5.0)
            if process.is_alive():
                process.terminate()
                process.join(timeout=1.0)
        for q in self._index_queues:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass

