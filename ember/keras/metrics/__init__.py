"""Keras's metrics: stateful objects that accumulate over batches (``update_state``, ``result``,
``reset_state``, state in ``variables``), by name (``metrics=['accuracy', 'mae']``) or as objects
(``keras.metrics.AUC()``), and the per-sample metric functions.

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

from .. import losses as _losses
from .accuracy import (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                       top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)
from .confusion import (AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
                        RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives,
                        TruePositives)
from .iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .metric import Mean, MeanMetricWrapper, Metric, Sum, to_numpy, wrapper_class
from .scores import (F1Score, FBetaScore, R2Score, RootMeanSquaredError, concordance_correlation,
                     cosine_similarity, pearson_correlation)

# The loss functions are also Keras's metric functions.
from ..losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
                      categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
                      mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                      mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)

Accuracy = wrapper_class("Accuracy", accuracy, "accuracy")
BinaryAccuracy = wrapper_class("BinaryAccuracy", binary_accuracy, "binary_accuracy", ("threshold",))
CategoricalAccuracy = wrapper_class("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = wrapper_class("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                          "sparse_categorical_accuracy")
TopKCategoricalAccuracy = wrapper_class("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                        "top_k_categorical_accuracy", lead=("k",))
SparseTopKCategoricalAccuracy = wrapper_class("SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
                                              "sparse_top_k_categorical_accuracy", ("from_sorted_ids",),
                                              lead=("k",))
MeanSquaredError = wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = wrapper_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = wrapper_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                            "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = wrapper_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                            "mean_squared_logarithmic_error")
CosineSimilarity = wrapper_class("CosineSimilarity", cosine_similarity, "cosine_similarity", ("axis",))
LogCoshError = wrapper_class("LogCoshError", log_cosh, "logcosh")
KLDivergence = wrapper_class("KLDivergence", kl_divergence, "kl_divergence")
Poisson = wrapper_class("Poisson", poisson, "poisson")
BinaryCrossentropy = wrapper_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                   ("from_logits", "label_smoothing"), label_smoothing=0)
CategoricalCrossentropy = wrapper_class("CategoricalCrossentropy", categorical_crossentropy,
                                        "categorical_crossentropy", ("from_logits", "label_smoothing", "axis"),
                                        label_smoothing=0)
SparseCategoricalCrossentropy = wrapper_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                              "sparse_categorical_crossentropy",
                                              ("from_logits", "ignore_class", "axis"))
Hinge = wrapper_class("Hinge", hinge, "hinge")
SquaredHinge = wrapper_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
PearsonCorrelation = wrapper_class("PearsonCorrelation", pearson_correlation, "pearson_correlation", ("axis",))
ConcordanceCorrelation = wrapper_class("ConcordanceCorrelation", concordance_correlation, "concordance_correlation",
                                       ("axis",))

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
logcosh = log_cosh

_CLASS_LIST = (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
               SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
               MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, KLDivergence, Poisson,
               BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
               CategoricalHinge, PearsonCorrelation, ConcordanceCorrelation, RootMeanSquaredError, R2Score,
               F1Score, FBetaScore, AUC, Precision, Recall, TruePositives, TrueNegatives, FalsePositives,
               FalseNegatives, PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
               SpecificityAtSensitivity, IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU, Mean, Sum,
               MeanMetricWrapper, Metric)
_CLASSES = {c.__name__: c for c in _CLASS_LIST}
_FUNCTIONS = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "root_mean_squared_error": RootMeanSquaredError, "rmse": RootMeanSquaredError,
    "cosine_similarity": CosineSimilarity, "log_cosh": LogCoshError, "logcosh": LogCoshError,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "poisson": Poisson,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "hinge": Hinge, "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge,
    "pearson_correlation": PearsonCorrelation, "concordance_correlation": ConcordanceCorrelation,
    "precision": Precision, "recall": Recall, "auc": AUC, "r2_score": R2Score, "f1_score": F1Score,
}
_FN_OBJECTS = {"accuracy": accuracy, "binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
               "sparse_categorical_accuracy": sparse_categorical_accuracy,
               "top_k_categorical_accuracy": top_k_categorical_accuracy,
               "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
               "pearson_correlation": pearson_correlation, "concordance_correlation": concordance_correlation}


def get(identifier):
    """A metric object from a name (not 'accuracy', which needs the shapes: see ``resolve``), a config dict,
    a ``Metric`` class or instance, or a function ``fn(y_true, y_pred)`` (wrapped in ``MeanMetricWrapper``)."""
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        cls = _FUNCTIONS.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None or cls in (Metric, MeanMetricWrapper):
            raise ValueError(f"Could not interpret metric identifier: {identifier!r}; expected 'accuracy' or one "
                             f"of {sorted(set(_FUNCTIONS) | set(_CLASSES))}")
        if identifier.lower() not in _FUNCTIONS:
            return cls()
        # Keras wraps the function (its variables are 'mean_absolute_error/total'), then names the metric as
        # the string was written ('mae'), which is its key in the logs.
        metric = cls()
        metric.name = identifier
        return metric
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        for name, cls in _FUNCTIONS.items():
            if getattr(cls, "__init__", None) and _FN_OBJECTS.get(name) is identifier:
                return cls()
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def resolve(identifier, y_true, y_pred):
    """Keras's metric lookup given a batch of targets and predictions (how 'accuracy' is chosen)."""
    if str(identifier).lower() not in ("accuracy", "acc"):
        return get(identifier)
    yt, yp = to_numpy(y_true), to_numpy(y_pred)
    is_binary = yp.shape[-1] == 1 if yp.ndim else False
    is_sparse = yt.ndim < yp.ndim or (yt.ndim and yt.shape[-1] == 1 and yp.shape[-1] > 1)
    if is_binary:
        return BinaryAccuracy(name=str(identifier))
    if is_sparse:
        return SparseCategoricalAccuracy(name=str(identifier))
    return CategoricalAccuracy(name=str(identifier))


def serialize(metric):
    """Keras's config of a metric: ``{'module': 'keras.metrics', 'class_name', 'config', 'registered_name'}``."""
    if isinstance(metric, str) or metric is None:
        return metric
    if isinstance(metric, Metric) and type(metric).__name__ in _CLASSES:
        return {"module": "keras.metrics", "class_name": type(metric).__name__, "config": metric.get_config(),
                "registered_name": None}
    if callable(metric) and getattr(metric, "__name__", None) in (set(_FN_OBJECTS) | set(_losses._BY_NAME)):
        return {"module": "builtins", "class_name": "function", "config": metric.__name__,
                "registered_name": "function"}
    from ..saving.serialization_lib import serialize_custom
    return serialize_custom(metric)    # a custom Metric subclass or function, as Keras writes it


def deserialize(config, custom_objects=None):
    """The metric a ``serialize`` config (or a name) describes."""
    if isinstance(config, str):
        return get(config)
    if isinstance(config, dict):
        # as Keras: a custom (registered, scoped or given) class or function first, then the built-ins
        from ..saving.serialization_lib import deserialize_custom
        builtin = _builtin_function if config.get("class_name") == "function" else _CLASSES.get
        return deserialize_custom(config, builtin, custom_objects)
    raise ValueError(f"Could not interpret metric config: {config!r}")


def _builtin_function(name):
    fn = globals().get(name)
    if callable(fn) and not isinstance(fn, type):
        return fn
    try:
        return get(name)
    except ValueError:
        return None
