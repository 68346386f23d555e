"""Dynamic batching in-process: batch limits, shape grouping, failures, draining; results checked with NumPy."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ember.serve.batcher import DynamicBatcher
from ember.serve.model import ServedModel, TensorSpec


def _model(shape=(-1, -1), fail=False, seen=None):
    def run(feeds):
        if seen is not None:
            seen.append(feeds["x"].shape)
        if fail:
            raise ValueError("boom")
        return {"y": feeds["x"] * 2 + 1}
    return ServedModel("affine", "1", "python", [TensorSpec("x", "FP32", shape)], [TensorSpec("y", "FP32", shape)], run)


def _run(model, requests, sequential=False, **options):
    async def main():
        batcher = DynamicBatcher(model, ThreadPoolExecutor(2), **options)
        batcher.start()
        if sequential:
            outs = [await batcher.submit({"x": x}) for x in requests]
        else:
            outs = await asyncio.gather(*[batcher.submit({"x": x}) for x in requests], return_exceptions=True)
        await batcher.stop()
        return outs, batcher.batch_sizes
    return asyncio.run(main())


def _rows(n, cols=2, start=0):
    return [np.full((1, cols), start + i, np.float32) for i in range(n)]


def test_batches_respect_max_batch_size_and_results_split_back():
    xs = _rows(10)
    outs, sizes = _run(_model(), xs, max_batch_size=4, max_delay=0.05)
    assert sizes == [4, 4, 2]
    for x, out in zip(xs, outs):
        np.testing.assert_array_equal(out["y"], x * 2 + 1)


def test_requests_of_several_rows_and_one_too_big_for_any_batch():
    xs = [np.arange(6, dtype=np.float32).reshape(3, 2), np.ones((1, 2), np.float32),
          np.arange(20, dtype=np.float32).reshape(10, 2)]
    outs, sizes = _run(_model(), xs, max_batch_size=4, max_delay=0.05)
    assert sizes == [4, 10]
    for x, out in zip(xs, outs):
        np.testing.assert_array_equal(out["y"], x * 2 + 1)


def test_different_trailing_shapes_run_in_separate_batches():
    xs = [_rows(1, cols=2)[0], _rows(1, cols=3)[0], _rows(1, cols=2, start=5)[0], _rows(1, cols=3, start=7)[0]]
    seen = []
    outs, sizes = _run(_model(seen=seen), xs, max_batch_size=8, max_delay=0.05)
    assert sorted(seen) == [(2, 2), (2, 3)] and sizes == [2, 2]
    for x, out in zip(xs, outs):
        np.testing.assert_array_equal(out["y"], x * 2 + 1)


def test_a_failing_model_fails_every_request_of_its_batch():
    outs, sizes = _run(_model(fail=True), _rows(3), max_batch_size=8, max_delay=0.05)
    assert sizes == [] and all(isinstance(o, ValueError) and str(o) == "boom" for o in outs)


def test_unbatchable_models_run_one_request_at_a_time():
    seen = []
    xs = [np.full((2,), i, np.float32) for i in range(3)]
    outs, sizes = _run(_model(shape=(2,), seen=seen), xs, max_batch_size=8, max_delay=0.05)
    assert sizes == [1, 1, 1] and seen == [(2,)] * 3
    for x, out in zip(xs, outs):
        np.testing.assert_array_equal(out["y"], x * 2 + 1)


def test_no_delay_and_one_client_means_no_batching():
    outs, sizes = _run(_model(), _rows(4), sequential=True, max_batch_size=8, max_delay=0.0)
    assert sizes == [1, 1, 1, 1]


def test_stop_drains_the_queue():
    async def main():
        batcher = DynamicBatcher(_model(), ThreadPoolExecutor(1), max_batch_size=2, max_delay=0.01)
        batcher.start()
        tasks = [asyncio.ensure_future(batcher.submit({"x": x})) for x in _rows(5)]
        await asyncio.sleep(0)                 # queued, none run yet
        await batcher.stop()
        assert all(t.done() for t in tasks)
        return [t.result()["y"][0, 0] for t in tasks], batcher.batch_sizes
    values, sizes = asyncio.run(main())
    assert values == [1.0, 3.0, 5.0, 7.0, 9.0] and sum(sizes) == 5 and max(sizes) <= 2


def test_options_are_checked():
    with pytest.raises(ValueError, match="max_batch_size must be >= 1, got 0"):
        DynamicBatcher(_model(), None, max_batch_size=0)
    with pytest.raises(ValueError, match="max_delay must be >= 0 seconds, got -1"):
        DynamicBatcher(_model(), None, max_delay=-1)


def test_batches_can_run_on_the_event_loop_itself():
    async def main():
        batcher = DynamicBatcher(_model(), None, max_batch_size=4, max_delay=0.05)
        batcher.start()
        outs = await asyncio.gather(*[batcher.submit({"x": x}) for x in _rows(6)])
        await batcher.stop()
        return outs, batcher.batch_sizes
    outs, sizes = asyncio.run(main())
    assert sizes == [4, 2]
    for x, out in zip(_rows(6), outs):
        np.testing.assert_array_equal(out["y"], x * 2 + 1)


def test_requests_queued_behind_a_dead_worker_fail_instead_of_hanging():
    async def main():
        batcher = DynamicBatcher(_model(), ThreadPoolExecutor(1), max_batch_size=4, max_delay=0.05)
        batcher.start()
        await asyncio.sleep(0)                 # the worker waits for its first request
        original = batcher._next

        async def broken(timeout=None):
            if timeout is None:
                return await original()
            raise KeyError("lost")             # a bug while filling the batch, simulated
        batcher._next = broken
        first = asyncio.ensure_future(batcher.submit({"x": _rows(1)[0]}))
        with pytest.raises(RuntimeError, match="stopped: KeyError"):
            await asyncio.wait_for(first, 5)   # taken by the worker, then orphaned by its death
        with pytest.raises(RuntimeError, match="is not running: it stopped: KeyError"):
            await batcher.submit({"x": _rows(1)[0]})
    asyncio.run(main())
