"""The detection models' shared parts (torchvision.models.detection._utils): ``BoxCoder``,
``BoxLinearCoder`` (FCOS), ``Matcher`` / ``SSDMatcher`` and ``BalancedPositiveNegativeSampler``.

``BoxCoder`` encodes a box ``g`` against a reference box ``p`` (centres ``x, y``, sizes ``w, h``) as
``(wx (gx - px) / pw, wy (gy - py) / ph, ww log(gw / pw), wh log(gh / ph))`` and decodes the
inverse, clamping the log-size terms at ``bbox_xform_clip = log(1000 / 16)`` before ``exp``.

>>> import ember
>>> coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
>>> ref = ember.tensor([[0.0, 0.0, 10.0, 10.0]])
>>> codes = coder.encode_single(ember.tensor([[1.0, 2.0, 11.0, 22.0]]), ref)
>>> coder.decode_single(codes, ref).tolist()[0]
[1.0, 2.0, 11.0, 22.0]
"""
import math
from collections import OrderedDict

import ember
from ....nn import functional as F
from ...ops import FrozenBatchNorm2d


class BalancedPositiveNegativeSampler:
    """Samples ``batch_size_per_image`` elements per image, at most ``positive_fraction`` of them
    positive (label >= 1), the rest negative (label 0); -1 labels are never sampled.

    The choice is random (``ember.randperm``, as torchvision draws from torch's generator).
    ``__call__`` returns two lists of uint8 masks per image: the positives and the negatives chosen.
    """

    def __init__(self, batch_size_per_image, positive_fraction):
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, matched_idxs):
        pos_idx, neg_idx = [], []
        for matched in matched_idxs:
            positive = ember.where(matched >= 1)[0]
            negative = ember.where(matched == 0)[0]
            num_pos = min(positive.numel(), int(self.batch_size_per_image * self.positive_fraction))
            num_neg = min(negative.numel(), self.batch_size_per_image - num_pos)
            perm1 = ember.randperm(positive.numel())[:num_pos]
            perm2 = ember.randperm(negative.numel())[:num_neg]
            pos_mask = ember.zeros_like(matched, dtype=ember.uint8)
            neg_mask = ember.zeros_like(matched, dtype=ember.uint8)
            pos_mask[positive[perm1]] = 1
            neg_mask[negative[perm2]] = 1
            pos_idx.append(pos_mask)
            neg_idx.append(neg_mask)
        return pos_idx, neg_idx


def encode_boxes(reference_boxes, proposals, weights):
    """The ``(N, 4)`` regression targets of ``reference_boxes`` (the ground truth) against
    ``proposals``, with ``weights = (wx, wy, ww, wh)``."""
    wx, wy, ww, wh = weights[0], weights[1], weights[2], weights[3]
    px1, py1, px2, py2 = (proposals[:, i].unsqueeze(1) for i in range(4))
    gx1, gy1, gx2, gy2 = (reference_boxes[:, i].unsqueeze(1) for i in range(4))
    ex_w, ex_h = px2 - px1, py2 - py1
    ex_x, ex_y = px1 + 0.5 * ex_w, py1 + 0.5 * ex_h
    gt_w, gt_h = gx2 - gx1, gy2 - gy1
    gt_x, gt_y = gx1 + 0.5 * gt_w, gy1 + 0.5 * gt_h
    dx = wx * (gt_x - ex_x) / ex_w
    dy = wy * (gt_y - ex_y) / ex_h
    dw = ww * ember.log(gt_w / ex_w)
    dh = wh * ember.log(gt_h / ex_h)
    return ember.cat((dx, dy, dw, dh), dim=1)


class BoxCoder:
    """Encodes boxes as regression targets against reference boxes and decodes them back."""

    def __init__(self, weights, bbox_xform_clip=math.log(1000.0 / 16)):
        self.weights = weights
        self.bbox_xform_clip = bbox_xform_clip

    def encode(self, reference_boxes, proposals):
        boxes_per_image = [len(b) for b in reference_boxes]
        targets = self.encode_single(ember.cat(list(reference_boxes), dim=0), ember.cat(list(proposals), dim=0))
        return targets.split(boxes_per_image, 0)

    def encode_single(self, reference_boxes, proposals):
        weights = ember.as_tensor(self.weights, dtype=reference_boxes.dtype)
        return encode_boxes(reference_boxes, proposals, weights)

    def decode(self, rel_codes, boxes):
        """Decode ``rel_codes`` against the concatenated per-image ``boxes``: ``(K, C, 4)``."""
        if not isinstance(boxes, (list, tuple)):
            raise TypeError("BoxCoder.decode: This function expects boxes of type list or tuple.")
        box_sum = sum(b.shape[0] for b in boxes)
        concat_boxes = ember.cat(list(boxes), dim=0)
        if box_sum > 0:
            rel_codes = rel_codes.reshape(box_sum, -1)
        pred_boxes = self.decode_single(rel_codes, concat_boxes)
        if box_sum > 0:
            pred_boxes = pred_boxes.reshape(box_sum, -1, 4)
        return pred_boxes

    def decode_single(self, rel_codes, boxes):
        boxes = boxes.to(rel_codes.dtype)
        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights
        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        # keep exp() finite
        dw = ember.clamp(rel_codes[:, 2::4] / ww, max=self.bbox_xform_clip)
        dh = ember.clamp(rel_codes[:, 3::4] / wh, max=self.bbox_xform_clip)
        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        half_w = 0.5 * (ember.exp(dw) * widths[:, None])
        half_h = 0.5 * (ember.exp(dh) * heights[:, None])
        pred = ember.stack((pred_ctr_x - half_w, pred_ctr_y - half_h, pred_ctr_x + half_w, pred_ctr_y + half_h),
                           dim=2)
        return pred.flatten(1)


