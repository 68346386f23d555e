"""Save / resume of a small LLaMA-style model the way training repositories do it: a ``@dataclass`` ``ModelArgs``
config, the model built inside ``with torch.device("cpu"):``, rotary embeddings from ``torch.polar`` and
``torch.view_as_complex`` / ``view_as_real``, RMSNorm and SwiGLU; a checkpoint dict holding the model and
optimizer state dicts, the scheduler state, the parsed ``argparse.Namespace``, the dataclass config, the
step, the best loss and the torch / NumPy / Python RNG states; ``torch.load(weights_only=False)`` and the
``torch.serialization.safe_globals`` route for the default ``weights_only=True`` (on a config file: torch's
allow-list has no NumPy arrays); rebuilding with
``to_empty(device="cpu")`` + ``load_state_dict(..., assign=True)``; and the resumed run must continue exactly
as the uninterrupted one (dropout draws included)."""
import argparse
import json
import os
import pickle
import random
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelArgs:
    dim: int = 32
    n_layers: int = 2
    n_heads: int = 4
    vocab_size: int = 20
    multiple_of: int = 16
    norm_eps: float = 1e-5
    max_seq_len: int = 16
    dropout: float = 0.1


def precompute_freqs_cis(dim, end, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(end, device=freqs.device)
    freqs = torch.outer(t, freqs).float()
    return torch.polar(torch.ones_like(freqs), freqs)


def apply_rotary_emb(xq, xk, freqs_cis):
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    freqs_cis = freqs_cis[None, :, None, :]
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.n_heads, self.head_dim = args.n_heads, args.dim // args.n_heads
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(args.dim, args.dim, bias=False) for _ in range(4))
        self.dropout = args.dropout

    def forward(self, x, freqs_cis):
        b, t, _ = x.shape
        q, k, v = (w(x).view(b, t, self.n_heads, self.head_dim) for w in (self.wq, self.wk, self.wv))
        q, k = apply_rotary_emb(q, k, freqs_cis)
        y = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.wo(y.transpose(1, 2).reshape(b, t, -1))


class FeedForward(nn.Module):
    def __init__(self, dim, multiple_of, dropout):
        super().__init__()
        hidden = int(2 * (4 * dim) / 3)
        hidden = multiple_of * ((hidden + multiple_of - 1) // multiple_of)
        self.w1, self.w2, self.w3 = nn.Linear(dim, hidden, bias=False), nn.Linear(hidden, dim, bias=False), \
            nn.Linear(dim, hidden, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.w2(F.silu(self.w1(x)) * self.w3(x)))


class Transformer(nn.Module):
    def __init__(self, params):
        super().__init__()
        self.params = params
        self.tok_embeddings = nn.Embedding(params.vocab_size, params.dim)
        self.layers = nn.ModuleList()
        for _ in range(params.n_layers):
            block = nn.Module()
            block.attention_norm, block.attention = RMSNorm(params.dim, params.norm_eps), Attention(params)
            block.ffn_norm = RMSNorm(params.dim, params.norm_eps)
            block.feed_forward = FeedForward(params.dim, params.multiple_of, params.dropout)
            self.layers.append(block)
        self.norm = RMSNorm(params.dim, params.norm_eps)
        self.output = nn.Linear(params.dim, params.vocab_size, bias=False)
        self.tok_embeddings.weight = self.output.weight
        self.register_buffer("freqs_cis", precompute_freqs_cis(params.dim // params.n_heads, params.max_seq_len),
                             persistent=False)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, tokens, targets=None):
        h = self.tok_embeddings(tokens)
        freqs_cis = self.freqs_cis[: tokens.shape[1]]
        for layer in self.layers:
            h = h + layer.attention(layer.attention_norm(h), freqs_cis)
            h = h + layer.feed_forward(layer.ffn_norm(h))
        logits = self.output(self.norm(h))
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss


def get_batch(rng, b=8, t=12, vocab=20):
    start = rng.randint(0, vocab, (b, 1))
    seq = (start + np.arange(t + 1) * 7) % vocab
    seq = torch.from_numpy(seq)
    return seq[:, :-1], seq[:, 1:]


def train(model, opt, sched, steps, rng, losses):
    model.train()
    for _ in range(steps):
        x, y = get_batch(rng)
        x = x + torch.randint(0, 2, x.shape) * 0           # draws from torch's stream too
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item() + random.random() * 0)   # and Python's


