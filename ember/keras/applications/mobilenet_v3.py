"""MobileNetV3 Small and Large (Howard et al. 2019): inverted residual blocks with optional squeeze-and-excite
(``x * hard_sigmoid(conv(relu(conv(mean(x)))))``) and hard-swish activations (relu and no squeeze-excite when
``minimalistic``). The model rescales [0, 255] inputs itself (``include_preprocessing``), so
:func:`preprocess_input` is the identity. Keras's layer names (``conv``, ``expanded_conv_depthwise``,
``expanded_conv_1_expand``, ... ``conv_1``, ``conv_2``, ``logits``).

>>> from ember.keras.applications import MobileNetV3Small
>>> MobileNetV3Small(weights=None, input_shape=(32, 32, 3), alpha=0.75, classes=10).output_shape
(None, 10)
"""
import warnings

from .. import layers
from . import _app
from .imagenet_utils import correct_pad, decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for(None, "MobileNetV3")

_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"),
}

# (expansion, filters, kernel ("k" = the model's kernel), stride, squeeze-excite?, activation ("a" = the
# model's activation)) of each block
_SMALL = [(1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"), (88 / 24, 24, 3, 1, False, "relu"),
          (4, 40, "k", 2, True, "a"), (6, 40, "k", 1, True, "a"), (6, 40, "k", 1, True, "a"),
          (3, 48, "k", 1, True, "a"), (3, 48, "k", 1, True, "a"), (6, 96, "k", 2, True, "a"),
          (6, 96, "k", 1, True, "a"), (6, 96, "k", 1, True, "a")]
_LARGE = [(1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
          (3, 40, "k", 2, True, "relu"), (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
          (6, 80, 3, 2, False, "a"), (2.5, 80, 3, 1, False, "a"), (2.3, 80, 3, 1, False, "a"),
          (2.3, 80, 3, 1, False, "a"), (6, 112, 3, 1, True, "a"), (6, 112, 3, 1, True, "a"),
          (6, 160, "k", 2, True, "a"), (6, 160, "k", 1, True, "a"), (6, 160, "k", 1, True, "a")]


def relu(x):
    return layers.ReLU()(x)


def hard_sigmoid(x):
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _bn(name):
    return layers.BatchNormalization(axis=_app.channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _se_block(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_app.make_divisible(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    shortcut = x
    infilters = x.shape[_app.channel_axis()]
    prefix = f"expanded_conv_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(_app.make_divisible(infilters * expansion), kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _app.make_divisible(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def MobileNetV3(blocks, last_point_ch, input_shape=None, alpha=1.0, model_type="large", minimalistic=False,
                include_top=True, weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                dropout_rate=0.2, classifier_activation="softmax", include_preprocessing=True, name=None):
    """The MobileNetV3 of ``blocks`` (a table of block settings), with a 1x1 head of ``last_point_ch``."""
    _app.check_arguments(name, weights, include_top, classes)
    if input_tensor is not None and not _app.is_keras_tensor(input_tensor):
        raise ValueError(f"input_tensor specified: {input_tensor} is not a keras tensor")
    last = _app.channel_axis() == 3
    if input_shape is not None and input_tensor is not None:
        if input_tensor.shape[2 if last else 1] != input_shape[1]:
            raise ValueError(f"{name}: input_shape[1] must equal input_tensor.shape[{2 if last else 1}].  "
                             f"Received input_shape={input_shape}, input_tensor.shape={input_tensor.shape}")
    if input_shape is None and input_tensor is not None:
        rows, cols = input_tensor.shape[1:3] if last else input_tensor.shape[2:4]
        input_shape = (cols, rows, 3) if last else (3, cols, rows)
    if input_shape is None:
        input_shape = (None, None, 3) if last else (3, None, None)
    rows, cols = _app.rows_cols(input_shape)
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in [0.75, 1.0]) or (minimalistic and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for non "
                             "minimalistic or `1.0` for minimalistic only.")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. Weights for input "
                          "shape (224, 224) will be loaded as the default.", stacklevel=2)
    x, inputs = _app.make_input(input_shape, input_tensor)
    kernel, activation, se_ratio = (3, relu, None) if minimalistic else (5, hard_swish, 0.25)
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = _bn("conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(blocks):
        x = _inverted_res_block(x, expansion, _app.make_divisible(filters * alpha), kernel if k == "k" else k,
                                stride, se_ratio if se else None, activation if act == "a" else relu, block_id)
    last_conv_ch = _app.make_divisible(x.shape[_app.channel_axis()] * 6)
    if alpha > 1.0:
        last_point_ch = _app.make_divisible(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = _bn("conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        _app.imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _app.pool(x, pooling, "avg_pool", "max_pool")
    origin = file_hash = None
    if weights == "imagenet":
        key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        fname = f"weights_mobilenet_v3_{key}{'' if include_top else '_no_top_v2'}.h5"
        origin = f"{_app.KERAS_WEIGHTS_BASE}mobilenet_v3/{fname}"
        file_hash = _HASHES[key][0 if include_top else 1]
    return _app.build_model(inputs, x, name, weights, origin, file_hash)


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True, name="MobileNetV3Small"):
    """MobileNetV3Small: 11 blocks, 1024-channel head. ImageNet weights for ``alpha`` 0.75 or 1.0 (1.0 when
    ``minimalistic``) at 224x224; any input of at least 32x32 with values in [0, 255]."""
    return MobileNetV3(_SMALL, 1024, input_shape, alpha, "small", minimalistic, include_top, weights, input_tensor,
                       classes, pooling, dropout_rate, classifier_activation, include_preprocessing, name=name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
                     input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
                     classifier_activation="softmax", include_preprocessing=True, name="MobileNetV3Large"):
    """MobileNetV3Large: 15 blocks, 1280-channel head (see :func:`MobileNetV3Small`)."""
    return MobileNetV3(_LARGE, 1280, input_shape, alpha, "large", minimalistic, include_top, weights, input_tensor,
                       classes, pooling, dropout_rate, classifier_activation, include_preprocessing, name=name)
