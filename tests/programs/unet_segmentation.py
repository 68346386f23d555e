"""A small U-Net for binary segmentation, in the style of the public U-Net repos
(milesial/Pytorch-UNet): DoubleConv blocks, MaxPool2d down, ConvTranspose2d (or bilinear
F.interpolate) up with torch.cat skip connections, BCEWithLogitsLoss plus a soft dice loss,
Adam with ReduceLROnPlateau, and a Dice score on a held-out set under torch.no_grad.

The images are discs and squares on noise, drawn with NumPy; the masks mark the discs."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class DoubleConv(nn.Module):
    """(convolution => [BN] => ReLU) * 2"""

    def __init__(self, in_channels, out_channels, mid_channels=None):
        super().__init__()
        if not mid_channels:
            mid_channels = out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    def __init__(self, in_channels, out_channels, bilinear=True):
        super().__init__()
        self.bilinear = bilinear
        if bilinear:
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x1, x2):
        if self.bilinear:
            x1 = F.interpolate(x1, scale_factor=2, mode="bilinear", align_corners=True)
        else:
            x1 = self.up(x1)
        diffY = x2.size()[2] - x1.size()[2]
        diffX = x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
        x = torch.cat([x2, x1], dim=1)
        return self.conv(x)


class UNet(nn.Module):
    def __init__(self, n_channels, n_classes, bilinear=False, base=8):
        super().__init__()
        self.n_channels, self.n_classes, self.bilinear = n_channels, n_classes, bilinear
        factor = 2 if bilinear else 1
        self.inc = DoubleConv(n_channels, base)
        self.down1 = Down(base, base * 2)
        self.down2 = Down(base * 2, base * 4 // factor)
        self.up1 = Up(base * 4, base * 2 // factor, bilinear)
        self.up2 = Up(base * 2, base, bilinear)
        self.outc = nn.Conv2d(base, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x = self.up1(x3, x2)
        x = self.up2(x, x1)
        return self.outc(x)


def dice_coeff(input, target, reduce_batch_first=False, epsilon=1e-6):
    assert input.size() == target.size()
    sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)
    inter = 2 * (input * target).sum(dim=sum_dim)
    sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
    sets_sum = torch.where(sets_sum == 0, inter, sets_sum)
    dice = (inter + epsilon) / (sets_sum + epsilon)
    return dice.mean()


def dice_loss(input, target):
    return 1 - dice_coeff(input, target, reduce_batch_first=True)


def make_data(n, size, rng):
    yy, xx = np.mgrid[0:size, 0:size]
    images = rng.normal(0, 0.3, (n, 1, size, size)).astype(np.float32)
    masks = np.zeros((n, 1, size, size), np.float32)
    for i in range(n):
        cy, cx, r = rng.randint(4, size - 4, 2).tolist() + [rng.randint(2, 5)]
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        sy, sx = rng.randint(0, size - 5, 2)
        images[i, 0, sy:sy + 4, sx:sx + 4] += 1.0
        images[i, 0][disc] += 1.0
        masks[i, 0][disc] = 1.0
    return torch.from_numpy(images), torch.from_numpy(masks)


@torch.inference_mode()
def evaluate(net, loader, device):
    net.eval()
    dice_score = 0
    for image, mask_true in loader:
        image, mask_true = image.to(device=device, dtype=torch.float32), mask_true.to(device)
        mask_pred = (F.sigmoid(net(image)) > 0.5).float()
        dice_score += dice_coeff(mask_pred.squeeze(1), mask_true.squeeze(1), reduce_batch_first=False)
    net.train()
    return (dice_score / max(len(loader), 1)).item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--size", type=int, default=24)
    parser.add_argument("--bilinear", action="store_true")
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rng = np.random.RandomState(0)
    x, y = make_data(40, args.size, rng)
    train_loader = DataLoader(TensorDataset(x[:32], y[:32]), batch_size=args.batch_size, shuffle=False)
    val_loader = DataLoader(TensorDataset(x[32:], y[32:]), batch_size=args.batch_size, shuffle=False,
                            drop_last=True)
    model = UNet(n_channels=1, n_classes=1, bilinear=args.bilinear).to(device=device, memory_format=torch.channels_last)
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-8)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "max", patience=1)
    criterion = nn.BCEWithLogitsLoss()
    losses, dices = [], []
    for epoch in range(1, args.epochs + 1):
        model.train()
        for images, true_masks in train_loader:
            images = images.to(device=device, dtype=torch.float32, memory_format=torch.channels_last)
            masks_pred = model(images)
            loss = criterion(masks_pred.squeeze(1), true_masks.squeeze(1).float())
            loss += dice_loss(F.sigmoid(masks_pred.squeeze(1)), true_masks.squeeze(1).float())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
        val_score = evaluate(model, val_loader, device)
        scheduler.step(val_score)
        dices.append(val_score)
    print("RESULT " + json.dumps({"losses": losses, "dice": dices, "lr": optimizer.param_groups[0]["lr"],
                                  "n_params": sum(p.numel() for p in model.parameters() if p.requires_grad)}))


if __name__ == "__main__":
    main()
