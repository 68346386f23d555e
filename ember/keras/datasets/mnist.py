"""``keras.datasets.mnist.load_data()``: the MNIST digits as Keras returns them.

Returns ``((x_train, y_train), (x_test, y_test))``: uint8 images ``(N, 28, 28)`` with values
0..255 and uint8 labels ``(N,)``. The full set (60,000 + 10,000 images) is read from
``~/.keras/datasets/<path>`` (``mnist.npz``, Keras's cache) or ``$EMBER_DATA/mnist.npz`` when
present, else downloaded from Keras's URL into that cache. When it is neither present nor
downloadable (offline), the 5,000-image sample bundled with ember is returned
(4,000 train, 1,000 test) and a note says so once on stderr. ``EMBER_OFFLINE=1`` skips the
download attempt.
"""
import os
import sys
import urllib.request

import numpy as np

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_warned = [False]
_download_failed = [False]


def _candidates(path):
    out = []
    if os.environ.get("EMBER_DATA"):
        out.append(os.path.join(os.environ["EMBER_DATA"], os.path.basename(path)))
    out.append(os.path.join(os.path.expanduser("~"), ".keras", "datasets", path))
    return out


def _load_npz(fname):
    with np.load(fname, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _download(target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = target + ".part"
    with urllib.request.urlopen(ORIGIN + "mnist.npz", timeout=20) as response, open(tmp, "wb") as out:
        out.write(response.read())
    os.replace(tmp, target)


def load_data(path="mnist.npz"):
    """The MNIST dataset: ``(x_train, y_train), (x_test, y_test)`` (see the module docstring)."""
    for fname in _candidates(path):
        if os.path.exists(fname):
            return _load_npz(fname)
    if not os.environ.get("EMBER_OFFLINE") and not _download_failed[0]:
        target = _candidates(path)[-1]
        try:
            _download(target)
            return _load_npz(target)
        except (OSError, ValueError, KeyError):
            _download_failed[0] = True
    from ...vision.datasets import load_mnist_sample
    if not _warned[0]:
        _warned[0] = True
        sys.stderr.write("ember.keras.datasets.mnist: the full MNIST is not available (not in ~/.keras/datasets "
                         "and not downloadable); using the 5,000-image sample bundled with ember "
                         "(4,000 train, 1,000 test).\n")
    x_train, y_train = load_mnist_sample(train=True)
    x_test, y_test = load_mnist_sample(train=False)
    return ((x_train.astype(np.uint8), y_train.astype(np.uint8)),
            (x_test.astype(np.uint8), y_test.astype(np.uint8)))
