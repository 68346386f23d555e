"""The memory- and speed-minded training loop of a small causal transformer, as recent PyTorch code writes it:
``F.scaled_dot_product_attention`` with ``is_causal``, with a boolean padding ``attn_mask`` and with
``dropout_p`` (its mask drawn from torch's stream), blocks wrapped in ``torch.utils.checkpoint.checkpoint``
(``use_reentrant=False``, dropout inside, so the recomputation must redraw the same mask), ``torch.compile``
of the model (``--compile 1``; inductor draws dropout masks from its own generator, so torch's run is eager),
``torch.amp.GradScaler("cpu")`` with ``scale`` / ``unscale_`` / ``clip_grad_norm_`` / ``step`` /
``update`` under a disabled ``torch.autocast``, an EMA by ``AveragedModel(get_ema_multi_avg_fn)``, then SWA:
``AveragedModel`` + ``SWALR`` annealing + ``update_bn`` for a BatchNorm head."""
import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.checkpoint import checkpoint


class Block(nn.Module):
    def __init__(self, d, h, p):
        super().__init__()
        self.h, self.p = h, p
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d), nn.Dropout(p))

    def forward(self, x, pad_mask=None):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.h, d // self.h).transpose(1, 2) for z in (q, k, v))
        if pad_mask is None:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.p if self.training else 0.0, is_causal=True)
        else:
            causal = torch.ones(t, t, dtype=torch.bool).tril()
            mask = causal[None, None] & pad_mask[:, None, None, :]
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.p if self.training else 0.0)
        x = x + self.proj(y.transpose(1, 2).contiguous().view(b, t, d))
        return x + self.mlp(self.ln2(x))


class TinyLM(nn.Module):
    def __init__(self, vocab=16, d=32, h=4, n_layer=2, block_size=12, p=0.1, use_ckpt=True):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(block_size, d)
        self.blocks = nn.ModuleList([Block(d, h, p) for _ in range(n_layer)])
        self.ln_f, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)
        self.use_ckpt = use_ckpt

    def forward(self, idx, pad_mask=None):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for blk in self.blocks:
            if self.use_ckpt and self.training:
                x = checkpoint(blk, x, pad_mask, use_reentrant=False)
            else:
                x = blk(x, pad_mask)
        return self.head(self.ln_f(x))


def batch(step, b=8, t=12, vocab=16):
    g = torch.Generator().manual_seed(100 + step)
    start = torch.randint(0, vocab, (b, 1), generator=g)
    seq = (start + torch.arange(t + 1) * 3) % vocab
    return seq[:, :-1], seq[:, 1:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--compile", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = TinyLM()
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    compiled = torch.compile(model) if args.compile else model
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1, betas=(0.9, 0.95))
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=4)
    losses, norms, scales = [], [], []
    for step in range(args.steps):
        x, y = batch(step)
        pad = torch.ones_like(x, dtype=torch.bool)
        pad[:, -2:] = step % 3 != 0
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=False):
            logits = compiled(x, pad if step % 2 else None)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1), label_smoothing=0.05)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
        scaler.step(opt)
        scaler.update()
        ema.update_parameters(model)
        losses.append(loss.item())
        scales.append(scaler.get_scale())
    model.eval()
    ema.eval()
    x, y = batch(99)
    with torch.no_grad():
        eval_loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
        ema_loss = F.cross_entropy(ema(x).flatten(0, 1), y.flatten()).item()
    model.train()
    model.use_ckpt = False
    x, _ = batch(5)
    torch.manual_seed(7)
    plain = model(x)
    model.use_ckpt = True
    torch.manual_seed(7)
    ckpt_out = model(x)
    ckpt_same = (plain - ckpt_out).abs().max().item()

    # SWA on a BatchNorm MLP
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
    data = [(torch.randn(16, 4), torch.randn(16, 1)) for _ in range(4)]
    sgd = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    swa_model = AveragedModel(net)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(sgd, T_max=10)
    swa_sched = SWALR(sgd, swa_lr=0.02, anneal_epochs=2, anneal_strategy="cos")
    swa_lrs = []
    for epoch in range(6):
        for xb, yb in data:
            sgd.zero_grad()
            F.mse_loss(net(xb), yb).backward()
            sgd.step()
        if epoch >= 3:
            swa_model.update_parameters(net)
            swa_sched.step()
        else:
            sched.step()
        swa_lrs.append(sgd.param_groups[0]["lr"])
    update_bn(((xb,) for xb, _ in data), swa_model)
    bn = swa_model.module[1]
    swa_model.eval()
    print("RESULT " + json.dumps({
        "losses": losses, "norms": norms, "scales": scales, "eval": eval_loss, "ema_eval": ema_loss,
        "n_averaged": [ema.n_averaged.item(), swa_model.n_averaged.item()], "ckpt_same": ckpt_same,
        "swa_lrs": swa_lrs, "bn": [bn.running_mean.sum().item(), bn.running_var.sum().item(), bn.momentum,
                                   bn.num_batches_tracked.item()],
        "swa_out": swa_model(data[0][0])[:4].squeeze(1).tolist(), "log_scale": math.log2(scaler.get_scale()),
    }))


if __name__ == "__main__":
    main()
