"""``keras.datasets.cifar100``: 50,000 + 10,000 32x32 colour images in 100 classes (20 superclasses).

``load_data(label_mode="fine")`` fetches Keras's ``cifar-100-python.tar.gz`` (sha256 checked)
into ``$KERAS_HOME/datasets/cifar-100-python-target`` and reads ``train`` and ``test`` without
pickle. Images are uint8 ``(N, 32, 32, 3)``; labels ``(N, 1)`` int64 (Keras reshapes the
label list as it is), fine (0..99) or coarse (0..19).
"""
import os

import numpy as np

from . import _common
from .cifar import load_batch, to_data_format

ORIGIN = "https://www.cs.toronto.edu/~kriz/"
HASHES = {"cifar-100-python.tar.gz": "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"}


def load_data(label_mode="fine"):
    """``(x_train, y_train), (x_test, y_test)`` (see the module docstring)."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'cifar100.load_data: `label_mode` must be one of "fine", "coarse". Received: '
                         f"label_mode={label_mode}.")
    path = _common.fetch("cifar-100-python-target", ORIGIN + "cifar-100-python.tar.gz",
                         HASHES["cifar-100-python.tar.gz"], extract=True)
    path = os.path.join(path, "cifar-100-python")
    out = []
    for split in ("train", "test"):
        x, y = load_batch(os.path.join(path, split), label_key=f"{label_mode}_labels")
        out.append((to_data_format(x), np.reshape(y, (len(y), 1))))
    return tuple(out)
