"""``keras.datasets.california_housing``: 20,640 California districts, 8 features, median house value.

``load_data`` reads Keras's ``california_housing.npz`` (``$KERAS_HOME/datasets``, sha256
checked); ``version="small"`` keeps its first 600 rows. The rows are shuffled with
``RandomState(seed)`` and the last ``test_split`` kept for testing.
"""
import numpy as np

from . import _common

ORIGIN = _common.ORIGIN
HASHES = {"california_housing.npz": "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"}


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)`` (see the module docstring)."""
    _common.check_test_split(test_split, "california_housing")
    if version not in ("large", "small"):
        raise ValueError(f"california_housing.load_data: argument `version` must be one of 'small', 'large'. "
                         f"Received: version={version}")
    fpath = _common.fetch(path, ORIGIN + "california_housing.npz", HASHES["california_housing.npz"])
    x, y = _common.load_arrays(fpath, ("x", "y"))
    if version == "small":
        x, y = x[:600], y[:600]
    x, y = _common.shuffled(np.random.RandomState(seed), x, y)
    return _common.split(x, y, test_split)
