"""Building models on the meta device and then giving them weights, as LLM code does it:

* gpt-fast: ``with torch.device("meta"): model = Transformer(config)``, ``torch.load(..., mmap=True,
  weights_only=True)``, ``model.load_state_dict(checkpoint, assign=True)``, then ``setup_caches`` (rotary table,
  causal mask, KV caches) under ``with torch.device(device)`` and greedy decoding with the KV cache;
* torchtitan: the model on meta, a forward on meta for the shapes, ``to_empty(device="cpu")``, then
  ``init_weights()`` (trunc_normal_ / normal_ / ones) from a seed;
* HF accelerate's ``init_empty_weights`` (``nn.Module.register_parameter`` patched to move every new parameter to
  meta), then ``load_state_dict(assign=True)``;
* ``nn.utils.skip_init`` and ``reset_parameters``.

Prints ``RESULT {json}``: token ids, logits, weight sums, shapes and the seeded draws after the meta builds.
"""
import json
import math
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelArgs:
    vocab_size: int = 61
    n_layer: int = 2
    n_head: int = 4
    dim: int = 32
    intermediate_size: int = 64
    block_size: int = 24
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.dim // self.n_head


class KVCache(nn.Module):
    def __init__(self, max_batch_size, max_seq_length, n_heads, head_dim, dtype=torch.float32):
        super().__init__()
        shape = (max_batch_size, n_heads, max_seq_length, head_dim)
        self.register_buffer("k_cache", torch.zeros(shape, dtype=dtype))
        self.register_buffer("v_cache", torch.zeros(shape, dtype=dtype))

    def update(self, input_pos, k_val, v_val):
        k_out, v_out = self.k_cache, self.v_cache
        k_out[:, :, input_pos] = k_val
        v_out[:, :, input_pos] = v_val
        return k_out, v_out


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.wqkv = nn.Linear(config.dim, 3 * config.dim, bias=False)
        self.wo = nn.Linear(config.dim, config.dim, bias=False)
        self.kv_cache = None
        self.n_head, self.head_dim, self.dim = config.n_head, config.head_dim, config.dim

    def forward(self, x, freqs_cis, mask, input_pos=None):
        bsz, seqlen, _ = x.shape
        q, k, v = self.wqkv(x).split([self.dim, self.dim, self.dim], dim=-1)
        q = q.view(bsz, seqlen, self.n_head, self.head_dim)
        k = k.view(bsz, seqlen, self.n_head, self.head_dim)
        v = v.view(bsz, seqlen, self.n_head, self.head_dim)
        q, k = apply_rotary_emb(q, freqs_cis), apply_rotary_emb(k, freqs_cis)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        if self.kv_cache is not None:
            k, v = self.kv_cache.update(input_pos, k, v)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0)
        return self.wo(y.transpose(1, 2).contiguous().view(bsz, seqlen, self.dim))


