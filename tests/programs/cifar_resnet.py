"""CIFAR-10-style training as the public CIFAR repos write it (kuangliu/pytorch-cifar and the
torchvision training references): torchvision.models.resnet18(num_classes=10) (or
mobilenet_v2 / efficientnet_b0, weights=None), torchvision.transforms.v2 (RandomCrop with
padding=4, RandomHorizontalFlip, ToImage, ToDtype(scale=True), Normalize), a Dataset over
uint8 HWC arrays, random_split, SGD with nesterov momentum and weight decay, CosineAnnealingLR,
CrossEntropyLoss(label_smoothing=0.1), evaluation under torch.no_grad with accuracy, a
checkpoint dict through torch.save / torch.load, and torchvision.utils.make_grid /
save_image of a batch.

The images are small and synthetic but learnable: each class has its own colour and stripe
direction, drawn with NumPy."""
import argparse
import json
import os

import numpy as np
import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.optim as optim
import torchvision
import torchvision.transforms.v2 as transforms
from torch.utils.data import DataLoader, Dataset, random_split


class SyntheticCIFAR(Dataset):
    def __init__(self, n, size=32, transform=None, seed=0):
        rng = np.random.RandomState(seed)
        self.targets = rng.randint(0, 10, n).tolist()
        yy, xx = np.mgrid[0:size, 0:size]
        self.data = np.empty((n, size, size, 3), np.uint8)
        for i, t in enumerate(self.targets):
            angle = np.pi * t / 10
            stripes = np.sin((np.cos(angle) * xx + np.sin(angle) * yy) * 0.8) * 0.5 + 0.5
            color = np.array([(t % 3) / 2, (t // 3 % 3) / 2, (t % 2)]) * 0.6 + 0.2
            img = stripes[..., None] * color + rng.normal(0, 0.08, (size, size, 3))
            self.data[i] = np.clip(img * 255, 0, 255).astype(np.uint8)
        self.transform = transform
        self.classes = [f"class_{i}" for i in range(10)]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        return img, target


def build_model(arch):
    if arch == "resnet18":
        return torchvision.models.resnet18(num_classes=10)
    return torchvision.models.get_model(arch, weights=None, num_classes=10)


def main():
    parser = argparse.ArgumentParser(description="PyTorch CIFAR10 Training")
    parser.add_argument("--lr", default=0.05, type=float, help="learning rate")
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--epochs", default=2, type=int)
    parser.add_argument("--batch-size", default=16, type=int)
    parser.add_argument("--n", default=80, type=int)
    parser.add_argument("--size", default=32, type=int)
    parser.add_argument("--augment", default=1, type=int)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    cudnn.benchmark = True
    torch.backends.cudnn.deterministic = True

    mean, std = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
    transform_train = transforms.Compose([
        transforms.ToImage(),
        transforms.RandomCrop(args.size, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToDtype(torch.float32, scale=True),
        transforms.Normalize(mean, std),
    ])
    transform_test = transforms.Compose([transforms.ToImage(), transforms.ToDtype(torch.float32, scale=True),
                                         transforms.Normalize(mean, std)])
    full = SyntheticCIFAR(args.n, args.size, transform=transform_train if args.augment else transform_test)
    trainset, _ = random_split(full, [args.n - 16, 16]) if not args.no_shuffle else (full, None)
    testset = SyntheticCIFAR(32, args.size, transform=transform_test, seed=1)
    trainloader = DataLoader(trainset, batch_size=args.batch_size, shuffle=not args.no_shuffle, num_workers=0,
                             drop_last=True)
    testloader = DataLoader(testset, batch_size=32, shuffle=False, num_workers=0)

    net = build_model(args.arch).to(device)
    if args.init_in:
        with np.load(args.init_in) as f:
            net.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    if device == "cuda":
        net = torch.nn.DataParallel(net)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    def test():
        net.eval()
        test_loss, correct, total = 0, 0, 0
        with torch.no_grad():
            for inputs, targets in testloader:
                inputs, targets = inputs.to(device), targets.to(device)
                outputs = net(inputs)
                test_loss += criterion(outputs, targets).item()
                _, predicted = outputs.max(1)
                total += targets.size(0)
                correct += predicted.eq(targets).sum().item()
        return test_loss / len(testloader), 100.0 * correct / total

    first_test = test()
    losses, lrs = [], []
    for epoch in range(args.epochs):
        net.train()
        for inputs, targets in trainloader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    last_test = test()
    state = {"net": net.state_dict(), "acc": last_test[1], "epoch": args.epochs}
    os.makedirs("checkpoint", exist_ok=True)
    torch.save(state, "./checkpoint/ckpt.pth")
    checkpoint = torch.load("./checkpoint/ckpt.pth", weights_only=True)
    reloaded = build_model(args.arch)
    reloaded.load_state_dict(checkpoint["net"])
    reloaded.eval()
    sample, _ = next(iter(testloader))
    with torch.no_grad():
        same = torch.allclose(reloaded(sample), net(sample), atol=1e-5)
    grid = torchvision.utils.make_grid(sample[:8] * 0.2 + 0.5, nrow=4, padding=2)
    torchvision.utils.save_image(sample[:8] * 0.2 + 0.5, "batch.png", nrow=4, normalize=False)
    one = transform_train(full.data[0])
    flipped = transforms.RandomHorizontalFlip(p=1.0)(transforms.ToImage()(full.data[:1].squeeze(0)))
    print("RESULT " + json.dumps({
        "losses": losses, "lrs": lrs, "first_test": first_test, "last_test": last_test, "reloaded_same": same,
        "epoch": checkpoint["epoch"], "grid_shape": list(grid.shape), "png": os.path.getsize("batch.png") > 0,
        "sample_shape": list(one.shape), "sample_dtype": str(one.dtype).replace("ember", "torch"),
        "flip_ok": torch.equal(flipped, torch.from_numpy(full.data[0]).permute(2, 0, 1).flip(-1)),
        "n_params": sum(p.numel() for p in net.parameters()), "n_state": len(net.state_dict())}))


if __name__ == "__main__":
    main()
