"""SVHN: Street View House Numbers, 32x32 colour digit crops, from the MATLAB ``.mat`` files.

torchvision's layout: ``root/train_32x32.mat``, ``test_32x32.mat``, ``extra_32x32.mat`` (no
subfolder), each with ``X`` uint8 ``(32, 32, 3, N)`` and ``y`` ``(N, 1)`` in 1..10, where 10 is
the digit 0. Reading MATLAB files needs SciPy (``scipy.io.loadmat``), imported only here.
"""
import os

import numpy as np

from ember.vision.datasets.download import check_integrity, download_file
from ember.vision.datasets.vision import VisionDataset

__all__ = ["SVHN"]

SCIPY_HINT = 'pip install "ember[scipy]" (or pip install scipy)'


def _loadmat(path, what="ember.vision.datasets.SVHN"):
    try:
        import scipy.io
    except ImportError:
        raise ImportError(f"{what} reads MATLAB .mat files with SciPy, which is not installed; "
                          f"install it with {SCIPY_HINT}") from None
    return scipy.io.loadmat(path)


class SVHN(VisionDataset):
    """The Street View House Numbers digits.

    Args:
        root (str): directory holding the ``.mat`` files (or to download into).
        split (str): ``'train'`` (73,257), ``'test'`` (26,032) or ``'extra'`` (531,131).
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch the split's file from ``split_list`` (md5 checked).

    Attributes:
        data (numpy.ndarray): uint8 ``(N, 3, 32, 32)``, as torchvision.
        labels (numpy.ndarray): int64 ``(N,)``, digits 0..9.

    ``ds[i]`` is ``(image, label)``: a PIL RGB image (a uint8 ``(32, 32, 3)`` array without
    Pillow) and an int.
    """

    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                  "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                 "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                  "a93ce644f1a588dc4d68dda5feec44a7"],
    }
    timeout = 120.0

    def __init__(self, root, split="train", transform=None, target_transform=None, download=False):
        if split not in self.split_list:
            raise ValueError(f"SVHN: unknown split {split!r}; expected one of {', '.join(self.split_list)}")
        if root is None:
            raise ValueError("SVHN needs a root directory; there is no bundled sample")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = split
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        path = os.path.join(self.root, self.filename)
        if not os.path.isfile(path):
            raise RuntimeError(f"Dataset not found: expected {path}. Use download=True to download it")
        mat = _loadmat(path)
        if "X" not in mat or "y" not in mat:
            raise ValueError(f"SVHN: {path} has no 'X' and 'y' variables (found {sorted(k for k in mat if not k.startswith('__'))})")
        labels = mat["y"].astype(np.int64).squeeze(-1) if mat["y"].ndim == 2 else mat["y"].astype(np.int64)
        np.place(labels, labels == 10, 0)  # the files label the digit 0 as 10
        self.data = np.ascontiguousarray(np.transpose(mat["X"], (3, 2, 0, 1)))
        self.labels = labels

    def _check_integrity(self):
        return check_integrity(os.path.join(self.root, self.filename), self.file_md5)

    def download(self):
        """Fetch the split's ``.mat`` file unless it is there with the right md5."""
        if self._check_integrity():
            return
        os.makedirs(self.root, exist_ok=True)
        download_file([self.url], os.path.join(self.root, self.filename), self.file_md5, timeout=self.timeout,
                      hint=f"Without network, put {self.filename} in {self.root} by hand.")

    def __getitem__(self, index):
        img, target = np.transpose(self.data[index], (1, 2, 0)), int(self.labels[index])
        return self._image_item(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {self.split}"
