"""Training-loop machinery of fastai-style and performance-tuning tutorials on one deep MLP: a
learning-rate range test (exponentially growing lr written into optimizer.param_groups, smoothed
loss, stop on divergence, model and optimizer restored from deep-copied state dicts), then
OneCycleLR (cos annealing, cycled momentum, three_phase) driving SGD, torch.amp.GradScaler with
enabled=False (scale / unscale_ / step / update), torch.autocast("cpu", dtype=torch.bfloat16)
for an evaluation pass, and activation checkpointing of the residual blocks with
torch.utils.checkpoint.checkpoint(use_reentrant=False) and checkpoint_sequential, whose
gradients must equal the plain ones."""
import argparse
import copy
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint, checkpoint_sequential


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, 2 * width)
        self.fc2 = nn.Linear(2 * width, width)
        self.drop = nn.Dropout(0.0)

    def forward(self, x):
        return x + self.drop(self.fc2(F.gelu(self.fc1(self.norm(x)))))


class DeepMLP(nn.Module):
    def __init__(self, d_in=10, width=32, depth=6, classes=3, use_checkpoint=False):
        super().__init__()
        self.inp = nn.Linear(d_in, width)
        self.blocks = nn.ModuleList([Block(width) for _ in range(depth)])
        self.head = nn.Linear(width, classes)
        self.use_checkpoint = use_checkpoint

    def forward(self, x):
        x = self.inp(x)
        for block in self.blocks:
            if self.use_checkpoint and self.training:
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return self.head(x)


def make_data(rng, n):
    x = rng.randn(n, 10).astype(np.float32)
    w = rng.randn(10, 3).astype(np.float32)
    y = np.argmax(x @ w + 0.3 * np.sin(3 * x[:, :3]), axis=1)
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))


def main():
    parser = argparse.ArgumentParser(description="LR finder, OneCycleLR, AMP idioms, checkpointing")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    x, y = make_data(rng, 256)
    model = DeepMLP()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    criterion = nn.CrossEntropyLoss()
    result = {}

    # 1. LR range test.
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-5, momentum=0.9)
    model_state = copy.deepcopy(model.state_dict())
    opt_state = copy.deepcopy(optimizer.state_dict())
    start_lr, end_lr, num_iter = 1e-4, 10.0, 40
    gamma = (end_lr / start_lr) ** (1 / num_iter)
    lrs, smoothed, best, avg = [], [], math.inf, 0.0
    for it in range(num_iter):
        lr = start_lr * gamma ** it
        for g in optimizer.param_groups:
            g["lr"] = lr
        i = (it * args.batch_size) % len(x)
        xb, yb = x[i:i + args.batch_size], y[i:i + args.batch_size]
        loss = criterion(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        avg = 0.98 * avg + 0.02 * loss.item()
        sm = avg / (1 - 0.98 ** (it + 1))
        lrs.append(lr)
        smoothed.append(sm)
        best = min(best, sm)
        if sm > 4 * best or not math.isfinite(sm):
            break
    result["finder_iters"] = len(lrs)
    result["finder_smoothed"] = smoothed
    suggested = lrs[int(np.argmin(np.gradient(np.array(smoothed))))] if len(smoothed) > 2 else lrs[0]
    result["suggested"] = suggested
    model.load_state_dict(model_state)
    optimizer.load_state_dict(opt_state)
    result["restored_lr"] = optimizer.param_groups[0]["lr"]
    result["restored"] = bool(torch.equal(model.inp.weight, model_state["inp.weight"]))

    # 2. Gradients under checkpointing equal the plain ones.
    ck = DeepMLP(use_checkpoint=True)
    ck.load_state_dict(model.state_dict())
    model.zero_grad()
    loss_plain = criterion(model(x[:64]), y[:64])
    loss_plain.backward()
    loss_ck = criterion(ck(x[:64]), y[:64])
    loss_ck.backward()
    result["ckpt_loss"] = [loss_plain.item(), loss_ck.item()]
    result["ckpt_grad_diff"] = max(float((a.grad - b.grad).abs().max()) for a, b in zip(model.parameters(),
                                                                                         ck.parameters()))
    seq = nn.Sequential(*[Block(32) for _ in range(4)])
    seq.load_state_dict({k: v for k, v in nn.Sequential(*model.blocks[:4]).state_dict().items()})
    h = model.inp(x[:16]).detach().requires_grad_()
    out_plain = seq(h)
    g_plain, = torch.autograd.grad(out_plain.pow(2).sum(), h)
    out_seq = checkpoint_sequential(seq, 2, h, use_reentrant=False)
    g_seq, = torch.autograd.grad(out_seq.pow(2).sum(), h)
    result["ckpt_seq_diff"] = [float((out_plain - out_seq).abs().max()), float((g_plain - g_seq).abs().max())]
    model.zero_grad()

    # 3. OneCycleLR with a disabled GradScaler, training the checkpointed model.
    optimizer = torch.optim.SGD(ck.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    steps_per_epoch = len(x) // args.batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=min(1.0, 3 * suggested), epochs=args.epochs,
                                                    steps_per_epoch=steps_per_epoch, pct_start=0.3,
                                                    anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                                                    max_momentum=0.95, div_factor=25.0, final_div_factor=1e4)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    losses, lr_trace, mom_trace = [], [], []
    for epoch in range(args.epochs):
        ck.train()
        for i in range(steps_per_epoch):
            xb, yb = x[i * args.batch_size:(i + 1) * args.batch_size], y[i * args.batch_size:(i + 1) * args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=False):
                loss = criterion(ck(xb), yb)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(ck.parameters(), max_norm=1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            losses.append(loss.item())
            lr_trace.append(scheduler.get_last_lr()[0])
            mom_trace.append(optimizer.param_groups[0]["momentum"])
    result["losses"] = losses
    result["lr_trace"] = lr_trace
    result["mom_trace"] = mom_trace
    result["scale"] = [scaler.get_scale(), scaler.is_enabled()]
    three = torch.optim.lr_scheduler.OneCycleLR(torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=1e-3),
                                                max_lr=0.01, total_steps=12, three_phase=True,
                                                anneal_strategy="linear")
    trace = []
    for _ in range(11):
        three.optimizer.step()
        three.step()
        trace.append([three.get_last_lr()[0], three.optimizer.param_groups[0]["betas"][0]])
    result["three_phase"] = trace

    # 4. Evaluation under bfloat16 autocast: matmuls in bf16, the result close to float32.
    ck.eval()
    with torch.no_grad():
        ref = ck(x)
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            low = ck(x)
    result["autocast_dtype"] = str(low.dtype).split(".")[-1]
    result["autocast_err"] = float((low.float() - ref).abs().max() / ref.abs().max())
    result["acc"] = (ref.argmax(1) == y).float().mean().item()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
