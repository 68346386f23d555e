"""An energy-based model trained with persistent contrastive divergence and SGLD, as the JEM / "Implicit
Generation" code does it: a spectrally normalized MLP energy (``torch.nn.utils.parametrizations.spectral_norm``
with its power-iteration buffers), a replay buffer of past samples reinitialized with probability 5% from
``torch.rand``, Langevin steps ``x = x - step * grad + noise`` with ``torch.autograd.grad(E.sum(), x)``,
``clamp_`` back to the data box, the model frozen during sampling with ``requires_grad_(False)``, an L2
energy regularizer, and ``torch.no_grad()`` buffer writes via ``index_copy_``; plus a score-matching check
with ``torch.autograd.grad(create_graph=True)`` and a denoising score matching loss."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm


class Energy(nn.Module):
    def __init__(self, d=2, h=32):
        super().__init__()
        self.net = nn.Sequential(spectral_norm(nn.Linear(d, h)), nn.SiLU(), spectral_norm(nn.Linear(h, h)), nn.SiLU(),
                                 nn.Linear(h, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def sample_data(n, rng):
    centers = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]]) * 0.6
    idx = rng.randint(0, 4, n)
    return torch.tensor(centers[idx] + 0.1 * rng.randn(n, 2), dtype=torch.float32)


class ReplayBuffer:
    def __init__(self, size, d, reinit=0.05):
        self.buffer = torch.rand(size, d) * 2 - 1
        self.reinit = reinit

    def sample(self, n):
        idx = torch.randint(0, len(self.buffer), (n,))
        x = self.buffer[idx]
        fresh = (torch.rand(n) < self.reinit).float()[:, None]
        x = fresh * (torch.rand_like(x) * 2 - 1) + (1 - fresh) * x
        return x, idx

    def push(self, x, idx):
        with torch.no_grad():
            self.buffer.index_copy_(0, idx, x.detach())


def langevin(model, x, steps=10, step_size=0.05, noise=0.005):
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = x.clone().requires_grad_(True)
    for _ in range(steps):
        e = model(x)
        g = torch.autograd.grad(e.sum(), x)[0]
        x.data.add_(-step_size * g + noise * torch.randn_like(x))
        x.data.clamp_(-1.5, 1.5)
    for p in model.parameters():
        p.requires_grad_(True)
    model.train()
    return x.detach()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    model = Energy()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.0, 0.999))
    buffer = ReplayBuffer(200, 2)
    history = []
    for step in range(args.steps):
        x_pos = sample_data(32, rng)
        x_init, idx = buffer.sample(32)
        x_neg = langevin(model, x_init)
        buffer.push(x_neg, idx)
        e_pos, e_neg = model(x_pos), model(x_neg)
        loss = e_pos.mean() - e_neg.mean() + 0.1 * (e_pos ** 2 + e_neg ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append([loss.item(), e_pos.mean().item(), e_neg.mean().item()])
    sn = model.net[0].parametrizations.weight
    sigma = torch.linalg.matrix_norm(model.net[0].weight.detach(), ord=2).item()

    # denoising score matching on the same data with an MLP score net
    score = nn.Sequential(nn.Linear(2, 32), nn.Softplus(), nn.Linear(32, 2))
    sopt = torch.optim.SGD(score.parameters(), lr=0.05)
    sigma_n = 0.1
    dsm = []
    for step in range(15):
        x = sample_data(64, rng)
        noise = torch.randn_like(x) * sigma_n
        target = -noise / sigma_n ** 2
        l = 0.5 * ((score(x + noise) - target) ** 2).sum(-1).mean() * sigma_n ** 2
        sopt.zero_grad()
        l.backward()
        sopt.step()
        dsm.append(l.item())
    xs = sample_data(8, rng).requires_grad_(True)
    s = score(xs)
    div = sum(torch.autograd.grad(s[:, i].sum(), xs, create_graph=True)[0][:, i] for i in range(2))
    (div.sum()).backward()
    print("RESULT " + json.dumps({
        "history": history, "buffer": [buffer.buffer.mean().item(), buffer.buffer.std().item()],
        "sigma": sigma, "u_norm": sn[0]._u.norm().item(), "keys": sorted(model.state_dict().keys()),
        "dsm": dsm, "div": div.tolist(), "score_grad": score[0].weight.grad.abs().sum().item(),
    }))


if __name__ == "__main__":
    main()
