"""InceptionV3 (Szegedy et al. 2015, "Rethinking the Inception Architecture for Computer Vision"): a stem of
3x3 convolutions, then "mixed0".."mixed10" blocks that concatenate parallel branches of factorised
convolutions (1x1, 5x5, 3x3 twice, 1x7 then 7x1, 1x3 beside 3x1) and pooling. Every convolution is followed
by batch norm without scale and relu; as in Keras they carry automatic names (``conv2d``,
``batch_normalization``, ``activation``...), so the layers must be created in Keras's order. Inputs in [-1, 1]
(tf mode); default 299x299, at least 75x75.

>>> from ember.keras.applications import InceptionV3
>>> InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3), pooling="avg").output_shape
(None, 2048)
"""
from .. import layers
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for("tf", "InceptionV3")

_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution (no bias), batch norm (no scale), relu; named ``{name}_conv``/``{name}_bn``/``name``."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=_app.channel_axis(), scale=False,
                                  name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, convs):
    """``conv2d_bn`` applied in turn for each ``(filters, rows, cols[, strides and padding])``."""
    for spec in convs:
        filters, rows, cols = spec[:3]
        kwargs = {"strides": (2, 2), "padding": "valid"} if len(spec) > 3 else {}
        x = conv2d_bn(x, filters, rows, cols, **kwargs)
    return x


def _avg_pool_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _concat(branches, name=None):
    return layers.concatenate(branches, axis=_app.channel_axis(), name=name)


def _block_35(x, pool_filters, name):
    return _concat([_chain(x, [(64, 1, 1)]), _chain(x, [(48, 1, 1), (64, 5, 5)]),
                    _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)]), _avg_pool_branch(x, pool_filters)], name)


def _block_17(x, width, name):
    return _concat([_chain(x, [(192, 1, 1)]), _chain(x, [(width, 1, 1), (width, 1, 7), (192, 7, 1)]),
                    _chain(x, [(width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)]),
                    _avg_pool_branch(x, 192)], name)


def _block_8(x, i):
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = _concat([conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)], f"mixed9_{i}")
    branch3x3dbl = _chain(x, [(448, 1, 1), (384, 3, 3)])
    branch3x3dbl = _concat([conv2d_bn(branch3x3dbl, 384, 1, 3), conv2d_bn(branch3x3dbl, 384, 3, 1)])
    return _concat([branch1x1, branch3x3, branch3x3dbl, _avg_pool_branch(x, 192)], f"mixed{9 + i}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    """InceptionV3 (23.9M parameters with the 1000-class top)."""
    _app.check_arguments(name, weights, include_top, classes)
    x, inputs = _app.image_input(input_shape, input_tensor, 299, 75, include_top, weights)
    x = _chain(x, [(32, 3, 3, "s2")])
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _block_35(x, 32, "mixed0")
    x = _block_35(x, 64, "mixed1")
    x = _block_35(x, 64, "mixed2")
    x = _concat([_chain(x, [(384, 3, 3, "s2")]), _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3, "s2")]),
                 layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed3")
    x = _block_17(x, 128, "mixed4")
    x = _block_17(x, 160, "mixed5")
    x = _block_17(x, 160, "mixed6")
    x = _block_17(x, 192, "mixed7")
    x = _concat([_chain(x, [(192, 1, 1), (320, 3, 3, "s2")]),
                 _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1), (192, 3, 3, "s2")]),
                 layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed8")
    x = _block_8(x, 0)
    x = _block_8(x, 1)
    x = _app.pooled_classifier(x, include_top, pooling, classes, classifier_activation, weights)
    fname = f"inception_v3_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return _app.build_model(inputs, x, name, weights, f"{_app.KERAS_WEIGHTS_BASE}inception_v3/{fname}",
                            _HASHES[0 if include_top else 1])