def make(args, margs):
    torch.manual_seed(args.seed)
    with torch.device("cpu"):
        model = Transformer(margs)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1, betas=(0.9, 0.95), fused=None)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.3)
    return model, opt, sched


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--out_dir", default="out")
    args = parser.parse_args()
    margs = ModelArgs()
    os.makedirs(args.out_dir, exist_ok=True)
    ckpt_path = os.path.join(args.out_dir, "ckpt.pt")

    # one uninterrupted run
    random.seed(0)
    rng = np.random.RandomState(0)
    model, opt, sched = make(args, margs)
    straight = []
    train(model, opt, sched, args.steps, rng, straight)

    # the same run, saved half way and resumed from the file
    random.seed(0)
    rng = np.random.RandomState(0)
    model, opt, sched = make(args, margs)
    first = []
    train(model, opt, sched, args.steps // 2, rng, first)
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                  "model_args": margs, "config": vars(args), "args": args, "iter_num": args.steps // 2,
                  "best_val_loss": torch.tensor(min(first)), "torch_rng": torch.get_rng_state(),
                  "numpy_rng": rng.get_state(), "python_rng": random.getstate()}
    torch.save(checkpoint, ckpt_path)
    torch.save({"model_args": margs, "args": args, "iter_num": args.steps // 2}, os.path.join(args.out_dir, "cfg.pt"))
    del model, opt, sched, checkpoint

    try:
        torch.load(ckpt_path)
        default_load = "loaded"
    except Exception as e:      # weights_only=True refuses the dataclass and the Namespace
        default_load = isinstance(e, pickle.UnpicklingError)
    with torch.serialization.safe_globals([ModelArgs, argparse.Namespace]):
        allowed = torch.load(os.path.join(args.out_dir, "cfg.pt"), map_location="cpu")
    checkpoint = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    margs2 = checkpoint["model_args"]
    model, opt, sched = make(checkpoint["args"], margs2)
    model.to_empty(device="cpu")
    missing = model.load_state_dict(checkpoint["model"], strict=True, assign=True)
    model.tok_embeddings.weight = model.output.weight      # assign=True replaced the tied parameter
    # to_empty left every tensor uninitialized; the non-persistent buffer is not in the checkpoint
    model.freqs_cis = precompute_freqs_cis(margs2.dim // margs2.n_heads, margs2.max_seq_len)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1, betas=(0.9, 0.95))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.3)
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["torch_rng"])
    rng = np.random.RandomState()
    rng.set_state(checkpoint["numpy_rng"])
    random.setstate(checkpoint["python_rng"])
    resumed = list(first)
    train(model, opt, sched, args.steps - checkpoint["iter_num"], rng, resumed)
    model.eval()
    with torch.no_grad():
        logits, _ = model(torch.arange(8)[None] % 20)
    print("RESULT " + json.dumps({
        "straight": straight, "resumed": resumed, "resume_exact": resumed == straight, "default_load": default_load,
        "allowed": [type(allowed["model_args"]).__name__, allowed["args"].lr, allowed["iter_num"]],
        "margs": asdict(margs2), "best": checkpoint["best_val_loss"].item(), "missing": str(missing),
        "lr": sched.get_last_lr(), "tied": model.tok_embeddings.weight is model.output.weight,
        "logits": logits[0, -1, :5].tolist(), "freqs": [model.freqs_cis.dtype == torch.complex64,
                                                        torch.view_as_real(model.freqs_cis)[3, 1].tolist()],
        "state_keys": len(model.state_dict()), "rng_state": [checkpoint["torch_rng"].dtype == torch.uint8,
                                                             checkpoint["torch_rng"].numel()],
    }))


if __name__ == "__main__":
    main()
