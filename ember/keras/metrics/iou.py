"""Intersection-over-union metrics from an accumulated confusion matrix: ``IoU`` (chosen classes),
``MeanIoU`` (all classes), ``BinaryIoU`` (thresholded scores), ``OneHotIoU``/``OneHotMeanIoU`` (one-hot
targets). For class ``c``: ``IoU_c = tp / (tp + fp + fn)``; the result averages the classes whose
denominator is non-zero.

>>> from ember import keras
>>> m = keras.metrics.MeanIoU(num_classes=2)
>>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
>>> round(float(m.result()), 4)
0.3333
"""
import numpy as np

from .. import backend
from .metric import Metric, tensor_result, to_numpy


class _IoUBase(Metric):
    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        # Keras keeps the confusion matrix as integers unless a dtype is given.
        super().__init__(name=name, dtype=dtype or "int32")
        self.num_classes, self.ignore_class = num_classes, ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_variable(shape=(num_classes, num_classes), initializer="zeros", dtype=self.dtype,
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, self.axis)
        dt = np.dtype(self.dtype)
        y_true, y_pred = y_true.astype(dt).reshape(-1), y_pred.astype(dt).reshape(-1)
        sw = np.ones((), dt) if sample_weight is None else to_numpy(sample_weight).astype(dt).reshape(-1)
        sw = np.broadcast_to(sw, y_true.shape)
        n = self.num_classes
        ok = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            ok &= y_true != self.ignore_class
        t, p = np.where(ok, y_true, 0).astype(np.int64), np.where(ok, y_pred, 0).astype(np.int64)
        cm = np.bincount(t * n + p, weights=np.where(ok, sw, 0).astype(np.float64), minlength=n * n)
        self.total_cm._data[...] += cm.reshape(n, n).astype(dt)
        self.total_cm._bump()

    def _iou(self, ids):
        cm = self.total_cm._data.astype(np.float64)
        tp = np.diag(cm)
        den = (cm.sum(0) + cm.sum(1) - tp)[ids].astype(np.float32)
        tp = tp[ids].astype(np.float32)
        valid = den > 1e-9
        iou = np.where(valid, tp / (den + backend.epsilon()), 0.0)
        return np.float32(np.sum(iou) / (np.sum(valid) + backend.epsilon()))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class IoU(_IoUBase):
    """The mean IoU of the classes ``target_class_ids`` (integer labels and predictions, or one-hot /
    scores with ``sparse_y_true=False`` / ``sparse_y_pred=False``)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is "
                             f"[0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self):
        return tensor_result(self._iou(np.asarray(self.target_class_ids, np.int64)), "float32")

    def get_config(self):
        return {**super().get_config(), "target_class_ids": self.target_class_ids}


class BinaryIoU(IoU):
    """IoU of binary labels against scores thresholded at ``threshold`` (``y_pred >= threshold`` is class
    1), averaged over ``target_class_ids`` (default both classes)."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = (to_numpy(y_pred).astype(np.float32) >= self.threshold).astype(np.dtype(self.dtype))
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    """The IoU averaged over all ``num_classes`` classes."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """``IoU`` for one-hot targets and per-class scores (both reduced by argmax)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot targets and per-class scores."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
