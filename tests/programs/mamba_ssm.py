"""A Mamba block as in johnma2006/mamba-minimal (the readable reference people copy): ``in_proj`` split by
``chunk``, a depthwise causal ``nn.Conv1d`` (``groups=d_inner``, ``padding=d_conv - 1`` then cropped), SiLU,
``x_proj`` split by ``torch.split`` into delta / B / C, ``F.softplus`` of ``dt_proj``, ``A = -exp(A_log)``
from an ``arange`` repeated by ``repeat``, discretization with ``torch.einsum`` (``deltaA = exp(einsum(delta,
A))``, ``deltaB_u``), the sequential selective scan stacking ``y`` over time, a ``D`` skip and ``RMSNorm``;
a residual stack with tied embeddings trained on next-token prediction of a repeating pattern, with
``torch.utils.checkpoint.checkpoint_sequential`` over the layers, and greedy generation."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint_sequential


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class MambaBlock(nn.Module):
    def __init__(self, d_model, d_state=4, expand=2, d_conv=3, dt_rank=None):
        super().__init__()
        self.d_inner = expand * d_model
        self.dt_rank = dt_rank or math.ceil(d_model / 16)
        self.d_state = d_state
        self.in_proj = nn.Linear(d_model, self.d_inner * 2, bias=False)
        self.conv1d = nn.Conv1d(self.d_inner, self.d_inner, kernel_size=d_conv, bias=True, groups=self.d_inner,
                                padding=d_conv - 1)
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + d_state * 2, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner, bias=True)
        A = torch.arange(1, d_state + 1).float().repeat(self.d_inner, 1)
        self.A_log = nn.Parameter(torch.log(A))
        self.D = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=False)

    def forward(self, x):
        b, l, d = x.shape
        x_and_res = self.in_proj(x)
        x, res = x_and_res.split(split_size=[self.d_inner, self.d_inner], dim=-1)
        x = x.transpose(1, 2)
        x = self.conv1d(x)[:, :, :l]
        x = x.transpose(1, 2)
        x = F.silu(x)
        y = self.ssm(x)
        y = y * F.silu(res)
        return self.out_proj(y)

    def ssm(self, x):
        d_in, n = self.A_log.shape
        A = -torch.exp(self.A_log.float())
        D = self.D.float()
        x_dbl = self.x_proj(x)
        delta, B, C = x_dbl.split(split_size=[self.dt_rank, n, n], dim=-1)
        delta = F.softplus(self.dt_proj(delta))
        return self.selective_scan(x, delta, A, B, C, D)

    def selective_scan(self, u, delta, A, B, C, D):
        b, l, d_in = u.shape
        n = A.shape[1]
        deltaA = torch.exp(torch.einsum("b l d, d n -> b l d n", delta, A))
        deltaB_u = torch.einsum("b l d, b l n, b l d -> b l d n", delta, B, u)
        x = torch.zeros((b, d_in, n), device=deltaA.device)
        ys = []
        for i in range(l):
            x = deltaA[:, i] * x + deltaB_u[:, i]
            y = torch.einsum("b d n, b n -> b d", x, C[:, i, :])
            ys.append(y)
        y = torch.stack(ys, dim=1)
        return y + u * D


class ResidualBlock(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.mixer = MambaBlock(d_model)
        self.norm = RMSNorm(d_model)

    def forward(self, x):
        return self.mixer(self.norm(x)) + x


class Mamba(nn.Module):
    def __init__(self, vocab_size, d_model=16, n_layer=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.layers = nn.Sequential(*[ResidualBlock(d_model) for _ in range(n_layer)])
        self.norm_f = RMSNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.lm_head.weight = self.embedding.weight
        self.use_checkpoint = False

    def forward(self, input_ids):
        x = self.embedding(input_ids)
        if self.use_checkpoint and self.training:
            x = checkpoint_sequential(self.layers, 2, x, use_reentrant=False)
        else:
            x = self.layers(x)
        return self.lm_head(self.norm_f(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Mamba(vocab_size=11)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    rng = np.random.RandomState(0)

    def batch(n=8, length=12):
        rows = []
        for _ in range(n):
            start, period = rng.randint(0, 11), rng.randint(2, 5)
            rows.append([(start + (j % period)) % 11 for j in range(length + 1)])
        t = torch.tensor(rows)
        return t[:, :-1], t[:, 1:]

    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    losses = []
    model.train()
    for step in range(args.steps):
        model.use_checkpoint = step % 2 == 1
        x, y = batch()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    prompt = torch.tensor([[3, 5, 3, 5, 3]])
    with torch.no_grad():
        ids = prompt
        for _ in range(6):
            nxt = model(ids)[:, -1].argmax(-1, keepdim=True)
            ids = torch.cat([ids, nxt], dim=1)
        x, _ = batch(2, 6)
        logits = model(x)
    grads = {n: p.grad.abs().sum().item() for n, p in model.named_parameters() if p.grad is not None}
    print("RESULT " + json.dumps({"losses": losses, "generated": ids.tolist(), "logits": logits.sum().item(),
                                  "A_log": model.layers[0].mixer.A_log[0].tolist(),
                                  "grads": {k: grads[k] for k in sorted(grads)[:6]},
                                  "n_params": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
