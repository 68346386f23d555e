"""MNIST, Fashion-MNIST and Kuzushiji-MNIST, read from their IDX files, plus the bundled
5,000-image MNIST sample.

Files live in ``root/<ClassName>/raw/`` under MNIST's own names, gzipped or not:
``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``.

``MNIST(root=None)`` needs no files and no network: it reads the sample shipped inside
ember (``_data/mnist-5k``: 500 images per digit, 4,000 train / 1,000 test, CC BY-SA 3.0, see
its README). :func:`load_mnist_sample` gives the same data as NumPy arrays.

>>> images, labels = load_mnist_sample(train=False)
>>> images.shape, images.dtype, labels.dtype
((1000, 28, 28), dtype('uint8'), dtype('int64'))
"""
import os

import numpy as np

import ember
from ember.vision.datasets.download import download_file
from ember.vision.datasets.idx import IDXError, read_idx
from ember.vision.datasets.vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "load_mnist_sample", "SAMPLE_DIR"]

SAMPLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data", "mnist-5k")


def _split_files(train):
    prefix = "train" if train else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def _find(directory, name):
    """``directory/name`` or ``directory/name.gz``, whichever exists, else None."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


def read_mnist_split(directory, train):
    """``(images uint8 (N, H, W), labels int64 (N,))`` from the IDX files in ``directory``."""
    image_name, label_name = _split_files(train)
    image_path, label_path = _find(directory, image_name), _find(directory, label_name)
    missing = [n for n, p in ((image_name, image_path), (label_name, label_path)) if p is None]
    if missing:
        raise FileNotFoundError(f"missing {', '.join(missing)} (or .gz) in {directory}")
    images = read_idx(image_path, ndim=3, dtype="ubyte")
    labels = read_idx(label_path, ndim=1, dtype="ubyte").astype(np.int64)
    if len(images) != len(labels):
        raise IDXError(f"{image_path} holds {len(images)} images but {label_path} holds "
                       f"{len(labels)} labels; expected the same number")
    return images, labels


def load_mnist_sample(train=True):
    """The bundled MNIST sample as NumPy arrays, offline.

    Args:
        train (bool): the 4,000-image training split (True) or the 1,000-image test split.

    Returns:
        ``(images, labels)``: uint8 ``(N, 28, 28)`` with values 0..255 and int64 ``(N,)``
        with digits 0..9 (400 per digit in train, 100 per digit in test).
    """
    return read_mnist_split(SAMPLE_DIR, train)


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 28x28 grayscale images, labels 0..9.

    Args:
        root (str or None): directory holding ``MNIST/raw/``; None uses the bundled
            5,000-image sample (no download needed, ``download`` ignored).
        train (bool): the training split (True) or the test split.
        transform (callable, optional): applied to each image.
        target_transform (callable, optional): applied to each label.
        download (bool): fetch missing files from ``mirrors``, verifying each file's md5.

    Attributes:
        data (Tensor): uint8 ``(N, 28, 28)``.
        targets (Tensor): int64 ``(N,)``.
        classes (list[str]): class names.
        mirrors (list[str]): URL prefixes tried in order (override to use your own).
        resources (list[(filename, md5)]): the files and their checksums.

    ``ds[i]`` is ``(image, label)``: the image is a PIL Image (mode ``'L'``) when Pillow is
    installed, as in torchvision, else a uint8 NumPy array ``(28, 28)``; ``ToTensor``
    accepts both. ``label`` is an int.

    >>> from ember.vision import datasets, transforms
    >>> ds = datasets.MNIST(root=None, train=False, transform=transforms.ToTensor())
    >>> image, label = ds[0]
    >>> len(ds), image.shape, type(label)
    (1000, ember.Size([1, 28, 28]), <class 'int'>)
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]
    timeout = 30.0
    has_bundled_sample = True

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if root is None:
            if not self.has_bundled_sample:
                raise ValueError(f"{type(self).__name__}(root=None): the bundled offline sample "
                                 f"exists only for MNIST; pass a root directory (with "
                                 f"download=True to fetch the files)")
            images, labels = load_mnist_sample(train)
        else:
            if download:
                self.download()
            if not self._check_exists():
                raise RuntimeError(f"Dataset not found in {self.raw_folder}: expected "
                                   f"{', '.join(self._expected_files())} (gzipped or not). "
                                   f"Use download=True to download it"
                                   + (", or root=None for the bundled sample"
                                      if self.has_bundled_sample else ""))
            images, labels = self._load_data()
        self.data = ember.from_numpy(images)
        self.targets = ember.from_numpy(labels)

    @property
    def raw_folder(self):
        if self.root is None:
            return SAMPLE_DIR
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _expected_files(self):
        return [n for n, _ in self.resources]

    def _load_data(self):
        return read_mnist_split(self.raw_folder, self.train)

    def _check_exists(self):
        return all(_find(self.raw_folder, os.path.splitext(name)[0]) is not None
                   for name, _ in self.resources)

    def download(self):
        """Fetch the files that are missing from ``raw_folder``."""
        if self.root is None or self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        hint = (f"Without network, copy the files into {self.raw_folder} by hand"
                + (", or use MNIST(root=None) for the bundled 5,000-image sample."
                   if self.has_bundled_sample else "."))
        for name, md5 in self.resources:
            if _find(self.raw_folder, os.path.splitext(name)[0]) is not None:
                continue
            download_file([mirror + name for mirror in self.mirrors],
                          os.path.join(self.raw_folder, name), md5, timeout=self.timeout,
                          hint=hint)

    def __getitem__(self, index):
        img = self.data._data[index]
        target = int(self.targets._data[index])
        return self._image_item(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grayscale clothing images in 10 classes. Same interface
    as :class:`MNIST` (files in ``root/FashionMNIST/raw/``), but no bundled sample."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    has_bundled_sample = False
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28x28 grayscale cursive Japanese characters in 10 classes. Same
    interface as :class:`MNIST` (files in ``root/KMNIST/raw/``), but no bundled sample."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    has_bundled_sample = False
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]

