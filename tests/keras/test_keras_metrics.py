"""Every Keras 3 metric against Keras 3 itself (PyTorch backend): the same batches fed to both through
``update_state`` (with and without sample weights), the result after each batch, then ``reset_state``."""
import numpy as np
import pytest
import torch

import keras

from ember import keras as ek

RNG = np.random.default_rng(1)


def _bin(*s):
    return RNG.integers(0, 2, s).astype(np.float32)


def _unit(*s):
    return RNG.random(s).astype(np.float32)


def _reg(*s):
    return RNG.standard_normal(s).astype(np.float32)


def _probs(*s):
    x = RNG.random(s).astype(np.float32) + 0.05
    return x / x.sum(-1, keepdims=True)


def _onehot(n, k):
    return np.eye(k, dtype=np.float32)[RNG.integers(0, k, n)]


def _labels(n, k):
    return RNG.integers(0, k, n)


def binary():
    return _bin(8, 3), _unit(8, 3)


def binary_flat():
    return _bin(10), _unit(10)


def categorical():
    return _onehot(8, 4), _probs(8, 4)


def sparse():
    return _labels(8, 4), _probs(8, 4)


def regression():
    return _reg(8, 3), _reg(8, 3)


def positive():
    return _unit(8, 3) * 3, _unit(8, 3) * 3 + 0.1


def segmentation():
    return _labels(20, 3), _labels(20, 3)


# (class name, args, kwargs, batch maker)
CASES = [
    ("Accuracy", (), {}, lambda: (_labels(8, 3), _labels(8, 3))),
    ("BinaryAccuracy", (), {}, binary),
    ("BinaryAccuracy", (), {"threshold": 0.7}, binary),
    ("CategoricalAccuracy", (), {}, categorical),
    ("SparseCategoricalAccuracy", (), {}, sparse),
    ("SparseCategoricalAccuracy", (), {}, lambda: (_labels(8, 4)[:, None], _probs(8, 4))),
    ("TopKCategoricalAccuracy", (), {"k": 2}, categorical),
    ("SparseTopKCategoricalAccuracy", (), {"k": 2}, sparse),
    ("SparseTopKCategoricalAccuracy", (), {"k": 2, "from_sorted_ids": True},
     lambda: (_labels(8, 4), np.argsort(-_probs(8, 4), -1)[:, :3])),
    ("MeanSquaredError", (), {}, regression),
    ("MeanAbsoluteError", (), {}, regression),
    ("MeanAbsolutePercentageError", (), {}, regression),
    ("MeanSquaredLogarithmicError", (), {}, positive),
    ("RootMeanSquaredError", (), {}, regression),
    ("CosineSimilarity", (), {}, regression),
    ("CosineSimilarity", (), {"axis": 0}, regression),
    ("LogCoshError", (), {}, regression),
    ("R2Score", (), {}, regression),
    ("R2Score", (), {"class_aggregation": "variance_weighted_average"}, regression),
    ("R2Score", (), {"class_aggregation": None, "num_regressors": 2}, regression),
    ("PearsonCorrelation", (), {}, regression),
    ("ConcordanceCorrelation", (), {}, regression),
    ("KLDivergence", (), {}, lambda: (_probs(8, 4), _probs(8, 4))),
    ("Poisson", (), {}, positive),
    ("BinaryCrossentropy", (), {}, binary),
    ("BinaryCrossentropy", (), {"from_logits": True, "label_smoothing": 0.1}, lambda: (_bin(8, 3), _reg(8, 3))),
    ("CategoricalCrossentropy", (), {}, categorical),
    ("CategoricalCrossentropy", (), {"from_logits": True, "label_smoothing": 0.2}, lambda: (_onehot(8, 4),
                                                                                           _reg(8, 4))),
    ("SparseCategoricalCrossentropy", (), {}, sparse),
    ("SparseCategoricalCrossentropy", (), {"from_logits": True, "ignore_class": 1}, lambda: (_labels(8, 4),
                                                                                            _reg(8, 4))),
    ("Hinge", (), {}, lambda: (_bin(8, 3), _reg(8, 3))),
    ("SquaredHinge", (), {}, lambda: (_bin(8, 3), _reg(8, 3))),
    ("CategoricalHinge", (), {}, lambda: (_onehot(8, 4), _reg(8, 4))),
    ("TruePositives", (), {}, binary),
    ("FalsePositives", (), {"thresholds": [0.2, 0.5, 0.8]}, binary),
    ("TrueNegatives", (), {}, binary),
    ("FalseNegatives", (), {"thresholds": [0.3, 0.6]}, binary),
    ("Precision", (), {}, binary),
    ("Precision", (), {"thresholds": [0.3, 0.5, 0.9]}, binary),
    ("Precision", (), {"top_k": 2}, binary),
    ("Precision", (), {"class_id": 1}, binary),
    ("Precision", (), {"top_k": 1, "class_id": 2}, binary),
    ("Recall", (), {}, binary),
    ("Recall", (), {"thresholds": [0.1, 0.4]}, binary),
    ("Recall", (), {"top_k": 2}, binary),
    ("Recall", (), {"class_id": 0}, binary),
    ("PrecisionAtRecall", (0.6,), {}, binary_flat),
    ("PrecisionAtRecall", (0.8,), {"num_thresholds": 7, "class_id": 1}, binary),
    ("RecallAtPrecision", (0.5,), {}, binary_flat),
    ("SensitivityAtSpecificity", (0.5,), {}, binary_flat),
    ("SensitivityAtSpecificity", (0.7,), {"num_thresholds": 1}, binary_flat),
    ("SpecificityAtSensitivity", (0.5,), {"num_thresholds": 50}, binary_flat),
    ("AUC", (), {}, binary),
    ("AUC", (), {"num_thresholds": 13, "summation_method": "minoring"}, binary),
    ("AUC", (), {"curve": "PR"}, binary),
    ("AUC", (), {"curve": "PR", "summation_method": "majoring"}, binary),
    ("AUC", (), {"curve": "PRGAIN"}, binary),
    ("AUC", (), {"thresholds": [0.15, 0.4, 0.45, 0.9]}, binary),
    ("AUC", (), {"multi_label": True}, binary),
    ("AUC", (), {"multi_label": True, "num_labels": 3, "label_weights": [0.2, 0.5, 0.3]}, binary),
    ("AUC", (), {"label_weights": [0.2, 0.5, 0.3]}, binary),
    ("AUC", (), {"from_logits": True, "curve": "PR"}, lambda: (_bin(8, 3), _reg(8, 3) * 3)),
    ("F1Score", (), {}, binary),
    ("F1Score", (), {"average": "macro", "threshold": 0.5}, binary),
    ("F1Score", (), {"average": "micro", "threshold": 0.4}, binary),
    ("FBetaScore", (), {"average": "weighted", "beta": 2.0}, binary),
    ("FBetaScore", (), {"beta": 0.5, "threshold": 0.6}, binary),
    ("IoU", (3, [0, 2]), {}, segmentation),
    ("IoU", (3, [1]), {"ignore_class": 0}, segmentation),
    ("MeanIoU", (3,), {}, segmentation),
    ("MeanIoU", (4,), {"sparse_y_pred": False}, lambda: (_labels(10, 4), _probs(10, 4))),
    ("BinaryIoU", (), {}, binary_flat),
    ("BinaryIoU", (), {"target_class_ids": [1], "threshold": 0.3}, binary_flat),
    ("OneHotIoU", (4, [0, 3]), {}, lambda: (_onehot(10, 4), _probs(10, 4))),
    ("OneHotMeanIoU", (4,), {}, lambda: (_onehot(10, 4), _probs(10, 4))),
    ("Mean", (), {}, lambda: (_reg(6, 2),)),
    ("Sum", (), {}, lambda: (_reg(6, 2),)),
]

