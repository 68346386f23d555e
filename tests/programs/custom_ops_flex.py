"""A small causal language model in the style of recent PyTorch code: torch._dynamo / torch._inductor
settings before torch.compile, a custom SwiGLU op from torch.library with its own autograd formula,
a FLOP count with torch.utils.flop_counter, and flex_attention (causal + sliding window, ALiBi) to score
the trained model. Data come from NumPy, so a shared initialisation gives the same losses."""
import argparse
import json

import numpy as np
import torch
import torch._dynamo
import torch._inductor.config
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.attention.flex_attention import and_masks, create_block_mask, flex_attention
from torch.utils.flop_counter import FlopCounterMode

torch._dynamo.config.suppress_errors = True
torch._dynamo.config.cache_size_limit = 64
torch._inductor.config.coordinate_descent_tuning = True
torch._inductor.config.triton.unique_kernel_names = True


@torch.library.custom_op("programs::swiglu", mutates_args=())
def swiglu(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.silu(a) * b


@swiglu.register_fake
def _(a, b):
    return torch.empty_like(a)


def _setup(ctx, inputs, output):
    a, b = inputs
    ctx.save_for_backward(a, b)


def _backward(ctx, grad):
    a, b = ctx.saved_tensors
    s = torch.sigmoid(a)
    return grad * b * (s + a * s * (1 - s)), grad * a * s


swiglu.register_autograd(_backward, setup_context=_setup)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.up = nn.Linear(d, 4 * d)
        self.gate = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)

    def split(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        return [t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v)]

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.split(x)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
        h = self.ln2(x)
        return x + self.down(torch.ops.programs.swiglu(self.up(h), self.gate(h)))


class TinyLM(nn.Module):
    def __init__(self, vocab, d, heads, block_size):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(block_size, d)
        self.block = Block(d, heads)
        self.head = nn.Linear(d, vocab)

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(T))
        logits = self.head(self.block(x))
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--compile", type=int, default=0)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    vocab, d, heads, T, B = 11, 16, 2, 8, 4
    model = TinyLM(vocab, d, heads, T)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    rng = np.random.default_rng(0)
    data = torch.from_numpy((np.arange(400) * 3 % vocab).astype(np.int64))
    starts = rng.integers(0, len(data) - T - 1, size=(args.steps, B))

    with FlopCounterMode(display=False) as counter:
        x = torch.stack([data[s:s + T] for s in starts[0]])
        y = torch.stack([data[s + 1:s + T + 1] for s in starts[0]])
        model(x, y)[1].backward()
    model.zero_grad()
    flops = {"total": counter.get_total_flops(),
             "per_module": {m: sum(c.values()) for m, c in counter.get_flop_counts().items()}}

    step_model = torch.compile(model) if args.compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    losses = []
    for step in range(args.steps):
        x = torch.stack([data[s:s + T] for s in starts[step]])
        y = torch.stack([data[s + 1:s + T + 1] for s in starts[step]])
        _, loss = step_model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    # Score the trained block's attention with flex_attention: causal and a sliding window, ALiBi bias.
    def causal(b, h, q_idx, kv_idx):
        return q_idx >= kv_idx

    def window(b, h, q_idx, kv_idx):
        return q_idx - kv_idx <= 3

    def alibi(score, b, h, q_idx, kv_idx):
        return score - (q_idx - kv_idx) / (h + 1)
    mask = create_block_mask(and_masks(causal, window), None, None, T, T, device="cpu")
    with torch.no_grad():
        x = model.tok(data[:T].view(1, T)) + model.pos(torch.arange(T))
        q, k, v = model.block.split(x)
        flex = flex_attention(q, k, v, score_mod=alibi, block_mask=mask)
        plain = flex_attention(q, k, v, block_mask=create_block_mask(causal, None, None, T, T, device="cpu"))
        sdpa = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    print("RESULT " + json.dumps({
        "losses": losses, "flops": flops, "flex": flex.flatten().tolist(),
        "plain_vs_sdpa": float((plain - sdpa).abs().max()),
        "config": [torch._dynamo.config.cache_size_limit, torch._inductor.config.coordinate_descent_tuning],
        "is_compiling": torch._dynamo.is_compiling()}))


if __name__ == "__main__":
    main()
