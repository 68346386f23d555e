"""InceptionResNetV2 (Szegedy et al. 2016): Inception branches whose 1x1-projected concatenation is added,
scaled, to the block input (``x + scale * up``, then relu): 10 "block35", 20 "block17" and 10 "block8"
blocks between reduction blocks. Keras's names (automatic for the stem and branches, ``block35_1_mixed``,
``block17_3_conv``, ``mixed_6a``, ``conv_7b``...). Inputs in [-1, 1] (tf mode); default 299x299, at least 75x75.

>>> from ember.keras.applications import InceptionResNetV2
>>> InceptionResNetV2(weights=None, include_top=False, input_shape=(75, 75, 3), pooling="max").output_shape
(None, 1536)
"""
from .. import layers
from ..layers.layer import Layer
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for("tf", "InceptionResNetV2")

_HASHES = ("e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4")

# Each block type's branches, as chains of (filters, kernel size).
_BRANCHES = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
    "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]],
}


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """Convolution, then (without a bias) batch norm without scale, then ``activation``."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_app.channel_axis(), scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


class CustomScaleLayer(Layer):
    """``inputs[0] + inputs[1] * scale``: the scaled residual of an Inception-ResNet block."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale})
        return config


def _chain(x, convs):
    for filters, kernel in convs:
        x = conv2d_bn(x, filters, kernel)
    return x


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    if block_type not in _BRANCHES:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", but got: '
                         f"{block_type}")
    branches = [_chain(x, convs) for convs in _BRANCHES[block_type]]
    name = f"{block_type}_{block_idx}"
    axis = _app.channel_axis()
    mixed = layers.Concatenate(axis=axis, name=f"{name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True, name=f"{name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac")(x)
    return x


def _reduce(x, chains, name):
    """Concatenate strided chains (the last convolution of each stride 2, 'valid') with 3x3 max pooling."""
    branches = []
    for convs in chains:
        y = x
        for filters, kernel in convs[:-1]:
            y = conv2d_bn(y, filters, kernel)
        filters, kernel = convs[-1]
        branches.append(conv2d_bn(y, filters, kernel, strides=2, padding="valid"))
    branches.append(layers.MaxPooling2D(3, strides=2, padding="valid")(x))
    return layers.Concatenate(axis=_app.channel_axis(), name=name)(branches)


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                      classes=1000, classifier_activation="softmax", name="inception_resnet_v2"):
    """InceptionResNetV2 (55.9M parameters with the 1000-class top)."""
    _app.check_arguments(name, weights, include_top, classes)
    x, inputs = _app.image_input(input_shape, input_tensor, 299, 75, include_top, weights)
    x = conv2d_bn(x, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    branches = [_chain(x, [(96, 1)]), _chain(x, [(48, 1), (64, 5)]), _chain(x, [(64, 1), (96, 3), (96, 3)])]
    pooled = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branches.append(conv2d_bn(pooled, 64, 1))
    x = layers.Concatenate(axis=_app.channel_axis(), name="mixed_5b")(branches)
    for i in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=i)
    x = _reduce(x, [[(384, 3)], [(256, 1), (256, 3), (384, 3)]], "mixed_6a")
    for i in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=i)
    x = _reduce(x, [[(256, 1), (384, 3)], [(256, 1), (288, 3)], [(256, 1), (288, 3), (320, 3)]], "mixed_7a")
    for i in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=i)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    x = _app.pooled_classifier(x, include_top, pooling, classes, classifier_activation, weights)
    fname = f"inception_resnet_v2_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return _app.build_model(inputs, x, name, weights, f"{_app.KERAS_WEIGHTS_BASE}inception_resnet_v2/{fname}",
                            _HASHES[0 if include_top else 1])