class FeedForward(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.w1 = nn.Linear(config.dim, config.intermediate_size, bias=False)
        self.w3 = nn.Linear(config.dim, config.intermediate_size, bias=False)
        self.w2 = nn.Linear(config.intermediate_size, config.dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = Attention(config)
        self.feed_forward = FeedForward(config)
        self.ffn_norm = RMSNorm(config.dim, config.norm_eps)
        self.attention_norm = RMSNorm(config.dim, config.norm_eps)

    def forward(self, x, input_pos, freqs_cis, mask):
        h = x + self.attention(self.attention_norm(x), freqs_cis, mask, input_pos)
        return h + self.feed_forward(self.ffn_norm(h))


class Transformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.tok_embeddings = nn.Embedding(config.vocab_size, config.dim)
        self.layers = nn.ModuleList(TransformerBlock(config) for _ in range(config.n_layer))
        self.norm = RMSNorm(config.dim, eps=config.norm_eps)
        self.output = nn.Linear(config.dim, config.vocab_size, bias=False)
        self.freqs_cis = None
        self.mask_cache = None
        self.max_batch_size = -1
        self.max_seq_length = -1

    def setup_caches(self, max_batch_size, max_seq_length):
        c = self.config
        self.max_seq_length, self.max_batch_size = max_seq_length, max_batch_size
        for b in self.layers:
            b.attention.kv_cache = KVCache(max_batch_size, max_seq_length, c.n_head, c.head_dim)
        self.freqs_cis = precompute_freqs_cis(c.block_size, c.head_dim, c.rope_base)
        self.causal_mask = torch.tril(torch.ones(self.max_seq_length, self.max_seq_length, dtype=torch.bool))

    def forward(self, idx, input_pos):
        mask = self.causal_mask[None, None, input_pos]
        freqs_cis = self.freqs_cis[input_pos]
        x = self.tok_embeddings(idx)
        for layer in self.layers:
            x = layer(x, input_pos, freqs_cis, mask)
        return self.output(self.norm(x))

    def init_weights(self, std=0.02):
        """torchtitan's init after ``to_empty``: embeddings N(0, 1), projections trunc_normal_, norms ones."""
        nn.init.normal_(self.tok_embeddings.weight)
        for layer in self.layers:
            for lin in (layer.attention.wqkv, layer.feed_forward.w1):
                nn.init.trunc_normal_(lin.weight, mean=0.0, std=std)
            for lin in (layer.attention.wo, layer.feed_forward.w2, layer.feed_forward.w3):
                nn.init.trunc_normal_(lin.weight, mean=0.0, std=std / math.sqrt(2 * (len(self.layers))))
            for norm in (layer.ffn_norm, layer.attention_norm):
                nn.init.ones_(norm.weight)
        nn.init.ones_(self.norm.weight)
        bound = self.config.dim ** -0.5
        nn.init.trunc_normal_(self.output.weight, mean=0.0, std=bound, a=-3 * bound, b=3 * bound)


def precompute_freqs_cis(seq_len, n_elem, base=10000):
    freqs = 1.0 / (base ** (torch.arange(0, n_elem, 2)[: (n_elem // 2)].float() / n_elem))
    t = torch.arange(seq_len, device=freqs.device)
    freqs = torch.outer(t, freqs)
    freqs_cis = torch.polar(torch.ones_like(freqs), freqs)
    return torch.stack([freqs_cis.real, freqs_cis.imag], dim=-1)


def apply_rotary_emb(x, freqs_cis):
    xshaped = x.float().reshape(*x.shape[:-1], -1, 2)
    freqs_cis = freqs_cis.view(1, xshaped.size(1), 1, xshaped.size(3), 2)
    x_out2 = torch.stack([xshaped[..., 0] * freqs_cis[..., 0] - xshaped[..., 1] * freqs_cis[..., 1],
                          xshaped[..., 1] * freqs_cis[..., 0] + xshaped[..., 0] * freqs_cis[..., 1]], -1)
    return x_out2.flatten(3).type_as(x)


@torch.no_grad()
def generate(model, prompt, max_new_tokens):
    T = prompt.size(0)
    with torch.device("cpu"):
        model.setup_caches(max_batch_size=1, max_seq_length=T + max_new_tokens)
    input_pos = torch.arange(0, T)
    logits = model(prompt.view(1, -1), input_pos)
    first_logits = logits[0, -1]
    tokens = [int(logits[0, -1].argmax())]
    pos = torch.tensor([T])
    for _ in range(max_new_tokens - 1):
        cur = torch.tensor([[tokens[-1]]])
        logits = model(cur, pos)
        tokens.append(int(logits[0, -1].argmax()))
        pos = pos + 1
    return tokens, first_logits


@contextmanager
def init_empty_weights():
    """accelerate.init_empty_weights(include_buffers=False): new parameters go to the meta device."""
    old_register_parameter = nn.Module.register_parameter

    def register_empty_parameter(module, name, param):
        old_register_parameter(module, name, param)
        if param is not None:
            param_cls = type(module._parameters[name])
            kwargs = module._parameters[name].__dict__
            kwargs["requires_grad"] = param.requires_grad
            module._parameters[name] = param_cls(module._parameters[name].to(torch.device("meta")), **kwargs)

    nn.Module.register_parameter = register_empty_parameter
    try:
        yield
    finally:
        nn.Module.register_parameter = old_register_parameter


def weight_sums(model):
    return {k: round(float(v.double().sum()), 5) for k, v in model.state_dict().items()}


def main():
    config = ModelArgs()
    result = {}
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "model.pth")

    # the checkpoint: a seeded model on the CPU
    torch.manual_seed(0)
    torch.save(Transformer(config).state_dict(), path)

    # gpt-fast's _load_model: built on meta (drawing nothing), weights assigned from the mmap'd checkpoint
    torch.manual_seed(1)
    with torch.device("meta"):
        model = Transformer(config)
    result["draws_after_meta_build"] = [round(v, 6) for v in torch.rand(4).tolist()]
    result["meta_params"] = sorted({str(p.device) for p in model.parameters()})
    result["param_count"] = sum(p.numel() for p in model.parameters())
    with torch.device("meta"):   # the shapes of a forward on meta (a shape/FLOP pass), on a second meta model
        shapes = Transformer(config)
        shapes.setup_caches(max_batch_size=1, max_seq_length=8)
        logits = shapes(torch.zeros(1, 8, dtype=torch.long), torch.arange(8))
    result["meta_logits"] = [str(logits.device), list(logits.shape), str(logits.dtype)]
    result["meta_caches"] = [str(shapes.layers[0].attention.kv_cache.k_cache.device), str(shapes.freqs_cis.device)]
    checkpoint = torch.load(path, mmap=True, weights_only=True)
    result["load"] = repr(model.load_state_dict(checkpoint, assign=True))
    result["devices_after_load"] = sorted({str(p.device) for p in model.parameters()})
    model = model.eval()
    prompt = torch.tensor([3, 14, 15, 9, 26, 5], dtype=torch.long)
    tokens, first = generate(model, prompt, 8)
    result["tokens"] = tokens
    result["prefill_logits"] = [round(v, 5) for v in first[:10].tolist()]
    result["buffers"] = sorted({str(b.device) for b in model.buffers()})

    # torchtitan: meta, to_empty on the CPU, init_weights from a seed
    with torch.device("meta"):
        titan = Transformer(config)
    titan.to_empty(device="cpu")
    torch.manual_seed(7)
    with torch.no_grad():
        titan.init_weights()
    result["titan_sums"] = weight_sums(titan)

    # accelerate's init_empty_weights, then the checkpoint assigned
    torch.manual_seed(2)
    with init_empty_weights():
        hf = Transformer(config)
    result["hf_devices"] = sorted({str(p.device) for p in hf.parameters()})
    result["hf_draw"] = [round(v, 6) for v in torch.rand(2).tolist()]
    hf.load_state_dict(torch.load(path, weights_only=True), assign=True)
    hf.setup_caches(1, 6)
    out = hf(prompt.view(1, -1), torch.arange(6))
    result["hf_logits"] = [round(v, 5) for v in out[0, -1, :8].tolist()]
    result["hf_requires_grad"] = all(p.requires_grad for p in hf.parameters())

    # skip_init, then reset_parameters from a seed
    torch.manual_seed(3)
    lin = nn.utils.skip_init(nn.Linear, 6, 3)
    lin.reset_parameters()
    result["skip_init"] = [round(v, 6) for v in lin.weight.flatten().tolist()]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
