"""scikit-learn estimators around a Keras model, as ``keras.wrappers`` in Keras 3.

``model`` is either a compiled ``keras.Model`` (cloned, with fresh weights, on every ``fit``) or a callable
``model(X=X, y=y, **model_kwargs)`` returning a compiled model (built on every ``fit``, so it can read the
input and target shapes). ``fit(X, y, **kwargs)`` validates the data as scikit-learn does, reshapes a 1-D
target to a column (the classifier one-hot encodes the labels first) and calls ``model.fit`` with
``fit_kwargs`` updated by ``kwargs``; ``history_`` keeps the history's dict and ``model_`` the model.
``predict`` maps outputs back: the classifier to labels (the largest score's class), the regressor to a
1-D array when ``y`` was one; ``SKLearnTransformer.transform`` returns the model's outputs.

>>> import numpy as np
>>> from ember import keras
>>> def build(X, y):
...     model = keras.Sequential([keras.Input(X.shape[1:]), keras.layers.Dense(y.shape[1])])
...     model.compile(optimizer="sgd", loss="mse")
...     return model
>>> X, y = np.ones((6, 3), "float32"), np.arange(6.0)
>>> reg = keras.wrappers.SKLearnRegressor(build, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
>>> reg.model_.predict(X, verbose=0).shape, reg.n_features_in_
((6, 1), 3)
"""
import copy

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError as e:  # the wrappers need scikit-learn; ember.keras itself does not
    raise ImportError('keras.wrappers needs scikit-learn: pip install "ember[test]" or pip install scikit-learn') \
        from e

from ..models import Model, clone_model


def _validate(estimator, *args, **kwargs):
    from sklearn.utils.validation import validate_data
    return validate_data(estimator, *args, **kwargs)


def _type_of_target(y):
    from sklearn.utils.multiclass import type_of_target
    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return kind


def _check_model(model):
    if not getattr(model, "compiled", False) or not getattr(model, "loss", None) or \
            not getattr(model, "optimizer", None):
        raise RuntimeError("Given model needs to be compiled, and have a loss and an optimizer.")


class TargetReshaper(TransformerMixin, BaseEstimator):
    """A 1-D target as a column for the model, and the model's column back to 1-D."""

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return np.squeeze(y, axis=1) if self.ndim_ == 1 and y.ndim == 2 else y


class SKLBase(BaseEstimator):
    """The shared estimator: ``model``, ``warm_start``, ``model_kwargs``, ``fit_kwargs`` (scikit-learn
    parameters, so ``get_params``/``set_params``/``clone`` work)."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        # As Keras: anything callable (a building function, and so also a model) is shared, other objects
        # deep-copied; fit_kwargs are not carried over. fit clones a model object anyway.
        model = self.model if callable(self.model) else copy.deepcopy(self.model)
        return type(self)(model=model, warm_start=self.warm_start, model_kwargs=self.model_kwargs)

    @property
    def epoch_(self):
        return getattr(self, "history_", {}).get("epoch", 0)

    def _get_model(self, X, y):
        if isinstance(self.model, Model):
            return clone_model(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        X, y = _validate(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_model(model)
        fit_kwargs = self.fit_kwargs or {}
        fit_kwargs.update(kwargs)
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X))

    def _process_target(self, y, reset=False):
        _type_of_target(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A classifier: binary or multiclass labels, one-hot encoded for the model (which outputs one score per
    class, e.g. a softmax with ``categorical_crossentropy``); ``classes_`` the sorted labels;
    ``decision_function`` the raw outputs."""

    def decision_function(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return self.model_.predict(_validate(self, X, reset=False))

    def _process_target(self, y, reset=False):
        kind = _type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {kind}")
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder
            self._target_encoder = make_pipeline(TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A regressor: ``score`` is scikit-learn's R^2 of ``predict``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A transformer: ``transform(X)`` is the model's output (e.g. an encoder trained as an autoencoder with
    ``fit(X, X)``), for use inside a ``Pipeline``."""

    def transform(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return self.model_.predict(_validate(self, X, reset=False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags


__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
