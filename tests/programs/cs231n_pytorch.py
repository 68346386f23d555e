"""Stanford CS231n's PyTorch assignment (PyTorch.ipynb) at its three levels of abstraction, on a tiny
CIFAR-shaped synthetic set: a Dataset/DataLoader with a SubsetRandomSampler split and per-channel
normalization, then (barebones) explicit weights from ``random_weight`` (Kaiming, ``requires_grad = True``),
``flatten``, ``two_layer_fc`` with ``mm`` and ``three_layer_convnet`` with ``F.conv2d``, the shape tests on
zeros, ``check_accuracy_part2`` and a hand SGD update under ``torch.no_grad()``; (Module API) TwoLayerFC and
ThreeLayerConvNet with ``nn.init.kaiming_normal_`` / ``zeros_``, ``train_part34`` / ``check_accuracy_part34``
with ``scores.max(1)``; (Sequential API) ``nn.Sequential`` with a hand ``Flatten`` module, an OrderedDict
variant, and ``optim.SGD(momentum=0.9, nesterov=True)``; and a part V net with BatchNorm2d, MaxPool2d,
Dropout and Adam."""
import argparse
import json
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset, sampler

USE_GPU = True
dtype = torch.float32
if USE_GPU and torch.cuda.is_available():
    device = torch.device("cuda")
else:
    device = torch.device("cpu")
print_every = 4

NUM_TRAIN = 192
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)


class TinyCIFAR(Dataset):
    """10 classes of 3x8x8 images: each class a fixed colour pattern, plus noise; uint8 HWC as CIFAR stores
    them, turned into normalized CHW float tensors as T.ToTensor() + T.Normalize would."""

    def __init__(self, n, seed):
        rng = np.random.RandomState(seed)
        proto = np.random.RandomState(123).randint(0, 256, size=(10, 8, 8, 3))
        self.labels = np.arange(n) % 10
        noise = rng.randint(-50, 50, size=(n, 8, 8, 3))
        self.data = np.clip(proto[self.labels] * 0.6 + noise + 40, 0, 255).astype(np.uint8)
        self.mean = torch.tensor(CIFAR_MEAN).view(3, 1, 1)
        self.std = torch.tensor(CIFAR_STD).view(3, 1, 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = torch.from_numpy(self.data[i]).permute(2, 0, 1).float().div(255)
        return (img - self.mean) / self.std, int(self.labels[i])


def flatten(x):
    N = x.shape[0]
    return x.view(N, -1)


def two_layer_fc(x, params):
    x = flatten(x)
    w1, w2 = params
    x = F.relu(x.mm(w1))
    x = x.mm(w2)
    return x


def three_layer_convnet(x, params):
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    x = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))
    x = F.relu(F.conv2d(x, conv_w2, conv_b2, padding=1))
    scores = flatten(x).mm(fc_w) + fc_b
    return scores


def random_weight(shape):
    if len(shape) == 2:
        fan_in = shape[0]
    else:
        fan_in = np.prod(shape[1:])
    w = torch.randn(shape, device=device, dtype=dtype) * np.sqrt(2. / fan_in)
    w.requires_grad = True
    return w


def zero_weight(shape):
    return torch.zeros(shape, device=device, dtype=dtype, requires_grad=True)


def check_accuracy_part2(loader, model_fn, params):
    split = "val" if loader.dataset.train else "test"
    num_correct, num_samples = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.int64)
            scores = model_fn(x, params)
            _, preds = scores.max(1)
            num_correct += (preds == y).sum()
            num_samples += preds.size(0)
        acc = float(num_correct) / num_samples
    return split, int(num_correct), acc


def train_part2(model_fn, params, learning_rate, loader, losses):
    for t, (x, y) in enumerate(loader):
        x = x.to(device=device, dtype=dtype)
        y = y.to(device=device, dtype=torch.long)
        scores = model_fn(x, params)
        loss = F.cross_entropy(scores, y)
        loss.backward()
        with torch.no_grad():
            for w in params:
                w -= learning_rate * w.grad
                w.grad.zero_()
        losses.append(loss.item())


