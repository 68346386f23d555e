"""QMNIST: MNIST's 60,000 test digits reconstructed from NIST, with full NIST metadata.

torchvision's layout: files in ``root/QMNIST/raw/`` named after their URLs; ``download=True``
fetches the ``.gz`` (``.xz`` for ``nist``) files, checks their md5, and decompresses each beside
it (``qmnist-train-images-idx3-ubyte``, ``qmnist-train-labels-idx2-int``...). Labels are an
IDX ``int`` matrix ``(N, 8)``: class, NIST HSF series, writer id, digit index for the writer,
NIST class code, global NIST index, duplicate flag, unused.

>>> sorted(QMNIST.subsets)
['nist', 'test', 'test10k', 'test50k', 'train']
"""
import os

import numpy as np

from ember.vision._pil import pil_image_module
from ember.vision.datasets.download import check_integrity, decompress_file, download_file
from ember.vision.datasets.idx import IDXError, read_idx
from ember.vision.datasets.mnist import MNIST

__all__ = ["QMNIST"]

_BASE = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"


class QMNIST(MNIST):
    """QMNIST digits.

    Args:
        root (str): directory holding ``QMNIST/raw/``.
        what (str, optional): ``'train'``, ``'test'`` (all 60,000), ``'test10k'`` (the first
            10,000: MNIST's test set), ``'test50k'`` (the other 50,000) or ``'nist'`` (all
            402,953 NIST digits); default ``'train'`` if ``train`` else ``'test'``.
        compat (bool): targets are class ints (True, as MNIST) or the whole 8-int row
            (a Tensor).
        train, transform, target_transform, download: as :class:`MNIST`.

    Attributes:
        data (Tensor): uint8 ``(N, 28, 28)``; targets (Tensor): int64 ``(N, 8)`` (whatever
            ``compat``, as torchvision).
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test", "nist": "nist"}
    resources = {
        "train": [(_BASE + "qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
                  (_BASE + "qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4")],
        "test": [(_BASE + "qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
                 (_BASE + "qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa")],
        "nist": [(_BASE + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
                 (_BASE + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d")],
    }
    has_bundled_sample = False
    timeout = 60.0

    def __init__(self, root, what=None, compat=True, train=True, **kwargs):
        if what is None:
            what = "train" if train else "test"
        if what not in self.subsets:
            raise ValueError(f"QMNIST: unknown what={what!r}; expected one of {', '.join(self.subsets)}")
        if root is None:
            raise ValueError("QMNIST needs a root directory; there is no bundled sample")
        self.what, self.compat = what, compat
        super().__init__(root, train, **kwargs)

    def _files(self):
        return [(url, md5, os.path.splitext(os.path.basename(url))[0])
                for url, md5 in self.resources[self.subsets[self.what]]]

    @property
    def images_file(self):
        return os.path.join(self.raw_folder, self._files()[0][2])

    @property
    def labels_file(self):
        return os.path.join(self.raw_folder, self._files()[1][2])

    def _expected_files(self):
        return [name for _, _, name in self._files()]

    def _check_exists(self):
        return all(os.path.isfile(os.path.join(self.raw_folder, name)) for name in self._expected_files())

    def _load_data(self):
        images = read_idx(self.images_file, ndim=3, dtype="ubyte")
        targets = read_idx(self.labels_file, ndim=2, dtype="int").astype(np.int64)
        if len(images) != len(targets):
            raise IDXError(f"QMNIST {self.what}: {len(images)} images but {len(targets)} label rows")
        if self.what == "test10k":
            images, targets = images[:10000], targets[:10000]
        elif self.what == "test50k":
            images, targets = images[10000:], targets[10000:]
        return np.ascontiguousarray(images), np.ascontiguousarray(targets)

    def download(self):
        """Fetch (md5 checked) and decompress the files of ``what`` that are missing."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for url, md5, name in self._files():
            archive = os.path.join(self.raw_folder, os.path.basename(url))
            if not check_integrity(archive, md5):
                download_file([url], archive, md5, timeout=self.timeout,
                              hint=f"Without network, put {os.path.basename(url)} in {self.raw_folder} by hand.")
            decompress_file(archive, os.path.join(self.raw_folder, name))

    def __getitem__(self, index):
        img = self.data._data[index]
        target = self.targets[index]
        image_module = pil_image_module()
        if image_module is not None:
            img = image_module.fromarray(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.compat:
            target = int(target[0])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {self.what}"
