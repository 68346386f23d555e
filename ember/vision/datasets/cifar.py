"""CIFAR-10 and CIFAR-100 from their *binary* releases (``cifar-10-binary.tar.gz``,
``cifar-100-binary.tar.gz``; what ``download=True`` fetches), or from the folder torchvision
downloads (the "python version": ``cifar-10-batches-py/``, ``cifar-100-python/``), whose pickled
batches are read by ember's restricted reader without unpickling (:mod:`.cifar_python`).

The CIFAR-10 archive holds ``cifar-10-batches-bin/data_batch_{1..5}.bin``, ``test_batch.bin``
and ``batches.meta.txt`` (class names, one per line). Each ``.bin`` file is a run of 3,073-byte
records: one label byte (0..9), then 1,024 red, 1,024 green and 1,024 blue bytes, each a
32x32 image in row-major order.

The CIFAR-100 archive holds ``cifar-100-binary/train.bin``, ``test.bin``,
``fine_label_names.txt`` and ``coarse_label_names.txt``; its records are 3,074 bytes: the
coarse label (0..19), the fine label (0..99), then the image as above.
"""
import os
import tarfile

import numpy as np

from ember.io.atomic import write_atomic
from ember.vision.datasets.download import check_integrity, download_file
from ember.vision.datasets.vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]

_RECORD = 1 + 3 * 32 * 32


