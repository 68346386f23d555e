"""ResNet50/101/152 (He et al. 2015, "Deep Residual Learning for Image Recognition"): Keras's layout and layer
names (``conv1_conv``, ``conv2_block1_0_conv``, ... ``predictions``), so Keras's weight files load by name.

Each bottleneck block computes ``relu(shortcut(x) + bn(conv1x1(relu(bn(conv3x3(relu(bn(conv1x1(x)))))))))``,
the shortcut a 1x1 convolution + batch norm in a stack's first block, the identity elsewhere.

>>> from ember.keras.applications import ResNet50
>>> model = ResNet50(weights=None, input_shape=(32, 32, 3), classes=10)
>>> model.output_shape
(None, 10)
"""
from .. import layers
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401

_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}

preprocess_input = _app.preprocess_for("caffe", "ResNet")


def _bn(name):
    return layers.BatchNormalization(axis=_app.channel_axis(), epsilon=1.001e-5, name=name)


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
           pooling=None, classes=1000, classifier_activation="softmax", name="resnet", weights_name=None):
    """A ResNet whose residual stages ``stack_fn(x)`` builds; ``preact`` puts batch norm + relu before
    each block's convolutions (ResNet V2) instead of after the stem."""
    _app.check_arguments(name, weights, include_top, classes)
    x, inputs = _app.image_input(input_shape, input_tensor, 224, 32, include_top, weights)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(x)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _bn("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    x = _app.pooled_classifier(x, include_top, pooling, classes, classifier_activation, weights, named_pools=True)
    fname = origin = file_hash = None
    if weights_name in _HASHES:
        fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        origin = f"{_app.KERAS_WEIGHTS_BASE}resnet/{fname}"
        file_hash = _HASHES[weights_name][0 if include_top else 1]
    return _app.build_model(inputs, x, name, weights, origin, file_hash)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A post-activation bottleneck block: 1x1 (stride), ``kernel_size``, 1x1 to ``4 * filters`` channels."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _bn(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block; its stride sits on the 3x3 convolution, the identity shortcut of
    a strided block is a 1x1 max pooling (subsampling)."""
    preact = _bn(f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _bn(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _stacks(blocks, v2):
    """The residual stages of ``blocks`` blocks (64, 128, 256, 512 bottleneck filters); V1 strides at the start
    of stages 3-5, V2 at the end of stages 2-4."""
    def stack_fn(x):
        for i, (filters, n) in enumerate(zip((64, 128, 256, 512), blocks)):
            if v2:
                x = stack_residual_blocks_v2(x, filters, n, stride1=1 if i == 3 else 2, name=f"conv{i + 2}")
            else:
                x = stack_residual_blocks_v1(x, filters, n, stride1=1 if i == 0 else 2, name=f"conv{i + 2}")
        return x
    return stack_fn


def constructor(public_name, blocks, v2):
    """Keras's ``ResNet50``-style constructor ``public_name`` for stages of ``blocks`` blocks."""
    weights_name = public_name.lower()

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=weights_name):
        return ResNet(_stacks(blocks, v2), v2, True, include_top, weights, input_tensor, input_shape, pooling,
                      classes, classifier_activation, name=name, weights_name=weights_name)
    build.__name__ = build.__qualname__ = public_name
    kind = "pre-activation (V2)" if v2 else "post-activation"
    build.__doc__ = (f"{public_name}: {kind} bottleneck stages of {', '.join(map(str, blocks))} blocks; default "
                     f"224x224, at least 32x32. Inputs through :func:`preprocess_input`.")
    return build


ResNet50 = constructor("ResNet50", (3, 4, 6, 3), v2=False)
ResNet101 = constructor("ResNet101", (3, 4, 23, 3), v2=False)
ResNet152 = constructor("ResNet152", (3, 8, 36, 3), v2=False)
