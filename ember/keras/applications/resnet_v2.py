"""ResNet50V2/101V2/152V2 (He et al. 2016, "Identity Mappings in Deep Residual Networks"): pre-activation
bottleneck blocks, batch norm + relu after the last stage; Keras's layer names. Inputs in [-1, 1]
(:func:`preprocess_input`, tf mode).

>>> from ember.keras.applications import ResNet50V2
>>> ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
(None, 2048)
"""
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401
from .resnet import ResNet, stack_residual_blocks_v2

preprocess_input = _app.preprocess_for("tf", "ResNetV2")


def _v2_stacks(blocks):
    def stack_fn(x):
        for i, (filters, n) in enumerate(zip((64, 128, 256, 512), blocks)):
            x = stack_residual_blocks_v2(x, filters, n, stride1=1 if i == 3 else 2, name=f"conv{i + 2}")
        return x
    return stack_fn


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
               classes=1000, classifier_activation="softmax", name="resnet50v2"):
    """ResNet50V2: pre-activation stages of 3, 4, 6, 3 blocks; default 224x224, at least 32x32."""
    return ResNet(_v2_stacks((3, 4, 6, 3)), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name=name, weights_name="resnet50v2")


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet101v2"):
    """ResNet101V2: pre-activation stages of 3, 4, 23, 3 blocks."""
    return ResNet(_v2_stacks((3, 4, 23, 3)), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name=name, weights_name="resnet101v2")


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet152v2"):
    """ResNet152V2: pre-activation stages of 3, 8, 36, 3 blocks."""
    return ResNet(_v2_stacks((3, 8, 36, 3)), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name=name, weights_name="resnet152v2")
