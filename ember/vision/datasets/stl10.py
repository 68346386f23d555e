"""STL-10: 96x96 colour images in 10 classes, 5,000 labelled train, 8,000 test, 100,000 unlabelled.

torchvision's layout: ``root/stl10_binary/`` from ``stl10_binary.tar.gz``: ``train_X.bin``,
``train_y.bin``, ``test_X.bin``, ``test_y.bin``, ``unlabeled_X.bin``, ``class_names.txt`` and
``fold_indices.txt``. ``*_X.bin`` are uint8 images ``(N, 3, 96, 96)`` stored column-major (each
channel transposed); ``*_y.bin`` are uint8 labels 1..10. ``fold_indices.txt`` has ten lines of
space-separated 0-based indices into the training set (1,000 each).
"""
import os

import numpy as np

from ember.vision.datasets.download import check_integrity, download_file, extract_tar
from ember.vision.datasets.vision import VisionDataset

__all__ = ["STL10"]


class STL10(VisionDataset):
    """STL-10.

    Args:
        root (str): directory holding ``stl10_binary/``.
        split (str): ``'train'``, ``'train+unlabeled'``, ``'unlabeled'`` or ``'test'``.
        folds (int, optional): 0..9 keeps that predefined 1,000-image fold of the training set;
            None keeps all 5,000.
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch and unpack ``stl10_binary.tar.gz`` (md5 ``tgz_md5``).

    Attributes:
        data (numpy.ndarray): uint8 ``(N, 3, 96, 96)``.
        labels (numpy.ndarray): int64 ``(N,)``, 0..9, -1 for unlabelled images.
        classes (list[str]): from ``class_names.txt``.
    """

    base_folder = "stl10_binary"
    url = "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"
    filename = "stl10_binary.tar.gz"
    tgz_md5 = "91f7769df0f17e558f3565bffb0c7dfb"
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
                  ["train_y.bin", "5a34089d4802c674881badbb80307741"],
                  ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"]]
    test_list = [["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"],
                 ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"]]
    splits = ("train", "train+unlabeled", "unlabeled", "test")
    timeout = 300.0

    def __init__(self, root, split="train", folds=None, transform=None, target_transform=None, download=False):
        if split not in self.splits:
            raise ValueError(f"STL10: unknown split {split!r}; expected one of {', '.join(self.splits)}")
        if folds is not None and not (isinstance(folds, int) and 0 <= folds < 10):
            raise ValueError(f"STL10: folds must be None or an int in 0..9, got {folds!r}")
        if root is None:
            raise ValueError("STL10 needs a root directory; there is no bundled sample")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split, self.folds = split, folds
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError(f"Dataset not found or corrupted in {self.folder}: expected "
                               f"{', '.join(n for n, _ in self.train_list + self.test_list)}. "
                               f"Use download=True to download it")
        if split in ("train", "train+unlabeled"):
            self.data, self.labels = self._loadfile("train_X.bin", "train_y.bin")
            self._load_folds(folds)
            if split == "train+unlabeled":
                unlabeled, _ = self._loadfile("unlabeled_X.bin")
                self.data = np.concatenate((self.data, unlabeled))
                self.labels = np.concatenate((self.labels, np.full(len(unlabeled), -1, np.int64)))
        elif split == "unlabeled":
            self.data, _ = self._loadfile("unlabeled_X.bin")
            self.labels = np.full(len(self.data), -1, np.int64)
        else:
            self.data, self.labels = self._loadfile("test_X.bin", "test_y.bin")
        class_file = os.path.join(self.folder, self.class_names_file)
        if os.path.isfile(class_file):
            with open(class_file, encoding="utf-8") as f:
                self.classes = f.read().splitlines()

    @property
    def folder(self):
        return os.path.join(self.root, self.base_folder)

    def _loadfile(self, data_file, labels_file=None):
        labels = None
        if labels_file:
            labels = np.fromfile(os.path.join(self.folder, labels_file), dtype=np.uint8).astype(np.int64) - 1
        raw = np.fromfile(os.path.join(self.folder, data_file), dtype=np.uint8)
        if raw.size % (3 * 96 * 96):
            raise ValueError(f"STL10: {data_file} holds {raw.size} bytes, not a whole number of 3x96x96 images")
        images = np.ascontiguousarray(raw.reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2))
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"STL10: {data_file} holds {len(images)} images but {labels_file} {len(labels)} labels")
        return images, labels

    def _load_folds(self, folds):
        if folds is None:
            return
        with open(os.path.join(self.folder, self.folds_list_file), encoding="utf-8") as f:
            line = f.read().splitlines()[folds]
        index = np.array(line.split(), dtype=np.int64)
        self.data, self.labels = self.data[index], self.labels[index]

    def _check_integrity(self):
        return all(check_integrity(os.path.join(self.folder, name))
                   for name, _ in self.train_list + self.test_list)

    def download(self):
        """Fetch and unpack the archive unless its files are present."""
        if self._check_integrity():
            return
        os.makedirs(self.root, exist_ok=True)
        archive = os.path.join(self.root, self.filename)
        if not check_integrity(archive, self.tgz_md5):
            download_file([self.url], archive, self.tgz_md5, timeout=self.timeout,
                          hint=f"Without network, put {self.filename} in {self.root} by hand.")
        extract_tar(archive, self.root, select=lambda name: name.startswith(self.base_folder + os.sep))

    def __getitem__(self, index):
        img = np.transpose(self.data[index], (1, 2, 0))
        target = int(self.labels[index]) if self.labels is not None else None
        return self._image_item(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {self.split}"
