"""MobileNet (Howard et al. 2017): a 3x3 convolution then 13 depthwise-separable blocks (3x3 depthwise +
batch norm + relu6, 1x1 pointwise + batch norm + relu6), widths scaled by ``alpha``; Keras's layer names
(``conv1``, ``conv_dw_1``, ``conv_pw_1_bn``, ... ``conv_preds``). Inputs in [-1, 1] (tf mode).

>>> from ember.keras.applications import MobileNet
>>> MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=10).output_shape
(None, 10)
"""
from .. import layers
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for("tf", "MobileNet")

_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
_SIZES = (128, 160, 192, 224)


def _conv_block(x, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides,
                      name="conv1")(x)
    x = layers.BatchNormalization(axis=_app.channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(x, pointwise_filters, alpha, depth_multiplier=1, strides=(1, 1), block_id=1):
    """Depthwise 3x3 then pointwise 1x1; a strided block pads one pixel bottom/right and convolves 'valid'
    (TensorFlow's 'same' for stride 2 on even sides)."""
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides, use_bias=False,
                               name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=_app.channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
                      name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=_app.channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True, weights="imagenet",
              input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """MobileNet V1 with width multiplier ``alpha`` and ``depth_multiplier`` depthwise channels per input
    channel. ImageNet weights exist for ``alpha`` in {0.25, 0.5, 0.75, 1.0}, depth multiplier 1 and square
    inputs of 128, 160, 192 or 224; at least 32x32."""
    _app.check_arguments("MobileNet", weights, include_top, classes)
    default_size = _app.default_size_for(input_shape, _SIZES)
    shape = _app.image_input_shape(input_shape, default_size, 32, include_top, weights)
    rows, cols = _app.rows_cols(shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must be 1.  "
                             f"Received depth_multiplier={depth_multiplier}")
        if alpha not in _ALPHA_TEXT:
            raise ValueError("If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` or "
                             f"`1.0` only.  Received alpha={alpha}")
        rows = _app.weights_resolution(rows, cols, _SIZES)
    x, inputs = _app.make_input(shape, input_tensor)
    x = _conv_block(x, 32, alpha, strides=(2, 2))
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for block_id, (filters, stride) in enumerate(plan, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, strides=(stride, stride), block_id=block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        _app.imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _app.pool(x, pooling)
    name = name or f"mobilenet_{alpha:0.2f}_{rows}"
    origin = None
    if weights == "imagenet":
        fname = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{'' if include_top else '_no_top'}.h5"
        origin = f"{_app.KERAS_WEIGHTS_BASE}mobilenet/{fname}"
    return _app.build_model(inputs, x, name, weights, origin)
