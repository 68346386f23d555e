"""Appendix D of Raschka's "Build a Large Language Model (From Scratch)": the pretraining loop
with the bells and whistles written by hand: linear learning-rate warmup set on every param_group,
half-cycle cosine decay to min_lr, find_highest_gradient over param.grad.data before and after
torch.nn.utils.clip_grad_norm_, and gradient clipping only after the warmup; the lrs are tracked
and the losses evaluated with the chapter-5 helpers."""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llms_gpt_pretrain import GPTDatasetV1, GPTModel, calc_loss_batch, evaluate_model  # noqa: E402

CONFIG = {"vocab_size": 257, "context_length": 16, "emb_dim": 32, "n_heads": 4, "n_layers": 2, "drop_rate": 0.0,
          "qkv_bias": False}


def find_highest_gradient(model):
    max_grad = None
    for param in model.parameters():
        if param.grad is not None:
            grad_values = param.grad.data.flatten()
            max_grad_param = grad_values.max()
            if max_grad is None or max_grad_param > max_grad:
                max_grad = max_grad_param
    return max_grad


def train_model(model, train_loader, val_loader, optimizer, device, n_epochs, eval_freq, eval_iter,
                warmup_steps, initial_lr=3e-05, min_lr=1e-6):
    train_losses, val_losses, track_tokens_seen, track_lrs, grad_norms = [], [], [], [], []
    tokens_seen, global_step = 0, -1
    peak_lr = optimizer.param_groups[0]["lr"]
    total_training_steps = len(train_loader) * n_epochs
    lr_increment = (peak_lr - initial_lr) / warmup_steps
    for epoch in range(n_epochs):
        model.train()
        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()
            global_step += 1
            if global_step < warmup_steps:
                lr = initial_lr + global_step * lr_increment
            else:
                progress = ((global_step - warmup_steps) / (total_training_steps - warmup_steps))
                lr = min_lr + (peak_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
            track_lrs.append(lr)
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            loss.backward()
            if global_step >= warmup_steps:
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
                grad_norms.append(norm.item())
            optimizer.step()
            tokens_seen += input_batch.numel()
            if global_step % eval_freq == 0:
                train_loss, val_loss = evaluate_model(model, train_loader, val_loader, device, eval_iter)
                train_losses.append(train_loss)
                val_losses.append(val_loss)
                track_tokens_seen.append(tokens_seen)
                print(f"Ep {epoch + 1} (Iter {global_step:06d}): Train loss {train_loss:.3f}, Val loss {val_loss:.3f}")
    return train_losses, val_losses, track_tokens_seen, track_lrs, grad_norms


def main():
    parser = argparse.ArgumentParser(description="LLMs from scratch, appendix D")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    device = torch.device("cpu")
    out = {}
    rng = np.random.RandomState(3)
    words = "the quick brown fox jumps over a lazy dog while every cat naps in warm sun".split()
    text = " ".join(words[(3 * i + rng.randint(0, 2)) % len(words)] for i in range(260))
    token_ids = list(text.encode("utf-8"))
    split = int(0.9 * len(token_ids))
    ctx = CONFIG["context_length"]
    train_loader = DataLoader(GPTDatasetV1(token_ids[:split], ctx, ctx), batch_size=8, shuffle=False, drop_last=True)
    val_loader = DataLoader(GPTDatasetV1(token_ids[split:], ctx, ctx), batch_size=8, shuffle=False, drop_last=False)

    torch.manual_seed(123)
    model = GPTModel(CONFIG)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    model.to(device)

    # D.3: the largest gradient entry before and after clipping to norm 1.
    input_batch, target_batch = next(iter(train_loader))
    loss = calc_loss_batch(input_batch, target_batch, model, device)
    loss.backward()
    out["highest_before"] = find_highest_gradient(model).item()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    out["clip_norm"] = total_norm.item()
    out["highest_after"] = find_highest_gradient(model).item()
    out["norm_after"] = torch.norm(torch.stack([p.grad.detach().norm(2) for p in model.parameters()]), 2).item()
    model.zero_grad()
    out["grads_cleared"] = all(p.grad is None for p in model.parameters())

    peak_lr = 5e-3
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak_lr, weight_decay=0.1)
    total_steps = len(train_loader) * args.epochs
    warmup_steps = int(0.2 * total_steps)
    train_losses, val_losses, tokens_seen, lrs, grad_norms = train_model(
        model, train_loader, val_loader, optimizer, device, n_epochs=args.epochs, eval_freq=3, eval_iter=1,
        warmup_steps=warmup_steps, initial_lr=1e-5, min_lr=1e-5)
    out.update(train_losses=train_losses, val_losses=val_losses, tokens_seen=tokens_seen, lrs=lrs,
               grad_norms=grad_norms, total_steps=total_steps, warmup_steps=warmup_steps)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
