"""Dynamic batching: concurrent requests to one model run as one batch, concatenated along dimension 0.

Each model has an asyncio queue and one worker coroutine. The worker takes the oldest request, then
keeps taking requests (already queued, or arriving within ``max_delay`` seconds of the first) while
the batch stays within ``max_batch_size`` rows and the requests agree on every input's non-batch
shape and dtype; a request that does not fit waits for the next batch. The batch runs in a thread
pool, so the event loop keeps accepting requests meanwhile; up to ``max_concurrency`` batches run
at once. The outputs are split back by each request's row count.

With ``max_delay=0`` nothing waits, yet under load requests that queued while the previous batch
ran are still batched together. Models that cannot be batched (their signature's first dimension
is not ``-1``) run one request at a time.

>>> import asyncio, numpy as np
>>> from concurrent.futures import ThreadPoolExecutor
>>> from ember.serve.model import ServedModel, TensorSpec
>>> model = ServedModel("double", "1", "python", [TensorSpec("x", "FP32", (-1,))],
...                     [TensorSpec("y", "FP32", (-1,))], lambda f: {"y": f["x"] * 2})
>>> async def main():
...     batcher = DynamicBatcher(model, ThreadPoolExecutor(1), max_batch_size=8, max_delay=0.01)
...     batcher.start()
...     outs = await asyncio.gather(*[batcher.submit({"x": np.full(1, i, np.float32)}) for i in range(3)])
...     await batcher.stop()
...     return [o["y"].tolist() for o in outs], batcher.batch_sizes
>>> asyncio.run(main())
([[0.0], [2.0], [4.0]], [3])
"""
import asyncio
import collections
import time

import numpy as np

__all__ = ["DynamicBatcher"]

_STOP = object()


class _Pending:
    __slots__ = ("feeds", "rows", "key", "future", "arrived")

    def __init__(self, feeds, rows, key, future):
        self.feeds, self.rows, self.key, self.future = feeds, rows, key, future
        self.arrived = time.perf_counter()