class BoxLinearCoder:
    """FCOS's box coding: the distances ``(l, t, r, b)`` from a reference box's centre to the four
    sides of the encoded box, divided by the reference box's width / height when
    ``normalize_by_size``."""

    def __init__(self, normalize_by_size=True):
        self.normalize_by_size = normalize_by_size

    def _sizes(self, boxes):
        w = boxes[..., 2] - boxes[..., 0]
        h = boxes[..., 3] - boxes[..., 1]
        return ember.stack((w, h, w, h), dim=-1)

    def encode(self, reference_boxes, proposals):
        ctr_x = 0.5 * (reference_boxes[..., 0] + reference_boxes[..., 2])
        ctr_y = 0.5 * (reference_boxes[..., 1] + reference_boxes[..., 3])
        targets = ember.stack((ctr_x - proposals[..., 0], ctr_y - proposals[..., 1], proposals[..., 2] - ctr_x,
                               proposals[..., 3] - ctr_y), dim=-1)
        if self.normalize_by_size:
            targets = targets / self._sizes(reference_boxes)
        return targets

    def decode(self, rel_codes, boxes):
        boxes = boxes.to(dtype=rel_codes.dtype)
        ctr_x = 0.5 * (boxes[..., 0] + boxes[..., 2])
        ctr_y = 0.5 * (boxes[..., 1] + boxes[..., 3])
        if self.normalize_by_size:
            rel_codes = rel_codes * self._sizes(boxes)
        return ember.stack((ctr_x - rel_codes[..., 0], ctr_y - rel_codes[..., 1], ctr_x + rel_codes[..., 2],
                            ctr_y + rel_codes[..., 3]), dim=-1)


class Matcher:
    """Assigns each prediction (column of an ``M x N`` ground-truth x prediction quality matrix)
    the ground truth it overlaps most: its index when the quality is ``>= high_threshold``,
    ``BETWEEN_THRESHOLDS`` (-2) in ``[low, high)``, ``BELOW_LOW_THRESHOLD`` (-1) below ``low``. With
    ``allow_low_quality_matches`` each ground truth also keeps the predictions it overlaps most
    (ties included), whatever their quality."""

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold, low_threshold, allow_low_quality_matches=False):
        if low_threshold > high_threshold:
            raise ValueError(f"Matcher: low_threshold should be <= high_threshold, got {low_threshold} > "
                             f"{high_threshold}")
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix):
        if match_quality_matrix.numel() == 0:
            if match_quality_matrix.shape[0] == 0:
                raise ValueError("No ground-truth boxes available for one of the images during training")
            raise ValueError("No proposal boxes available for one of the images during training")
        matched_vals, matches = match_quality_matrix.max(dim=0)
        all_matches = matches.clone() if self.allow_low_quality_matches else None
        below = matched_vals < self.low_threshold
        between = (matched_vals >= self.low_threshold) & (matched_vals < self.high_threshold)
        matches[below] = self.BELOW_LOW_THRESHOLD
        matches[between] = self.BETWEEN_THRESHOLDS
        if self.allow_low_quality_matches:
            self.set_low_quality_matches_(matches, all_matches, match_quality_matrix)
        return matches

    def set_low_quality_matches_(self, matches, all_matches, match_quality_matrix):
        """Give back to each ground truth the predictions of its highest quality (ties included)."""
        highest_quality_foreach_gt, _ = match_quality_matrix.max(dim=1)
        pairs = ember.where(match_quality_matrix == highest_quality_foreach_gt[:, None])
        pred_inds_to_update = pairs[1]
        matches[pred_inds_to_update] = all_matches[pred_inds_to_update]


class SSDMatcher(Matcher):
    """``Matcher`` with one threshold, where every ground truth also takes its best prediction."""

    def __init__(self, threshold):
        super().__init__(threshold, threshold, allow_low_quality_matches=False)

    def __call__(self, match_quality_matrix):
        matches = super().__call__(match_quality_matrix)
        _, best_pred = match_quality_matrix.max(dim=1)
        matches[best_pred] = ember.arange(best_pred.shape[0], dtype=ember.int64)
        return matches


def overwrite_eps(model, eps):
    """Set the ``eps`` of every ``FrozenBatchNorm2d`` of ``model`` (old checkpoints used 0)."""
    for module in model.modules():
        if isinstance(module, FrozenBatchNorm2d):
            module.eps = eps


