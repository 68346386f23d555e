"""Semantic segmentation models with torchvision's names, constructors and ``state_dict`` keys:
FCN and DeepLabV3 (ResNet-50/101, DeepLabV3 also MobileNetV3-Large) and LR-ASPP
(MobileNetV3-Large). Each returns a dict: ``"out"`` (N, num_classes, H, W) and, with
``aux_loss=True``, ``"aux"`` from the auxiliary head.
"""
from .fcn import *  # noqa: F401,F403
from .deeplabv3 import *  # noqa: F401,F403
from .lraspp import *  # noqa: F401,F403
from . import fcn, deeplabv3, lraspp  # noqa: F401