class DynamicBatcher:
    """Queue requests for ``model`` and run them in batches on ``executor``.

    Args:
        model (ServedModel): what to run; ``model.predict`` is called in the executor's threads.
        executor (concurrent.futures.Executor or None): where batches run; None runs them on the event
            loop itself (no thread hand-off: the lowest latency for sub-millisecond models, but no
            request is read or answered while a batch runs).
        max_batch_size (int): most rows in one batch (a single larger request still runs, alone).
        max_delay (float): seconds the first request of a batch may wait for others.
        max_concurrency (int): batches of this model running at once.
        on_batch (callable, optional): ``on_batch(rows, [queue seconds per request])`` after each batch.
    """

    def __init__(self, model, executor, max_batch_size=32, max_delay=0.002, max_concurrency=1, on_batch=None):
        if max_batch_size < 1:
            raise ValueError(f"ember.serve: max_batch_size must be >= 1, got {max_batch_size}")
        if max_delay < 0:
            raise ValueError(f"ember.serve: max_delay must be >= 0 seconds, got {max_delay}")
        self.model, self.executor = model, executor
        self.max_batch_size = max_batch_size if model.batchable else 1
        self.max_delay, self.on_batch = max_delay, on_batch
        self.batch_sizes = []             # rows of every batch run (tests and benchmarks read it)
        self._max_concurrency = max(1, int(max_concurrency))
        self._queue = None
        self._carry = collections.deque()
        self._assembling = []              # the batch the worker is filling (failed too, should it die)
        self._worker = None
        self._running = set()

    def start(self):
        """Start the worker on the running event loop."""
        self._queue = asyncio.Queue()
        self._slots = asyncio.Semaphore(self._max_concurrency)
        self._worker = asyncio.get_running_loop().create_task(self._work())
        self._worker.add_done_callback(self._fail_pending)

    def _fail_pending(self, worker):
        """Should the worker ever die, no request waits forever: each queued one hears why."""
        if worker.cancelled() or worker.exception() is None:
            return
        error = RuntimeError(f"ember.serve: the batcher of model {self.model.name!r} stopped: {worker.exception()!r}")
        pending = list(self._assembling) + list(self._carry)
        while not self._queue.empty():
            pending.append(self._queue.get_nowait())
        for p in pending:
            if p is not _STOP and not p.future.done():
                p.future.set_exception(error)

    async def submit(self, feeds):
        """Queue one request (validated ``{input name: ndarray}``) and wait for its outputs."""
        if self._worker is None or self._worker.done():
            died = self._worker is not None and not self._worker.cancelled() and self._worker.exception()
            raise RuntimeError(f"ember.serve: the batcher of model {self.model.name!r} is not running"
                               + (f": it stopped: {died!r}" if died else ""))
        rows = next(iter(feeds.values())).shape[0] if self.model.batchable else 1
        key = tuple(sorted((n, a.shape[1:], a.dtype.str) for n, a in feeds.items()))
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(feeds, rows, key, future))
        return await future

    async def stop(self):
        """Run every request already queued, wait for the running batches, then end the worker."""
        if self._worker is None:
            return
        self._queue.put_nowait(_STOP)
        await self._worker
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self._worker = None

    async def _next(self, timeout=None):
        """The next request (or ``_STOP``); None when ``timeout`` seconds pass first."""
        if self._carry:
            return self._carry.popleft()
        if not self._queue.empty():
            return self._queue.get_nowait()
        if timeout is None:
            return await self._queue.get()
        if timeout <= 0:
            return None
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def _work(self):
        loop = asyncio.get_running_loop()
        stopping = False
        while not (stopping and not self._carry and self._queue.empty()):
            # A free slot first, then the batch: requests that arrive while the model is busy
            # join the next batch instead of waiting behind one-request batches.
            await self._slots.acquire()
            first = await self._next()
            if first is _STOP:
                stopping = True
                self._slots.release()
                continue
            batch, rows, skipped = [first], first.rows, []
            self._assembling = batch
            deadline = loop.time() + self.max_delay
            while rows < self.max_batch_size:
                item = await self._next(0 if stopping else deadline - loop.time())
                if item is None:
                    break
                if item is _STOP:
                    stopping = True
                elif item.key == first.key and rows + item.rows <= self.max_batch_size:
                    batch.append(item)
                    rows += item.rows
                else:
                    skipped.append(item)
                    if len(skipped) >= self.max_batch_size:
                        break
            self._carry.extendleft(reversed(skipped))
            self._assembling = []
            task = loop.create_task(self._run(batch, rows))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, batch, rows):
        loop = asyncio.get_running_loop()
        try:
            started = time.perf_counter()
            waits = [started - p.arrived for p in batch]
            if len(batch) == 1:
                feeds = batch[0].feeds
            else:
                feeds = {n: np.concatenate([p.feeds[n] for p in batch]) for n in batch[0].feeds}
            if self.executor is None:
                outputs = self.model.predict(feeds)
            else:
                outputs = await loop.run_in_executor(self.executor, self.model.predict, feeds)
            self.batch_sizes.append(rows)
            if self.on_batch is not None:
                self.on_batch(rows, waits)
            parts = [outputs] if len(batch) == 1 else self._split(outputs, batch, rows)
            for p, part in zip(batch, parts):
                if not p.future.done():
                    p.future.set_result(part)
        except Exception as e:            # the model failed: every request of the batch hears of it
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(e)
        finally:
            self._slots.release()

    def _split(self, outputs, batch, rows):
        for name, out in outputs.items():
            if np.ndim(out) == 0 or out.shape[0] != rows:
                raise RuntimeError(f"ember.serve: model {self.model.name!r} output {name!r} has shape "
                                   f"{list(np.shape(out))} for a batch of {rows} rows; its first dimension "
                                   f"should be the batch")
        parts, start = [], 0
        for p in batch:
            parts.append({name: out[start:start + p.rows] for name, out in outputs.items()})
            start += p.rows
        return parts