def retrieve_out_channels(model, size):
    """The channel counts of ``model``'s outputs for a zero image of ``size = (w, h)``."""
    in_training = model.training
    model.eval()
    with ember.no_grad():
        features = model(ember.zeros((1, 3, size[1], size[0])))
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        out_channels = [x.shape[1] for x in features.values()]
    if in_training:
        model.train()
    return out_channels


def _topk_min(input, orig_kval, axis):
    return min(orig_kval, input.shape[axis])


def check_training_targets(targets, name_type=True, name_shape=True):
    """torchvision's check of the targets a detector is trained on: given, each ``boxes`` a float ``(N, 4)``
    tensor. ``name_type`` / ``name_shape``: the messages name what was given (each model words it its own way)."""
    if targets is None:
        raise AssertionError("targets should not be none when in training mode")
    for target in targets:
        boxes = target["boxes"]
        if not isinstance(boxes, ember.Tensor):
            raise AssertionError("Expected target boxes to be of type Tensor" +
                                 (f", got {type(boxes)}." if name_type else "."))
        if not (boxes.dim() == 2 and boxes.shape[-1] == 4):
            raise AssertionError("Expected target boxes to be a tensor of shape [N, 4]" +
                                 (f", got {boxes.shape}." if name_shape else "."))


def check_degenerate_boxes(targets):
    """torchvision's check of the transformed targets: every box has a positive width and height."""
    if targets is None:
        return
    for target_idx, target in enumerate(targets):
        boxes = target["boxes"]
        degenerate = boxes[:, 2:] <= boxes[:, :2]
        if degenerate.any():
            bb_idx = int(ember.where(degenerate.any(dim=1))[0][0])
            raise AssertionError(f"All bounding boxes should have positive height and width. Found invalid "
                                 f"box {boxes[bb_idx].tolist()} for target at index {target_idx}.")


def top_candidates(scores, score_thresh, topk_candidates, num_classes):
    """The dense one-stage heads' selection in one level (RetinaNet, FCOS): of the flat (anchor, class) scores
    above ``score_thresh``, the ``topk_candidates`` best, as ``(scores, anchor indices, labels)``."""
    keep = scores > score_thresh
    scores = scores[keep]
    topk_idxs = ember.where(keep)[0]
    scores, idxs = scores.topk(_topk_min(topk_idxs, topk_candidates, 0))
    topk_idxs = topk_idxs[idxs]
    return scores, ember.div(topk_idxs, num_classes, rounding_mode="floor"), topk_idxs % num_classes


def merge_detections(image_boxes, image_scores, image_labels, nms_thresh, detections_per_img):
    """One image's per-level candidates joined, class-wise NMS, the ``detections_per_img`` best kept."""
    from ...ops import boxes as box_ops
    image_boxes = ember.cat(image_boxes, dim=0)
    image_scores = ember.cat(image_scores, dim=0)
    image_labels = ember.cat(image_labels, dim=0)
    keep = box_ops.batched_nms(image_boxes, image_scores, image_labels, nms_thresh)[:detections_per_img]
    return {"boxes": image_boxes[keep], "scores": image_scores[keep], "labels": image_labels[keep]}


def match_anchors(matcher, targets, anchors):
    """Per image, the ground-truth index ``matcher`` gives each anchor (all -1 without ground truth)."""
    from ...ops import boxes as box_ops
    matched_idxs = []
    for anchors_per_image, t in zip(anchors, targets):
        if t["boxes"].numel() == 0:
            matched_idxs.append(ember.full((anchors_per_image.shape[0],), -1, dtype=ember.int64))
        else:
            matched_idxs.append(matcher(box_ops.box_iou(t["boxes"], anchors_per_image)))
    return matched_idxs


def _box_loss(type, box_coder, anchors_per_image, matched_gt_boxes_per_image, bbox_regression_per_image, cnf=None):
    """The summed box loss of one image: ``l1``/``smooth_l1`` on the encoded targets, or the
    ``giou``/``diou``/``ciou`` losses on the decoded boxes."""
    from ...ops import complete_box_iou_loss, distance_box_iou_loss, generalized_box_iou_loss
    if type not in ("l1", "smooth_l1", "ciou", "diou", "giou"):
        raise ValueError(f"Unsupported loss: {type}")
    if type in ("l1", "smooth_l1"):
        target = box_coder.encode_single(matched_gt_boxes_per_image, anchors_per_image)
        if type == "l1":
            return F.l1_loss(bbox_regression_per_image, target, reduction="sum")
        beta = cnf["beta"] if cnf is not None and "beta" in cnf else 1.0
        return F.smooth_l1_loss(bbox_regression_per_image, target, reduction="sum", beta=beta)
    boxes = box_coder.decode_single(bbox_regression_per_image, anchors_per_image)
    eps = cnf["eps"] if cnf is not None and "eps" in cnf else 1e-7
    loss = {"ciou": complete_box_iou_loss, "diou": distance_box_iou_loss, "giou": generalized_box_iou_loss}[type]
    return loss(boxes, matched_gt_boxes_per_image, reduction="sum", eps=eps)
