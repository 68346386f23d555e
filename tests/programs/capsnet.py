"""A Capsule Network with dynamic routing (Sabour et al.; the gram-ai / higgsfield PyTorch ports): primary
capsules from a ``Conv2d`` reshaped with ``view`` / ``permute``, ``squash`` with ``(s ** 2).sum(dim, keepdim=True)``,
a 5-d weight ``W`` of shape (1, routes, classes, out, in) matmul'd with ``torch.matmul`` against the broadcast
inputs, routing logits ``b_ij`` refined over three iterations with ``F.softmax(dim=2)`` and agreement
``torch.matmul(u_hat.transpose(3, 4), v_j)``, the margin loss, a masked reconstruction decoder using
``F.one_hot`` / ``torch.eye(...).index_select``, ``torch.norm(dim=-1)`` class lengths, and Adam with
``ExponentialLR``; trained on synthetic 12x12 digit-like strokes."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def squash(s, dim=-1):
    squared_norm = (s ** 2).sum(dim=dim, keepdim=True)
    return squared_norm / (1 + squared_norm) * s / (torch.sqrt(squared_norm) + 1e-8)


class PrimaryCaps(nn.Module):
    def __init__(self, num_capsules=4, in_channels=16, out_channels=8, kernel_size=3, stride=2):
        super().__init__()
        self.capsules = nn.ModuleList([nn.Conv2d(in_channels, out_channels, kernel_size, stride)
                                       for _ in range(num_capsules)])

    def forward(self, x):
        u = torch.stack([capsule(x) for capsule in self.capsules], dim=1)   # (B, caps, C, H, W)
        u = u.permute(0, 1, 3, 4, 2).contiguous().view(x.size(0), -1, u.size(2))
        return squash(u)


class DigitCaps(nn.Module):
    def __init__(self, num_routes, num_capsules=3, in_dim=8, out_dim=6, iterations=3):
        super().__init__()
        self.num_routes, self.num_capsules, self.iterations = num_routes, num_capsules, iterations
        self.W = nn.Parameter(0.1 * torch.randn(1, num_routes, num_capsules, out_dim, in_dim))

    def forward(self, x):
        batch_size = x.size(0)
        x = x[:, :, None, :, None]                                            # (B, R, 1, in, 1)
        u_hat = torch.matmul(self.W, x)                                       # (B, R, caps, out, 1)
        b_ij = torch.zeros(batch_size, self.num_routes, self.num_capsules, 1, 1)
        for iteration in range(self.iterations):
            c_ij = F.softmax(b_ij, dim=2)
            s_j = (c_ij * u_hat).sum(dim=1, keepdim=True)
            v_j = squash(s_j, dim=3)
            if iteration < self.iterations - 1:
                a_ij = torch.matmul(u_hat.transpose(3, 4), v_j.expand_as(u_hat))
                b_ij = b_ij + a_ij
        return v_j.squeeze(1).squeeze(-1), c_ij                                # (B, caps, out)


class Decoder(nn.Module):
    def __init__(self, num_caps=3, dim=6, pixels=144):
        super().__init__()
        self.reconstruction_layers = nn.Sequential(nn.Linear(num_caps * dim, 64), nn.ReLU(inplace=True),
                                                   nn.Linear(64, pixels), nn.Sigmoid())
        self.num_caps = num_caps

    def forward(self, v, labels=None):
        classes = torch.norm(v, dim=-1)
        if labels is None:
            _, max_length_indices = classes.max(dim=1)
            masked = torch.eye(self.num_caps).index_select(dim=0, index=max_length_indices)
        else:
            masked = F.one_hot(labels, self.num_caps).float()
        t = (v * masked[:, :, None]).view(v.size(0), -1)
        return self.reconstruction_layers(t).view(-1, 1, 12, 12), classes


class CapsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=1)
        self.primary = PrimaryCaps()
        self.digit = DigitCaps(num_routes=4 * 4 * 4)
        self.decoder = Decoder()

    def forward(self, data, labels=None):
        v, c = self.digit(self.primary(F.relu(self.conv1(data))))
        reconstructions, classes = self.decoder(v, labels)
        return v, reconstructions, classes, c

    def margin_loss(self, classes, labels, m_plus=0.9, m_minus=0.1, lam=0.5):
        t = F.one_hot(labels, classes.size(1)).float()
        left = F.relu(m_plus - classes).view(classes.size(0), -1) ** 2
        right = F.relu(classes - m_minus).view(classes.size(0), -1) ** 2
        return (t * left + lam * (1.0 - t) * right).sum(dim=1).mean()

    def reconstruction_loss(self, data, reconstructions):
        return F.mse_loss(reconstructions.view(data.size(0), -1), data.view(data.size(0), -1), reduction="sum") \
            / data.size(0)


def make_strokes(n, rng):
    x = np.zeros((n, 1, 12, 12), np.float32)
    y = rng.randint(0, 3, n)
    for i, c in enumerate(y):
        o = rng.randint(2, 5)
        if c == 0:
            x[i, 0, o:o + 6, 5:7] = 1.0                       # vertical bar
        elif c == 1:
            x[i, 0, 5:7, o:o + 6] = 1.0                       # horizontal bar
        else:
            for k in range(6):
                x[i, 0, o + k, o + k] = 1.0                   # diagonal
    x += rng.rand(n, 1, 12, 12).astype(np.float32) * 0.1
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    data, labels = make_strokes(48, rng)
    model = CapsNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
    history = []
    for step in range(args.steps):
        idx = torch.arange(step * 16, (step + 1) * 16) % 48
        v, recon, classes, _ = model(data[idx], labels[idx])
        margin = model.margin_loss(classes, labels[idx])
        rec = model.reconstruction_loss(data[idx], recon)
        loss = margin + 0.0005 * rec
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        history.append([loss.item(), margin.item(), rec.item()])
    model.eval()
    with torch.no_grad():
        v, recon, classes, c = model(data)
    print("RESULT " + json.dumps({
        "history": history, "acc": (classes.argmax(1) == labels).float().mean().item(),
        "lengths": classes[:4].tolist(), "coupling": [c.sum(2).mean().item(), c.max().item()],
        "recon": recon.sum().item(), "lr": scheduler.get_last_lr()[0], "W_grad": model.digit.W.grad.norm().item(),
    }))


if __name__ == "__main__":
    main()
