"""``keras.datasets.mnist.load_data()``: the MNIST digits as Keras returns them.

Returns ``((x_train, y_train), (x_test, y_test))``: uint8 images ``(N, 28, 28)`` with values
0..255 and uint8 labels ``(N,)``. The full set (60,000 + 10,000 images) is read from
``$KERAS_HOME/datasets/<path>`` (default ``~/.keras``; ``mnist.npz``, Keras's cache) or
``$EMBER_DATA/mnist.npz`` when present, else downloaded from Keras's URL into that cache (its
sha256 checked; a bad download is not kept). When it is neither present nor
downloadable (offline), the 5,000-image sample bundled with ember is returned
(4,000 train, 1,000 test) and a note says so once on stderr. ``EMBER_OFFLINE=1`` skips the
download attempt.
"""
import os
import sys

from ..utils.file_utils import keras_home
from . import _common

ORIGIN = _common.ORIGIN
HASHES = {"mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"}
_warned = [False]
_download_failed = [False]


def _candidates(path):
    out = []
    if os.environ.get("EMBER_DATA"):
        out.append(os.path.join(os.environ["EMBER_DATA"], os.path.basename(path)))
    out.append(os.path.join(keras_home(), "datasets", path))
    return out


def _load_npz(fname):
    x_train, y_train, x_test, y_test = _common.load_arrays(fname, ("x_train", "y_train", "x_test", "y_test"))
    return (x_train, y_train), (x_test, y_test)


def load_data(path="mnist.npz"):
    """The MNIST dataset: ``(x_train, y_train), (x_test, y_test)`` (see the module docstring)."""
    for fname in _candidates(path):
        if os.path.exists(fname):
            return _load_npz(fname)
    if not os.environ.get("EMBER_OFFLINE") and not _download_failed[0]:
        try:
            return _load_npz(_common.fetch(path, ORIGIN + "mnist.npz", HASHES["mnist.npz"]))
        except Exception as e:  # get_file raises a bare Exception for a failed fetch, as Keras
            if isinstance(e, ValueError) and "hash" in str(e):
                raise
            _download_failed[0] = True
    from ...vision.datasets import load_mnist_sample
    if not _warned[0]:
        _warned[0] = True
        sys.stderr.write("ember.keras.datasets.mnist: the full MNIST is not available (not in ~/.keras/datasets "
                         "and not downloadable); using the 5,000-image sample bundled with ember "
                         "(4,000 train, 1,000 test).\n")
    x_train, y_train = load_mnist_sample(train=True)
    x_test, y_test = load_mnist_sample(train=False)
    return ((x_train.astype("uint8"), y_train.astype("uint8")),
            (x_test.astype("uint8"), y_test.astype("uint8")))
