"""A tiny one-stage detector trained with torchvision.ops, as detection tutorials and
small repos write it: anchors on a feature-map grid matched to ground truth by box_iou,
box regression by generalized_box_iou_loss on decoded boxes, classification by
sigmoid_focal_loss, RoI features by roi_align (and the RoIAlign module), and inference with
box_convert, clip_boxes_to_image, remove_small_boxes, score thresholding, nms and batched_nms.

Images hold one to three bright rectangles of two classes on noise, drawn with NumPy."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import (RoIAlign, batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image,
                             generalized_box_iou, generalized_box_iou_loss, nms, remove_small_boxes, roi_align,
                             sigmoid_focal_loss)

SIZE, STRIDE, NUM_CLASSES = 32, 4, 2


def make_data(n, rng):
    images = rng.normal(0, 0.2, (n, 3, SIZE, SIZE)).astype(np.float32)
    targets = []
    for i in range(n):
        boxes, labels = [], []
        for _ in range(rng.randint(1, 4)):
            w, h = rng.randint(6, 14, 2)
            x0, y0 = rng.randint(0, SIZE - w), rng.randint(0, SIZE - h)
            c = rng.randint(0, NUM_CLASSES)
            images[i, c, y0:y0 + h, x0:x0 + w] += 1.0
            boxes.append([x0, y0, x0 + w, y0 + h])
            labels.append(c)
        targets.append({"boxes": torch.tensor(boxes, dtype=torch.float32), "labels": torch.tensor(labels)})
    return torch.from_numpy(images), targets


def make_anchors(sizes=(8.0, 12.0)):
    centers = (torch.arange(SIZE // STRIDE, dtype=torch.float32) + 0.5) * STRIDE
    cy, cx = torch.meshgrid(centers, centers, indexing="ij")
    anchors = []
    for s in sizes:
        wh = torch.full_like(cx, s)
        anchors.append(torch.stack([cx, cy, wh, wh], dim=-1).reshape(-1, 4))
    return box_convert(torch.stack(anchors, dim=1).reshape(-1, 4), in_fmt="cxcywh", out_fmt="xyxy")


class TinyDetector(nn.Module):
    def __init__(self, num_anchors=2):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(inplace=True))
        self.cls_head = nn.Conv2d(32, num_anchors * NUM_CLASSES, 3, padding=1)
        self.reg_head = nn.Conv2d(32, num_anchors * 4, 3, padding=1)
        nn.init.constant_(self.cls_head.bias, -2.0)

    def forward(self, x):
        f = self.backbone(x)
        n = x.shape[0]
        cls = self.cls_head(f).permute(0, 2, 3, 1).reshape(n, -1, NUM_CLASSES)
        reg = self.reg_head(f).permute(0, 2, 3, 1).reshape(n, -1, 4)
        return cls, reg, f


def decode(anchors, deltas):
    a = box_convert(anchors, "xyxy", "cxcywh")
    cx = a[:, 0] + deltas[..., 0] * a[:, 2]
    cy = a[:, 1] + deltas[..., 1] * a[:, 3]
    w = a[:, 2] * torch.exp(deltas[..., 2].clamp(max=4.0))
    h = a[:, 3] * torch.exp(deltas[..., 3].clamp(max=4.0))
    return box_convert(torch.stack([cx, cy, w, h], dim=-1), "cxcywh", "xyxy")


def match(anchors, targets, fg_iou=0.4):
    labels, matched = [], []
    for t in targets:
        iou = box_iou(anchors, t["boxes"])  # A x G
        best_iou, best_gt = iou.max(dim=1)
        # every ground-truth box keeps its best anchor (the low-quality matches of Faster R-CNN)
        best_anchor = iou.argmax(dim=0)
        best_iou[best_anchor] = 1.0
        best_gt[best_anchor] = torch.arange(len(t["boxes"]))
        fg = best_iou >= fg_iou
        onehot = torch.zeros(len(anchors), NUM_CLASSES)
        onehot[fg, t["labels"][best_gt[fg]]] = 1.0
        labels.append(onehot)
        matched.append((fg, t["boxes"][best_gt]))
    return torch.stack(labels), matched


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    images, targets = make_data(24, rng)
    anchors = make_anchors()
    model = TinyDetector()
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history = []
    for step in range(args.steps):
        idx = slice((step % 3) * 8, (step % 3) * 8 + 8)
        x, batch_targets = images[idx], targets[idx]
        cls_logits, deltas, _ = model(x)
        cls_targets, matched = match(anchors, batch_targets)
        num_fg = max(1, int(sum(m[0].sum().item() for m in matched)))
        loss_cls = sigmoid_focal_loss(cls_logits, cls_targets, alpha=0.25, gamma=2.0, reduction="sum") / num_fg
        pred_boxes = decode(anchors, deltas)
        reg = [generalized_box_iou_loss(pred_boxes[i][fg], gt[fg], reduction="sum") for i, (fg, gt) in
               enumerate(matched)]
        loss_reg = torch.stack(reg).sum() / num_fg
        loss = loss_cls + loss_reg
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append([loss_cls.item(), loss_reg.item()])

    model.eval()
    with torch.no_grad():
        cls_logits, deltas, feats = model(images[:4])
        boxes_all = decode(anchors, deltas)
        detections = []
        for i in range(4):
            scores, labels = cls_logits[i].sigmoid().max(dim=1)
            boxes = clip_boxes_to_image(boxes_all[i], (SIZE, SIZE))
            keep = remove_small_boxes(boxes, min_size=2.0)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            top = scores > 0.05
            boxes, scores, labels = boxes[top], scores[top], labels[top]
            keep = batched_nms(boxes, scores, labels, iou_threshold=0.5)[:10]
            plain = nms(boxes, scores, 0.5)
            best_iou = box_iou(boxes[keep], targets[i]["boxes"]).max(dim=0).values if len(keep) else torch.zeros(1)
            detections.append({"kept": len(keep), "plain": len(plain), "best_iou": best_iou.tolist()})
        shifted = targets[0]["boxes"][:1].repeat(3, 1) + torch.tensor([[0.0], [1.5], [-1.0]])
        rois = torch.cat([torch.zeros(3, 1), shifted], dim=1)
        pooled = roi_align(feats[:1], rois, output_size=(3, 3), spatial_scale=1.0 / STRIDE, sampling_ratio=2,
                           aligned=True)
        pooled_list = RoIAlign((2, 2), spatial_scale=0.25, sampling_ratio=-1, aligned=False)(
            feats[:2], [targets[0]["boxes"], targets[1]["boxes"]])
    # the ops on fixed boxes, with gradients
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 15.0, 20.0], [1.0, 2.0, 3.0, 9.0]], requires_grad=True)
    b = torch.tensor([[1.0, 1.0, 9.0, 12.0], [4.0, 6.0, 16.0, 18.0], [2.0, 0.0, 5.0, 5.0]])
    giou = generalized_box_iou(a, b)
    focal = sigmoid_focal_loss(a / 10 - 0.5, (b > 4).float(), reduction="mean")
    (giou.sum() + generalized_box_iou_loss(a, b, reduction="mean") + focal).backward()
    feat = torch.arange(2 * 2 * 8 * 8, dtype=torch.float32).reshape(2, 2, 8, 8).div(50).requires_grad_()
    r = torch.tensor([[0, 0.5, 1.0, 6.0, 5.5], [1, 2.2, 0.3, 7.9, 7.1], [0, -1.0, 3.0, 4.0, 9.5]])
    out = roi_align(feat, r, output_size=2, spatial_scale=1.0, sampling_ratio=2, aligned=True)
    out.pow(2).sum().backward()
    print("RESULT " + json.dumps({
        "history": history, "detections": detections, "pooled": pooled.sum(dim=(1, 2, 3)).tolist(),
        "pooled_shape": list(pooled.shape), "pooled_list": list(pooled_list.shape),
        "giou": giou.tolist(), "box_grad": a.grad.tolist(), "focal": focal.item(),
        "roi": out.flatten().tolist(), "roi_grad": feat.grad.sum(dim=(0, 1)).flatten().tolist(),
        "area": box_area(b).tolist(), "iou": box_iou(a, b).tolist(),
        "nms": nms(b, torch.tensor([0.9, 0.8, 0.7]), 0.3).tolist()}))


if __name__ == "__main__":
    main()
