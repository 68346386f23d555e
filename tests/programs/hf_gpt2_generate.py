"""A GPT-2 block written the way Hugging Face's modeling_gpt2.py writes it: a ``Conv1D`` module whose
weight is (nx, nf) and whose forward is ``torch.addmm``, attention scores by ``torch.baddbmm``,
``torch.finfo(dtype).min`` additive masks from a padding ``attention_mask[:, None, None, :]``,
a causal ``bias`` buffer registered with ``persistent=False``, an SDPA path with ``attn_mask`` and
``is_causal``, tied embeddings, a loss with ``ignore_index=-100`` on shifted labels, and a
``generate`` loop under ``torch.inference_mode()`` with temperature, top-k and top-p (nucleus) filtering
(``torch.topk``, ``torch.sort(descending=True)``, ``torch.cumsum``, ``scatter``) and ``torch.multinomial``."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv1D(nn.Module):
    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Attention(nn.Module):
    def __init__(self, config, use_sdpa=False):
        super().__init__()
        n_pos = config["n_positions"]
        self.register_buffer("bias", torch.tril(torch.ones((n_pos, n_pos), dtype=torch.bool)).view(1, 1, n_pos, n_pos),
                             persistent=False)
        self.register_buffer("masked_bias", torch.tensor(-1e4), persistent=False)
        self.embed_dim = config["n_embd"]
        self.num_heads = config["n_head"]
        self.head_dim = self.embed_dim // self.num_heads
        self.scale_attn_weights = True
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.attn_dropout = nn.Dropout(0.0)
        self.resid_dropout = nn.Dropout(0.0)
        self.use_sdpa = use_sdpa

    def _split_heads(self, tensor, num_heads, attn_head_size):
        new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
        tensor = tensor.view(new_shape)
        return tensor.permute(0, 2, 1, 3)

    def _merge_heads(self, tensor, num_heads, attn_head_size):
        tensor = tensor.permute(0, 2, 1, 3).contiguous()
        new_shape = tensor.size()[:-2] + (num_heads * attn_head_size,)
        return tensor.view(new_shape)

    def _attn(self, query, key, value, attention_mask=None):
        bsz, num_heads, q_seq_len, dk = query.size()
        _, _, k_seq_len, _ = key.size()
        attn_weights = torch.empty(bsz * num_heads, q_seq_len, k_seq_len, dtype=torch.float32, device=query.device)
        scale_factor = 1.0
        if self.scale_attn_weights:
            scale_factor /= float(value.size(-1)) ** 0.5
        q, k = query.reshape(-1, q_seq_len, dk), key.transpose(-1, -2).reshape(-1, dk, k_seq_len)
        attn_weights = torch.baddbmm(attn_weights, q.float(), k.float(), beta=0, alpha=scale_factor)
        attn_weights = attn_weights.reshape(bsz, num_heads, q_seq_len, k_seq_len)
        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length: key_length, :key_length]
        mask_value = torch.finfo(attn_weights.dtype).min
        mask_value = torch.tensor(mask_value, dtype=attn_weights.dtype).to(attn_weights.device)
        attn_weights = torch.where(causal_mask, attn_weights, mask_value)
        if attention_mask is not None:
            attn_weights = attn_weights + attention_mask
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_weights = attn_weights.type(value.dtype)
        attn_weights = self.attn_dropout(attn_weights)
        return torch.matmul(attn_weights, value), attn_weights

    def forward(self, hidden_states, layer_past=None, attention_mask=None, use_cache=False, sdpa_mask=None):
        query, key, value = self.c_attn(hidden_states).split(self.embed_dim, dim=2)
        query = self._split_heads(query, self.num_heads, self.head_dim)
        key = self._split_heads(key, self.num_heads, self.head_dim)
        value = self._split_heads(value, self.num_heads, self.head_dim)
        if layer_past is not None:
            past_key, past_value = layer_past
            key = torch.cat((past_key, key), dim=-2)
            value = torch.cat((past_value, value), dim=-2)
        present = (key, value) if use_cache else None
        if self.use_sdpa:
            is_causal = sdpa_mask is None and query.shape[-2] > 1
            attn_output = F.scaled_dot_product_attention(query, key, value, attn_mask=sdpa_mask, dropout_p=0.0,
                                                         is_causal=is_causal)
        else:
            attn_output, _ = self._attn(query, key, value, attention_mask)
        attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
        attn_output = self.resid_dropout(self.c_proj(attn_output))
        return attn_output, present


class MLP(nn.Module):
    def __init__(self, intermediate_size, config):
        super().__init__()
        self.c_fc = Conv1D(intermediate_size, config["n_embd"])
        self.c_proj = Conv1D(config["n_embd"], intermediate_size)
        self.dropout = nn.Dropout(0.0)

    def forward(self, hidden_states):
        hidden_states = F.gelu(self.c_fc(hidden_states), approximate="tanh")
        return self.dropout(self.c_proj(hidden_states))


class Block(nn.Module):
    def __init__(self, config, use_sdpa=False):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config["n_embd"], eps=1e-5)
        self.attn = Attention(config, use_sdpa)
        self.ln_2 = nn.LayerNorm(config["n_embd"], eps=1e-5)
        self.mlp = MLP(4 * config["n_embd"], config)

    def forward(self, hidden_states, layer_past=None, attention_mask=None, use_cache=False, sdpa_mask=None):
        attn_output, present = self.attn(self.ln_1(hidden_states), layer_past=layer_past,
                                         attention_mask=attention_mask, use_cache=use_cache, sdpa_mask=sdpa_mask)
        hidden_states = attn_output + hidden_states
        hidden_states = hidden_states + self.mlp(self.ln_2(hidden_states))
        return hidden_states, present


class GPT2LMHeadModel(nn.Module):
    def __init__(self, config, use_sdpa=False):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config["vocab_size"], config["n_embd"])
        self.wpe = nn.Embedding(config["n_positions"], config["n_embd"])
        self.h = nn.ModuleList([Block(config, use_sdpa) for _ in range(config["n_layer"])])
        self.ln_f = nn.LayerNorm(config["n_embd"])
        self.lm_head = nn.Linear(config["n_embd"], config["vocab_size"], bias=False)
        self.lm_head.weight = self.wte.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                p.data.normal_(mean=0.0, std=0.02 / math.sqrt(2 * config["n_layer"]))

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, Conv1D)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=0.02)
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def forward(self, input_ids, past_key_values=None, attention_mask=None, labels=None, use_cache=False,
                position_ids=None):
        input_shape = input_ids.size()
        batch_size = input_ids.shape[0]
        past_length = 0 if past_key_values is None else past_key_values[0][0].size(-2)
        if past_key_values is None:
            past_key_values = tuple([None] * len(self.h))
        if position_ids is None:
            position_ids = torch.arange(past_length, input_shape[-1] + past_length, dtype=torch.long)
            position_ids = position_ids.unsqueeze(0)
        sdpa_mask = None
        if attention_mask is not None:
            attention_mask = attention_mask.view(batch_size, -1)
            attention_mask = attention_mask[:, None, None, :]
            attention_mask = attention_mask.to(dtype=torch.float32)
            attention_mask = (1.0 - attention_mask) * torch.finfo(torch.float32).min
            q_len, k_len = input_shape[-1], input_shape[-1] + past_length
            causal = torch.ones(q_len, k_len, dtype=torch.bool).tril(diagonal=past_length)
            sdpa_mask = attention_mask.expand(batch_size, 1, q_len, k_len).masked_fill(~causal, float("-inf"))
        hidden_states = self.wte(input_ids) + self.wpe(position_ids)
        presents = () if use_cache else None
        for block, layer_past in zip(self.h, past_key_values):
            hidden_states, present = block(hidden_states, layer_past=layer_past, attention_mask=attention_mask,
                                           use_cache=use_cache, sdpa_mask=sdpa_mask)
            if use_cache:
                presents = presents + (present,)
        hidden_states = self.ln_f(hidden_states)
        lm_logits = self.lm_head(hidden_states)
        loss = None
        if labels is not None:
            shift_logits = lm_logits[..., :-1, :].contiguous()
            shift_labels = labels[..., 1:].contiguous()
            loss_fct = nn.CrossEntropyLoss()
            loss = loss_fct(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))
        return loss, lm_logits, presents


def top_k_top_p_filtering(logits, top_k=0, top_p=1.0, filter_value=-float("Inf"), min_tokens_to_keep=1):
    if top_k > 0:
        top_k = min(max(top_k, min_tokens_to_keep), logits.size(-1))
        indices_to_remove = logits < torch.topk(logits, top_k)[0][..., -1, None]
        logits = logits.masked_fill(indices_to_remove, filter_value)
    if top_p < 1.0:
        sorted_logits, sorted_indices = torch.sort(logits, descending=True)
        cumulative_probs = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
        sorted_indices_to_remove = cumulative_probs > top_p
        if min_tokens_to_keep > 1:
            sorted_indices_to_remove[..., :min_tokens_to_keep] = 0
        sorted_indices_to_remove[..., 1:] = sorted_indices_to_remove[..., :-1].clone()
        sorted_indices_to_remove[..., 0] = 0
        indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
        logits = logits.masked_fill(indices_to_remove, filter_value)
    return logits


@torch.inference_mode()
def generate(model, input_ids, attention_mask, max_new_tokens, temperature=1.0, top_k=0, top_p=1.0,
             do_sample=True, eos_token_id=None, pad_token_id=0):
    model.eval()
    past = None
    unfinished = torch.ones(input_ids.shape[0], dtype=torch.long)
    position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    cur_ids, cur_pos = input_ids, position_ids
    for _ in range(max_new_tokens):
        _, logits, past = model(cur_ids, past_key_values=past, attention_mask=attention_mask, use_cache=True,
                                position_ids=cur_pos)
        next_token_logits = logits[:, -1, :] / temperature
        if do_sample:
            filtered = top_k_top_p_filtering(next_token_logits, top_k=top_k, top_p=top_p)
            probs = F.softmax(filtered, dim=-1)
            next_tokens = torch.multinomial(probs, num_samples=1).squeeze(1)
        else:
            next_tokens = torch.argmax(next_token_logits, dim=-1)
        if eos_token_id is not None:
            next_tokens = next_tokens * unfinished + pad_token_id * (1 - unfinished)
            unfinished = unfinished.mul((next_tokens != eos_token_id).long())
        input_ids = torch.cat([input_ids, next_tokens[:, None]], dim=-1)
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones((attention_mask.shape[0], 1))], dim=-1)
        cur_ids = next_tokens[:, None]
        cur_pos = cur_pos[:, -1:] + 1
        if unfinished.max() == 0:
            break
    return input_ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    config = {"vocab_size": 37, "n_positions": 32, "n_embd": 32, "n_head": 4, "n_layer": 2}
    model = GPT2LMHeadModel(config)
    state_keys = list(model.state_dict().keys())
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    sdpa_model = GPT2LMHeadModel(config, use_sdpa=True)
    sdpa_model.load_state_dict(model.state_dict())

    rng = np.random.RandomState(0)
    # sequences of "count up by a step" patterns, left-padded with 0 to length 16
    def batch(n):
        ids = np.zeros((n, 16), dtype=np.int64)
        mask = np.zeros((n, 16), dtype=np.int64)
        for i in range(n):
            length = rng.randint(8, 17)
            start, step = rng.randint(1, 36), rng.randint(1, 4)
            ids[i, 16 - length:] = [(start + step * j) % 36 + 1 for j in range(length)]
            mask[i, 16 - length:] = 1
        return torch.from_numpy(ids), torch.from_numpy(mask)

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01, betas=(0.9, 0.95))
    losses = []
    model.train()
    for step in range(args.steps):
        ids, mask = batch(8)
        labels = ids.masked_fill(mask == 0, -100)
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        loss, _, _ = model(ids, attention_mask=mask, labels=labels, position_ids=position_ids)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())

    ids, mask = batch(4)
    sdpa_model.load_state_dict(model.state_dict())
    model.eval()
    with torch.no_grad():
        _, eager_logits, _ = model(ids, attention_mask=mask)
        _, sdpa_logits, _ = sdpa_model(ids, attention_mask=mask)
        _, nomask_logits, _ = sdpa_model(ids)
    valid = mask.bool()
    sdpa_diff = (eager_logits - sdpa_logits)[valid].abs().max().item()
    filt = top_k_top_p_filtering(eager_logits[:, -1, :].clone(), top_k=5, top_p=0.8)
    kept = torch.isfinite(filt).sum(-1).tolist()
    greedy = generate(model, ids, mask, 6, do_sample=False)
    torch.manual_seed(1)
    sampled = generate(model, ids, mask, 6, temperature=0.8, top_k=10, top_p=0.9, eos_token_id=36)
    with torch.inference_mode():
        inf_t = model(ids)[1]
    result = {"losses": losses, "state_keys": state_keys, "sdpa_diff": sdpa_diff,
              "logits_sum": eager_logits[valid].sum().item(), "nomask_sum": nomask_logits.sum().item(),
              "kept": kept, "greedy": greedy.tolist(), "sampled_shape": list(sampled.shape),
              "sampled": sampled.tolist(), "requires_grad": inf_t.requires_grad,
              "finfo_min": torch.finfo(torch.float32).min, "finfo_bf16": torch.finfo(torch.bfloat16).min,
              "finfo_eps16": torch.finfo(torch.float16).eps, "iinfo": torch.iinfo(torch.int64).max,
              "tied": model.lm_head.weight is model.wte.weight}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
