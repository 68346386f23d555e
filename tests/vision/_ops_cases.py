"""Inputs of the torchvision.ops cases, made with NumPy (float64) so that the fixture maker
(under torchvision) and tests/vision/test_vision_ops_detection.py (under ember) build the same
tensors. Each case is ``(name, function name, {argument: array or value}, differentiable args)``."""
import numpy as np


def boxes(rng, n, size=20.0):
    xy = rng.uniform(0, size, (n, 2))
    wh = rng.uniform(1, size / 2, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def cases():
    rng = np.random.RandomState(0)
    a, b = boxes(rng, 5), boxes(rng, 4)
    far = np.array([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 1.0, 1.0]])
    far_b = np.array([[5.0, 5.0, 6.0, 8.0], [1.0, 1.0, 3.0, 3.0], [0.5, 0.0, 1.0, 4.0]])
    out = [
        ("box_area", "box_area", {"boxes": a}, ["boxes"]),
        ("box_iou", "box_iou", {"boxes1": a, "boxes2": b}, ["boxes1", "boxes2"]),
        ("generalized_box_iou", "generalized_box_iou", {"boxes1": a, "boxes2": b}, ["boxes1", "boxes2"]),
        ("distance_box_iou", "distance_box_iou", {"boxes1": a, "boxes2": b}, ["boxes1", "boxes2"]),
        ("complete_box_iou", "complete_box_iou", {"boxes1": a, "boxes2": b}, ["boxes1", "boxes2"]),
        ("masks_to_boxes", "masks_to_boxes", {"masks": (rng.uniform(size=(3, 7, 9)) > 0.8).astype(np.float64)}, []),
        ("clip_boxes", "clip_boxes_to_image", {"boxes": a - 3.0, "size": (12, 15)}, ["boxes"]),
        ("remove_small", "remove_small_boxes", {"boxes": a, "min_size": 4.0}, []),
    ]
    for fin in ("xyxy", "xywh", "cxcywh"):
        for fout in ("xyxy", "xywh", "cxcywh"):
            out.append((f"box_convert_{fin}_{fout}", "box_convert", {"boxes": a, "in_fmt": fin, "out_fmt": fout},
                        ["boxes"]))
    for reduction in ("none", "mean", "sum"):
        out.append((f"giou_loss_{reduction}", "generalized_box_iou_loss",
                    {"boxes1": np.concatenate([a[:3], far]), "boxes2": np.concatenate([b[:3], far_b]),
                     "reduction": reduction}, ["boxes1", "boxes2"]))
    for reduction in ("none", "mean", "sum"):
        for fn in ("distance_box_iou_loss", "complete_box_iou_loss"):
            out.append((f"{fn}_{reduction}", fn, {"boxes1": np.concatenate([a[:3], far]),
                                                  "boxes2": np.concatenate([b[:3], far_b]), "reduction": reduction},
                        ["boxes1", "boxes2"]))
    logits = rng.normal(0, 2, (4, 6))
    hard = (rng.uniform(size=(4, 6)) < 0.4).astype(np.float64)
    soft = rng.uniform(size=(4, 6))
    for alpha, gamma, reduction, target in ((0.25, 2.0, "none", hard), (-1.0, 2.0, "mean", hard),
                                             (0.5, 0.0, "sum", soft), (0.25, 1.5, "mean", soft)):
        out.append((f"focal_{alpha}_{gamma}_{reduction}", "sigmoid_focal_loss",
                    {"inputs": logits, "targets": target, "alpha": alpha, "gamma": gamma, "reduction": reduction},
                    ["inputs"]))
    scores = rng.uniform(size=40)
    many = boxes(rng, 40, size=30.0)
    cats = rng.randint(0, 3, 40)
    for thr in (0.2, 0.5, 0.8):
        out.append((f"nms_{thr}", "nms", {"boxes": many, "scores": scores, "iou_threshold": thr}, []))
        out.append((f"batched_nms_{thr}", "batched_nms",
                    {"boxes": many, "scores": scores, "idxs": cats, "iou_threshold": thr}, []))
    feats = rng.normal(0, 1, (2, 3, 9, 11))
    rois = np.concatenate([rng.randint(0, 2, (6, 1)), boxes(rng, 6, size=14.0) - 2.0], axis=1)
    rois[0, 1:] = [3.0, 2.0, 3.4, 2.3]   # smaller than a bin
    rois[1, 1:] = [-4.0, -3.0, 30.0, 25.0]   # past every edge
    for out_size, scale, ratio, aligned in (((2, 2), 1.0, 2, True), ((3, 4), 0.5, -1, False), (2, 0.75, 1, False),
                                            ((4, 3), 1.0, -1, True)):
        out.append((f"roi_align_{out_size}_{scale}_{ratio}_{aligned}", "roi_align",
                    {"input": feats, "boxes": rois, "output_size": out_size, "spatial_scale": scale,
                     "sampling_ratio": ratio, "aligned": aligned}, ["input"]))
    for out_size, scale in (((2, 2), 1.0), ((3, 2), 0.5), (4, 0.3)):
        out.append((f"roi_pool_{out_size}_{scale}", "roi_pool",
                    {"input": feats, "boxes": rois, "output_size": out_size, "spatial_scale": scale}, ["input"]))
    return out


def module_inputs():
    """Inputs, buffers and weights of the module cases (FrozenBatchNorm2d, FeaturePyramidNetwork)."""
    rng = np.random.RandomState(1)
    bn = {"x": rng.normal(size=(2, 3, 4, 5)), "weight": rng.uniform(0.5, 2, 3), "bias": rng.normal(size=3),
          "running_mean": rng.normal(size=3), "running_var": rng.uniform(0.5, 2, 3)}
    fpn = {"c2": rng.normal(size=(1, 3, 12, 10)), "c3": rng.normal(size=(1, 5, 6, 5)),
           "c4": rng.normal(size=(1, 4, 3, 3))}
    return bn, fpn


def fpn_weight(key, shape):
    w = np.cos(np.arange(int(np.prod(shape))) * 0.37 + len(key)).reshape(shape) * 0.3
    return np.abs(w) + 0.5 if key.endswith("running_var") else w


INT_ARGS = ("idxs",)
FEATURE_NODES = {"layer1": "c2", "layer2.0.relu_1": "relu", "layer3.1.bn2": "bn", "layer4": "c5"}


def multiscale_inputs():
    """A 3-level pyramid for two images of different sizes, and boxes of all sizes."""
    rng = np.random.RandomState(5)
    pyramid = {"p2": rng.normal(size=(2, 2, 16, 16)), "p3": rng.normal(size=(2, 2, 8, 8)),
               "p4": rng.normal(size=(2, 2, 4, 4))}
    boxes = [np.array([[0.0, 0.0, 5.0, 6.0], [2.0, 3.0, 60.0, 62.0], [10.0, 4.0, 40.0, 30.0]]),
             np.array([[1.0, 1.0, 200.0, 180.0], [3.0, 5.0, 9.0, 8.0], [0.0, 2.0, 470.0, 480.0]])]
    return pyramid, boxes, [(64, 60), (50, 64)]
