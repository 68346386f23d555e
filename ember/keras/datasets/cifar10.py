"""``keras.datasets.cifar10``: 50,000 + 10,000 32x32 colour images in 10 classes.

``load_data`` fetches Keras's ``cifar-10-python.tar.gz`` (sha256 checked) and extracts it into
``$KERAS_HOME/datasets/cifar-10-batches-py-target``, then reads the pickled batches without
pickle (:mod:`~ember.keras.datasets.cifar`). Images are uint8 ``(N, 32, 32, 3)`` (channels
last, or ``(N, 3, 32, 32)`` under ``channels_first``), labels uint8 ``(N, 1)``.
"""
import os

import numpy as np

from . import _common
from .cifar import load_batch, to_data_format

ORIGIN = "https://www.cs.toronto.edu/~kriz/"
HASHES = {"cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"}


def load_data():
    """``(x_train, y_train), (x_test, y_test)`` (see the module docstring)."""
    path = _common.fetch("cifar-10-batches-py-target", ORIGIN + "cifar-10-python.tar.gz",
                         HASHES["cifar-10-python.tar.gz"], extract=True)
    path = os.path.join(path, "cifar-10-batches-py")
    batches = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in batches])
    y_train = np.concatenate([np.asarray(y, dtype=np.uint8) for _, y in batches]).reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_test = np.asarray(y_test).reshape(-1, 1).astype(np.uint8)
    return (to_data_format(x_train), y_train), (to_data_format(x_test), y_test)
