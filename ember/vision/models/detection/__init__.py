"""Object detection and instance segmentation models with torchvision's names, constructors and
``state_dict`` keys (torchvision.models.detection): Faster R-CNN (ResNet-50-FPN v1/v2,
MobileNetV3-Large-FPN), Mask R-CNN (ResNet-50-FPN v1/v2), Keypoint R-CNN (ResNet-50-FPN),
RetinaNet (ResNet-50-FPN v1/v2), FCOS (ResNet-50-FPN), SSD300 (VGG-16) and SSDlite
(MobileNetV3-Large), and their parts (``AnchorGenerator``, ``DefaultBoxGenerator``,
``GeneralizedRCNNTransform``, ``RegionProposalNetwork``, ``RoIHeads``, ``BackboneWithFPN`` ...).

In training ``model(images, targets)`` takes a list of float ``(3, H, W)`` images in [0, 1] and
one dict per image (``boxes`` float ``(N, 4)`` xyxy, ``labels`` int64 ``(N,)``, and ``masks``
uint8 ``(N, H, W)`` for Mask R-CNN) and returns the dict of losses; in evaluation
``model(images)`` returns one dict per image with ``boxes``, ``labels``, ``scores`` (and
``masks``, ``(N, 1, H, W)`` probabilities; ``keypoints`` ``(N, K, 3)`` and ``keypoints_scores``).
"""
from .faster_rcnn import *  # noqa: F401,F403
from .mask_rcnn import *  # noqa: F401,F403
from .keypoint_rcnn import *  # noqa: F401,F403
from .retinanet import *  # noqa: F401,F403
from .fcos import *  # noqa: F401,F403
from .ssd import *  # noqa: F401,F403
from .ssdlite import *  # noqa: F401,F403
from .anchor_utils import AnchorGenerator, DefaultBoxGenerator  # noqa: F401
from .backbone_utils import BackboneWithFPN, mobilenet_backbone, resnet_fpn_backbone  # noqa: F401
from .generalized_rcnn import GeneralizedRCNN  # noqa: F401
from .image_list import ImageList  # noqa: F401
from .roi_heads import RoIHeads  # noqa: F401
from .rpn import RegionProposalNetwork, RPNHead  # noqa: F401
from .transform import GeneralizedRCNNTransform  # noqa: F401
from . import (_utils, anchor_utils, backbone_utils, faster_rcnn, fcos, generalized_rcnn, image_list,  # noqa: F401
               keypoint_rcnn, mask_rcnn, retinanet, roi_heads, rpn, ssd, ssdlite, transform)
