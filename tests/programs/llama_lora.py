"""A small LLaMA-style language model in the manner of meta-llama/llama's model.py, lit-gpt and
nanoGPT-descendants, then LoRA fine-tuning in the manner of minLoRA: nn.RMSNorm, rotary position
embeddings through torch.polar and view_as_complex / view_as_real, SwiGLU feed-forward, grouped
key/value heads repeated with repeat_interleave, F.scaled_dot_product_attention(is_causal=True),
a preallocated key/value cache written with slice assignment for generation (where the attention
takes a boolean attn_mask), F.pad of prompts, and LoRA adapters added to frozen weights with
torch.nn.utils.parametrize.register_parametrization, merged at the end with
remove_parametrizations(leave_parametrized=True)."""
import argparse
import json
import math
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.parametrize as parametrize


def precompute_freqs_cis(dim, end, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(end, device=freqs.device, dtype=torch.float32)
    freqs = torch.outer(t, freqs)
    return torch.polar(torch.ones_like(freqs), freqs)  # complex64


def reshape_for_broadcast(freqs_cis, x):
    ndim = x.ndim
    shape = [d if i == 1 or i == ndim - 1 else 1 for i, d in enumerate(x.shape)]
    return freqs_cis.view(*shape)


def apply_rotary_emb(xq, xk, freqs_cis):
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    freqs_cis = reshape_for_broadcast(freqs_cis, xq_)
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


class Attention(nn.Module):
    def __init__(self, dim, n_heads, n_kv_heads, max_batch, max_seq):
        super().__init__()
        self.n_heads, self.n_kv_heads = n_heads, n_kv_heads
        self.head_dim = dim // n_heads
        self.n_rep = n_heads // n_kv_heads
        self.wq = nn.Linear(dim, n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(n_heads * self.head_dim, dim, bias=False)
        self.register_buffer("cache_k", torch.zeros(max_batch, max_seq, n_kv_heads, self.head_dim), persistent=False)
        self.register_buffer("cache_v", torch.zeros(max_batch, max_seq, n_kv_heads, self.head_dim), persistent=False)

    def forward(self, x, start_pos, freqs_cis, mask=None, use_cache=False):
        bsz, seqlen, _ = x.shape
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xk = self.wk(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        xv = self.wv(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        xq, xk = apply_rotary_emb(xq, xk, freqs_cis=freqs_cis)
        if use_cache:
            self.cache_k[:bsz, start_pos: start_pos + seqlen] = xk
            self.cache_v[:bsz, start_pos: start_pos + seqlen] = xv
            keys = self.cache_k[:bsz, : start_pos + seqlen]
            values = self.cache_v[:bsz, : start_pos + seqlen]
        else:
            keys, values = xk, xv
        keys = torch.repeat_interleave(keys, dim=2, repeats=self.n_rep)
        values = torch.repeat_interleave(values, dim=2, repeats=self.n_rep)
        xq, keys, values = xq.transpose(1, 2), keys.transpose(1, 2), values.transpose(1, 2)
        if mask is None:
            output = F.scaled_dot_product_attention(xq, keys, values, is_causal=True)
        else:
            output = F.scaled_dot_product_attention(xq, keys, values, attn_mask=mask, dropout_p=0.0)
        output = output.transpose(1, 2).contiguous().view(bsz, seqlen, -1)
        return self.wo(output)


class FeedForward(nn.Module):
    def __init__(self, dim, hidden_dim, multiple_of):
        super().__init__()
        hidden_dim = int(2 * hidden_dim / 3)
        hidden_dim = multiple_of * ((hidden_dim + multiple_of - 1) // multiple_of)
        self.w1 = nn.Linear(dim, hidden_dim, bias=False)
        self.w2 = nn.Linear(hidden_dim, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden_dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nn.Module):
    def __init__(self, dim, n_heads, n_kv_heads, max_batch, max_seq):
        super().__init__()
        self.attention = Attention(dim, n_heads, n_kv_heads, max_batch, max_seq)
        self.feed_forward = FeedForward(dim, 4 * dim, multiple_of=16)
        self.attention_norm = nn.RMSNorm(dim, eps=1e-5)
        self.ffn_norm = nn.RMSNorm(dim, eps=1e-5)

    def forward(self, x, start_pos, freqs_cis, mask, use_cache):
        h = x + self.attention(self.attention_norm(x), start_pos, freqs_cis, mask, use_cache)
        return h + self.feed_forward(self.ffn_norm(h))


class Transformer(nn.Module):
    def __init__(self, vocab_size, dim=32, n_layers=2, n_heads=4, n_kv_heads=2, max_batch=4, max_seq=32):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab_size, dim)
        self.layers = nn.ModuleList([TransformerBlock(dim, n_heads, n_kv_heads, max_batch, max_seq)
                                     for _ in range(n_layers)])
        self.norm = nn.RMSNorm(dim, eps=1e-5)
        self.output = nn.Linear(dim, vocab_size, bias=False)
        self.register_buffer("freqs_cis", precompute_freqs_cis(dim // n_heads, max_seq * 2), persistent=False)

    def forward(self, tokens, start_pos=0, use_cache=False, keep=None):
        _bsz, seqlen = tokens.shape
        h = self.tok_embeddings(tokens)
        freqs_cis = self.freqs_cis[start_pos: start_pos + seqlen]
        mask = None
        if keep is not None:
            # Left padding: no query attends to a pad key (so a pad query attends to nothing).
            causal = torch.ones(seqlen, start_pos + seqlen, dtype=torch.bool).tril(diagonal=start_pos)
            mask = causal[None, None] & keep[:, None, None, :]
        elif use_cache and start_pos > 0:
            # Query i (at position start_pos + i) sees every cached key up to its own position.
            mask = torch.ones(seqlen, start_pos + seqlen, dtype=torch.bool).tril(diagonal=start_pos)
        for layer in self.layers:
            h = layer(h, start_pos, freqs_cis, mask, use_cache)
        return self.output(self.norm(h)).float()


class LoRAParametrization(nn.Module):
    def __init__(self, fan_in, fan_out, rank=4, lora_alpha=8):
        super().__init__()
        self.lora_A = nn.Parameter(torch.zeros((rank, fan_in)))
        self.lora_B = nn.Parameter(torch.zeros((fan_out, rank)))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = lora_alpha / rank

    def forward(self, original_weights):
        return original_weights + torch.matmul(self.lora_B, self.lora_A).view(original_weights.shape) * self.scaling


def add_lora(model, rank):
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and name.split(".")[-1] in ("wq", "wv"):
            fan_out, fan_in = module.weight.shape
            parametrize.register_parametrization(module, "weight", LoRAParametrization(fan_in, fan_out, rank))


def get_batch(data, rng, batch_size, block_size):
    ix = rng.randint(0, len(data) - block_size - 1, size=batch_size)
    x = torch.stack([torch.from_numpy(data[i:i + block_size].astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy(data[i + 1:i + 1 + block_size].astype(np.int64)) for i in ix])
    return x, y


@torch.no_grad()
def generate(model, prompt_tokens, max_gen_len, use_cache, pad_id=0, pad_mask=False):
    bsz = len(prompt_tokens)
    max_prompt = max(len(t) for t in prompt_tokens)
    tokens = torch.stack([F.pad(torch.tensor(t), (max_prompt - len(t), 0), value=pad_id) for t in prompt_tokens])
    prompt_mask = torch.stack([F.pad(torch.ones(len(t), dtype=torch.bool), (max_prompt - len(t), 0), value=False)
                               for t in prompt_tokens])
    prev_pos = 0
    for cur_pos in range(max_prompt, max_prompt + max_gen_len):
        keep = F.pad(prompt_mask, (0, cur_pos - max_prompt), value=True) if pad_mask else None
        if use_cache:
            logits = model(tokens[:, prev_pos:cur_pos], start_pos=prev_pos, use_cache=True, keep=keep)
            prev_pos = cur_pos
        else:
            logits = model(tokens[:, :cur_pos], keep=keep)
        next_token = torch.argmax(logits[:, -1], dim=-1)
        tokens = torch.cat([tokens, next_token.unsqueeze(1)], dim=1)
    return tokens


def main():
    parser = argparse.ArgumentParser(description="LLaMA-style model with LoRA fine-tuning")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--lora-steps", type=int, default=15)
    parser.add_argument("--block-size", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(1337)
    vocab = 16
    rng = np.random.RandomState(0)
    pretrain = (np.arange(4000) * 3 + rng.randint(0, 2, 4000)) % vocab      # +3 steps, some noise
    finetune = (np.arange(4000) * 5) % vocab                                 # a different rule
    model = Transformer(vocab)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    n_params = sum(p.numel() for p in model.parameters())

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.1, fused=None)
    losses = []
    for step in range(args.steps):
        x, y = get_batch(pretrain, rng, args.batch_size, args.block_size)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    model.eval()
    prompts = [[1, 4, 7], [2, 5], [0, 3, 6, 9]]
    no_cache = generate(model, prompts, 6, use_cache=False)
    with_cache = generate(model, prompts, 6, use_cache=True)
    masked_no_cache = generate(model, prompts, 6, use_cache=False, pad_mask=True)
    masked_cache = generate(model, prompts, 6, use_cache=True, pad_mask=True)
    with torch.no_grad():
        prefill = model(torch.tensor([[0, 0, 2, 5]]), keep=torch.tensor([[False, False, True, True]]))

    # LoRA: freeze everything, adapt wq/wv through parametrizations.
    for p in model.parameters():
        p.requires_grad_(False)
    add_lora(model, rank=4)
    lora_params = [p for n, p in model.named_parameters() if "lora_" in n]
    lora_state = {k: v for k, v in model.state_dict().items() if "lora_" in k}
    if args.init_out:
        np.savez(args.init_out + ".lora.npz", **{k: v.numpy() for k, v in lora_state.items()})
    if args.init_in:
        with np.load(args.init_in + ".lora.npz") as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files}, strict=False)
    parametrized_keys = sorted(k for k in model.state_dict() if "layers.0.attention.wq" in k)
    for p in lora_params:
        p.requires_grad_(True)
    is_param = parametrize.is_parametrized(model.layers[0].attention.wq, "weight")
    original_wk = model.layers[0].attention.wk.weight.clone()
    original_wq = model.layers[0].attention.wq.parametrizations.weight.original.clone()
    lora_optimizer = torch.optim.Adam(lora_params, lr=1e-2)
    model.train()
    lora_losses = []
    for step in range(args.lora_steps):
        x, y = get_batch(finetune, rng, args.batch_size, args.block_size)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, vocab), y.view(-1))
        lora_optimizer.zero_grad()
        loss.backward()
        lora_optimizer.step()
        lora_losses.append(loss.item())
    frozen_same = bool(torch.equal(model.layers[0].attention.wk.weight, original_wk)) and bool(
        torch.equal(model.layers[0].attention.wq.parametrizations.weight.original, original_wq))
    with torch.no_grad():
        merged_before = model.layers[0].attention.wq.weight.clone()
    for name, module in model.named_modules():
        if parametrize.is_parametrized(module):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
    merged_same = bool(torch.allclose(model.layers[0].attention.wq.weight, merged_before))
    keys = sorted(k for k in model.state_dict() if "layers.0." in k)
    print("RESULT " + json.dumps({"losses": losses, "lora_losses": lora_losses, "no_cache": no_cache.tolist(),
                                  "with_cache": with_cache.tolist(),
                                  "masked_no_cache": masked_no_cache.tolist(), "masked_cache": masked_cache.tolist(),
                                  "prefill_finite": bool(torch.isfinite(prefill).all()), "prefill_last": prefill[0, -1].tolist(),
                                  "n_params": n_params,
                                  "n_lora": sum(p.numel() for p in lora_params), "is_param": is_param,
                                  "frozen_same": frozen_same, "merged_same": merged_same, "keys": keys,
                                  "parametrized_keys": parametrized_keys}))


if __name__ == "__main__":
    main()
