"""The forward-forward algorithm in the manner of pytorch/examples' mnist_forward_forward: labels
written into the first pixels, positive and negative data, layers trained one at a time to push
the goodness of positive data above a threshold and of negative data below it, and prediction by
the label with the highest total goodness."""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
from torch.optim import Adam


def mnist_arrays(root, train, limit):
    prefix = "train" if train else "t10k"
    with gzip.open(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:limit]
    with gzip.open(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:limit]
    x = (torch.tensor(x, dtype=torch.float32) / 255.0 - 0.1307) / 0.3081
    return x, torch.tensor(y, dtype=torch.long)


def overlay_y_on_x(x, y):
    x_ = x.clone()
    x_[:, :10] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None, lr=0.03, epochs=10):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=lr)
        self.threshold = 2.0
        self.num_epochs = epochs
        self.losses = []

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train(self, x_pos, x_neg):
        for i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            loss = torch.log(1 + torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.losses.append(loss.item())
            if i % 5 == 0:
                print("  loss", loss.item())
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()


class Net(torch.nn.Module):
    def __init__(self, dims, lr, epochs):
        super().__init__()
        self.layers = [Layer(dims[d], dims[d + 1], lr=lr, epochs=epochs) for d in range(len(dims) - 1)]

    def predict(self, x):
        goodness_per_label = []
        for label in range(10):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        goodness_per_label = torch.cat(goodness_per_label, 1)
        return goodness_per_label.argmax(1)

    def train(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        for i, layer in enumerate(self.layers):
            print("training layer", i, "...")
            h_pos, h_neg = layer.train(h_pos, h_neg)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.03)
    parser.add_argument("--train-size", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x, y = mnist_arrays(args.data, True, args.train_size)
    x, y = x.to(device), y.to(device)
    x_te, y_te = mnist_arrays(args.data, False, 200)
    net = Net([784, 100, 100], args.lr, args.epochs)
    error_before = 1.0 - net.predict(x).eq(y).float().mean().item()
    x_pos = overlay_y_on_x(x, y)
    rnd = torch.randperm(x.size(0))
    x_neg = overlay_y_on_x(x, y[rnd])
    net.train(x_pos, x_neg)
    train_error = 1.0 - net.predict(x).eq(y).float().mean().item()
    test_error = 1.0 - net.predict(x_te).eq(y_te).float().mean().item()
    print("train error:", train_error)
    print("test error:", test_error)
    print("RESULT " + json.dumps({"before": error_before, "train_error": train_error, "test_error": test_error,
                                  "losses": [layer.losses for layer in net.layers]}))


if __name__ == "__main__":
    main()
