"""``keras.wrappers``: Keras models as scikit-learn estimators (``SKLearnClassifier``, ``SKLearnRegressor``,
``SKLearnTransformer``), for ``cross_val_score``, ``GridSearchCV``, ``Pipeline`` and the rest.

The classes derive from scikit-learn's ``BaseEstimator`` and mixins, so they are made on first use
(scikit-learn is imported then, not with ``ember.keras``); without it, using them raises ImportError
naming the package to install.
"""
_NAMES = ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer")


def __getattr__(name):
    if name in _NAMES:
        from . import sklearn_wrapper
        return getattr(sklearn_wrapper, name)
    raise AttributeError(f"module 'ember.keras.wrappers' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_NAMES))


__all__ = list(_NAMES)
