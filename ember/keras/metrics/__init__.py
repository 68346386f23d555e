"""Keras's metrics: stateful objects that accumulate over batches (``update_state``, ``result``,
``reset_state``), by name (``metrics=['accuracy']``) or as objects (``keras.metrics.AUC()``).

``'accuracy'`` is resolved as Keras does, from the shapes: one output unit ->
``binary_accuracy``; integer labels of one rank less than the predictions (or a last
dimension of 1) -> ``sparse_categorical_accuracy``; otherwise ``categorical_accuracy``.
Metrics work on NumPy arrays (they are not differentiated).

>>> import numpy as np
>>> from ember import keras
>>> m = keras.metrics.SparseCategoricalAccuracy()
>>> m.update_state(np.array([1, 0]), np.array([[0.1, 0.9], [0.2, 0.8]]))
>>> float(m.result())
0.5
"""
import numpy as np

from . import backend


def _np(x):
    return np.asarray(backend.convert_to_numpy(x))


def _squeeze_to(y_true, y_pred):
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1 and y_pred.shape[-1] != 1:
        return y_true[..., 0]
    return y_true


def accuracy(y_true, y_pred):
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true == y_pred).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return np.mean(y_true == (y_pred > threshold).astype(y_true.dtype), axis=-1).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _np(y_true), _np(y_pred)
    return (np.argmax(y_true, -1) == np.argmax(y_pred, -1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _np(y_true), _np(y_pred)
    y_true = _squeeze_to(y_true, y_pred)
    return (y_true.astype(np.int64) == np.argmax(y_pred, -1)).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return sparse_top_k_categorical_accuracy(np.argmax(_np(y_true), -1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _np(y_true), _np(y_pred)
    y_true = _squeeze_to(y_true, y_pred).astype(np.int64)
    target = np.take_along_axis(y_pred, y_true[..., None], -1)
    # In the top k when fewer than k scores beat the target's (ties count for the target, as in_top_k).
    return (np.sum(y_pred > target, -1) < k).astype(np.float32)


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _np(y_true).astype(np.float64), _np(y_pred).astype(np.float64)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return np.mean((y_true - y_pred) ** 2, -1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _np(y_true).astype(np.float64), _np(y_pred).astype(np.float64)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return np.mean(np.abs(y_true - y_pred), -1)


class Metric:
    """Base class: ``update_state(y_true, y_pred, sample_weight=None)``, ``result()``, ``reset_state()``."""
    # Updated outside training steps: ember.compile does not treat it as captured state.
    _ember_compile_ignore = True

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.reset_state()

    def reset_state(self):
        pass

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state``."""

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        v = _np(values).astype(np.float64)
        if sample_weight is None:
            self.total += float(v.sum())
            self.count += v.size
        else:
            w = _np(sample_weight).astype(np.float64)
            while w.ndim > v.ndim and w.shape[-1] == 1:
                w = w[..., 0]
            while w.ndim < v.ndim:
                w = w[..., None]
            w = np.broadcast_to(w, v.shape)
            self.total += float((v * w).sum())
            self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        v = _np(values).astype(np.float64)
        if sample_weight is not None:
            v = v * _np(sample_weight)
        self.total += float(v.sum())

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name=name or fn.__name__)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


def _wrapper(class_name, fn, default_name, params=()):
    def __init__(self, *args, name=default_name, dtype=None, **kwargs):
        given = dict(zip(params, args))
        given.update(kwargs)
        MeanMetricWrapper.__init__(self, fn, name=name, **given)

    def get_config(self):
        config = {"name": self.name}
        config.update(self._fn_kwargs)
        return config
    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "get_config": get_config,
                                                   "__module__": __name__, "__doc__": fn.__doc__})


Accuracy = _wrapper("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy", ("threshold",))
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _wrapper("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                   "top_k_categorical_accuracy", ("k",))
SparseTopKCategoricalAccuracy = _wrapper("SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
                                         "sparse_top_k_categorical_accuracy", ("k",))
MeanSquaredError = _wrapper("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")


class RootMeanSquaredError(MeanSquaredError):
    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name)

    def result(self):
        return float(np.sqrt(super().result()))


class _Confusion(Metric):
    """True/false positives and negatives at ``thresholds`` (a prediction counts as positive above one)."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self.thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        self._t = np.atleast_1d(np.asarray(0.5 if thresholds is None else thresholds, np.float64))
        super().__init__(name=name)

    def reset_state(self):
        n = len(self._t)
        self.tp, self.fp, self.fn, self.tn = (np.zeros(n) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _np(y_true).astype(np.float64), _np(y_pred).astype(np.float64)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        if y_true.shape != y_pred.shape:
            y_true = y_true.reshape(y_pred.shape)
        truth = (y_true > 0.5).reshape(-1)
        pred = y_pred.reshape(-1)
        w = np.ones_like(pred) if sample_weight is None else np.broadcast_to(
            _np(sample_weight).astype(np.float64).reshape(-1, *([1] * (y_pred.ndim - 1))), y_pred.shape).reshape(-1)
        above = pred[None, :] > self._t[:, None]
        self.tp += (above & truth).astype(np.float64) @ w
        self.fp += (above & ~truth).astype(np.float64) @ w
        self.fn += (~above & truth).astype(np.float64) @ w
        self.tn += (~above & ~truth).astype(np.float64) @ w

    def get_config(self):
        return {"thresholds": self.thresholds, "top_k": self.top_k, "class_id": self.class_id, "name": self.name}


class Precision(_Confusion):
    """``tp / (tp + fp)`` with predictions above ``thresholds`` (default 0.5) counted positive."""

    def result(self):
        r = np.divide(self.tp, self.tp + self.fp, out=np.zeros_like(self.tp), where=(self.tp + self.fp) > 0)
        return float(r[0]) if self.thresholds is None or np.ndim(self.thresholds) == 0 else r


class Recall(_Confusion):
    """``tp / (tp + fn)`` with predictions above ``thresholds`` (default 0.5) counted positive."""

    def result(self):
        r = np.divide(self.tp, self.tp + self.fn, out=np.zeros_like(self.tp), where=(self.tp + self.fn) > 0)
        return float(r[0]) if self.thresholds is None or np.ndim(self.thresholds) == 0 else r


class AUC(_Confusion):
    """Area under the ROC (or PR) curve from ``num_thresholds`` (default 200) evenly spaced thresholds,
    summed with the trapezoidal rule (Keras's ``summation_method='interpolation'`` for ROC)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve.upper(), summation_method
        self.from_logits = from_logits
        if thresholds is None:
            eps = 1e-7
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            thresholds = [0.0 - eps] + inner + [1.0 + eps]
        else:
            thresholds = [0.0 - 1e-7] + list(thresholds) + [1.0 + 1e-7]
        super().__init__(thresholds=thresholds, name=name or "auc")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            y_pred = 1 / (1 + np.exp(-_np(y_pred)))
        super().update_state(y_true, y_pred, sample_weight)

    def result(self):
        tp, fp, fn, tn = self.tp, self.fp, self.fn, self.tn
        if self.curve == "ROC":
            tpr = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
            fpr = np.divide(fp, fp + tn, out=np.zeros_like(fp), where=(fp + tn) > 0)
            x, y = fpr, tpr
        else:
            rec = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
            prec = np.divide(tp, tp + fp, out=np.ones_like(tp), where=(tp + fp) > 0)
            x, y = rec, prec
        if self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        elif self.summation_method == "majoring":
            heights = np.maximum(y[:-1], y[1:])
        else:
            heights = (y[:-1] + y[1:]) / 2
        return float(np.sum((x[:-1] - x[1:]) * heights))

    def get_config(self):
        return {"num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "name": self.name, "from_logits": self.from_logits}


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_FUNCTIONS = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError, "rmse": RootMeanSquaredError,
    "precision": Precision, "recall": Recall, "auc": AUC,
}
_CLASSES = {c.__name__: c for c in (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                                    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
                                    MeanAbsoluteError, RootMeanSquaredError, Precision, Recall, AUC, Mean, Sum)}


def get(identifier):
    """A metric object from a name (not 'accuracy', which needs the shapes: see ``resolve``), class or function."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        cls = _FUNCTIONS.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown metric {identifier!r}; expected 'accuracy' or one of {sorted(_FUNCTIONS)}")
        return cls(name=identifier) if identifier in _FUNCTIONS else cls()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown metric class {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def resolve(identifier, y_true, y_pred):
    """Keras's metric lookup given a batch of targets and predictions (how 'accuracy' is chosen)."""
    if str(identifier).lower() not in ("accuracy", "acc"):
        return get(identifier)
    yt, yp = _np(y_true), _np(y_pred)
    is_binary = yp.shape[-1] == 1 if yp.ndim else False
    is_sparse = yt.ndim < yp.ndim or (yt.ndim and yt.shape[-1] == 1 and yp.shape[-1] > 1)
    if is_binary:
        return BinaryAccuracy(name=str(identifier))
    if is_sparse:
        return SparseCategoricalAccuracy(name=str(identifier))
    return CategoricalAccuracy(name=str(identifier))


def serialize(metric):
    if isinstance(metric, str) or metric is None:
        return metric
    if type(metric).__name__ in _CLASSES:
        return {"module": "keras.metrics", "class_name": type(metric).__name__, "config": metric.get_config()}
    raise ValueError(f"Cannot serialize the metric {metric!r}")