NO_WEIGHTS = {"PearsonCorrelation", "ConcordanceCorrelation"}
WEIGHTED = [c for c in CASES if c[0] not in NO_WEIGHTS and c[2].get("axis") != 0]


def _np(v):
    return np.asarray(v.detach().numpy() if hasattr(v, "detach") else v, np.float64)


def _run(name, args, kwargs, make, weighted):
    km = getattr(keras.metrics, name)(*args, **kwargs)
    em = getattr(ek.metrics, name)(*args, **kwargs)
    for _ in range(3):
        batch = make()
        sw = RNG.random(len(batch[0])).astype(np.float32) if weighted else None
        kargs = [torch.tensor(b) for b in batch]
        if sw is None:
            km.update_state(*kargs)
            em.update_state(*batch)
        else:
            km.update_state(*kargs, sample_weight=torch.tensor(sw))
            em.update_state(*batch, sample_weight=sw)
        np.testing.assert_allclose(_np(em.result()), _np(km.result()), rtol=2e-5, atol=2e-6, err_msg=name)
    assert [v.name for v in em.variables] == [v.name for v in km.variables]
    for ev, kv in zip(em.variables, km.variables):
        np.testing.assert_allclose(_np(ev.numpy()), _np(kv.numpy()), rtol=2e-5, atol=1e-5)
    km.reset_state()
    em.reset_state()
    for v in em.variables:
        assert not v.numpy().any()
    return em, km


