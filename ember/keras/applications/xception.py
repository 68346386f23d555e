"""Xception (Chollet 2016, "Deep Learning with Depthwise Separable Convolutions"): an entry flow of strided
separable-convolution blocks with 1x1 strided residual convolutions, a middle flow of eight residual blocks of
three 728-channel separable convolutions, and an exit flow; Keras's layer names (``block1_conv1``,
``block2_sepconv1``, ... ``block14_sepconv2_act``, ``predictions``). Inputs in [-1, 1] (tf mode); default
299x299, at least 71x71.

>>> from ember.keras.applications import Xception
>>> Xception(weights=None, include_top=False, input_shape=(71, 71, 3), pooling="avg").output_shape
(None, 2048)
"""
from .. import layers
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for("tf", "Xception")

_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def _sep_bn(x, filters, name, relu_first=True, relu_name=None):
    """(relu,) 3x3 separable convolution, batch norm."""
    if relu_first:
        x = layers.Activation("relu", name=relu_name or f"{name}_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=_app.channel_axis(), name=f"{name}_bn")(x)


def _strided_block(x, filters, block, first_relu=True):
    """Two separable convolutions then 3x3 stride-2 max pooling, plus a 1x1 stride-2 residual convolution;
    ``filters`` is one number or the two convolutions' widths."""
    f1, f2 = (filters, filters) if isinstance(filters, int) else filters
    residual = layers.Conv2D(f2, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = layers.BatchNormalization(axis=_app.channel_axis())(residual)
    x = _sep_bn(x, f1, f"block{block}_sepconv1", relu_first=first_relu)
    x = _sep_bn(x, f2, f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="xception"):
    """Xception (22.9M parameters with the 1000-class top)."""
    _app.check_arguments(name, weights, include_top, classes)
    x, inputs = _app.image_input(input_shape, input_tensor, 299, 71, include_top, weights)
    axis = _app.channel_axis()
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _strided_block(x, 128, 2, first_relu=False)
    x = _strided_block(x, 256, 3)
    x = _strided_block(x, 728, 4)
    for i in range(8):
        residual = x
        for j in (1, 2, 3):
            x = _sep_bn(x, 728, f"block{i + 5}_sepconv{j}")
        x = layers.add([x, residual])
    x = _strided_block(x, (728, 1024), 13)
    for j, filters in ((1, 1536), (2, 2048)):
        x = _sep_bn(x, filters, f"block14_sepconv{j}", relu_first=False)
        x = layers.Activation("relu", name=f"block14_sepconv{j}_act")(x)
    x = _app.pooled_classifier(x, include_top, pooling, classes, classifier_activation, weights)
    fname = f"xception_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return _app.build_model(inputs, x, name, weights, f"{_app.KERAS_WEIGHTS_BASE}xception/{fname}",
                            _HASHES[0 if include_top else 1])
