"""``keras.utils``: ``to_categorical``, ``Progbar``, ``PyDataset``/``Sequence``, ``set_random_seed``,
``normalize``, ``plot``-free model helpers."""
import numpy as np

from .progbar import Progbar
from .py_dataset import PyDataset, Sequence


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels: ``(N,)`` -> ``(N, num_classes)`` float32."""
    x = np.asarray(x, dtype=np.int64)
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(x.max()) + 1
    out = np.zeros((x.size, num_classes), np.float32)
    out[np.arange(x.size), x] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def set_random_seed(seed):
    """Seed ember's generator, Python's ``random`` and NumPy's global generator (``keras.utils.set_random_seed``)."""
    import random

    import ember
    random.seed(seed)
    np.random.seed(seed)
    ember.manual_seed(seed)


__all__ = ["to_categorical", "normalize", "set_random_seed", "Progbar", "PyDataset", "Sequence"]
