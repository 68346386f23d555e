"""``keras.datasets.boston_housing``: 506 Boston suburbs, 13 features, median home value target.

``load_data`` reads Keras's ``boston_housing.npz`` (``$KERAS_HOME/datasets``, sha256 checked),
shuffles the rows with ``RandomState(seed)`` and keeps the last ``test_split`` for testing.
"""
import numpy as np

from . import _common

ORIGIN = _common.ORIGIN
HASHES = {"boston_housing.npz": "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"}


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: float64 ``(N, 13)`` features and ``(N,)`` prices."""
    _common.check_test_split(test_split, "boston_housing")
    fpath = _common.fetch(path, ORIGIN + "boston_housing.npz", HASHES["boston_housing.npz"])
    x, y = _common.load_arrays(fpath, ("x", "y"))
    x, y = _common.shuffled(np.random.RandomState(seed), x, y)
    return _common.split(x, y, test_split)
