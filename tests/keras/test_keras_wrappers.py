"""``keras.wrappers`` (scikit-learn estimators around Keras models) against Keras 3 (torch backend): the
same model-building function (weights from a fixed NumPy generator, no shuffling) inside scikit-learn's
``cross_val_score``, ``Pipeline`` and ``GridSearchCV`` gives the same scores and predictions."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

sklearn = pytest.importorskip("sklearn", reason="keras.wrappers needs scikit-learn (in ember's test extra)")
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from ember import keras as ek  # noqa: E402

FIT = {"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0}


def _data(n=40, d=5, classes=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype("float32")
    if classes is None:
        return X, (X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)).astype("float32")
    labels = np.array(["ant", "bee", "cat", "dog"][:classes])
    return X, labels[np.argmax(X[:, :classes] + 0.3 * rng.standard_normal((n, classes)), axis=1)]


def _builder(K, kind):
    def build(X, y, hidden=6, lr=0.05):
        out = {"classifier": (y.shape[1], "softmax", "categorical_crossentropy"), "regressor": (1, None, "mse"),
               "transformer": (y.shape[1], "tanh", "mse")}[kind]
        model = K.Sequential([K.Input(X.shape[1:]), K.layers.Dense(hidden, activation="tanh"),
                              K.layers.Dense(out[0], activation=out[1])])
        rng = np.random.default_rng(7)
        model.set_weights([(rng.standard_normal(tuple(w.shape)) * 0.4).astype("float32")
                           for w in model.get_weights()])
        model.compile(optimizer=K.optimizers.SGD(lr), loss=out[2])
        return model
    return build


def _classifier(K, **kw):
    return K.wrappers.SKLearnClassifier(_builder(K, "classifier"), fit_kwargs=dict(FIT), **kw)


def _regressor(K, **kw):
    return K.wrappers.SKLearnRegressor(_builder(K, "regressor"), fit_kwargs=dict(FIT), **kw)


def test_cross_val_score_equals_keras():
    X, y = _data(classes=3)
    kfold = KFold(4)
    np.testing.assert_allclose(cross_val_score(_classifier(ek), X, y, cv=kfold),
                               cross_val_score(_classifier(keras), X, y, cv=kfold), atol=1e-12)
    X, y = _data()
    np.testing.assert_allclose(cross_val_score(_regressor(ek), X, y, cv=kfold),
                               cross_val_score(_regressor(keras), X, y, cv=kfold), rtol=1e-4)


def test_classifier_labels_decision_function_and_pipeline_like_keras():
    X, y = _data(classes=4, seed=1)
    ours = make_pipeline(StandardScaler(), _classifier(ek)).fit(X, y)
    theirs = make_pipeline(StandardScaler(), _classifier(keras)).fit(X, y)
    assert list(ours.classes_) == list(theirs.classes_) == ["ant", "bee", "cat", "dog"]
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), rtol=1e-4, atol=1e-6)
    assert ours.score(X, y) == theirs.score(X, y)
    est = ours[-1]
    assert est.n_features_in_ == 5 and est.history_.history.keys() == theirs[-1].history_.history.keys()
    np.testing.assert_allclose(est.history_.history["loss"], theirs[-1].history_.history["loss"], rtol=1e-4)


def test_regressor_grid_search_and_transformer_in_pipeline_like_keras():
    X, y = _data(seed=2)
    grid = {"model_kwargs": [{"hidden": 3}, {"hidden": 8, "lr": 0.1}]}
    # refit=False: the refit would use a clone, which (in Keras) drops fit_kwargs and so shuffles.
    ours = GridSearchCV(_regressor(ek), grid, cv=KFold(2), refit=False).fit(X, y)
    theirs = GridSearchCV(_regressor(keras), grid, cv=KFold(2), refit=False).fit(X, y)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"],
                               rtol=1e-4)
    assert ours.best_params_ == theirs.best_params_
    ours, theirs = _regressor(ek).fit(X, y), _regressor(keras).fit(X, y)
    np.testing.assert_allclose(ours.predict(X[:5]), theirs.predict(X[:5]), rtol=1e-4, atol=1e-6)
    assert ours.predict(X[:5]).shape == (5,) and ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-4)
    # A transformer trained on the targets (a learned feature) feeding a scaler and a logistic regression.
    Xc, yc = _data(classes=2, seed=3)
    yc = (yc == "bee").astype("float32")
    pipes = [make_pipeline(K.wrappers.SKLearnTransformer(_builder(K, "transformer"), fit_kwargs=dict(FIT)),
                           StandardScaler(), LogisticRegression()) for K in (ek, keras)]
    for pipe in pipes:
        pipe.fit(Xc, yc)
    np.testing.assert_allclose(pipes[0][0].transform(Xc), pipes[1][0].transform(Xc), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(pipes[0].predict(Xc), pipes[1].predict(Xc))


def test_model_objects_clone_params_and_errors_like_keras():
    X, y = _data(classes=2)
    for K in (ek, keras):
        model = K.Sequential([K.Input((5,)), K.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        est = K.wrappers.SKLearnClassifier(model, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
        assert est.model_ is not model and set(est.predict(X)) <= {"ant", "bee"}
        copied = clone(est)
        assert copied.model is model and copied.get_params()["fit_kwargs"] is None
        assert set(est.get_params()) == {"model", "warm_start", "model_kwargs", "fit_kwargs"}
        with pytest.raises(ValueError, match="Only binary and multiclass"):
            _classifier(K).fit(X, np.linspace(0, 1, len(X)))
        with pytest.raises(ValueError, match="only one class"):
            _classifier(K).fit(X, np.array(["ant"] * len(X)))
        uncompiled = K.Sequential([K.Input((5,)), K.layers.Dense(1)])
        with pytest.raises(RuntimeError, match="needs to be compiled"):
            K.wrappers.SKLearnRegressor(lambda X, y: uncompiled).fit(X, np.zeros(len(X)))
        with pytest.raises(sklearn.exceptions.NotFittedError):
            _regressor(K).predict(X)
