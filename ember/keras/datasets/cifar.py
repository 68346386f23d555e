"""The CIFAR "python version" batches, read without pickle.

Each batch file (``data_batch_1``, ``test_batch``, ``train``...) is a pickled dict with bytes
keys: ``data`` a uint8 array ``(N, 3072)`` (the red, green and blue 32x32 planes), ``labels``
(CIFAR-10) or ``fine_labels``/``coarse_labels`` (CIFAR-100) lists of ints. It is parsed by
:mod:`ember.io.restricted_pickle`, which builds only plain data and NumPy arrays.
"""
import os

import numpy as np

from ...io.restricted_pickle import RestrictedPickleError, loads

MAX_BATCH_BYTES = 1 << 30


def load_batch(fpath, label_key="labels"):
    """``(data uint8 (N, 3, 32, 32), labels list of int)`` from one batch file."""
    size = os.path.getsize(fpath)
    if size > MAX_BATCH_BYTES:
        raise ValueError(f"{fpath}: {size} bytes, above the {MAX_BATCH_BYTES}-byte limit for a CIFAR batch")
    with open(fpath, "rb") as f:
        raw = f.read()
    try:
        batch = loads(raw)
    except RestrictedPickleError as e:
        raise ValueError(f"{fpath} is not a CIFAR batch of plain data ({e})") from None
    if not isinstance(batch, dict):
        raise ValueError(f"{fpath}: expected a dict in a CIFAR batch, got {type(batch).__name__}")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data, labels = batch.get("data"), batch.get(label_key)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        got = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"{fpath}: expected 'data' to be a uint8 array (N, 3072), got {got}")
    if not isinstance(labels, list) or len(labels) != len(data) or not all(type(v) is int for v in labels):
        raise ValueError(f"{fpath}: expected '{label_key}' to be a list of {len(data)} ints")
    return data.reshape(data.shape[0], 3, 32, 32), labels


def to_data_format(x):
    from ..backend import image_data_format
    return x.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else x
