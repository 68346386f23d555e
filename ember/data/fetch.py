"""Fetchers: turn what the sampler yields into a collated batch, in the main process or a
worker.

A map-style fetcher takes a list of indices; when the collate function is
``default_collate`` and the dataset has a ``_gather`` fast path (TensorDataset and Subsets of
it), the batch is one fancy index per tensor instead of ``len(batch)`` ``__getitem__`` calls
and a stack, with the same result. An iterable-style fetcher pulls ``len(index)`` samples
from its own iterator of the dataset.
"""
import numpy as np

from ember.data.collate import default_collate

__all__ = ["MapFetcher", "IterableFetcher", "make_fetcher"]


class MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.gather = getattr(dataset, "_gather", None) if collate_fn is default_collate else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.gather is not None and len(index):
            indices = np.asarray(index)
            if indices.dtype.kind in "iu":
                batch = self.gather(indices)
                if batch is not None:
                    return batch
        if isinstance(index, np.ndarray):
            index = index.tolist()
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            data = getitems(index)
        else:
            data = [self.dataset[i] for i in index]
        return self.collate_fn(data)


class IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        data = []
        for _ in range(len(index)):
            try:
                data.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    kind = IterableFetcher if iterable else MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)