def read_cifar_bin(path):
    """``(images uint8 (N, 32, 32, 3), labels int64 (N,))`` from one CIFAR binary batch file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == 0 or len(raw) % _RECORD:
        raise ValueError(f"{path}: expected a whole number of {_RECORD}-byte CIFAR records, found "
                         f"{len(raw)} bytes ({len(raw) // _RECORD} records and {len(raw) % _RECORD}"
                         f" extra bytes; truncated or not a CIFAR-10 binary file)")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ValueError(f"{path}: expected labels 0..9, found {int(labels.max())} (not a "
                         f"CIFAR-10 binary file?)")
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def read_cifar100_bin(path):
    """``(images uint8 (N, 32, 32, 3), coarse int64 (N,), fine int64 (N,))`` from one
    CIFAR-100 binary file."""
    record = 2 + 3 * 32 * 32
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == 0 or len(raw) % record:
        raise ValueError(f"{path}: expected a whole number of {record}-byte CIFAR-100 records, found "
                         f"{len(raw)} bytes ({len(raw) // record} records and {len(raw) % record} extra "
                         f"bytes; truncated or not a CIFAR-100 binary file)")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, record)
    coarse, fine = records[:, 0].astype(np.int64), records[:, 1].astype(np.int64)
    if coarse.max() > 19 or fine.max() > 99:
        raise ValueError(f"{path}: expected coarse labels 0..19 and fine labels 0..99, found maxima "
                         f"{int(coarse.max())} and {int(fine.max())} (not a CIFAR-100 binary file?)")
    images = records[:, 2:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), coarse, fine


class CIFAR10(VisionDataset):
    """CIFAR-10: 60,000 32x32 colour images in 10 classes (50,000 train, 10,000 test).

    Args:
        root (str): directory holding ``cifar-10-batches-bin/`` (or to download into).
        train (bool): the five training batches (True) or the test batch.
        transform (callable, optional): applied to each image.
        target_transform (callable, optional): applied to each label.
        download (bool): fetch and unpack ``cifar-10-binary.tar.gz`` from ``mirrors``,
            checking its md5 ``tgz_md5``.

    Attributes:
        data (numpy.ndarray): uint8 ``(N, 32, 32, 3)``, as torchvision.
        targets (list[int]): labels.
        classes (list[str]): from ``batches.meta.txt``.

    ``ds[i]`` is ``(image, label)``: a PIL RGB Image when Pillow is installed, else a uint8
    NumPy array ``(32, 32, 3)``.
    """

    base_folder = "cifar-10-batches-bin"
    python_folder, python_train, python_test = "cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"]
    python_meta, python_label_key = ("batches.meta", "label_names"), "labels"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    meta_file = "batches.meta.txt"
    default_classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                       "ship", "truck"]
    timeout = 60.0

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        if root is None:
            raise ValueError("CIFAR10 needs a root directory; there is no bundled sample")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._python_exists():  # torchvision's folder is there: read it
            self._load_python()
            return
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"Dataset not found or incomplete in {self.folder}: expected "
                               f"{', '.join(self.train_list + self.test_list)}. "
                               f"Use download=True to download it")
        self._load_split()
        self.classes = self._load_classes()
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _python_exists(self):
        folder = os.path.join(self.root, self.python_folder)
        return all(os.path.isfile(os.path.join(folder, n)) for n in self.python_train + self.python_test)

    def _load_python(self):
        from ember.vision.datasets.cifar_python import load_batch, load_meta
        folder = os.path.join(self.root, self.python_folder)
        parts = [load_batch(os.path.join(folder, n), self.python_label_key)
                 for n in (self.python_train if self.train else self.python_test)]
        self.data = np.ascontiguousarray(np.concatenate([p[0] for p in parts]).transpose(0, 2, 3, 1))
        self.targets = [v for p in parts for v in p[1]]
        meta = os.path.join(folder, self.python_meta[0])
        self.classes = load_meta(meta, self.python_meta[1]) if os.path.isfile(meta) else list(self.default_classes)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _load_split(self):
        parts = [read_cifar_bin(os.path.join(self.folder, name))
                 for name in (self.train_list if self.train else self.test_list)]
        self.data = np.concatenate([p[0] for p in parts])
        self.targets = np.concatenate([p[1] for p in parts]).tolist()

    @property
    def folder(self):
        return os.path.join(self.root, self.base_folder)

    def _load_classes(self, meta_file=None):
        path = os.path.join(self.folder, meta_file or self.meta_file)
        if not os.path.isfile(path):
            return list(self.default_classes)
        with open(path, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
        return names or list(self.default_classes)

    def _check_exists(self):
        return all(os.path.isfile(os.path.join(self.folder, name))
                   for name in self.train_list + self.test_list)

    def download(self):
        """Fetch and unpack the archive unless its batch files are already present."""
        if self._check_exists():
            return
        os.makedirs(self.root, exist_ok=True)
        archive = os.path.join(self.root, self.filename)
        if not check_integrity(archive, self.tgz_md5):
            download_file([mirror + self.filename for mirror in self.mirrors], archive,
                          self.tgz_md5, timeout=self.timeout,
                          hint=f"Without network, put {self.filename} in {self.root} by hand.")
        self._extract(archive)

    def _extract(self, archive):
        # Only the known member names are written, each by its base name: no path in the
        # archive can point outside the destination folder.
        wanted = {f"{self.base_folder}/{name}": name
                  for name in self.train_list + self.test_list + self.meta_files}
        os.makedirs(self.folder, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = wanted.get(member.name.lstrip("./"))
                if name is not None and member.isfile():
                    write_atomic(os.path.join(self.folder, name), tar.extractfile(member).read())

    @property
    def meta_files(self):
        return [self.meta_file]

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        return self._image_item(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: 60,000 32x32 colour images in 100 fine classes grouped into 20 coarse ones.

    The interface is :class:`CIFAR10`'s (``root``, ``train``, ``transform``,
    ``target_transform``, ``download``); files live in ``root/cifar-100-binary/``.

    Attributes:
        data (numpy.ndarray): uint8 ``(N, 32, 32, 3)``.
        targets (list[int]): fine labels 0..99, as torchvision.
        classes (list[str]): the 100 fine class names (``fine_label_names.txt``).
        coarse_targets (list[int]): coarse labels 0..19 (torchvision reads only the fine ones).
        coarse_classes (list[str]): the 20 superclass names (``coarse_label_names.txt``).
    """

    base_folder = "cifar-100-binary"
    python_folder, python_train, python_test = "cifar-100-python", ["train"], ["test"]
    python_meta, python_label_key = ("meta", "fine_label_names"), "fine_labels"
    filename = "cifar-100-binary.tar.gz"
    tgz_md5 = "03b5dce01913d631647c71ecec9e9cb8"
    train_list = ["train.bin"]
    test_list = ["test.bin"]
    meta_file = "fine_label_names.txt"
    coarse_meta_file = "coarse_label_names.txt"
    default_classes = []

    @property
    def meta_files(self):
        return [self.meta_file, self.coarse_meta_file]

    def _load_python(self):
        super()._load_python()
        from ember.vision.datasets.cifar_python import load_batch, load_meta
        folder = os.path.join(self.root, self.python_folder)
        _, self.coarse_targets = load_batch(os.path.join(folder, "train" if self.train else "test"), "coarse_labels")
        meta = os.path.join(folder, "meta")
        self.coarse_classes = load_meta(meta, "coarse_label_names") if os.path.isfile(meta) else []

    def _load_split(self):
        images, coarse, fine = read_cifar100_bin(
            os.path.join(self.folder, self.train_list[0] if self.train else self.test_list[0]))
        self.data, self.targets, self.coarse_targets = images, fine.tolist(), coarse.tolist()
        self.coarse_classes = self._load_classes(self.coarse_meta_file)
