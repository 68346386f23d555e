"""The pytorch.org tutorial "What is torch.nn really?" step by step on MNIST: logistic regression
with hand-made weights (randn / sqrt(784), requires_grad_), a hand-written log_softmax and
negative log-likelihood, then F.cross_entropy, an nn.Module with nn.Parameter, nn.Linear, optim,
TensorDataset, DataLoader, a validation loop with get_data / loss_batch / fit, a CNN with
F.avg_pool2d, nn.Sequential with a Lambda layer, WrappedDataLoader with a preprocess function and
nn.AdaptiveAvgPool2d, SGD with momentum."""
import argparse
import gzip
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(root, prefix, limit):
    x = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"))[:limit].reshape(-1, 784)
    y = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"))[:limit]
    return (x.astype(np.float32) / 255.0), y.astype(np.int64)


class Mnist_Logistic(nn.Module):
    def __init__(self, weights=None, bias=None):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


class Mnist_Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


class Mnist_CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x, y):
    return x.view(-1, 1, 28, 28), y


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl, history):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            history.append(loss_batch(model, loss_func, xb, yb, opt)[0])
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        history.append(float(val_loss))


def get_data(train_ds, valid_ds, bs, shuffle):
    return (DataLoader(train_ds, batch_size=bs, shuffle=shuffle), DataLoader(valid_ds, batch_size=bs * 2))


def main():
    parser = argparse.ArgumentParser(description="What is torch.nn really?")
    parser.add_argument("--data", required=True)
    parser.add_argument("--train-size", type=int, default=640)
    parser.add_argument("--valid-size", type=int, default=200)
    parser.add_argument("--bs", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--shuffle", action="store_true")
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    x_train, y_train = map(torch.tensor, load(args.data, "train", args.train_size))
    x_valid, y_valid = map(torch.tensor, load(args.data, "t10k", args.valid_size))
    n, c = x_train.shape
    result = {"shape": [n, c], "y_min_max": [y_train.min().item(), y_train.max().item()]}

    weights = torch.randn(784, 10) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)
    logistic, linear, cnn = Mnist_Logistic(), Mnist_Linear(), Mnist_CNN()
    seq = nn.Sequential(Lambda(lambda x: x.view(-1, 1, 28, 28)),
                        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
                        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
                        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
                        nn.AvgPool2d(4), Lambda(lambda x: x.view(x.size(0), -1)))
    adaptive = nn.Sequential(nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
                             nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
                             nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
                             nn.AdaptiveAvgPool2d(1), Lambda(lambda x: x.view(x.size(0), -1)))
    modules = {"logistic": logistic, "linear": linear, "cnn": cnn, "seq": seq, "adaptive": adaptive}
    if args.init_out:
        arrays = {"weights": weights.detach().numpy()}
        for name, m in modules.items():
            arrays.update({f"{name}.{k}": v.detach().numpy() for k, v in m.state_dict().items()})
        np.savez(args.init_out, **arrays)
    if args.init_in:
        with np.load(args.init_in) as f:
            weights = torch.from_numpy(f["weights"]).requires_grad_()
            for name, m in modules.items():
                m.load_state_dict({k[len(name) + 1:]: torch.from_numpy(f[k]) for k in f.files
                                   if k.startswith(name + ".")})

    # From scratch.
    def model(xb):
        return log_softmax(xb @ weights + bias)

    bs = args.bs
    xb, yb = x_train[0:bs], y_train[0:bs]
    preds = model(xb)
    loss_func = nll
    result["scratch_start"] = [loss_func(preds, yb).item(), accuracy(preds, yb).item()]
    lr = args.lr
    scratch = []
    for epoch in range(args.epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)
            scratch.append(loss.item())
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
    result["scratch"] = scratch
    result["scratch_end"] = [loss_func(model(xb), yb).item(), accuracy(model(xb), yb).item()]
    result["cross_entropy_same"] = abs(F.cross_entropy(xb @ weights + bias, yb).item()
                                       - loss_func(model(xb), yb).item()) < 1e-5

    loss_func = F.cross_entropy
    train_ds = TensorDataset(x_train, y_train)
    valid_ds = TensorDataset(x_valid, y_valid)
    train_dl, valid_dl = get_data(train_ds, valid_ds, bs, args.shuffle)
    result["len_dl"] = [len(train_dl), len(valid_dl), len(train_ds)]

    # nn.Module with nn.Parameter, stepped by hand through model.parameters().
    hand = []
    for epoch in range(args.epochs):
        for xb, yb in train_dl:
            loss = loss_func(logistic(xb), yb)
            hand.append(loss.item())
            loss.backward()
            with torch.no_grad():
                for p in logistic.parameters():
                    p -= p.grad * lr
                logistic.zero_grad()
    result["module"] = hand

    # nn.Linear with optim.SGD, fit() with validation.
    history = {}
    for name, model_, lr_, mom, wrap in (("linear", linear, lr, 0.0, None), ("cnn", cnn, 0.1, 0.9, None),
                                         ("seq", seq, 0.1, 0.9, None), ("adaptive", adaptive, 0.1, 0.9,
                                                                        preprocess)):
        opt = optim.SGD(model_.parameters(), lr=lr_, momentum=mom)
        tdl, vdl = train_dl, valid_dl
        if wrap is not None:
            tdl, vdl = WrappedDataLoader(train_dl, wrap), WrappedDataLoader(valid_dl, wrap)
        hist = []
        fit(args.epochs, model_, loss_func, opt, tdl, vdl, hist)
        history[name] = hist
    result.update(history)
    with torch.no_grad():
        out = adaptive(x_valid.view(-1, 1, 28, 28))
        result["valid_acc"] = accuracy(out, y_valid).item()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
