"""Threshold metrics: confusion-matrix counts at thresholds (``TruePositives`` ...), ``Precision``, ``Recall``,
the operating-point metrics (``SensitivityAtSpecificity``, ``PrecisionAtRecall`` ...) and ``AUC``.

A prediction is positive at threshold ``t`` when ``y_pred > t``; a label is positive when it is non-zero.
``top_k`` keeps only each row's ``k`` highest scores; ``class_id`` looks at one column. Evenly spaced
thresholds (``AUC``'s ``num_thresholds``) clip predictions to ``[0, 1]`` first, as Keras does.

>>> from ember import keras
>>> m = keras.metrics.Precision()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> round(float(m.result()), 4)
0.6667
"""
import numpy as np

from .. import backend
from .metric import Metric, divide_no_nan, same_rank, tensor_result, to_numpy

NEG_INF = -1e10


def _thresholds(thresholds, default):
    t = default if thresholds is None else thresholds
    t = list(t) if isinstance(t, (list, tuple, np.ndarray)) else [t]
    if thresholds is not None:
        bad = [v for v in t if v is None or v < 0 or v > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return [float(v) for v in t]


def _evenly(thresholds):
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=backend.epsilon())


def _top_k(x, k):
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(x.shape, bool)
    np.put_along_axis(mask, idx, True, -1)
    return np.where(mask, x, NEG_INF)


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None, multi_label=False,
                     label_weights=None, evenly=False, dtype="float32"):
    """``{tp, fp, tn, fn}`` at each threshold (shape ``(T,)``, or ``(T, labels)`` with ``multi_label``)."""
    y_true = to_numpy(y_true).astype(dtype)
    y_pred = to_numpy(y_pred).astype(dtype)
    y_pred, y_true = same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = to_numpy(sample_weight).astype(dtype)[..., None]
        _, sample_weight = same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                             f"num_classes), found shape: {y_pred.shape}")
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    t = np.asarray(thresholds, dtype)
    if evenly:
        y_pred = np.clip(y_pred, 0.0, 1.0)
    w = np.ones(y_pred.shape, dtype) if sample_weight is None else np.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        w = w * np.broadcast_to(np.asarray(label_weights, dtype), y_pred.shape)
    pos = y_true.astype(bool)
    if multi_label:
        p = y_pred.reshape(y_pred.shape[0], -1)
        pos, w = pos.reshape(p.shape), w.reshape(p.shape)
        above = p[None] > t[:, None, None]                       # (T, N, L)
        tp = np.sum(above * (pos * w)[None], 1)
        fp = np.sum(above * (~pos * w)[None], 1)
        tot_p, tot_n = np.sum(pos * w, 0), np.sum(~pos * w, 0)
    else:
        p, pos, w = y_pred.reshape(-1), pos.reshape(-1), w.reshape(-1)
        above = p[None, :] > t[:, None]                          # (T, N)
        tp = above.astype(dtype) @ (pos * w)
        fp = above.astype(dtype) @ (~pos * w)
        tot_p, tot_n = np.sum(pos * w), np.sum(~pos * w)
    return {"tp": tp, "fp": fp, "tn": tot_n - fp, "fn": tot_p - tp}


class _ConfusionBase(Metric):
    _kinds = ("tp", "fp", "tn", "fn")
    _names = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives", "fn": "false_negatives"}

    def _make_state(self, shape):
        for k in self._kinds:
            setattr(self, self._names[k], self.add_variable(shape=shape, initializer="zeros",
                                                            name=self._names[k]))

    def _accumulate(self, y_true, y_pred, sample_weight, **kw):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, dtype=self.dtype,
                                  evenly=self._thresholds_distributed_evenly, **kw)
        for k in self._kinds:
            v = getattr(self, self._names[k])
            v._data[...] += counts[k]
            v._bump()


class _ConditionCount(_ConfusionBase):
    _kind = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _thresholds(thresholds, 0.5)
        self._thresholds_distributed_evenly = _evenly(self.thresholds)
        self._kinds = (self._kind,)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), initializer="zeros", name="accumulator")
        self._names = {self._kind: "accumulator"}

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(y_true, y_pred, sample_weight)

    def result(self):
        a = self.accumulator._data
        return tensor_result(a[0] if len(self.thresholds) == 1 else a, self.dtype)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """The (weighted) number of positive labels predicted positive, at each of ``thresholds`` (default 0.5)."""
    _kind = "tp"


class FalsePositives(_ConditionCount):
    """The (weighted) number of negative labels predicted positive."""
    _kind = "fp"


class TrueNegatives(_ConditionCount):
    """The (weighted) number of negative labels predicted negative."""
    _kind = "tn"


class FalseNegatives(_ConditionCount):
    """The (weighted) number of positive labels predicted negative."""
    _kind = "fn"


class _PrecisionRecall(_ConfusionBase):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._thresholds_distributed_evenly = _evenly(self.thresholds)
        self._make_state((len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id)

    def _out(self, r):
        return tensor_result(r[0] if len(self.thresholds) == 1 else r, self.dtype)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)`` at each of ``thresholds`` (default 0.5; with ``top_k``, the top ``k`` scores of
    each row are the positive predictions); ``class_id`` restricts to one class."""
    _kinds = ("tp", "fp")

    def result(self):
        tp, fp = self.true_positives._data, self.false_positives._data
        return self._out(divide_no_nan(tp, tp + fp))


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)`` at each of ``thresholds`` (default 0.5), with Precision's ``top_k``/``class_id``."""
    _kinds = ("tp", "fn")

    def result(self):
        tp, fn = self.true_positives._data, self.false_negatives._data
        return self._out(divide_no_nan(tp, tp + fn))


