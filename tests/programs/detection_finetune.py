"""PyTorch's "TorchVision Object Detection Finetuning Tutorial", on a PennFudan-like data set.

PennFudanPed stores each image beside a mask image whose pixels hold 0 for the background and i
for the i-th pedestrian. Here NumPy draws such pairs: upright ellipses ("pedestrians") of random
colours on a noisy background. The dataset class, the transforms, the model surgery (a COCO
Mask R-CNN whose box and mask predictors are replaced for 2 classes), the training loop (SGD with
momentum and weight decay, the linear warm-up of references/detection/engine.py, StepLR) and the
final prediction with drawn boxes and masks follow the tutorial. ``--model mobilenet_v3_small``
takes the tutorial's other route, a MaskRCNN around a different backbone. ``--init-in`` loads a
state dict (``.npz``) into the model before the predictors are replaced."""
import argparse
import json
import math
import sys

import numpy as np
import torch
import torchvision
from torchvision import tv_tensors
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.ops.boxes import masks_to_boxes
from torchvision.transforms import v2 as T
from torchvision.transforms.v2 import functional as F
from torchvision.utils import draw_bounding_boxes, draw_segmentation_masks


def synthesize(n, seed):
    """``n`` (uint8 image (3, H, W), uint8 instance mask (H, W)) pairs, PennFudanPed's layout."""
    rng = np.random.RandomState(seed)
    pairs = []
    for _ in range(n):
        h, w = rng.randint(88, 112), rng.randint(100, 128)
        img = rng.randint(40, 90, (3, h, w)).astype(np.float64)
        mask = np.zeros((h, w), np.uint8)
        yy, xx = np.mgrid[0:h, 0:w]
        for i in range(1, rng.randint(1, 3) + 1):
            ry, rx = rng.randint(20, 36), rng.randint(8, 16)
            cy, cx = rng.randint(ry, h - ry), rng.randint(rx, w - rx)
            inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            mask[inside] = i
            img[:, inside] = rng.randint(150, 255, (3, 1))
        pairs.append((img.astype(np.uint8), mask))
    return pairs


class PennFudanDataset(torch.utils.data.Dataset):
    def __init__(self, pairs, transforms):
        self.pairs = pairs
        self.transforms = transforms

    def __getitem__(self, idx):
        img = torch.from_numpy(self.pairs[idx][0])      # as read_image(img_path)
        mask = torch.from_numpy(self.pairs[idx][1])     # as read_image(mask_path)[0]
        # instances are encoded as different colors; the first id is the background
        obj_ids = torch.unique(mask)
        obj_ids = obj_ids[1:]
        num_objs = len(obj_ids)
        # split the color-encoded mask into a set of binary masks
        masks = (mask == obj_ids[:, None, None]).to(dtype=torch.uint8)
        boxes = masks_to_boxes(masks)
        labels = torch.ones((num_objs,), dtype=torch.int64)
        image_id = idx
        area = (boxes[:, 3] - boxes[:, 1]) * (boxes[:, 2] - boxes[:, 0])
        iscrowd = torch.zeros((num_objs,), dtype=torch.int64)
        img = tv_tensors.Image(img)
        target = {}
        target["boxes"] = tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=F.get_size(img))
        target["masks"] = tv_tensors.Mask(masks)
        target["labels"] = labels
        target["image_id"] = image_id
        target["area"] = area
        target["iscrowd"] = iscrowd
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target

    def __len__(self):
        return len(self.pairs)


def get_transform(train, flip):
    transforms = []
    if train and flip > 0:
        transforms.append(T.RandomHorizontalFlip(flip))
    transforms.append(T.ToDtype(torch.float, scale=True))
    transforms.append(T.ToPureTensor())
    return T.Compose(transforms)


def collate_fn(batch):
    return tuple(zip(*batch))


def build_model(args):
    """The COCO-shaped model (91 classes) before fine-tuning."""
    size = dict(min_size=args.min_size, max_size=args.max_size, box_batch_size_per_image=args.box_batch,
                rpn_pre_nms_top_n_train=args.proposals, rpn_post_nms_top_n_train=args.proposals,
                rpn_pre_nms_top_n_test=args.proposals, rpn_post_nms_top_n_test=args.proposals // 2)
    if args.model == "maskrcnn_resnet50_fpn":
        weights = None if args.weights == "none" else args.weights
        return torchvision.models.detection.maskrcnn_resnet50_fpn(weights=weights, weights_backbone=None, **size)
    # "2 - Modifying the model to add a different backbone"
    backbone = torchvision.models.mobilenet_v3_small(weights=None).features
    backbone.out_channels = 576
    anchor_generator = AnchorGenerator(sizes=((16, 32, 64),), aspect_ratios=((0.5, 1.0, 2.0),))
    roi_pooler = torchvision.ops.MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=2)
    mask_roi_pooler = torchvision.ops.MultiScaleRoIAlign(featmap_names=["0"], output_size=14, sampling_ratio=2)
    return MaskRCNN(backbone, num_classes=None, rpn_anchor_generator=anchor_generator, box_roi_pool=roi_pooler,
                    box_head=TwoMLPHead(576 * 7 * 7, 128), box_predictor=FastRCNNPredictor(128, 91),
                    mask_roi_pool=mask_roi_pooler, mask_head=MaskRCNNHeads(576, [32, 32], 1),
                    mask_predictor=MaskRCNNPredictor(32, 32, 91), **size)


