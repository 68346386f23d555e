"""torch.futures against PyTorch's: completion, then-chains, callbacks, exceptions, collect_all, wait_all."""
import pytest
import torch

import ember.futures as ours

LIBS = [ours, torch.futures]


@pytest.mark.parametrize("lib", LIBS)
def test_chaining_callbacks_and_values(lib):
    fut = lib.Future()
    seen = []
    fut.add_done_callback(lambda f: seen.append(f.value()))
    chained = fut.then(lambda f: f.wait() + 1).then(lambda f: f.wait() * 10)
    assert not fut.done() and not chained.done()
    fut.set_result(4)
    assert fut.done() and chained.wait() == 50 and seen == [4]
    late = fut.then(lambda f: f.value() - 1)
    assert late.wait() == 3
    with pytest.raises(RuntimeError):
        fut.set_result(5)


@pytest.mark.parametrize("lib", LIBS)
def test_exceptions_propagate(lib):
    fut = lib.Future()
    bad = fut.then(lambda f: 1 / 0)
    fut.set_result(1)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: division by zero"):
        bad.wait()
    failed = lib.Future()
    failed.set_exception(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        failed.wait()


@pytest.mark.parametrize("lib", LIBS)
def test_collect_all_and_wait_all(lib):
    futs = [lib.Future() for _ in range(3)]
    all_done = lib.collect_all(futs)
    for i, f in enumerate(futs):
        assert not all_done.done()
        f.set_result(i * i)
    assert [f.wait() for f in all_done.wait()] == [0, 1, 4]
    more = [lib.Future() for _ in range(2)]
    for i, f in enumerate(more):
        f.set_result(str(i))
    assert lib.wait_all(more) == ["0", "1"]
