"""Model architectures with torchvision's names, constructors and ``state_dict`` keys (so a
torchvision checkpoint, ``.pth`` or safetensors, loads with ``load_state_dict``), plus the
classic MNIST networks. Every builder takes ``weights=`` (None by default; torchvision's
pretrained checkpoints are downloaded into the hub cache: see ``_api.pretrained_weights``) and
keyword options such as ``num_classes``.

>>> import ember
>>> from ember.vision import models
>>> models.resnet18(num_classes=10)(ember.zeros(1, 3, 64, 64)).shape
ember.Size([1, 10])
"""
from ._api import Weights, WeightsEnum, get_model, get_model_builder, list_models
from .mnist import MnistMLP, MnistCNN
from .resnet import *  # noqa: F401,F403
from .resnet import (ResNet18_Weights, ResNet34_Weights, ResNet50_Weights, ResNet101_Weights,  # noqa: F401
                     ResNet152_Weights, ResNeXt50_32X4D_Weights, ResNeXt101_32X8D_Weights, Wide_ResNet50_2_Weights,
                     Wide_ResNet101_2_Weights)
from .vgg import *  # noqa: F401,F403
from .vgg import (VGG11_Weights, VGG11_BN_Weights, VGG13_Weights, VGG13_BN_Weights, VGG16_Weights,  # noqa: F401
                  VGG16_BN_Weights, VGG19_Weights, VGG19_BN_Weights)
from .alexnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .mobilenetv3 import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .densenet import (DenseNet121_Weights, DenseNet161_Weights, DenseNet169_Weights,  # noqa: F401
                       DenseNet201_Weights)
from .efficientnet import *  # noqa: F401,F403
from .efficientnet import EfficientNet_B0_Weights, EfficientNet_B1_Weights  # noqa: F401
from .vision_transformer import *  # noqa: F401,F403
from .vision_transformer import (ViT_B_16_Weights, ViT_B_32_Weights, ViT_L_16_Weights,  # noqa: F401
                                 ViT_L_32_Weights, ViT_H_14_Weights)
from . import resnet, vgg, alexnet, squeezenet, mobilenetv2, mobilenetv3, densenet, efficientnet  # noqa: F401
from . import vision_transformer  # noqa: F401
from .convnext import *  # noqa: F401,F403
from .shufflenetv2 import *  # noqa: F401,F403
from .regnet import *  # noqa: F401,F403
from .googlenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
from .mnasnet import *  # noqa: F401,F403
from .swin_transformer import *  # noqa: F401,F403
from .maxvit import *  # noqa: F401,F403
from . import convnext, shufflenetv2, regnet, googlenet, inception, mnasnet, swin_transformer, maxvit  # noqa: F401
from . import segmentation  # noqa: F401
from . import detection  # noqa: F401
from . import feature_extraction  # noqa: F401

# torchvision's module aliases (``torchvision.models.mobilenet`` holds both MobileNets).
mobilenet = mobilenetv3


def get_model_weights(name):
    """The weights enum of a model builder or name (``get_model_weights("resnet18")``)."""
    import sys
    fn = get_model_builder(name) if isinstance(name, str) else name
    module = sys.modules[fn.__module__]
    enums = [attr for attr in dir(module) if attr.endswith("_Weights")]
    for attr in enums:  # exact names first: regnet_y_1_6gf and regnet_y_16gf differ only in "_"
        if attr[:-len("_Weights")].lower() == fn.__name__.lower():
            return getattr(module, attr)
    wanted = fn.__name__.replace("_", "").lower()
    for attr in dir(module):
        if attr.endswith("_Weights") and attr[:-len("_Weights")].replace("_", "").lower() == wanted:
            return getattr(module, attr)
    raise ValueError(f"no weights enum for model {fn.__name__}")


def get_weight(name):
    """A weights entry by its full name (``get_weight("ResNet18_Weights.IMAGENET1K_V1")``)."""
    enum_name, _, member = name.partition(".")
    try:
        return globals()[enum_name][member]
    except KeyError:
        raise ValueError(f"Unknown weight name {name}") from None
