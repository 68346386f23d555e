"""Two modern idioms on one small digit classifier: a spatial transformer network (the PyTorch
tutorial's localization net, F.affine_grid + F.grid_sample, identity-initialized) trained with
SGD, and per-sample gradients with torch.func (functional_call, vmap over grad) checked against a
loop of ordinary backward passes, plus a Jacobian-vector product by torch.func.jvp."""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, jvp, vmap


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 8, kernel_size=5)
        self.fc1 = nn.Linear(128, 32)
        self.fc2 = nn.Linear(32, 10)
        self.localization = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=7), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
            nn.Conv2d(4, 6, kernel_size=5), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
        self.fc_loc = nn.Sequential(nn.Linear(6 * 3 * 3, 16), nn.ReLU(True), nn.Linear(16, 3 * 2))
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 6 * 3 * 3)
        theta = self.fc_loc(xs).view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)

    def forward(self, x):
        x = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = x.view(-1, 128)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    with gzip.open(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:128]
    with gzip.open(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:128]
    x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - 0.1307) / 0.3081
    y = torch.from_numpy(labels.astype(np.int64))
    model = Net()
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for step in range(args.steps):
        batch = slice(16 * step, 16 * step + 16)
        optimizer.zero_grad()
        loss = F.nll_loss(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        predictions = functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return F.nll_loss(predictions, target.unsqueeze(0))
    per_sample = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, x[:6], y[:6])
    worst = 0.0
    for i in range(6):
        model.zero_grad()
        F.nll_loss(model(x[i:i + 1]), y[i:i + 1]).backward()
        for name, p in model.named_parameters():
            worst = max(worst, (per_sample[name][i] - p.grad).abs().max().item())
    fc = model.fc2
    _, tangent_out = jvp(lambda w: F.linear(x[:4].view(4, -1)[:, :32], w, fc.bias), (fc.weight.detach(),),
                         (torch.ones_like(fc.weight),))
    print("RESULT " + json.dumps({"losses": losses, "per_sample_max_diff": worst,
                                  "grad_shapes": {k: list(v.shape) for k, v in per_sample.items()},
                                  "jvp": tangent_out.tolist()}))


if __name__ == "__main__":
    main()
