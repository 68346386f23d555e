"""EfficientNetV2 B0-B3, S, M, L (Tan & Le 2021): fused MBConv blocks (one kxk convolution in place of the
1x1 expansion + depthwise pair) in the early stages, MBConv blocks with squeeze-and-excite later. The model
rescales [0, 255] inputs itself (``include_preprocessing``), so :func:`preprocess_input` is the identity.
Keras's layer names (``stem_conv``, ``block1a_project_conv``, ``block4b_se_excite``, ... ``top_conv``).

>>> from ember.keras.applications import EfficientNetV2B0
>>> EfficientNetV2B0(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
(None, 1, 1, 1280)
"""
import math

from .. import initializers, layers
from . import _app
from .efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER, residual, squeeze_excite
from .imagenet_utils import decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for(None, "EfficientNetV2")

_BASE = f"{_app.KERAS_WEIGHTS_BASE}efficientnet_v2/"
_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}


def _stages(rows):
    """Block arguments from rows of (conv_type 1=fused/0=MBConv, repeats, in, out, expand, se, strides); every
    kernel is 3x3."""
    return [dict(kernel_size=3, num_repeat=r, input_filters=i, output_filters=o, expand_ratio=e, se_ratio=se,
                 strides=s, conv_type=t) for t, r, i, o, e, se, s in rows]