class _AtOperatingPoint(_ConfusionBase):
    """The best of one rate among the thresholds where another rate is at least ``value``."""
    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._value_name}` must be in the range [0, 1]. Received: "
                             f"{self._value_name}={value}")
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        setattr(self, self._value_name, value)
        if num_thresholds == 1:
            self.thresholds, self._thresholds_distributed_evenly = [0.5], False
        else:
            self.thresholds = [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
            self._thresholds_distributed_evenly = True
        self._make_state((len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(y_true, y_pred, sample_weight, class_id=self.class_id)

    def _rates(self):
        tp, fp, tn, fn = (getattr(self, self._names[k])._data for k in self._kinds)
        return {"sensitivity": divide_no_nan(tp, tp + fn), "recall": divide_no_nan(tp, tp + fn),
                "specificity": divide_no_nan(tn, tn + fp), "precision": divide_no_nan(tp, tp + fp)}

    def result(self):
        r = self._rates()
        constrained, dependent = r[self._value_name], r[self._dependent]
        feasible = constrained >= self.value
        return tensor_result(np.max(np.where(feasible, dependent, 0), initial=0), self.dtype)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self._value_name: self.value}


class SensitivityAtSpecificity(_AtOperatingPoint):
    """The best sensitivity (recall) among thresholds whose specificity is at least ``specificity``."""
    _value_name, _dependent = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtOperatingPoint):
    """The best specificity among thresholds whose sensitivity is at least ``sensitivity``."""
    _value_name, _dependent = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtOperatingPoint):
    """The best precision among thresholds whose recall is at least ``recall``."""
    _value_name, _dependent = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtOperatingPoint):
    """The best recall among thresholds whose precision is at least ``precision``."""
    _value_name, _dependent = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class AUC(_ConfusionBase):
    """Area under the ROC, PR or PR-gain curve from the confusion counts at ``num_thresholds`` thresholds
    (``0 - eps``, ``i / (n - 1)``, ``1 + eps``) or at the given ``thresholds``.

    ``summation_method='interpolation'`` is the trapezoidal rule for ROC and Davis & Goadrich's
    interpolation for PR; ``'minoring'``/``'majoring'`` take the lower/upper rectangle. With
    ``multi_label`` each label (column) gets its own curve and the AUCs are averaged (weighted by
    ``label_weights``); otherwise all entries count as one problem, weighted by ``label_weights``.
    ``from_logits`` applies a sigmoid first."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        curve_u = str(curve).upper()
        if curve_u not in ("ROC", "PR", "PRGAIN"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        method = str(summation_method).lower()
        if method not in ("interpolation", "majoring", "minoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                             '["interpolation", "majoring", "minoring"]')
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            evenly = _evenly(np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        eps = backend.epsilon()
        super().__init__(name=name, dtype=dtype)
        self._thresholds_distributed_evenly = evenly
        self._thresholds = np.array([0.0 - eps] + list(thresholds) + [1.0 + eps])
        self.curve, self.summation_method = curve_u, method
        self.multi_label, self.num_labels = multi_label, num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, self.dtype)
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                                 f"Full shape received for `y_pred`: {shape}")
            self._num_labels = shape[1]
            self._make_state((self.num_thresholds, self._num_labels))
        else:
            self._make_state((self.num_thresholds,))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_numpy(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = 1.0 / (1.0 + np.exp(-y_pred))
        counts = confusion_counts(y_true, y_pred, self._thresholds, sample_weight, multi_label=self.multi_label,
                                  label_weights=None if self.multi_label else self.label_weights,
                                  evenly=self._thresholds_distributed_evenly, dtype=self.dtype)
        for k in self._kinds:
            getattr(self, self._names[k])._data[...] += counts[k]

    def _by_label(self, terms):
        if not self.multi_label:
            return np.sum(terms)
        by_label = np.sum(terms, 0)
        if self.label_weights is None:
            return np.mean(by_label)
        return divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights))

    def interpolate_pr_auc(self):
        tp, fp, fn = self.true_positives._data, self.false_positives._data, self.false_negatives._data
        n = self.num_thresholds
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:n - 1] > 0) & (p[1:] > 0), divide_no_nan(p[:n - 1], np.maximum(p[1:], 0)),
                         np.ones_like(p[1:]))
        with np.errstate(divide="ignore", invalid="ignore"):
            inc = divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return self._by_label(inc)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return tensor_result(self.interpolate_pr_auc(), self.dtype)
        tp, fp, tn, fn = (self.true_positives._data, self.false_positives._data, self.true_negatives._data,
                          self.false_negatives._data)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            scale = divide_no_nan(tp + fn, tn + fp)
            rg = np.where(tp == 0, 0.0, 1.0 - scale * divide_no_nan(fn, tp))
            pg = np.where(tp == 0, 1.0, 1.0 - scale * divide_no_nan(fp, tp))
            x, y = np.maximum(rg, 0.0), pg
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:n - 1], y[1:])
        else:
            heights = np.maximum(y[:n - 1], y[1:])
        return tensor_result(self._by_label((x[:n - 1] - x[1:]) * heights), self.dtype)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        lw = self.label_weights
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": None if lw is None else lw.tolist(),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
