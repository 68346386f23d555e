"""Keras's functional forms of the merge layers: ``add([a, b])`` is ``Add()([a, b])``, and so on for
``subtract``, ``multiply``, ``average``, ``maximum``, ``minimum``, ``concatenate`` and ``dot``.

>>> import ember
>>> from ember.keras import layers
>>> layers.maximum([ember.ones(2, 3), ember.zeros(2, 3)]).tolist()
[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
"""
from .merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
