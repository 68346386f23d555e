"""What torchtext's downloadable datasets share: the ``split`` argument (one name gives one
dataset, a tuple gives a tuple in that order), the folder ``root/NAME``, fetching with an md5
check, and an iterable dataset that reads its file again on every pass (one epoch each)."""
import os

from ember.data.dataset import IterableDataset


def splits(name, split, allowed, make):
    """``make(s)`` for each requested split, as torchtext returns them."""
    single = isinstance(split, str)
    names = (split,) if single else tuple(split)
    for s in names:
        if s not in allowed:
            raise ValueError(f"{name}: split must be one of {allowed} (or a tuple of them), got {s!r}")
    out = tuple(make(s) for s in names)
    return out[0] if single else out


def fetch(name, url, md5, path, timeout=30.0):
    """``path``, downloaded from ``url`` unless it is there with the right md5."""
    from ember.vision.datasets.download import check_integrity, download_file
    if not check_integrity(path, md5):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        download_file([url], path, md5, timeout=timeout,
                      hint=f"Without network, put {os.path.basename(path)} in {os.path.dirname(path)} by hand "
                           f"({name}).")
    return path


class TextIterable(IterableDataset):
    """Yields ``parse(path)``'s items afresh on every iteration; ``len`` is the item count
    (counted in the file, so a partial or updated file reports what it holds)."""

    def __init__(self, name, split, path, parse):
        self.name, self.split, self.path, self._parse, self._len = name, split, path, parse, None

    def __iter__(self):
        return iter(self._parse(self.path))

    def __len__(self):
        if self._len is None:
            self._len = sum(1 for _ in self._parse(self.path))
        return self._len

    def __repr__(self):
        return f"{self.name}(split={self.split!r}) from {self.path}"
