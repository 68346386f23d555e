"""A multi-label tagger logged to TensorBoard, as training scripts do it: ``SummaryWriter(log_dir)`` with
``add_scalar`` per step, ``add_scalars`` for train/val, ``add_histogram`` of weights, ``add_text``,
``add_hparams`` at the end, ``flush`` / ``close``; the events read back with tensorboard's
``EventAccumulator``. The model: ``BCEWithLogitsLoss(pos_weight=...)`` against ``MultiLabelSoftMarginLoss``,
``CosineAnnealingWarmRestarts`` stepped with a fractional epoch, ``clip_grad_value_``, per-label thresholds
from ``torch.quantile``, micro/macro F1 and a mean average precision from ``argsort`` + ``cumsum``."""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
from torch.utils.tensorboard import SummaryWriter


def average_precision(scores, targets):
    aps = []
    for k in range(scores.shape[1]):
        order = torch.argsort(scores[:, k], descending=True)
        t = targets[order, k]
        if t.sum() == 0:
            continue
        hits = torch.cumsum(t, 0)
        precision = hits / torch.arange(1, len(t) + 1, dtype=torch.float32)
        aps.append((precision * t).sum() / t.sum())
    return torch.stack(aps).mean().item()


def f1_scores(pred, targets, eps=1e-8):
    tp = (pred * targets).sum(0)
    fp = (pred * (1 - targets)).sum(0)
    fn = ((1 - pred) * targets).sum(0)
    macro = (2 * tp / (2 * tp + fp + fn + eps)).mean()
    micro = 2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum() + eps)
    return micro.item(), macro.item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--logdir", default="runs/multilabel")
    args = parser.parse_args()
    torch.manual_seed(0)
    n, d, k = 96, 10, 5
    x = torch.randn(n, d)
    w_true = torch.randn(d, k)
    y = (x @ w_true + 0.5 * torch.randn(n, k) > 0.8).float()
    pos_weight = (n - y.sum(0)) / y.sum(0).clamp(min=1)
    model = nn.Sequential(nn.Linear(d, 32), nn.SiLU(), nn.Dropout(0.1), nn.Linear(32, k))
    criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    soft_margin = nn.MultiLabelSoftMarginLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2, eta_min=1e-3)
    writer = SummaryWriter(log_dir=args.logdir)
    writer.add_text("config", f"epochs={args.epochs} pos_weight={pos_weight.tolist()}", 0)
    iters, batch, step = n // 16, 16, 0
    lrs, history = [], []
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(iters):
            idx = perm[i * batch:(i + 1) * batch]
            logits = model(x[idx])
            loss = criterion(logits, y[idx])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
            optimizer.step()
            scheduler.step(epoch + i / iters)
            lrs.append(optimizer.param_groups[0]["lr"])
            writer.add_scalar("train/loss", loss.item(), step)
            writer.add_scalar("train/lr", scheduler.get_last_lr()[0], step)
            step += 1
        model.eval()
        with torch.no_grad():
            logits = model(x)
            val = criterion(logits, y).item()
            margin = soft_margin(logits, y).item()
        writer.add_scalars("loss", {"val": val, "soft_margin": margin}, epoch)
        for name, p in model.named_parameters():
            writer.add_histogram(name, p.detach(), epoch)
        history.append([val, margin])
    probs = torch.sigmoid(logits)
    thresholds = torch.quantile(probs, 1 - y.mean(0), dim=0).diagonal()
    pred = (probs >= thresholds).float()
    micro, macro = f1_scores(pred, y)
    m_ap = average_precision(probs, y)
    writer.add_hparams({"lr": 0.1, "epochs": args.epochs}, {"hparam/map": m_ap, "hparam/micro_f1": micro})
    writer.flush()
    writer.close()

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(args.logdir)
    acc.Reload()
    tags = acc.Tags()
    losses = [e.value for e in acc.Scalars("train/loss")]
    steps = [e.step for e in acc.Scalars("train/loss")]
    sub_runs = sorted(os.path.relpath(root, args.logdir) for root, _, files in os.walk(args.logdir)
                      if any(f.startswith("events.out.tfevents") for f in files))
    print("RESULT " + json.dumps({
        "history": history, "lrs": lrs, "micro": micro, "macro": macro, "map": m_ap,
        "thresholds": thresholds.tolist(), "logged_losses": losses, "steps": steps,
        "scalar_tags": sorted(tags["scalars"]), "histograms": sorted(tags["histograms"]),
        "tensors": sorted(tags.get("tensors", [])), "sub_runs": len(sub_runs),
    }))


if __name__ == "__main__":
    main()