def get_model_instance_segmentation(num_classes, args):
    model = build_model(args)
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    # get number of input features for the classifier
    in_features = model.roi_heads.box_predictor.cls_score.in_features
    # replace the pre-trained head with a new one
    model.roi_heads.box_predictor = FastRCNNPredictor(in_features, num_classes)
    # now get the number of input features for the mask classifier
    in_features_mask = model.roi_heads.mask_predictor.conv5_mask.in_channels
    hidden_layer = model.roi_heads.mask_predictor.conv5_mask.out_channels
    # and replace the mask predictor with a new one
    model.roi_heads.mask_predictor = MaskRCNNPredictor(in_features_mask, hidden_layer, num_classes)
    return model


def train_one_epoch(model, optimizer, data_loader, epoch, history):
    model.train()
    lr_scheduler = None
    if epoch == 0:
        warmup_factor = 1.0 / 1000
        warmup_iters = min(1000, len(data_loader) - 1)
        lr_scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=warmup_factor,
                                                         total_iters=warmup_iters)
    for images, targets in data_loader:
        images = list(image for image in images)
        targets = [{k: v for k, v in t.items()} for t in targets]
        loss_dict = model(images, targets)
        losses = sum(loss for loss in loss_dict.values())
        loss_value = losses.item()
        if not math.isfinite(loss_value):
            print(f"Loss is {loss_value}, stopping training")
            print(loss_dict)
            sys.exit(1)
        optimizer.zero_grad()
        losses.backward()
        optimizer.step()
        if lr_scheduler is not None:
            lr_scheduler.step()
        history.append({k: v.item() for k, v in loss_dict.items()})
        print(f"epoch {epoch} loss {loss_value:.4f} lr {optimizer.param_groups[0]['lr']:.6f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="maskrcnn_resnet50_fpn", choices=["maskrcnn_resnet50_fpn",
                                                                            "mobilenet_v3_small"])
    parser.add_argument("--weights", default="DEFAULT")
    parser.add_argument("--init-in", default=None)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--flip", type=float, default=0.5)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--min-size", type=int, default=800)
    parser.add_argument("--max-size", type=int, default=1333)
    parser.add_argument("--box-batch", type=int, default=512)
    parser.add_argument("--proposals", type=int, default=2000)
    args = parser.parse_args()
    torch.manual_seed(0)

    num_classes = 2   # background and person
    pairs = synthesize(args.images + 1, seed=0)
    dataset = PennFudanDataset(pairs[:-1], get_transform(train=True, flip=args.flip))
    data_loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=not args.no_shuffle,
                                              collate_fn=collate_fn)
    model = get_model_instance_segmentation(num_classes, args)

    # the untrained predictions on a held-out image (deterministic: no sampling in eval mode)
    eval_transform = get_transform(train=False, flip=0)
    image = torch.from_numpy(pairs[-1][0])
    model.eval()
    with torch.no_grad():
        before = model([eval_transform(image)])[0]

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=0.0005)
    lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    history = []
    for epoch in range(args.epochs):
        train_one_epoch(model, optimizer, data_loader, epoch, history)
        lr_scheduler.step()

    model.eval()
    with torch.no_grad():
        x = eval_transform(image)
        predictions = model([x])
        pred = predictions[0]
    image = (255.0 * (x - x.min()) / (x.max() - x.min())).to(torch.uint8)
    pred_labels = [f"pedestrian: {score:.3f}" for label, score in zip(pred["labels"], pred["scores"])]
    pred_boxes = pred["boxes"].long()
    output_image = draw_bounding_boxes(image, pred_boxes, pred_labels, colors="red")
    masks = (pred["masks"] > 0.7).squeeze(1)
    output_image = draw_segmentation_masks(output_image, masks, alpha=0.5, colors="blue")

    result = {"history": history, "n_params": sum(p.numel() for p in model.parameters()),
              "n_trainable": sum(p.numel() for p in params),
              "before": {k: v.tolist() for k, v in before.items() if k != "masks"},
              "before_mask_sums": before["masks"].sum(dim=(1, 2, 3)).tolist(),
              "after_keys": sorted(pred), "after_count": len(pred["boxes"]),
              "mask_shape": list(pred["masks"].shape[1:]), "output_shape": list(output_image.shape),
              "output_dtype": str(output_image.dtype), "lr": optimizer.param_groups[0]["lr"]}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
