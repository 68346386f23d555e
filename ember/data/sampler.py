"""Samplers: iterables of dataset indices (or, for ``BatchSampler``, of lists of indices).

Random samplers draw from ``generator`` when given, else from the global generator, so
``ember.manual_seed(s)`` makes every epoch's order reproducible.

>>> import ember
>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
>>> g = ember.Generator().manual_seed(0)
>>> sorted(RandomSampler(range(4), generator=g))
[0, 1, 2, 3]
"""
import numpy as np

import ember

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


_CHUNK = 1 << 16  # indices drawn per step by the random and sequential samplers


def _numpy_rng(generator):
    """The ``numpy.random.Generator`` behind an ``ember.Generator`` (global one for None)."""
    return ember.random._get_rng(generator)


def _epoch_generator(generator):
    """The generator for one epoch, as torch's RandomSampler picks it: the user's, else a fresh
    ``Generator`` seeded with ``empty((), dtype=int64).random_()`` drawn from the global one (so how
    far the epoch is consumed does not change later global draws)."""
    if generator is not None:
        return generator
    seed = int(ember.empty((), dtype=ember.int64).random_().item())
    return ember.Generator().manual_seed(seed)


class Sampler:
    """Base class: subclasses define ``__iter__`` (yielding indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        del data_source

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)

    def _index_chunks(self):
        n = len(self.data_source)
        return (np.arange(start, min(start + _CHUNK, n)) for start in range(0, n, _CHUNK))


class RandomSampler(Sampler):
    """Random indices into ``data_source``.

    Args:
        data_source (Dataset): what to sample from (only its length is used).
        replacement (bool): draw with replacement (``num_samples`` independent draws) instead
            of a permutation. Default: False.
        num_samples (int, optional): how many indices per epoch; default ``len(data_source)``.
            Without replacement, more than ``len`` chains further permutations.
        generator (ember.Generator, optional): source of randomness.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or isinstance(self.num_samples, bool) \
                or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples!r}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_chunks(self):
        """The epoch's indices as int arrays, drawn as they are consumed: with replacement in
        chunks of ``_CHUNK`` draws (NumPy gives the same stream as one call of the full size),
        without replacement one permutation of ``len(data_source)`` at a time. So
        ``num_samples=10**10`` costs memory for one chunk, not for the whole epoch."""
        n = len(self.data_source)
        gen = _epoch_generator(self.generator)
        if self.replacement:  # torch's randint(high=n) in chunks of 32: one contiguous stream of draws
            for start in range(0, self.num_samples, _CHUNK):
                yield ember.random._random_from_to(gen, min(_CHUNK, self.num_samples - start), 0, n, np.int64)
            return
        full, rest = divmod(self.num_samples, n)
        for _ in range(full):
            yield ember.random._randperm_values(gen, n)
        yield ember.random._randperm_values(gen, n)[:rest]  # torch draws this permutation even when rest is 0

    def __iter__(self):
        for chunk in self._index_chunks():
            yield from chunk.tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The elements of ``indices`` in a random order (a fresh permutation each epoch).

    >>> sorted(SubsetRandomSampler([10, 20, 30]))
    [10, 20, 30]
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        order = ember.randperm(len(self.indices), generator=self.generator)
        return (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices ``0..len(weights)-1`` drawn with probability proportional to ``weights``.

    Args:
        weights (sequence or Tensor): 1-D, non-negative, need not sum to 1.
        num_samples (int): draws per epoch.
        replacement (bool): with replacement (default) or not (then
            ``num_samples <= number of non-zero weights``).
        generator (ember.Generator, optional): source of randomness.

    >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3))
    [1, 1, 1]
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement!r}")
        w = np.asarray(weights._data if isinstance(weights, ember.Tensor) else weights,
                       dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("weights must be finite and non-negative with a positive sum")
        if not replacement and num_samples > int((w > 0).sum()):
            raise ValueError(f"cannot draw {num_samples} samples without replacement from "
                             f"{int((w > 0).sum())} non-zero weights")
        self.weights = ember.from_numpy(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        draws = ember.multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler (Sampler or iterable): the indices.
        batch_size (int): size of each batch.
        drop_last (bool): drop the last batch when it is smaller than ``batch_size``.

    >>> list(BatchSampler(range(5), batch_size=2, drop_last=True))
    [[0, 1], [2, 3]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _batches(self):
        """Batches as int arrays, cut from the sampler's index chunks when it is one of ours,
        which saves a Python loop per index; None for any other sampler."""
        if type(self.sampler) not in (SequentialSampler, RandomSampler):
            return None
        return self._batches_from(self.sampler._index_chunks())

    def _batches_from(self, chunks):
        size, pending = self.batch_size, np.empty(0, dtype=np.int64)
        for chunk in chunks:
            pending = np.concatenate([pending, chunk]) if len(pending) else chunk
            stop = len(pending) - len(pending) % size
            yield from (pending[i:i + size] for i in range(0, stop, size))
            pending = pending[stop:]
        if len(pending) and not self.drop_last:
            yield pending

    def __iter__(self):
        arrays = self._batches()
        if arrays is not None:
            return (a.tolist() for a in arrays)
        return self._iter_generic()

    def _iter_generic(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