@pytest.mark.parametrize("name,args,kwargs,make", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_metric_accumulates_like_keras(name, args, kwargs, make):
    _run(name, args, kwargs, make, weighted=False)


@pytest.mark.parametrize("name,args,kwargs,make", WEIGHTED, ids=[f"{c[0]}-{i}" for i, c in enumerate(WEIGHTED)])
def test_weighted_metric_accumulates_like_keras(name, args, kwargs, make):
    _run(name, args, kwargs, make, weighted=True)


@pytest.mark.parametrize("name,args,kwargs,make", CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_metric_config_matches_keras(name, args, kwargs, make):
    kcfg = getattr(keras.metrics, name)(*args, **kwargs).get_config()
    em = getattr(ek.metrics, name)(*args, **kwargs)
    ecfg = em.get_config()
    for k in ("dtype", "name"):  # names are made unique per session, in each library
        kcfg.pop(k), ecfg.pop(k)
    if "label_weights" in kcfg:
        kl, el = kcfg.pop("label_weights"), ecfg.pop("label_weights")
        assert (kl is None) == (el is None) and (kl is None or np.allclose(_np(kl), el))
    assert {k: (list(v) if isinstance(v, tuple) else v) for k, v in ecfg.items() if k in kcfg} == \
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in kcfg.items()}
    again = ek.metrics.deserialize(ek.metrics.serialize(em))
    assert type(again) is type(em) and again.get_config() == em.get_config()


FUNCTIONS = ["binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
             "sparse_top_k_categorical_accuracy", "pearson_correlation", "concordance_correlation", "hinge",
             "poisson", "log_cosh", "mean_squared_logarithmic_error", "kl_divergence", "huber",
             "binary_focal_crossentropy", "categorical_focal_crossentropy"]


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_metric_function_matches_keras(fn):
    if fn.startswith("sparse"):
        y_true, y_pred = _labels(6, 4), _probs(6, 4)
    else:
        y_true, y_pred = _onehot(6, 4), _probs(6, 4)
    kw = {"k": 2} if "top_k" in fn else {}
    kv = getattr(keras.metrics, fn)(torch.tensor(y_true), torch.tensor(y_pred), **kw)
    ev = getattr(ek.metrics, fn)(y_true, y_pred, **kw)
    np.testing.assert_allclose(_np(ev), _np(kv), rtol=2e-5, atol=2e-6)


def test_custom_metric_subclass_with_add_variable():
    class Total(ek.metrics.Metric):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.total = self.add_variable(shape=(2,), initializer="zeros", name="total")
            self.seen = self.add_weight(name="seen", initializer="ones")

        def update_state(self, x):
            self.total.assign_add(np.asarray(x, np.float32).sum(0))
            self.seen.assign_add(1.0)

        def result(self):
            return self.total.numpy() / self.seen.numpy()

    m = Total(name="t")
    m.update_state([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(m([[1.0, 1.0]]), [5.0 / 3, 7.0 / 3])
    assert [v.path for v in m.variables] == ["t/total", "t/seen"]
    assert all(not v.trainable for v in m.variables)
    m.reset_state()
    assert not m.total.numpy().any() and m.seen.numpy() == 0

    class Broken(ek.metrics.Metric):
        def __init__(self):
            self.x = 1

    with pytest.raises(RuntimeError, match="super"):
        Broken().add_variable((), "zeros")


def test_mean_metric_wrapper_of_any_function_and_get():
    def err(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred))

    km = keras.metrics.MeanMetricWrapper(lambda a, b: keras.ops.abs(a - b), name="err")
    em = ek.metrics.MeanMetricWrapper(err, name="err")
    a, b, sw = _reg(5, 2), _reg(5, 2), _unit(5)
    km.update_state(torch.tensor(a), torch.tensor(b), sample_weight=torch.tensor(sw))
    em.update_state(a, b, sample_weight=sw)
    np.testing.assert_allclose(_np(em.result()), _np(km.result()), rtol=1e-6)
    for ident in ["mse", "mae", "msle", "AUC", "auc", "Precision", "logcosh", "r2_score", "f1_score"]:
        assert isinstance(ek.metrics.get(ident), ek.metrics.Metric), ident
    with pytest.raises(ValueError, match="Could not interpret metric"):
        ek.metrics.get("nope")


def test_argument_errors_match_keras():
    for name, args, kwargs in [("AUC", (), {"curve": "XX"}), ("AUC", (), {"num_thresholds": 1}),
                               ("Precision", (), {"thresholds": [1.5]}), ("PrecisionAtRecall", (1.5,), {}),
                               ("F1Score", (), {"average": "x"}), ("FBetaScore", (), {"beta": 1}),
                               ("R2Score", (), {"class_aggregation": "x"}), ("IoU", (2, [3]), {})]:
        with pytest.raises(ValueError):
            getattr(keras.metrics, name)(*args, **kwargs)
        with pytest.raises(ValueError):
            getattr(ek.metrics, name)(*args, **kwargs)
