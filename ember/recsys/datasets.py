"""MovieLens-100k (GroupLens): 100,000 ratings (1-5) of 1,682 movies by 943 users, 1997-98.

``MovieLens100K(root, download=True)`` fetches ``ml-100k.zip`` from GroupLens, checks the md5
that GroupLens publishes beside it (``ml-100k.zip.md5``), and unpacks the files it reads into
``root/ml-100k/``; an archive that is present and intact is not fetched again. The files:

- ``u.data``: ``user \\t item \\t rating \\t timestamp`` per line, ids from 1;
- ``u.item``: ``id|title|release date|video release date|IMDb URL|`` and 19 genre flags,
  in Latin-1;
- ``u1.base``/``u1.test`` ... ``u5.base``/``u5.test`` (five 80/20 folds) and ``ua``/``ub``
  (exactly 10 test ratings per user), in ``u.data``'s format.

The data set's license (its README) allows research use and forbids redistribution, so ember
does not ship it; ``ember.recsys.synthetic_ratings`` is the offline stand-in.

Ids are shifted to start at 0, so they index ``nn.Embedding`` tables of ``num_users`` and
``num_items`` rows directly.
"""
import os
import zipfile

import numpy as np

from ember.data.dataset import Dataset
from ember.io.atomic import write_atomic

__all__ = ["MovieLens100K", "read_ratings"]

_FOLDS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
_FILES = ("u.data", "u.item", "u.user", "u.genre", "u.info", "u.occupation", "README") + tuple(
    f"{fold}.{part}" for fold in _FOLDS for part in ("base", "test"))


def read_ratings(path):
    """``(user, item, rating, timestamp)`` int64 arrays from a ``u.data``-format file (ids as in the file)."""
    table = np.loadtxt(path, dtype=np.int64, delimiter="\t", ndmin=2)
    if table.shape[1] != 4:
        raise ValueError(f"{path}: expected 4 tab-separated columns (user, item, rating, timestamp), got "
                         f"{table.shape[1]}")
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3]


def _read_items(path):
    titles, genres, ids = [], [], []
    with open(path, encoding="latin-1") as f:
        for line in f:
            fields = line.rstrip("\r\n").split("|")
            if len(fields) < 5:
                continue
            ids.append(int(fields[0]))
            titles.append(fields[1])
            genres.append([int(g) for g in fields[5:]])
    return np.array(ids, np.int64), titles, genres


class MovieLens100K(Dataset):
    """Ratings of MovieLens-100k: ``ds[i]`` is ``(user, item, rating)`` (ints, ids from 0).

    Args:
        root (str): directory holding ``ml-100k/`` (or to download into).
        fold (str, optional): ``None`` for all 100,000 ratings (``u.data``), else one of
            ``u1``..``u5``, ``ua``, ``ub``: its ``.base`` (``train=True``) or ``.test`` file.
        train (bool): with ``fold``, the training or the test part.
        download (bool): fetch ``url`` when the files are missing, checking ``md5``.

    Attributes:
        users, items, ratings, timestamps (numpy.ndarray): int64 columns of the chosen ratings.
        num_users, num_items (int): 943 and 1,682 for the real data (from ``u.item`` and
            ``u.data``), whatever the fold.
        titles (list[str]): movie titles, by item id.
        genres (numpy.ndarray): ``(num_items, 19)`` 0/1 genre flags.
    """

    url = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
    md5 = "0e33842e24a9c977be4e0107933c0723"
    filename = "ml-100k.zip"
    base_folder = "ml-100k"
    timeout = 60.0

    def __init__(self, root, fold=None, train=True, download=False):
        if fold is not None and fold not in _FOLDS:
            raise ValueError(f"MovieLens100K: fold must be None or one of {', '.join(_FOLDS)}, got {fold!r}")
        self.root = os.path.expanduser(os.fspath(root))
        self.fold, self.train = fold, train
        if download:
            self.download()
        name = "u.data" if fold is None else f"{fold}.{'base' if train else 'test'}"
        needed = ["u.data", "u.item"] + ([name] if fold is not None else [])
        missing = [n for n in needed if not os.path.isfile(os.path.join(self.folder, n))]
        if missing:
            raise RuntimeError(f"MovieLens100K: {', '.join(missing)} not found in {self.folder}; use "
                               f"download=True, or unpack {self.filename} there")
        all_users, all_items, _, _ = read_ratings(os.path.join(self.folder, "u.data"))
        ids, self.titles, genres = _read_items(os.path.join(self.folder, "u.item"))
        self.num_users = int(all_users.max())
        self.num_items = int(max(all_items.max(), ids.max()))
        self.genres = np.zeros((self.num_items, len(genres[0]) if genres else 0), np.int64)
        if genres:
            self.genres[ids - 1] = genres
        users, items, self.ratings, self.timestamps = read_ratings(os.path.join(self.folder, name))
        self.users, self.items = users - 1, items - 1

    @property
    def folder(self):
        return os.path.join(self.root, self.base_folder)

    def __len__(self):
        return len(self.ratings)

    def __getitem__(self, index):
        return int(self.users[index]), int(self.items[index]), int(self.ratings[index])

    def _check_exists(self):
        return all(os.path.isfile(os.path.join(self.folder, n)) for n in ("u.data", "u.item"))

    def download(self):
        """Fetch and unpack the archive unless ``u.data`` and ``u.item`` are already there."""
        from ember.vision.datasets.download import check_integrity, download_file
        if self._check_exists():
            return
        os.makedirs(self.root, exist_ok=True)
        archive = os.path.join(self.root, self.filename)
        if not check_integrity(archive, self.md5):
            download_file([self.url], archive, self.md5, timeout=self.timeout,
                          hint=f"Without network, put {self.filename} in {self.root} by hand.")
        self._extract(archive)

    def _extract(self, archive):
        # Only the known member names are read and each is written by its own name into the
        # folder: no path stored in the archive can point elsewhere.
        os.makedirs(self.folder, exist_ok=True)
        with zipfile.ZipFile(archive) as z:
            members = {os.path.basename(n): n for n in z.namelist() if os.path.dirname(n) == self.base_folder}
            for name in _FILES:
                if name in members:
                    write_atomic(os.path.join(self.folder, name), z.read(members[name]))
        if not self._check_exists():
            raise RuntimeError(f"MovieLens100K: {archive} has no {self.base_folder}/u.data and "
                               f"{self.base_folder}/u.item")

    def __repr__(self):
        part = "all ratings" if self.fold is None else f"{self.fold}.{'base' if self.train else 'test'}"
        return (f"Dataset MovieLens100K\n    Number of ratings: {len(self)} ({part})\n    Users: {self.num_users}, "
                f"items: {self.num_items}\n    Root location: {self.root}")
