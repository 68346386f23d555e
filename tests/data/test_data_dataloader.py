"""DataLoader: batch counts and contents against torch's DataLoader, reproducible shuffling,
the TensorDataset fast path, workers (same batches as in-process), IterableDataset sharding."""
import os

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
from ember.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                              SequentialSampler, Subset, TensorDataset, default_collate,
                              get_worker_info, random_split)


def batches(loader):
    return [[t.numpy().tolist() if isinstance(t, ember.Tensor) else t for t in b] for b in loader]


class Squares(Dataset):
    """A map-style dataset whose samples record which process built them."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"x": np.full(3, i, dtype=np.float32), "y": i * i}

    def __len__(self):
        return self.n


class Failing(Dataset):
    def __getitem__(self, i):
        if i == 5:
            raise KeyError("sample 5 is broken")
        return i

    def __len__(self):
        return 8


def shard(n, info):
    """This worker's contiguous share of ``range(n)``, as PyTorch's documentation shows."""
    if info is None:
        return iter(range(n))
    per = -(-n // info.num_workers)
    start = info.id * per
    return iter(range(start, min(start + per, n)))


class Range(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return shard(self.n, get_worker_info())

    def __len__(self):
        return self.n


class TorchRange(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return shard(self.n, tud.get_worker_info())

    def __len__(self):
        return self.n


@pytest.mark.parametrize("n, bs, drop_last", [(10, 3, False), (10, 3, True), (10, 1, False),
                                              (10, 10, True), (10, 20, False), (10, 20, True)])
def test_len_and_batches_match_torch(n, bs, drop_last):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    ours = DataLoader(TensorDataset(ember.from_numpy(x), ember.arange(n)), batch_size=bs,
                      drop_last=drop_last)
    theirs = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.arange(n)),
                            batch_size=bs, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert batches(ours) == [[t.tolist() for t in b] for b in theirs]


def test_iterable_dataset_len_and_batches_match_torch():
    for bs, drop_last in [(3, False), (3, True), (None, False)]:
        ours = DataLoader(Range(10), batch_size=bs, drop_last=drop_last)
        theirs = tud.DataLoader(TorchRange(10), batch_size=bs, drop_last=drop_last)
        assert len(ours) == len(theirs)
        got = [b.tolist() if isinstance(b, ember.Tensor) else b for b in ours]
        want = [b.tolist() if isinstance(b, torch.Tensor) else b for b in theirs]
        assert got == want


def test_batch_size_none_uses_default_convert():
    loader = DataLoader(Squares(3), batch_size=None)
    items = list(loader)
    assert len(loader) == 3 and items[2]["y"] == 4
    assert isinstance(items[2]["x"], ember.Tensor) and items[2]["x"].shape == (3,)


def test_shuffle_reproducible_every_sample_once_per_epoch():
    ds = TensorDataset(ember.arange(100))
    ember.manual_seed(0)
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    epoch1 = np.concatenate([b[0].numpy() for b in loader])
    epoch2 = np.concatenate([b[0].numpy() for b in loader])
    assert sorted(epoch1.tolist()) == list(range(100)) == sorted(epoch2.tolist())
    assert epoch1.tolist() != epoch2.tolist()
    ember.manual_seed(0)
    again = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=8, shuffle=True)])
    assert again.tolist() == epoch1.tolist()
    g = ember.Generator().manual_seed(4)
    with_gen = [b[0].tolist() for b in DataLoader(ds, batch_size=8, shuffle=True, generator=g)]
    g.manual_seed(4)
    assert with_gen == [b[0].tolist() for b in DataLoader(ds, batch_size=8, shuffle=True,
                                                          generator=g)]


def test_fast_path_equals_getitem_and_collate():
    x = ember.randn(37, 3, 4)
    y = ember.arange(37)
    ds = TensorDataset(x, y)
    idx = [5, 0, 36, 5, 17]
    fast = ds._gather(np.array(idx))
    slow = default_collate([ds[i] for i in idx])
    assert type(fast) is type(slow) is list
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    sub = random_split(ds, [30, 7], generator=ember.Generator().manual_seed(0))[1]
    fast_sub = sub._gather(np.array([6, 0]))
    slow_sub = default_collate([sub[6], sub[0]])
    np.testing.assert_array_equal(fast_sub[0].numpy(), slow_sub[0].numpy())


def test_fast_path_is_skipped_when_getitem_is_overridden():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            return tuple(t[i] * 2 for t in self.tensors)

    loader = DataLoader(Doubled(ember.arange(4)), batch_size=4)
    assert next(iter(loader))[0].tolist() == [0, 2, 4, 6]
    assert Subset(Doubled(ember.arange(4)), [1])._gather(np.array([0])) is None


def test_fast_path_out_of_range_raises_index_error():
    with pytest.raises(IndexError, match="out of bounds"):
        TensorDataset(ember.arange(3))._gather(np.array([0, 3]))


def test_custom_batch_sampler_and_collate_fn():
    loader = DataLoader(Squares(5), batch_sampler=[[4, 0], [2]],
                        collate_fn=lambda b: [s["y"] for s in b])
    assert list(loader) == [[16, 0], [4]]
    assert loader.batch_size is None and len(loader) == 2


def test_argument_errors_match_torch():
    ds = Squares(4)
    cases = [dict(sampler=SequentialSampler(ds), shuffle=True),
             dict(batch_sampler=BatchSampler(SequentialSampler(ds), 2, False), batch_size=2),
             dict(batch_size=None, drop_last=True),
             dict(num_workers=-1),
             dict(timeout=-1),
             dict(prefetch_factor=2),
             dict(persistent_workers=True)]
    for kwargs in cases:
        with pytest.raises(ValueError):
            tud.DataLoader(ds, **kwargs)
        with pytest.raises(ValueError):
            DataLoader(ds, **kwargs)
    for kwargs in [dict(shuffle=True), dict(sampler=[0])]:
        with pytest.raises(ValueError, match="IterableDataset"):
            DataLoader(Range(3), **kwargs)
    loader = DataLoader(ds, batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3


def test_workers_give_identical_batches_in_order():
    x = ember.randn(53, 4)
    ds = TensorDataset(x, ember.arange(53))
    ember.manual_seed(1)
    plain = batches(DataLoader(ds, batch_size=5, shuffle=True))
    ember.manual_seed(1)
    parallel = batches(DataLoader(ds, batch_size=5, shuffle=True, num_workers=2))
    assert parallel == plain
    dict_plain = list(DataLoader(Squares(11), batch_size=3))
    dict_parallel = list(DataLoader(Squares(11), batch_size=3, num_workers=2, prefetch_factor=1))
    assert [b["y"].tolist() for b in dict_parallel] == [b["y"].tolist() for b in dict_plain]


def test_workers_load_in_other_processes_and_get_worker_info():
    def where(i):
        info = get_worker_info()
        return (os.getpid(), info.id, info.num_workers)

    class Where(Dataset):
        def __getitem__(self, i):
            return where(i)

        def __len__(self):
            return 6

    got = list(DataLoader(Where(), batch_size=None, num_workers=2))
    assert {g[0] for g in got} != {os.getpid()} and {g[1] for g in got} == {0, 1}
    assert all(g[2] == 2 for g in got)
    assert get_worker_info() is None


def test_iterable_dataset_with_workers_matches_torch_order():
    for bs in (None, 2, 3):
        theirs = [b.tolist() if isinstance(b, torch.Tensor) else b
                  for b in tud.DataLoader(TorchRange(11), batch_size=bs, num_workers=2)]
        ours = [b.tolist() if isinstance(b, ember.Tensor) else b
                for b in DataLoader(Range(11), batch_size=bs, num_workers=2)]
        assert ours == theirs


def test_worker_seeds_and_init_fn():
    class Draw(Dataset):
        def __getitem__(self, i):
            return float(ember.rand(1).item()), get_worker_info().seed

        def __len__(self):
            return 4

    def init(worker_id):
        assert get_worker_info().id == worker_id

    ember.manual_seed(3)
    first = list(DataLoader(Draw(), batch_size=None, num_workers=2, worker_init_fn=init))
    ember.manual_seed(3)
    second = list(DataLoader(Draw(), batch_size=None, num_workers=2, worker_init_fn=init))
    assert first == second
    seeds = [s for _, s in first]
    assert seeds[1] == seeds[0] + 1  # base_seed + worker_id


def test_worker_exception_is_reraised_with_its_type():
    with pytest.raises(KeyError, match="sample 5 is broken"):
        list(DataLoader(Failing(), batch_size=2, num_workers=2))
    with pytest.raises(KeyError, match="sample 5 is broken"):
        list(DataLoader(Failing(), batch_size=2))


def test_persistent_workers_reuse_processes_across_epochs():
    loader = DataLoader(Squares(7), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b["y"].tolist() for b in loader]
    pids = [p.pid for p in loader._iterator._workers]
    for i, b in enumerate(loader):  # leave an epoch early; the next must still be whole
        if i == 1:
            break
    second = [b["y"].tolist() for b in loader]
    assert first == second == [[0, 1], [4, 9], [16, 25], [36]]
    assert [p.pid for p in loader._iterator._workers] == pids
    loader._iterator._shutdown_workers()


def test_a_result_read_with_an_earlier_one_is_returned_without_waiting(monkeypatch):
    # Two batches can arrive in one wait on the pipes; the second must not wait for a third (a 1 s stall at the
    # end of every epoch before)
    import multiprocessing.connection as mpc
    loader = DataLoader(Squares(8), batch_size=2, num_workers=2, persistent_workers=True)
    it = iter(loader)
    batches = [next(it)]
    it._stash.insert(0, (99, "stashed"))   # (the first wait may already have stashed a real batch)
    monkeypatch.setattr(mpc, "wait", lambda *a, **k: pytest.fail("waited with a result in hand"))
    assert it._get_result() == (99, "stashed")
    monkeypatch.undo()
    it._shutdown_workers()
    assert batches[0]["y"].tolist() == [0, 1]


def test_dropping_a_persistent_loader_stops_its_workers_at_once():
    # the loader holds its iterator, which must not hold the loader back: no cycle for the garbage collector
    # (which could close the index queues before the iterator, leaving the workers to a 5 s join timeout each)
    import gc
    loader = DataLoader(Squares(8), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        it = iter(loader)
        list(it)
    workers = list(loader._iterator._workers)
    gc.disable()
    try:
        del loader, it
        assert not any(p.is_alive() for p in workers)
    finally:
        gc.enable()


def test_timeout_raises():
    class Slow(Dataset):
        def __getitem__(self, i):
            import time
            time.sleep(1)
            return i

        def __len__(self):
            return 2

    with pytest.raises(RuntimeError, match="timed out after 0.2 seconds"):
        list(DataLoader(Slow(), num_workers=1, timeout=0.2))


def test_worker_death_is_reported():
    class Dies(Dataset):
        def __getitem__(self, i):
            os._exit(3)

        def __len__(self):
            return 2

    with pytest.raises(RuntimeError, match="exited unexpectedly with exit code 3"):
        list(DataLoader(Dies(), num_workers=1))


def test_spawn_context_gives_the_same_batches():
    ds = TensorDataset(ember.arange(10), ember.arange(10) * 2)
    spawned = DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn")
    assert batches(spawned) == batches(DataLoader(ds, batch_size=4))
