"""A CIFAR-style residual classifier on synthetic images trained with the habits of modern
training scripts: channels_last, activation checkpointing, a forward hook collecting features,
weight norm and spectral norm parametrizations, label smoothing, SGD with nesterov and
OneCycleLR, stochastic weight averaging (AveragedModel + SWALR + update_bn), an EMA of the
weights kept with torch._foreach ops, the profiler's record_function, anomaly detection,
autocast / GradScaler guarded by the device, and parameters_to_vector."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as checkpoint
from torch.nn.utils import parameters_to_vector
from torch.nn.utils.parametrizations import spectral_norm, weight_norm
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader, TensorDataset


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                                          nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, num_classes=4, width=8, use_checkpoint=True):
        super().__init__()
        self.use_checkpoint = use_checkpoint
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = nn.Sequential(BasicBlock(width, width), BasicBlock(width, width))
        self.layer2 = nn.Sequential(BasicBlock(width, 2 * width, stride=2))
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = weight_norm(nn.Linear(2 * width, num_classes))
        self.proj = spectral_norm(nn.Linear(2 * width, 2 * width))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        if self.use_checkpoint and self.training:
            out = checkpoint.checkpoint(self.layer1, out, use_reentrant=False)
        else:
            out = self.layer1(out)
        out = self.layer2(out)
        out = torch.flatten(self.pool(out), 1)
        return self.fc(out + 0.1 * self.proj(out))


def synthetic_images(n, seed):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 4, n)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    patterns = np.stack([xx, yy, (xx + yy) / 2, np.abs(xx - yy)])
    images = patterns[labels][:, None] * np.array([1.0, 0.5, -0.5])[None, :, None, None]
    images = images + 0.3 * rng.standard_normal(images.shape)
    return torch.tensor(images, dtype=torch.float32), torch.tensor(labels)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--swa-start", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    use_amp = device.type == "cuda"
    x, y = synthetic_images(256, 0)
    x_val, y_val = synthetic_images(128, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True, drop_last=True)
    model = ResNet().to(device).to(memory_format=torch.channels_last)
    features = {}
    handle = model.pool.register_forward_hook(lambda m, inp, out: features.__setitem__("pool", out.detach()))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=len(loader))
    swa_model = AveragedModel(model)
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
    ema = [p.detach().clone() for p in model.parameters()]
    losses = []
    with torch.autograd.set_detect_anomaly(True):
        for epoch in range(args.epochs):
            model.train()
            for images, targets in loader:
                images = images.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
                targets = targets.to(device, non_blocking=True)
                with torch.profiler.record_function("forward"):
                    with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                        loss = criterion(model(images), targets)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 2.0)
                scaler.step(optimizer)
                scaler.update()
                if epoch < args.swa_start:
                    scheduler.step()
                with torch.no_grad():
                    torch._foreach_mul_(ema, 0.9)
                    torch._foreach_add_(ema, [p.detach() for p in model.parameters()], alpha=0.1)
                losses.append(loss.item())
            if epoch >= args.swa_start:
                swa_model.update_parameters(model)
                swa_scheduler.step()
            print(f"epoch {epoch} loss {np.mean(losses[-len(loader):]):.4f} lr {optimizer.param_groups[0]['lr']:.4f}")
    update_bn(loader, swa_model, device=device)
    handle.remove()

    def accuracy(net):
        net.eval()
        with torch.no_grad():
            return (net(x_val.to(device)).argmax(1) == y_val.to(device)).float().mean().item()
    acc, swa_acc = accuracy(model), accuracy(swa_model)
    vec = parameters_to_vector(model.fc.parameters())
    print(f"accuracy {acc:.3f} swa {swa_acc:.3f} params {vec.numel()}")
    print("RESULT " + json.dumps({"losses": losses, "accuracy": acc, "swa_accuracy": swa_acc,
                                  "n_params": vec.numel(), "feature_shape": list(features["pool"].shape),
                                  "n_averaged": swa_model.n_averaged.item(),
                                  "state_keys": sorted(model.state_dict().keys())}))


if __name__ == "__main__":
    main()
