"""EMNIST: NIST Special Database 19 handwritten characters in MNIST's 28x28 IDX format.

torchvision's layout: ``download=True`` fetches ``gzip.zip`` (md5 checked) into
``root/EMNIST/raw/``, then decompresses every ``gzip/emnist-<split>-<train|test>-*.gz``
member beside it, so the raw folder holds ``emnist-<split>-<train|test>-images-idx3-ubyte``
and ``...-labels-idx1-ubyte``, uncompressed (a ``.gz`` next to them is read too). Images are
stored transposed in the files and, as in torchvision, returned as stored.

>>> EMNIST.splits
('byclass', 'bymerge', 'balanced', 'letters', 'digits', 'mnist')
>>> len(EMNIST.classes_split_dict["balanced"]), EMNIST.classes_split_dict["letters"][:3]
(47, ['N/A', 'a', 'b'])
"""
import os
import re
import string

from ember.io.atomic import atomic_write
from ember.vision.datasets.download import check_integrity, download_file
from ember.vision.datasets.idx import IDXError, read_idx
from ember.vision.datasets.mnist import MNIST, _find

__all__ = ["EMNIST"]

_MERGED = set("cijklmopsuvwxyz")  # letters whose upper and lower case look alike
_ALL = set(string.digits + string.ascii_letters)
_MEMBER = re.compile(r"^(?:.*/)?(emnist-[a-z]+-(?:train|test)-(?:images-idx3|labels-idx1)-ubyte)\.gz$")


class EMNIST(MNIST):
    """Extended MNIST, one of six splits: ``byclass`` (62 classes), ``bymerge`` and
    ``balanced`` (47), ``letters`` (26, labels 1..26 with class 0 ``'N/A'``), ``digits`` and
    ``mnist`` (10).

    Args:
        root (str): directory holding ``EMNIST/raw/``.
        split (str): one of :attr:`splits`.
        train, transform, target_transform, download: as :class:`MNIST`.

    Attributes:
        data (Tensor): uint8 ``(N, 28, 28)``; targets (Tensor): int64 ``(N,)``;
        classes (list[str]): the split's class names.
    """

    mirrors = ["https://biometrics.nist.gov/cs_links/EMNIST/",
               "https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/"]
    filename = "gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    timeout = 120.0
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    classes_split_dict = {
        "byclass": sorted(_ALL),
        "bymerge": sorted(_ALL - _MERGED),
        "balanced": sorted(_ALL - _MERGED),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }
    has_bundled_sample = False

    def __init__(self, root, split, **kwargs):
        if split not in self.splits:
            raise ValueError(f"EMNIST: unknown split {split!r}; expected one of {', '.join(self.splits)}")
        if root is None:
            raise ValueError("EMNIST needs a root directory; there is no bundled sample")
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    @property
    def _file_prefix(self):
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    @property
    def images_file(self):
        return os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self):
        return os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")

    def _expected_files(self):
        return [os.path.basename(self.images_file), os.path.basename(self.labels_file)]

    def _check_exists(self):
        return all(_find(self.raw_folder, name) is not None for name in self._expected_files())

    def _load_data(self):
        images = read_idx(_find(self.raw_folder, self._expected_files()[0]), ndim=3, dtype="ubyte")
        labels = read_idx(_find(self.raw_folder, self._expected_files()[1]), ndim=1, dtype="ubyte")
        if len(images) != len(labels):
            raise IDXError(f"EMNIST {self.split}: {len(images)} images but {len(labels)} labels")
        return images, labels.astype("int64")

    def download(self):
        """Fetch ``gzip.zip`` and decompress its IDX members into ``raw_folder``, unless the
        split's files are there already."""
        if self._check_exists():
            return
        import gzip
        import zipfile
        os.makedirs(self.raw_folder, exist_ok=True)
        archive = os.path.join(self.raw_folder, self.filename)
        if not check_integrity(archive, self.md5):
            download_file([m + self.filename for m in self.mirrors], archive, self.md5, timeout=self.timeout,
                          hint=f"Without network, put {self.filename} in {self.raw_folder} by hand.")
        # Only names of the known pattern are written, each by its base name.
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                match = _MEMBER.match(info.filename)
                if match is None:
                    continue
                with z.open(info) as member, gzip.GzipFile(fileobj=member) as fin, \
                        atomic_write(os.path.join(self.raw_folder, match.group(1))) as fout:
                    for chunk in iter(lambda: fin.read(1 << 20), b""):
                        fout.write(chunk)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}\nSplit name: {self.split}"
