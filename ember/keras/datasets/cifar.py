"""The CIFAR "python version" batches, read without pickle.

Each batch file (``data_batch_1``, ``test_batch``, ``train``...) is a pickled dict with bytes
keys: ``data`` a uint8 array ``(N, 3072)`` (the red, green and blue 32x32 planes), ``labels``
(CIFAR-10) or ``fine_labels``/``coarse_labels`` (CIFAR-100) lists of ints. It is parsed by
:mod:`ember.io.restricted_pickle`, which builds only plain data and NumPy arrays.
"""
from ...vision.datasets.cifar_python import load_batch  # noqa: F401 (the reader lives with torchvision's CIFAR)


def to_data_format(x):
    from ..backend import image_data_format
    return x.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else x
