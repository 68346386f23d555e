"""DenseNet121/169/201 (Huang et al. 2016, "Densely Connected Convolutional Networks"): dense blocks in which
each layer (batch norm, relu, 1x1 conv to 128, batch norm, relu, 3x3 conv to 32) concatenates its output to
its input, transitions halving the channels (1x1 conv) and the sides (2x2 average pooling). Keras's layer
names (``conv1_conv``, ``conv2_block1_0_bn``, ``pool2_conv``, ... ``bn``, ``predictions``). Inputs through
:func:`preprocess_input` (torch mode).

>>> from ember.keras.applications import DenseNet121
>>> DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
(None, 1024)
"""
from .. import backend, layers
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for("torch", "DenseNet")

_WEIGHTS = {  # blocks: (name, hash with top, hash without)
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}


def _bn(name):
    return layers.BatchNormalization(axis=_app.channel_axis(), epsilon=1.001e-5, name=name)


def dense_block(x, blocks, name):
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    x = _bn(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[_app.channel_axis()] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    x1 = _bn(f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _bn(f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=_app.channel_axis(), name=f"{name}_concat")([x, x1])


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="densenet"):
    """A DenseNet with ``blocks[i]`` layers in dense block ``i + 1``; channels-last only, as in Keras."""
    if backend.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` (keras.backend.set_image_data_format).")
    _app.check_arguments(name, weights, include_top, classes)
    x, inputs = _app.image_input(input_shape, input_tensor, 224, 32, include_top, weights)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(x)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn("conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{i + 2}")
        if i < len(blocks) - 1:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = _bn("bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = _app.pooled_classifier(x, include_top, pooling, classes, classifier_activation, weights, named_pools=True)
    origin = file_hash = None
    known = _WEIGHTS.get(tuple(blocks))
    if weights == "imagenet":
        if known is None:
            raise ValueError("weights_path undefined")
        fname = f"{known[0]}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        origin = f"{_app.KERAS_WEIGHTS_BASE}densenet/{fname}"
        file_hash = known[1 if include_top else 2]
    return _app.build_model(inputs, x, name, weights, origin, file_hash)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet121"):
    """DenseNet121: dense blocks of 6, 12, 24, 16 layers; default 224x224, at least 32x32."""
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet169"):
    """DenseNet169: dense blocks of 6, 12, 32, 32 layers."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="densenet201"):
    """DenseNet201: dense blocks of 6, 12, 48, 32 layers."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)
