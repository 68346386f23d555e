"""Datasets: map-style (``__getitem__`` + ``__len__``) and iterable-style (``__iter__``).

>>> import ember
>>> ds = TensorDataset(ember.arange(10).reshape(5, 2), ember.arange(5))
>>> x, y = ds[1]
>>> x.tolist(), y.item()
([2, 3], 1)
>>> [len(s) for s in random_split(ds, [0.6, 0.4], generator=ember.Generator().manual_seed(0))]
[3, 2]
"""
import bisect
import itertools
import math
import warnings

import numpy as np

import ember

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split"]


class Dataset:
    """A map from indices (or keys) to samples: subclasses define ``__getitem__`` and
    usually ``__len__``. ``a + b`` concatenates two datasets.

    A subclass may also define ``__getitems__(indices) -> list of samples`` to fetch a whole
    batch at once; the DataLoader uses it when present.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream of samples: subclasses define ``__iter__``.

    With ``DataLoader(num_workers=n)`` every worker iterates its own copy of the dataset;
    use :func:`ember.utils.data.get_worker_info` inside ``__iter__`` to give each worker its
    own share, or every sample is produced ``n`` times.

    >>> class Count(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(range(3))
    >>> list(Count())
    [0, 1, 2]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the ``index``-th rows of each tensor: ``ds[i] == (t0[i], t1[i], ...)``.

    Args:
        *tensors (Tensor): all with the same size in dimension 0.

    The DataLoader gathers a whole batch of a TensorDataset with one fancy index per tensor
    instead of one ``__getitem__`` per sample (same result as ``default_collate``).

    >>> import ember
    >>> ds = TensorDataset(ember.zeros(4, 3), ember.arange(4))
    >>> len(ds), ds[0][0].shape
    (4, ember.Size([3]))
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, got none")
        for i, t in enumerate(tensors):
            if not isinstance(t, ember.Tensor):
                raise TypeError(f"TensorDataset: argument {i} must be an ember.Tensor, got "
                                f"{type(t).__name__}")
            if t.ndim == 0:  # torch's t.size(0) raises IndexError
                raise IndexError(f"TensorDataset: argument {i} is 0-dimensional (Dimension specified as 0 but "
                                 f"tensor has no dimensions); tensors need a first dimension to index")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):  # torch asserts this, so code may catch AssertionError
            raise AssertionError(f"Size mismatch between tensors: sizes in dimension 0 are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _gather(self, indices):
        """The default-collated batch at ``indices`` (an int array), or None if this dataset
        cannot take the fast path."""
        if type(self).__getitem__ is not TensorDataset.__getitem__:
            return None
        if any(t.requires_grad for t in self.tensors):
            return None
        n = len(self)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            bad = indices[(indices < -n) | (indices >= n)][0]
            raise IndexError(f"index {bad} is out of bounds for a TensorDataset of size {n}")
        return [ember.from_numpy(t._data[indices]) for t in self.tensors]


class StackDataset(Dataset):
    """Samples are tuples (positional datasets) or dicts (keyword datasets) of the samples at
    the same index in each dataset.

    >>> import ember
    >>> ds = StackDataset(x=TensorDataset(ember.zeros(2, 1)), y=[5, 6])
    >>> ds[1]["y"]
    6
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset takes either positional or keyword datasets, got both")
        if not args and not kwargs:
            raise ValueError("StackDataset needs at least one dataset")
        datasets = args or kwargs
        lengths = [len(d) for d in (args or kwargs.values())]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(f"Size mismatch between datasets: lengths {lengths}")
        self._length = lengths[0]
        self.datasets = datasets

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets: indices run through each in turn.

    Args:
        datasets (iterable of Dataset): not iterable-style ones.

    Attributes:
        cumulative_sizes (list[int]): running total of the lengths.

    >>> ds = ConcatDataset([[1, 2], [3]])
    >>> len(ds), ds[2], ds[-1]
    (3, 3, 3)
    """

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset, got an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset; use ChainDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(f"absolute value of index {idx} exceeds the dataset length {n}")
            idx += n
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {n}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """The concatenation of iterable datasets, streamed one after the other.

    >>> list(ChainDataset([range(2), range(3)]))
    [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    >>> s = Subset(["a", "b", "c"], [2, 0])
    >>> len(s), s[0]
    (2, 'c')
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)

    def _gather(self, indices):
        if type(self).__getitem__ is not Subset.__getitem__:
            return None
        gather = getattr(self.dataset, "_gather", None)
        if gather is None:
            return None
        cached = self.__dict__.get("_index_cache")
        if cached is None or cached[0] is not self.indices or len(cached[1]) != len(self.indices):
            cached = (self.indices, np.asarray(self.indices))
            self._index_cache = cached
        mapped = cached[1][indices] if len(indices) else indices
        if mapped.dtype.kind not in "iu":
            return None
        return gather(mapped)


def _split_lengths(n, lengths):
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1: {frac}")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                              f"dataset.", stacklevel=3)
        return counts
    if any(not isinstance(x, (int, np.integer)) or x < 0 for x in lengths):
        raise ValueError(f"lengths must be non-negative ints or fractions summing to 1, got "
                         f"{list(lengths)}")
    return [int(x) for x in lengths]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    Args:
        dataset (Dataset): a map-style dataset.
        lengths (sequence): lengths of the splits, or fractions summing to 1; with fractions
            each split gets ``floor(len(dataset) * frac)`` and the remainder is dealt one by
            one to the splits in order.
        generator (ember.Generator, optional): the source of the permutation; the global
            generator (``ember.manual_seed``) when None.

    Returns:
        list[Subset]

    >>> import ember
    >>> parts = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(42))
    >>> sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    True
    """
    n = len(dataset)
    counts = _split_lengths(n, list(lengths))
    if sum(counts) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset: "
                         f"lengths {list(lengths)} sum to {sum(counts)}, the dataset has {n}")
    indices = ember.randperm(n, generator=generator).tolist()
    return [Subset(dataset, indices[end - c:end])
            for end, c in zip(itertools.accumulate(counts), counts)]
