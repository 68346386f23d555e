"""ResNet50V2/101V2/152V2 (He et al. 2016, "Identity Mappings in Deep Residual Networks"): pre-activation
bottleneck blocks, batch norm + relu after the last stage; Keras's layer names. Inputs in [-1, 1]
(:func:`preprocess_input`, tf mode).

>>> from ember.keras.applications import ResNet50V2
>>> ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
(None, 2048)
"""
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401
from .resnet import constructor

preprocess_input = _app.preprocess_for("tf", "ResNetV2")

ResNet50V2 = constructor("ResNet50V2", (3, 4, 6, 3), v2=True)
ResNet101V2 = constructor("ResNet101V2", (3, 4, 23, 3), v2=True)
ResNet152V2 = constructor("ResNet152V2", (3, 8, 36, 3), v2=True)
