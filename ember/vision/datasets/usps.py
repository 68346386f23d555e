"""USPS: 16x16 grayscale handwritten digits scanned from US Postal Service envelopes (7,291 train, 2,007 test).

torchvision's layout: ``root/usps.bz2`` and ``root/usps.t.bz2``, LIBSVM's bzip2'd text files: one line per
image, ``<label 1..10> 1:<v> 2:<v> ... 256:<v>`` with pixel values in [-1, 1]. As torchvision, labels become
``label - 1`` (0..9) and pixels ``uint8((v + 1) / 2 * 255)`` (float32 arithmetic, truncated).
"""
import bz2
import os

import numpy as np

from ember.vision.datasets.download import check_integrity, download_file
from ember.vision.datasets.vision import VisionDataset

__all__ = ["USPS"]


def read_usps(path):
    """``(images uint8 (N, 16, 16), labels list[int])`` from a LIBSVM-format USPS file (bzip2'd)."""
    images, labels = [], []
    with bz2.open(path, "rt", encoding="ascii") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            pixels = np.zeros(256, np.float32)
            for field in fields[1:]:
                index, _, value = field.partition(":")
                if not 1 <= int(index) <= 256:
                    raise ValueError(f"{path}:{number}: pixel index {index} outside 1..256")
                pixels[int(index) - 1] = float(value)
            images.append(pixels)
            labels.append(int(float(fields[0])) - 1)
    data = np.stack(images).reshape(-1, 16, 16) if images else np.zeros((0, 16, 16), np.float32)
    return ((data + np.float32(1)) / np.float32(2) * np.float32(255)).astype(np.uint8), labels


class USPS(VisionDataset):
    """USPS digits.

    Args:
        root (str): directory holding ``usps.bz2`` / ``usps.t.bz2``.
        train (bool): the training file (True) or the test file.
        transform, target_transform (callable, optional): applied to image / label.
        download (bool): fetch the file from ``split_list`` (md5 checked).

    Attributes:
        data (numpy.ndarray): uint8 ``(N, 16, 16)``; targets (list[int]): 0..9.
    """

    split_list = {
        "train": ["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.bz2", "usps.bz2",
                  "ec16c51db3855ca6c91edd34d0e9b197"],
        "test": ["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.t.bz2", "usps.t.bz2",
                 "8ea070ee2aca1ac39742fdd1ef5ed118"],
    }
    timeout = 60.0

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        if root is None:
            raise ValueError("USPS needs a root directory; there is no bundled sample")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        url, filename, md5 = self.split_list["train" if train else "test"]
        path = os.path.join(self.root, filename)
        if download and not check_integrity(path, md5):
            os.makedirs(self.root, exist_ok=True)
            download_file([url], path, md5, timeout=self.timeout,
                          hint=f"Without network, put {filename} in {self.root} by hand.")
        if not os.path.isfile(path):
            raise RuntimeError(f"Dataset not found: expected {path}. Use download=True to download it")
        self.data, self.targets = read_usps(path)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        return self._image_item(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"
