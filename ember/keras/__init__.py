"""``ember.keras``: Keras's API on ember's engine.

A program written for ``tensorflow.keras`` runs with its imports changed::

    from ember import keras
    from ember.keras import layers, models

    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_images, train_labels, epochs=5)

Layers use Keras's names, arguments, defaults (glorot_uniform kernels, zero biases) and
channels-last shapes; every layer and model is an ``ember.nn.Module``, so the two idioms mix
(``model.parameters()`` for an ember optimizer; ``keras.Model.from_module(net)`` to ``fit`` a
PyTorch-style network).
"""
from . import (activations, backend, callbacks, datasets, initializers, layers, losses, metrics, models, ops,
               optimizers, regularizers, saving, utils)
from . import random  # noqa: F401
from . import applications  # noqa: F401
from . import config, constraints, dtype_policies, mixed_precision, preprocessing, quantizers, tree  # noqa: F401
from . import visualization  # noqa: F401
from . import distillation, wrappers  # noqa: F401
from . import _api
from ._api import *  # noqa: F401,F403
from ._api import VERSION as __version__
from .layers import Input, Layer
from .models import Model, Sequential
from .saving import register_keras_serializable
from .variables import Variable

__all__ = ["Input", "Layer", "Model", "Sequential", "activations", "backend", "callbacks", "datasets",
           "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "regularizers", "saving",
           "utils", "register_keras_serializable", "Variable", "random", "config", "constraints", "dtype_policies",
           "mixed_precision", "preprocessing", "quantizers", "tree", *_api.__all__]
