"""``FBetaScore``/``F1Score``, ``R2Score``, the correlation functions and ``RootMeanSquaredError``.

>>> import numpy as np
>>> from ember import keras
>>> m = keras.metrics.R2Score()
>>> m.update_state(np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [2.0], [4.0]]))
>>> round(float(m.result()), 4)
0.5
"""
import warnings

import numpy as np

from .. import backend
from .metric import Mean, Metric, same_rank, tensor_result, to_numpy


class FBetaScore(Metric):
    """``(1 + beta^2) P R / (beta^2 P + R)`` per class from accumulated tp/fp/fn, for ``(batch, classes)``
    targets and scores. ``threshold=None`` marks each row's highest score positive, else scores above
    ``threshold``. ``average``: None (per class), ``'micro'`` (pooled counts), ``'macro'`` (mean over
    classes), ``'weighted'`` (weighted by each class's share of positive labels)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float. Received: beta={beta} "
                             f"of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python float. Received: "
                                 f"threshold={threshold} of type '{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                                 f"Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input "
                             f"shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for n in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            setattr(self, n, self.add_variable(shape=shape, initializer="zeros", dtype=self.dtype, name=n))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        dt = np.dtype(self.dtype)
        y_true, y_pred = to_numpy(y_true).astype(dt), to_numpy(y_pred).astype(dt)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            pred = (y_pred >= y_pred.max(-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            pred = y_pred > self.threshold
        pred = pred.astype(dt)
        sw = None if sample_weight is None else to_numpy(sample_weight).astype(dt)[:, None]

        def wsum(v):
            return np.sum(v if sw is None else v * sw, axis=self.axis)
        self.true_positives._data[...] += wsum(pred * y_true)
        self.false_positives._data[...] += wsum(pred * (1 - y_true))
        self.false_negatives._data[...] += wsum((1 - pred) * y_true)
        self.intermediate_weights._data[...] += wsum(y_true)

    def result(self):
        eps = backend.epsilon()
        tp, fp, fn = self.true_positives._data, self.false_positives._data, self.false_negatives._data
        p = tp / (tp + fp + eps)
        r = tp / (tp + fn + eps)
        f = p * r / ((self.beta ** 2) * p + r + eps) * (1 + self.beta ** 2)
        if self.average == "weighted":
            w = self.intermediate_weights._data
            f = np.sum(f * w / (np.sum(w) + eps))
        elif self.average is not None:
            f = np.mean(f)
        return tensor_result(f, self.dtype)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """``FBetaScore`` with ``beta = 1``: ``2 P R / (P + R)``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(Metric):
    """The coefficient of determination ``1 - SS_res / SS_tot`` per output column of ``(batch, outputs)``
    data, accumulated over batches; ``class_aggregation`` ``'uniform_average'`` (default),
    ``'variance_weighted_average'`` or None; ``num_regressors > 0`` gives the adjusted R^2."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of (None, "
                             f"'uniform_average', 'variance_weighted_average'). Received: "
                             f"class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value >= 0. Received: "
                             f"num_regressors={num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, ts, ps):
        if len(ps) != 2 or len(ts) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                             f"shapes: y_pred.shape={ps} and y_true.shape={ts}.")
        k = ps[-1]
        self.squared_sum = self.add_variable(shape=(k,), initializer="zeros", name="squared_sum")
        self.sum = self.add_variable(shape=(k,), initializer="zeros", name="sum")
        self.total_mse = self.add_variable(shape=(k,), initializer="zeros", name="residual")
        self.count = self.add_variable(shape=(k,), initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        dt = np.dtype(self.dtype)
        y_true, y_pred = same_rank(to_numpy(y_true).astype(dt), to_numpy(y_pred).astype(dt))
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        sw = np.asarray(1 if sample_weight is None else to_numpy(sample_weight), dt)
        if sw.ndim == 1:
            sw = sw[:, None]
        sw = np.broadcast_to(sw, y_true.shape)
        wt = y_true * sw
        self.sum._data[...] += wt.sum(0)
        self.squared_sum._data[...] += (y_true * wt).sum(0)
        self.total_mse._data[...] += ((y_true - y_pred) ** 2 * sw).sum(0)
        self.count._data[...] += sw.sum(0)
        self.num_samples._data[...] += y_true.size

    def result(self):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum._data / self.count._data
            total = self.squared_sum._data - self.sum._data * mean
            raw = 1 - self.total_mse._data / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            r2 = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = np.sum(total * raw) / np.sum(total)
        else:
            r2 = raw
        n, p = float(self.num_samples._data), self.num_regressors
        if p != 0:
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. Falling back "
                              "to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                              stacklevel=2)
            else:
                r2 = 1.0 - (1.0 - r2) * (n - 1.0) / (n - p - 1.0)
        return tensor_result(r2, self.dtype)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_pred - y_true)^2))`` over every element seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        dt = np.dtype(self.dtype)
        y_true, y_pred = same_rank(to_numpy(y_true).astype(dt), to_numpy(y_pred).astype(dt))
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return tensor_result(np.sqrt(super().result()._data), self.dtype)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (the metric: +1 for parallel vectors)."""
    y_pred = to_numpy(y_pred)
    y_true, y_pred = same_rank(to_numpy(y_true).astype(y_pred.dtype), y_pred)

    def norm(x):
        return x * np.minimum(1.0 / np.sqrt(np.sum(x * x, axis, keepdims=True)), 1.0 / backend.epsilon())
    with np.errstate(divide="ignore"):
        return np.sum(norm(y_true) * norm(y_pred), axis)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``."""
    y_pred = to_numpy(y_pred)
    y_true, y_pred = same_rank(to_numpy(y_true).astype(y_pred.dtype), y_pred)
    t = y_true - y_true.mean(axis, keepdims=True)
    p = y_pred - y_pred.mean(axis, keepdims=True)
    t = t / t.std(axis, keepdims=True)
    p = p / p.std(axis, keepdims=True)
    return np.mean(t * p, axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation ``2 cov / (var_t + var_p + (mean_t - mean_p)^2)`` along ``axis``
    (Keras's formula, which centres both on the predictions' mean in the covariance)."""
    y_pred = to_numpy(y_pred)
    y_true, y_pred = same_rank(to_numpy(y_true).astype(y_pred.dtype), y_pred)
    mt, mp = y_true.mean(axis, keepdims=True), y_pred.mean(axis, keepdims=True)
    vt, vp = np.var(y_true - mt, axis, keepdims=True), np.var(y_pred - mp, axis, keepdims=True)
    covar = (y_true - mp) * (y_pred - mp)
    norm = vt + vp + np.square(mt - mp)
    return np.mean(2 * covar / (norm + backend.epsilon()), axis)
