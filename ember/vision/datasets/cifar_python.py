"""The CIFAR "python version" batches (torchvision's default download), read without pickle.

Each batch file (``data_batch_1``, ``test_batch``, ``train``...) is a pickled dict with bytes
keys: ``data`` a uint8 array ``(N, 3072)`` (the red, green and blue 32x32 planes), ``labels``
(CIFAR-10) or ``fine_labels``/``coarse_labels`` (CIFAR-100) lists of ints; the meta files
(``batches.meta``, ``meta``) hold the class names. They are parsed by
:mod:`ember.io.restricted_pickle`, which builds only plain data and NumPy arrays.
"""
import os

import numpy as np

from ember.io.restricted_pickle import RestrictedPickleError, loads

__all__ = ["load_batch", "load_meta"]

MAX_BATCH_BYTES = 1 << 30


def _read_dict(fpath, what):
    size = os.path.getsize(fpath)
    if size > MAX_BATCH_BYTES:
        raise ValueError(f"{fpath}: {size} bytes, above the {MAX_BATCH_BYTES}-byte limit for a CIFAR {what}")
    with open(fpath, "rb") as f:
        raw = f.read()
    try:
        value = loads(raw)
    except RestrictedPickleError as e:
        raise ValueError(f"{fpath} is not a CIFAR {what} of plain data ({e})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{fpath}: expected a dict in a CIFAR {what}, got {type(value).__name__}")
    return {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in value.items()}


def load_batch(fpath, label_key="labels"):
    """``(data uint8 (N, 3, 32, 32), labels list of int)`` from one batch file."""
    batch = _read_dict(fpath, "batch")
    data, labels = batch.get("data"), batch.get(label_key)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        got = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"{fpath}: expected 'data' to be a uint8 array (N, 3072), got {got}")
    if not isinstance(labels, list) or len(labels) != len(data) or not all(type(v) is int for v in labels):
        raise ValueError(f"{fpath}: expected '{label_key}' to be a list of {len(data)} ints")
    return data.reshape(data.shape[0], 3, 32, 32), labels


def load_meta(fpath, key):
    """The class names under ``key`` (``label_names``, ``fine_label_names`` ...) of a meta file."""
    names = _read_dict(fpath, "meta file").get(key)
    if not isinstance(names, list) or not all(isinstance(n, (str, bytes)) for n in names):
        raise ValueError(f"{fpath}: expected '{key}' to be a list of names")
    return [n.decode("latin1") if isinstance(n, bytes) else n for n in names]