_B = _stages([(1, 1, 32, 16, 1, 0, 1), (1, 2, 16, 32, 4, 0, 2), (1, 2, 32, 48, 4, 0, 2),
              (0, 3, 48, 96, 4, 0.25, 2), (0, 5, 96, 112, 6, 0.25, 1), (0, 8, 112, 192, 6, 0.25, 2)])
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages([(1, 2, 24, 24, 1, 0, 1), (1, 4, 24, 48, 4, 0, 2), (1, 4, 48, 64, 4, 0, 2),
                                 (0, 6, 64, 128, 4, 0.25, 2), (0, 9, 128, 160, 6, 0.25, 1),
                                 (0, 15, 160, 256, 6, 0.25, 2)]),
    "efficientnetv2-m": _stages([(1, 3, 24, 24, 1, 0, 1), (1, 5, 24, 48, 4, 0, 2), (1, 5, 48, 80, 4, 0, 2),
                                 (0, 7, 80, 160, 4, 0.25, 2), (0, 14, 160, 176, 6, 0.25, 1),
                                 (0, 18, 176, 304, 6, 0.25, 2), (0, 5, 304, 512, 6, 0.25, 1)]),
    "efficientnetv2-l": _stages([(1, 4, 32, 32, 1, 0, 1), (1, 7, 32, 64, 4, 0, 2), (1, 7, 64, 96, 4, 0, 2),
                                 (0, 10, 96, 192, 4, 0.25, 2), (0, 19, 192, 224, 6, 0.25, 1),
                                 (0, 25, 224, 384, 6, 0.25, 2), (0, 7, 384, 640, 6, 0.25, 1)]),
    "efficientnetv2-b0": _B, "efficientnetv2-b1": _B, "efficientnetv2-b2": _B, "efficientnetv2-b3": _B,
}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters * width_coefficient`` to the nearest multiple of ``depth_divisor`` (at least ``min_depth``)."""
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


def _bn(momentum, name):
    return layers.BatchNormalization(axis=_app.channel_axis(), momentum=momentum, name=name)


def _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name):
    if strides == 1 and input_filters == output_filters:
        x = residual(x, inputs, survival_probability, name)
    return x


def _conv(filters, kernel_size, name, strides=1):
    return layers.Conv2D(filters, kernel_size=kernel_size, strides=strides, kernel_initializer=CONV_KERNEL_INITIALIZER,
                         padding="same", use_bias=False, name=name)


def MBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """1x1 expansion, depthwise kxk, squeeze-excite, 1x1 projection (+ residual with dropout)."""
    name = name if name is not None else _app.backend.unique_name("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, 1, f"{name}expand_conv")(x)
            x = _bn(bn_momentum, f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(kernel_size=kernel_size, strides=strides,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False,
                                   name=f"{name}dwconv2")(x)
        x = _bn(bn_momentum, f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, input_filters, filters, se_ratio, activation, name)
        x = _conv(output_filters, 1, f"{name}project_conv")(x)
        x = _bn(bn_momentum, f"{name}project_bn")(x)
        return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)
    return apply


def FusedMBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                     bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """kxk expansion convolution (strided), squeeze-excite, 1x1 projection; without expansion, a single kxk
    convolution + activation."""
    name = name if name is not None else _app.backend.unique_name("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, kernel_size, f"{name}expand_conv", strides=strides)(x)
            x = _bn(bn_momentum, f"{name}expand_bn")(x)
            x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, input_filters, filters, se_ratio, activation, name)
        fused = expand_ratio == 1
        x = _conv(output_filters, kernel_size if fused else 1, f"{name}project_conv",
                  strides=strides if fused else 1)(x)
        x = _bn(bn_momentum, f"{name}project_bn")(x)
        if fused:
            x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
        return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)
    return apply


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                   depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None):
    """An EfficientNetV2 of ``blocks_args`` (by default the table of the variant ``name`` names)."""
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    _app.check_arguments(name, weights, include_top, classes)
    shape = _app.image_input_shape(input_shape, default_size, 32, include_top, weights)
    x, inputs = _app.make_input(shape, input_tensor)
    bn_axis = _app.channel_axis()

    def widen(filters):
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    if include_preprocessing:
        if name.split("-")[-1].startswith("b") and shape[bn_axis - 1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                     axis=bn_axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    x = layers.Conv2D(filters=widen(blocks_args[0]["input_filters"]), kernel_size=3, strides=2,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False, name="stem_conv")(x)
    x = _bn(bn_momentum, "stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(args["num_repeat"] for args in blocks_args))
    b = 0
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(f"The number of repeats in `EfficientNetV2` must be > 0. Received: "
                             f"num_repeat={args['num_repeat']}")
        args = dict(args, input_filters=widen(args["input_filters"]), output_filters=widen(args["output_filters"]))
        block = {0: MBConvBlock, 1: FusedMBConvBlock}[args.pop("conv_type")]
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:
                args["strides"], args["input_filters"] = 1, args["output_filters"]
            x = block(activation=activation, bn_momentum=bn_momentum,
                      survival_probability=drop_connect_rate * b / total, name=f"block{i + 1}{chr(j + 97)}_", **args)(x)
            b += 1
    x = _conv(widen(1280), 1, "top_conv")(x)
    x = _bn(bn_momentum, "top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        _app.imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0), name="predictions")(x)
    else:
        x = _app.pool(x, pooling, "avg_pool", "max_pool")
    origin = file_hash = None
    if weights_name in _HASHES:
        origin = f"{_BASE}{name}{'.h5' if include_top else '_notop.h5'}"
        file_hash = _HASHES[weights_name][0 if include_top else 1]
    return _app.build_model(inputs, x, name, weights, origin, file_hash)


_VARIANTS = {"B0": (1.0, 1.0, 224, "b0"), "B1": (1.0, 1.1, 240, "b1"), "B2": (1.1, 1.2, 260, "b2"),
             "B3": (1.2, 1.4, 300, "b3"), "S": (1.0, 1.0, 384, "-s"), "M": (1.0, 1.0, 480, "-m"),
             "L": (1.0, 1.0, 480, "-l")}


def _variant(suffix):
    width, depth, size, key = _VARIANTS[suffix]

    def constructor(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                    classes=1000, classifier_activation="softmax", include_preprocessing=True,
                    name=f"efficientnetv2-{suffix.lower()}"):
        return EfficientNetV2(width_coefficient=width, depth_coefficient=depth, default_size=size, name=name,
                              include_top=include_top, weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=key)
    constructor.__name__ = constructor.__qualname__ = f"EfficientNetV2{suffix}"
    constructor.__doc__ = (f"EfficientNetV2{suffix}: width x{width}, depth x{depth}, default input {size}x{size} "
                           "(at least 32x32); [0, 255] inputs.")
    return constructor


EfficientNetV2B0 = _variant("B0")
EfficientNetV2B1 = _variant("B1")
EfficientNetV2B2 = _variant("B2")
EfficientNetV2B3 = _variant("B3")
EfficientNetV2S = _variant("S")
EfficientNetV2M = _variant("M")
EfficientNetV2L = _variant("L")
