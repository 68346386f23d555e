"""keras.applications in ember against Keras 3 (torch backend): for each application at a small input, the
same layers (names, order, weight shapes) and parameter count as Keras's; with Keras's weights copied layer
by layer, the same outputs in inference and the same gradients; preprocess_input in every mode;
decode_predictions and weights="imagenet" through a local HTTP server; Keras-written .h5 weights load by
layer name."""
import os

import keras
import numpy as np
import pytest

import ember
from ember import keras as ek
from ember.keras import applications as ea

# (application, arguments): small inputs and widths keep each pair of models cheap to build and run.
RUN = [
    ("ResNet50", dict(input_shape=(32, 32, 3), classes=10, classifier_activation=None)),
    ("ResNet50V2", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg")),
    ("VGG16", dict(input_shape=(32, 32, 3), include_top=False, pooling="max")),
    ("MobileNet", dict(input_shape=(32, 32, 3), alpha=0.25, classes=10, classifier_activation=None)),
    ("MobileNetV2", dict(input_shape=(33, 33, 3), alpha=0.35, classes=10, classifier_activation=None)),
    ("MobileNetV3Small", dict(input_shape=(32, 32, 3), alpha=0.75, classes=10, classifier_activation=None)),
    ("MobileNetV3Large", dict(input_shape=(32, 32, 3), minimalistic=True, include_top=False, pooling="avg")),
]


def _pair(name, kwargs):
    keras.backend.clear_session()
    ek.backend.clear_session()
    km = getattr(keras.applications, name)(weights=None, **kwargs)
    em = getattr(ea, name)(weights=None, **kwargs)
    return km, em


def _check_structure(km, em):
    assert [layer.name for layer in em.layers] == [layer.name for layer in km.layers]
    for kl, el in zip(km.layers, em.layers):
        assert [tuple(w.shape) for w in el.weights] == [tuple(w.shape) for w in kl.weights], kl.name
    assert em.count_params() == km.count_params()
    assert em.output_shape == km.output_shape


def _copy_weights(km, em):
    for kl, el in zip(km.layers, em.layers):
        if kl.weights:
            el.set_weights(kl.get_weights())


def _images(model, n=2, seed=0):
    shape = tuple(32 if s is None else s for s in model.input_shape[1:])
    return np.random.RandomState(seed).uniform(0, 255, (n,) + shape).astype("float32")


@pytest.mark.parametrize("name,kwargs", RUN, ids=[f"{n}-{i}" for i, (n, _) in enumerate(RUN)])
def test_application_matches_keras(name, kwargs):
    km, em = _pair(name, kwargs)
    _check_structure(km, em)
    _copy_weights(km, em)
    x = _images(km)
    expected = keras.ops.convert_to_numpy(km(x, training=False))
    got = em(ember.tensor(x), training=False).detach().numpy()
    scale = np.abs(expected).max()
    assert scale > 0
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)