class TwoLayerFC(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        nn.init.kaiming_normal_(self.fc1.weight)
        self.fc2 = nn.Linear(hidden_size, num_classes)
        nn.init.kaiming_normal_(self.fc2.weight)

    def forward(self, x):
        x = flatten(x)
        scores = self.fc2(F.relu(self.fc1(x)))
        return scores


class ThreeLayerConvNet(nn.Module):
    def __init__(self, in_channel, channel_1, channel_2, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channel, channel_1, kernel_size=5, padding=2, bias=True)
        nn.init.kaiming_normal_(self.conv1.weight)
        nn.init.zeros_(self.conv1.bias)
        self.conv2 = nn.Conv2d(channel_1, channel_2, kernel_size=3, padding=1, bias=True)
        nn.init.kaiming_normal_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.fc = nn.Linear(channel_2 * 8 * 8, num_classes)
        nn.init.kaiming_normal_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        scores = self.fc(flatten(x))
        return scores


def check_accuracy_part34(loader, model):
    num_correct = 0
    num_samples = 0
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.long)
            scores = model(x)
            _, preds = scores.max(1)
            num_correct += (preds == y).sum()
            num_samples += preds.size(0)
        acc = float(num_correct) / num_samples
    return acc


def train_part34(model, optimizer, loader, epochs=1):
    model = model.to(device=device)
    losses = []
    for e in range(epochs):
        for t, (x, y) in enumerate(loader):
            model.train()
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.long)
            scores = model(x)
            loss = F.cross_entropy(scores, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


class Flatten(nn.Module):
    def forward(self, x):
        return flatten(x)


def main():
    parser = argparse.ArgumentParser(description="CS231n PyTorch.ipynb")
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(231)
    cifar10_train = TinyCIFAR(256, seed=0)
    cifar10_train.train = True
    cifar10_test = TinyCIFAR(60, seed=1)
    cifar10_test.train = False
    # The notebook's split: train on the first NUM_TRAIN, validate on the rest.
    train_idx, val_idx = range(NUM_TRAIN), range(NUM_TRAIN, 256)
    result = {"random_split_is_perm": sorted(sampler.SubsetRandomSampler(train_idx)) == list(train_idx)}
    if args.no_shuffle:
        train_sampler, val_sampler = sampler.SequentialSampler(train_idx), list(val_idx)
    else:
        train_sampler, val_sampler = sampler.SubsetRandomSampler(train_idx), sampler.SubsetRandomSampler(val_idx)
    loader_train = DataLoader(cifar10_train, batch_size=32, sampler=train_sampler)
    loader_val = DataLoader(cifar10_train, batch_size=32, sampler=val_sampler)
    loader_test = DataLoader(cifar10_test, batch_size=32)
    x0, y0 = next(iter(loader_train))
    result["batch"] = [list(x0.shape), x0.mean().item(), y0[:10].tolist(), len(loader_val)]

    # Shape tests of the barebones functions.
    x = torch.zeros((64, 50), dtype=dtype)
    w1, w2 = torch.zeros((50, 42), dtype=dtype), torch.zeros((42, 10), dtype=dtype)
    result["two_layer_shape"] = list(two_layer_fc(x, [w1, w2]).size())
    x = torch.zeros((64, 3, 8, 8), dtype=dtype)
    conv_w1, conv_b1 = torch.zeros((6, 3, 5, 5)), torch.zeros((6,))
    conv_w2, conv_b2 = torch.zeros((9, 6, 3, 3)), torch.zeros((9,))
    fc_w, fc_b = torch.zeros((9 * 8 * 8, 10)), torch.zeros(10)
    result["conv_shape"] = list(three_layer_convnet(x, [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b]).size())
    result["random_weight_std"] = random_weight((3, 5)).std().item() > 0
    result["zero_weight"] = [zero_weight((2, 3)).requires_grad, zero_weight((2, 3)).sum().item()]

    # Every model, with its initial weights written by the torch run and read by the ember run.
    fc_params = [random_weight((3 * 8 * 8, 40)), random_weight((40, 10))]
    conv_params = [random_weight((12, 3, 5, 5)), zero_weight((12,)), random_weight((8, 12, 3, 3)), zero_weight((8,)),
                   random_weight((8 * 8 * 8, 10)), zero_weight((10,))]
    two = TwoLayerFC(3 * 8 * 8, 40, 10)
    three = ThreeLayerConvNet(3, 12, 8, 10)
    seq = nn.Sequential(Flatten(), nn.Linear(3 * 8 * 8, 40), nn.ReLU(), nn.Linear(40, 10))
    seq_conv = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, 12, kernel_size=5, padding=2)), ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(12, 8, kernel_size=3, padding=1)), ("relu2", nn.ReLU()),
        ("flatten", Flatten()), ("fc", nn.Linear(8 * 8 * 8, 10))]))
    best = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        Flatten(), nn.Dropout(p=0.0), nn.Linear(32 * 2 * 2, 10))
    modules = {"two": two, "three": three, "seq": seq, "seq_conv": seq_conv, "best": best}
    if args.init_out:
        arrays = {f"fc{i}": p.detach().numpy() for i, p in enumerate(fc_params)}
        arrays.update({f"conv{i}": p.detach().numpy() for i, p in enumerate(conv_params)})
        arrays.update({f"{n}.{k}": v.numpy() for n, m in modules.items() for k, v in m.state_dict().items()})
        np.savez(args.init_out, **arrays)
    if args.init_in:
        with np.load(args.init_in) as f:
            with torch.no_grad():
                for i, p in enumerate(fc_params):
                    p.copy_(torch.from_numpy(f[f"fc{i}"]))
                for i, p in enumerate(conv_params):
                    p.copy_(torch.from_numpy(f[f"conv{i}"]))
            for n, m in modules.items():
                m.load_state_dict({k[len(n) + 1:]: torch.from_numpy(f[k]) for k in f.files if k.startswith(n + ".")})

    losses = []
    train_part2(two_layer_fc, fc_params, 1e-2, loader_train, losses)
    result["bare_fc_losses"] = losses
    result["bare_fc_acc"] = check_accuracy_part2(loader_val, two_layer_fc, fc_params)
    losses = []
    train_part2(three_layer_convnet, conv_params, 3e-3, loader_train, losses)
    result["bare_conv_losses"] = losses
    result["bare_conv_acc"] = check_accuracy_part2(loader_val, three_layer_convnet, conv_params)
    result["bare_conv_grad_zeroed"] = all(float(p.grad.abs().sum()) == 0 for p in conv_params)

    result["two_losses"] = train_part34(two, optim.SGD(two.parameters(), lr=1e-2), loader_train)
    result["two_acc"] = check_accuracy_part34(loader_val, two)
    result["three_losses"] = train_part34(three, optim.SGD(three.parameters(), lr=3e-3), loader_train)
    result["three_acc"] = check_accuracy_part34(loader_val, three)
    opt = optim.SGD(seq.parameters(), lr=1e-2, momentum=0.9, nesterov=True)
    result["seq_losses"] = train_part34(seq, opt, loader_train, epochs=2)
    result["seq_acc"] = check_accuracy_part34(loader_val, seq)
    opt = optim.SGD(seq_conv.parameters(), lr=3e-3, momentum=0.9, nesterov=True, weight_decay=1e-4)
    result["seq_conv_losses"] = train_part34(seq_conv, opt, loader_train)
    result["seq_conv_keys"] = list(seq_conv.state_dict().keys())
    result["best_losses"] = train_part34(best, optim.Adam(best.parameters(), lr=3e-3), loader_train, epochs=2)
    result["best_val"] = check_accuracy_part34(loader_val, best)
    result["best_test"] = check_accuracy_part34(loader_test, best)
    result["best_repr"] = repr(best)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
