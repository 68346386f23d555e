"""MobileNetV2 (Sandler et al. 2018): inverted residual blocks (1x1 expansion + relu6, 3x3 depthwise + relu6,
linear 1x1 projection, identity shortcut when shapes allow), widths scaled by ``alpha`` and rounded to
multiples of 8; Keras's layer names (``Conv1``, ``expanded_conv_depthwise``, ``block_1_expand``, ...
``Conv_1``, ``predictions``). Inputs in [-1, 1] (tf mode).

>>> from ember.keras.applications import MobileNetV2
>>> MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35).output_shape
(None, 1, 1, 1280)
"""
from .. import layers
from . import _app
from .imagenet_utils import correct_pad, decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for("tf", "MobileNetV2")

_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of blocks 0..16
_BLOCKS = ([(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6)] + [(64, 1, 6)] * 3
           + [(96, 1, 6)] * 3 + [(160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6)])


def _bn(name):
    return layers.BatchNormalization(axis=_app.channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[_app.channel_axis()]
    pointwise_filters = _app.make_divisible(int(filters * alpha), 8)
    x = inputs
    if block_id:
        prefix = f"block_{block_id}_"
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False, activation=None,
                          name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False, activation=None,
                      name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name=None):
    """MobileNetV2 with width multiplier ``alpha`` (ImageNet weights for 0.35, 0.5, 0.75, 1.0, 1.3, 1.4 and
    square inputs of 96, 128, 160, 192 or 224); at least 32x32."""
    _app.check_arguments("MobileNetV2", weights, include_top, classes)
    if input_tensor is not None and not _app.is_keras_tensor(input_tensor):
        raise ValueError(f"input_tensor is not a Keras tensor; Received `input_tensor={input_tensor}`")
    if input_shape is not None and input_tensor is not None:
        axis = 1 if _app.channel_axis() == 1 else 2
        if input_tensor.shape[axis] != input_shape[1]:
            raise ValueError(f"MobileNetV2: input_tensor.shape {input_tensor.shape} does not match "
                             f"input_shape={input_shape}")
    probe = input_shape if input_shape is not None or input_tensor is None else input_tensor.shape[1:]
    default_size = _app.default_size_for(probe, _SIZES)
    shape = _app.image_input_shape(input_shape, default_size, 32, include_top, weights)
    rows, cols = _app.rows_cols(shape)
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError("If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, `0.75`, "
                             f"`1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`")
        rows = _app.weights_resolution(rows, cols, _SIZES)
    x, inputs = _app.make_input(shape, input_tensor)
    x = layers.Conv2D(_app.make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
                      use_bias=False, name="Conv1")(x)
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride, expansion=expansion,
                                block_id=block_id)
    last = _app.make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = _app.pooled_classifier(x, include_top, pooling, classes, classifier_activation, weights, top_pool=None)
    name = name or f"mobilenetv2_{alpha:0.2f}_{rows}"
    origin = None
    if weights == "imagenet":
        fname = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                 f"{'' if include_top else '_no_top'}.h5")
        origin = f"{_app.KERAS_WEIGHTS_BASE}mobilenet_v2/{fname}"
    return _app.build_model(inputs, x, name, weights, origin)
