"""Box utilities under torchvision.ops' names: areas, pairwise IoU, generalized, distance and
complete IoU, boxes around masks, format conversion, clipping, small-box removal, and greedy
non-maximum suppression (plain and per class).

Boxes are ``(N, 4)`` tensors in ``(x1, y1, x2, y2)`` form with ``0 <= x1 < x2`` and
``0 <= y1 < y2`` unless a function says otherwise. The IoU functions are built from tensor ops,
so they carry gradients to both box sets; ``nms`` and ``batched_nms`` return int64 indices.

>>> import ember
>>> a = ember.tensor([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0]])
>>> round(box_iou(a, a)[0, 1].item(), 4)  # 1 / 7
0.1429
>>> nms(a, ember.tensor([0.9, 0.8]), iou_threshold=0.1).tolist()
[0]
"""
import math

import numpy as np

import ember

_FORMATS = ("xyxy", "xywh", "cxcywh")


def _upcast(t):
    # Integer boxes would overflow in the area products: compute in float (int64 for int64).
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def box_area(boxes):
    """Area ``(x2 - x1) * (y2 - y1)`` of each ``(N, 4)`` xyxy box, shape ``(N,)``."""
    boxes = _upcast(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _box_inter_union(boxes1, boxes2):
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = ember.maximum(boxes1[:, None, :2], boxes2[:, :2])
    rb = ember.minimum(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter, area1[:, None] + area2 - inter


def box_iou(boxes1, boxes2):
    """Pairwise intersection over union, ``(N, M)`` for ``(N, 4)`` and ``(M, 4)`` xyxy boxes:
    ``|A ∩ B| / (|A| + |B| - |A ∩ B|)``."""
    inter, union = _box_inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1, boxes2):
    """Pairwise generalized IoU (Rezatofighi et al., 2019), ``(N, M)``:
    ``IoU - (|C| - |A ∪ B|) / |C|`` with ``C`` the smallest box enclosing ``A`` and ``B``; in [-1, 1]."""
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    lti = ember.minimum(boxes1[:, None, :2], boxes2[:, :2])
    rbi = ember.maximum(boxes1[:, None, 2:], boxes2[:, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    areai = whi[:, :, 0] * whi[:, :, 1]
    return iou - (areai - union) / areai


def _box_diou_iou(boxes1, boxes2, eps):
    iou = box_iou(boxes1, boxes2)
    lti = ember.minimum(boxes1[:, None, :2], boxes2[:, :2])
    rbi = ember.maximum(boxes1[:, None, 2:], boxes2[:, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    diagonal_squared = whi[:, :, 0] ** 2 + whi[:, :, 1] ** 2 + eps
    x_p, y_p = (boxes1[:, 0] + boxes1[:, 2]) / 2, (boxes1[:, 1] + boxes1[:, 3]) / 2
    x_g, y_g = (boxes2[:, 0] + boxes2[:, 2]) / 2, (boxes2[:, 1] + boxes2[:, 3]) / 2
    centers_squared = _upcast(x_p[:, None] - x_g[None, :]) ** 2 + _upcast(y_p[:, None] - y_g[None, :]) ** 2
    return iou - centers_squared / diagonal_squared, iou


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise distance IoU (Zheng et al., 2020), ``(N, M)``: ``IoU - d^2 / c^2`` with ``d`` the
    distance between the box centres and ``c`` the diagonal of the smallest enclosing box."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    return _box_diou_iou(boxes1, boxes2, eps)[0]


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise complete IoU (Zheng et al., 2020), ``(N, M)``: ``DIoU - alpha v`` with the aspect
    term ``v = 4 / pi^2 (atan(w1 / h1) - atan(w2 / h2))^2`` and ``alpha = v / (1 - IoU + v)``
    taken as a constant (no gradient), as the paper and torchvision do."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred, h_pred = boxes1[:, None, 2] - boxes1[:, None, 0], boxes1[:, None, 3] - boxes1[:, None, 1]
    w_gt, h_gt = boxes2[:, 2] - boxes2[:, 0], boxes2[:, 3] - boxes2[:, 1]
    v = (4 / math.pi ** 2) * (ember.atan(w_pred / h_pred) - ember.atan(w_gt / h_gt)) ** 2
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def masks_to_boxes(masks):
    """The ``(N, 4)`` float xyxy box around the nonzero pixels of each of the ``(N, H, W)`` masks
    (corners are pixel indices, both inclusive)."""
    if masks.numel() == 0:
        return ember.zeros((0, 4), dtype=ember.float32)
    out = np.zeros((masks.shape[0], 4), np.float32)
    for i, mask in enumerate(masks.detach().numpy()):
        y, x = np.nonzero(mask)
        if len(x) == 0:
            raise RuntimeError(f"masks_to_boxes: mask {i} has no nonzero pixel, so it has no box")
        out[i] = [x.min(), y.min(), x.max(), y.max()]
    return ember.from_numpy(out)


def box_convert(boxes, in_fmt, out_fmt):
    """Convert ``(..., 4)`` boxes between ``"xyxy"`` (corners), ``"xywh"`` (top-left corner,
    width, height) and ``"cxcywh"`` (centre, width, height)."""
    for name, fmt in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if fmt not in _FORMATS:
            raise ValueError(f"box_convert: unsupported {name} {fmt!r}, expected one of {_FORMATS}")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return ember.stack((a, b, c, d), dim=-1)


def clip_boxes_to_image(boxes, size):
    """Clamp ``(..., 4)`` xyxy boxes into an image of ``size = (height, width)``."""
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((x, y), dim=boxes.dim()).reshape(boxes.shape)


def remove_small_boxes(boxes, min_size):
    """Indices (int64) of the boxes whose width and height are both at least ``min_size``."""
    ws, hs = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    keep = (ws >= min_size) & (hs >= min_size)
    return ember.where(keep)[0]


def _check_nms_inputs(name, boxes, scores):
    if boxes.dim() != 2 or boxes.shape[-1] != 4:
        raise RuntimeError(f"{name}: boxes should have shape (N, 4), got {tuple(boxes.shape)}")
    if scores.dim() != 1 or scores.shape[0] != boxes.shape[0]:
        raise RuntimeError(f"{name}: scores should have shape ({boxes.shape[0]},), got {tuple(scores.shape)}")


def _nms_numpy(boxes, scores, iou_threshold):
    # Greedy: visit boxes by falling score, drop every later box overlapping a kept one by more
    # than the threshold. Areas and overlaps in the boxes' own precision, as torchvision's kernel.
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    suppressed = np.zeros(len(boxes), bool)
    keep = []
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1:]
        rest = rest[~suppressed[rest]]
        w = np.maximum(0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        with np.errstate(invalid="ignore", divide="ignore"):   # two empty boxes: 0/0, never suppressed
            suppressed[rest[inter / (areas[i] + areas[rest] - inter) > iou_threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def nms(boxes, scores, iou_threshold):
    """Greedy non-maximum suppression: the indices (int64) of the boxes kept, by falling score.

    A box is dropped when its IoU with a higher-scoring kept box is greater than ``iou_threshold``.
    """
    _check_nms_inputs("nms", boxes, scores)
    keep = _nms_numpy(boxes.detach().numpy(), scores.detach().numpy(), float(iou_threshold))
    return ember.from_numpy(keep)


def batched_nms(boxes, scores, idxs, iou_threshold):
    """Non-maximum suppression within each category ``idxs`` (boxes of different categories never
    suppress one another); the kept indices (int64) by falling score."""
    _check_nms_inputs("batched_nms", boxes, scores)
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64)
    b, s = boxes.detach().numpy(), scores.detach().numpy()
    cats = idxs.detach().numpy()
    keep = np.zeros(len(b), bool)
    for c in np.unique(cats):
        members = np.nonzero(cats == c)[0]
        keep[members[_nms_numpy(b[members], s[members], float(iou_threshold))]] = True
    kept = np.nonzero(keep)[0]
    return ember.from_numpy(kept[np.argsort(-s[kept], kind="stable")].astype(np.int64))
