"""``keras.applications``: Keras's image classification networks, built from ``ember.keras`` layers with
Keras's layer names, so weights saved by Keras (``weights="imagenet"`` or a local ``.h5``) load by name.

>>> from ember.keras import applications
>>> model = applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35, classes=10)
>>> model.output_shape
(None, 10)
"""
from . import imagenet_utils, resnet, resnet50, resnet_v2, vgg16, vgg19
from .resnet import ResNet50, ResNet101, ResNet152
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from .vgg16 import VGG16
from .vgg19 import VGG19
from . import mobilenet, mobilenet_v2
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from . import mobilenet_v3
from .mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from . import efficientnet
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3, EfficientNetB4,
                           EfficientNetB5, EfficientNetB6, EfficientNetB7)
from . import densenet
from .densenet import DenseNet121, DenseNet169, DenseNet201
from . import xception
from .xception import Xception
from . import inception_v3
from .inception_v3 import InceptionV3
from . import inception_resnet_v2
from .inception_resnet_v2 import InceptionResNetV2
from . import convnext
from .convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from . import efficientnet_v2
from .efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2, EfficientNetV2B3, EfficientNetV2L,
                              EfficientNetV2M, EfficientNetV2S)
from . import nasnet
from .nasnet import NASNetLarge, NASNetMobile

__all__ = [name for name in dir() if not name.startswith("_")]
