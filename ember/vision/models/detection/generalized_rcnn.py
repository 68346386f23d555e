"""``GeneralizedRCNN`` (torchvision.models.detection.generalized_rcnn): transform -> backbone ->
RPN -> RoI heads -> postprocess. In training ``model(images, targets)`` returns the dict of
losses; in evaluation ``model(images)`` returns one dict per image (``boxes`` xyxy in the input
image's pixels, ``labels``, ``scores``, and ``masks`` for Mask R-CNN).
"""
from collections import OrderedDict

import ember
from .... import nn
from . import _utils as det_utils


class GeneralizedRCNN(nn.Module):
    def __init__(self, backbone, rpn, roi_heads, transform):
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def forward(self, images, targets=None):
        if self.training:
            det_utils.check_training_targets(targets, name_type=True, name_shape=True)
        original_image_sizes = []
        for img in images:
            val = img.shape[-2:]
            if len(val) != 2:
                raise AssertionError(f"expecting the last two dimensions of the Tensor to be H and W instead got "
                                     f"{img.shape[-2:]}")
            original_image_sizes.append((int(val[0]), int(val[1])))
        images, targets = self.transform(images, targets)
        det_utils.check_degenerate_boxes(targets)
        features = self.backbone(images.tensors)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        proposals, proposal_losses = self.rpn(images, features, targets)
        detections, detector_losses = self.roi_heads(features, proposals, images.image_sizes, targets)
        detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)
        losses = {}
        losses.update(detector_losses)
        losses.update(proposal_losses)
        return self.eager_outputs(losses, detections)
