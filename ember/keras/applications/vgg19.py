"""VGG19: VGG16's design (:mod:`.vgg16`) with 2, 2, 4, 4, 4 convolutions per block.

>>> from ember.keras.applications import VGG19
>>> VGG19(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max").output_shape
(None, 512)
"""
from .imagenet_utils import decode_predictions  # noqa: F401
from .vgg16 import preprocess_input, vgg  # noqa: F401


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """VGG19 (144M parameters with the top); default 224x224, at least 32x32."""
    return vgg((2, 2, 4, 4, 4), "vgg19", name, include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation)
