"""torchtext.data.functional: turning iterable text sets into indexable ones, and token streams
into ids.

>>> ds = to_map_style_dataset(iter([(1, "a b"), (2, "c")]))
>>> len(ds), ds[1]
(2, (2, 'c'))
>>> list(simple_space_split(["a b", "c d e"]))
[['a', 'b'], ['c', 'd', 'e']]
"""
from ember.data.dataset import Dataset

__all__ = ["to_map_style_dataset", "simple_space_split", "numericalize_tokens_from_iterator"]


class _ListDataset(Dataset):
    def __init__(self, items):
        self._items = items

    def __len__(self):
        return len(self._items)

    def __getitem__(self, index):
        return self._items[index]


def to_map_style_dataset(iter_data):
    """A Dataset holding every item of ``iter_data`` (read once, kept in memory), so a
    DataLoader can shuffle and random_split can split it."""
    return _ListDataset(list(iter_data))


def simple_space_split(iterator):
    """Yield each line split on whitespace."""
    for line in iterator:
        yield line.split()


def numericalize_tokens_from_iterator(vocab, iterator, removed_tokens=None):
    """Yield, for each token list, a generator of its ids in ``vocab`` (a dict or a Vocab),
    leaving out ``removed_tokens``."""
    removed = set(removed_tokens or ())
    for tokens in iterator:
        yield (vocab[t] for t in tokens if t not in removed)
