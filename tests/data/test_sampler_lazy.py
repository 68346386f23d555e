"""RandomSampler and BatchSampler draw their indices lazily: a huge ``num_samples`` costs one chunk."""
import itertools
import time
import tracemalloc

import numpy as np
import pytest
import torch.utils.data as tud

import ember
from ember.data import sampler as sampler_module
from ember.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

HUGE = 10 ** 10
CHUNK = sampler_module._CHUNK


def test_huge_num_samples_with_replacement_is_lazy():
    ours = RandomSampler(range(10), replacement=True, num_samples=HUGE)
    assert len(ours) == len(tud.RandomSampler(range(10), replacement=True, num_samples=HUGE)) == HUGE
    tracemalloc.start()
    start = time.perf_counter()
    first = list(itertools.islice(iter(ours), 3 * CHUNK))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.perf_counter() - start < 5.0
    assert peak < 64 * 2 ** 20  # one chunk and a list of the taken indices, not 74 GiB
    assert len(first) == 3 * CHUNK and set(first) == set(range(10))


def test_huge_num_samples_without_replacement_chains_permutations_lazily():
    ours = RandomSampler(range(7), num_samples=HUGE)
    first = list(itertools.islice(iter(ours), 21))
    assert len(ours) == HUGE
    assert all(sorted(first[i:i + 7]) == list(range(7)) for i in range(0, 21, 7))


@pytest.mark.parametrize("replacement, n, num_samples", [
    (True, 10, 5), (True, 10, 1000), (True, 3, 2 * CHUNK + 11), (True, 2 ** 40, CHUNK + 1),
    (False, 10, None), (False, 10, 25), (False, 1000, 2500)])
def test_index_stream_is_the_same_as_one_draw_of_the_whole_epoch(replacement, n, num_samples):
    """The chunked stream equals torch's RandomSampler (whole epoch) on a generator with the same seed."""
    import torch
    ours = list(RandomSampler(range(n), replacement=replacement, num_samples=num_samples,
                              generator=ember.Generator().manual_seed(11)))
    expected = list(tud.RandomSampler(range(n), replacement=replacement, num_samples=num_samples,
                                      generator=torch.Generator().manual_seed(11)))
    assert ours == expected


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 1000, CHUNK + 3])
def test_batch_fast_path_equals_the_generic_path_across_chunks(batch_size, drop_last):
    def make():
        return RandomSampler(range(50), replacement=True, num_samples=2 * CHUNK + 7,
                             generator=ember.Generator().manual_seed(2))
    fast = list(BatchSampler(make(), batch_size, drop_last))
    generic = list(BatchSampler(make(), batch_size, drop_last)._iter_generic())
    assert fast == generic
    assert len(fast) == len(BatchSampler(make(), batch_size, drop_last))
    seq = list(BatchSampler(SequentialSampler(range(CHUNK + 5)), batch_size, drop_last))
    assert seq == list(tud.BatchSampler(tud.SequentialSampler(range(CHUNK + 5)), batch_size, drop_last))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_over_a_huge_sampler_starts_at_once(num_workers):
    ds = TensorDataset(ember.arange(20))
    loader = DataLoader(ds, batch_size=4, num_workers=num_workers,
                        sampler=RandomSampler(ds, replacement=True, num_samples=HUGE))
    theirs = tud.DataLoader(list(range(20)), batch_size=4,
                            sampler=tud.RandomSampler(range(20), replacement=True, num_samples=HUGE))
    assert len(loader) == len(theirs) == HUGE // 4
    start = time.perf_counter()
    it = iter(loader)
    batches = [next(it)[0] for _ in range(5)]
    del it
    assert time.perf_counter() - start < 30.0
    assert all(b.shape == (4,) and 0 <= int(b.min()) and int(b.max()) < 20 for b in batches)
