"""Datasets and samplers: lengths, index sets and errors against torch.utils.data."""
import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
from ember.utils.data import (BatchSampler, ChainDataset, ConcatDataset, Dataset,
                              IterableDataset, RandomSampler, SequentialSampler, StackDataset,
                              Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                              random_split)


def test_tensor_dataset_items_and_length():
    x = ember.arange(12).reshape(6, 2)
    y = ember.arange(6) * 10
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8, 9] and yi.item() == 40
    assert ds[-1][1].item() == 50


def test_tensor_dataset_rejects_size_mismatch_like_torch():
    with pytest.raises(AssertionError):
        tud.TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(AssertionError, match=r"\[3, 4\]"):   # torch's type, and the sizes named
        TensorDataset(ember.zeros(3), ember.zeros(4))


def test_concat_dataset_indexing_matches_torch():
    parts = [list(range(3)), list(range(10, 15)), list(range(20, 21))]
    ours, theirs = ConcatDataset(parts), tud.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 9
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-9, 9)] == [theirs[i] for i in range(-9, 9)]
    with pytest.raises(ValueError):
        ours[-10]
    with pytest.raises(IndexError):
        ours[9]


def test_dataset_add_builds_concat_and_chain():
    class Items(Dataset):
        def __getitem__(self, i):
            return [7, 8][i]

        def __len__(self):
            return 2

    both = Items() + Items()
    assert isinstance(both, ConcatDataset) and [both[i] for i in range(4)] == [7, 8, 7, 8]

    class Stream(IterableDataset):
        def __iter__(self):
            return iter("ab")

    assert isinstance(Stream() + Stream(), ChainDataset)
    assert list(Stream() + Stream()) == ["a", "b", "a", "b"]
    with pytest.raises(TypeError, match="ChainDataset"):
        ConcatDataset([Stream()])


def test_subset_and_stack_dataset():
    s = Subset(["a", "b", "c", "d"], [3, 1])
    assert len(s) == 2 and s[0] == "d"
    assert [s[i] for i in range(2)] == ["d", "b"]
    assert s.__getitems__([1, 0]) == ["b", "d"]
    st = StackDataset([1, 2], ["x", "y"])
    assert st[1] == (2, "y") and len(st) == 2
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset([1], [1, 2])


@pytest.mark.parametrize("n, lengths", [(10, [0.5, 0.5]), (10, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]),
                                        (11, [0.1, 0.2, 0.7]), (5, [2, 3]), (100, [1 / 3] * 3)])
def test_random_split_lengths_match_torch(n, lengths):
    ours = random_split(range(n), lengths, generator=ember.Generator().manual_seed(0))
    theirs = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    flat = sorted(i for s in ours for i in s)
    assert flat == list(range(n))


def test_random_split_reproducible_and_errors():
    a = random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(3))
    b = random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(3))
    assert list(a[0]) == list(b[0])
    ember.manual_seed(1)
    c = random_split(range(20), [0.25, 0.75])
    ember.manual_seed(1)
    d = random_split(range(20), [0.25, 0.75])
    assert list(c[0]) == list(d[0])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(5), [2, 2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(1), [0.5, 0.5])


def test_sequential_sampler():
    assert list(SequentialSampler(range(4))) == list(tud.SequentialSampler(range(4)))


@pytest.mark.parametrize("replacement, num_samples", [(False, None), (False, 25), (False, 4),
                                                      (True, None), (True, 33)])
def test_random_sampler_lengths_and_coverage(replacement, num_samples):
    data = range(10)
    ours = RandomSampler(data, replacement=replacement, num_samples=num_samples)
    theirs = tud.RandomSampler(data, replacement=replacement, num_samples=num_samples)
    drawn = list(ours)
    assert len(ours) == len(theirs) == len(drawn) == len(list(theirs))
    assert all(0 <= i < 10 for i in drawn) and all(type(i) is int for i in drawn)
    if not replacement:
        for start in range(0, len(drawn) - 9, 10):
            assert sorted(drawn[start:start + 10]) == list(range(10))
        assert len(set(drawn)) == min(len(drawn), 10)


def test_random_sampler_generator_and_global_seed_reproduce():
    g1, g2 = ember.Generator().manual_seed(5), ember.Generator().manual_seed(5)
    assert list(RandomSampler(range(50), generator=g1)) == list(RandomSampler(range(50),
                                                                              generator=g2))
    ember.manual_seed(9)
    first = list(RandomSampler(range(50)))
    second = list(RandomSampler(range(50)))
    ember.manual_seed(9)
    assert list(RandomSampler(range(50))) == first
    assert first != second  # each epoch is a new permutation


def test_random_sampler_errors_like_torch():
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="num_samples should be a positive integer"):
            tud.RandomSampler(range(3), num_samples=bad)
        with pytest.raises(ValueError, match="num_samples should be a positive integer"):
            RandomSampler(range(3), num_samples=bad)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)


def test_subset_random_sampler_is_a_permutation_of_indices():
    idx = [3, 9, 12, 40]
    drawn = list(SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(0)))
    assert sorted(drawn) == idx and len(SubsetRandomSampler(idx)) == 4


def test_weighted_random_sampler():
    ember.manual_seed(0)
    drawn = list(WeightedRandomSampler([0.0, 3.0, 1.0, 0.0], 4000))
    counts = np.bincount(drawn, minlength=4)
    assert counts[0] == counts[3] == 0
    assert 0.70 < counts[1] / 4000 < 0.80  # expected 0.75
    no_repl = list(WeightedRandomSampler([1, 1, 1, 1, 0], 4, replacement=False))
    assert sorted(no_repl) == [0, 1, 2, 3]
    assert len(WeightedRandomSampler(ember.tensor([1.0, 2.0]), 7)) == 7
    with pytest.raises(ValueError, match="1d sequence"):
        WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler([1.0], 0)


@pytest.mark.parametrize("n, bs, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                              (2, 5, False), (2, 5, True), (0, 4, False)])
def test_batch_sampler_matches_torch(n, bs, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), bs, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)
    # A plain iterable as the sampler takes the generic path.
    assert list(BatchSampler(list(range(n)), bs, drop_last)) == list(theirs)


def test_batch_sampler_errors_like_torch():
    for bad in (0, -2, True, 2.0):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            BatchSampler(range(3), bad, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(3), 2, 0)


@pytest.mark.parametrize("make", [lambda L: (L.ones(3), L.ones(4)), lambda L: (L.tensor(1.0),)],
                         ids=["size_mismatch", "zero_dim"])
def test_tensor_dataset_errors_have_torch_types(make):
    # torch asserts equal first sizes (AssertionError) and indexes size(0) (IndexError on a 0-d tensor)
    with pytest.raises(Exception) as theirs:
        tud.TensorDataset(*make(torch))
    with pytest.raises(type(theirs.value)) as ours:
        TensorDataset(*make(ember))
    assert str(theirs.value) in str(ours.value)
