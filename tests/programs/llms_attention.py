"""Chapters 2 and 3 of Raschka's "Build a Large Language Model (From Scratch)": a regex word
tokenizer (SimpleTokenizerV2 with <|endoftext|> and <|unk|>), a byte tokenizer standing in for
tiktoken, the GPTDatasetV1 sliding window over token ids in a DataLoader, token plus absolute
positional embeddings; then self-attention step by step (dot products, softmax, context vectors),
SelfAttention_v1 (nn.Parameter(torch.rand)) and SelfAttention_v2 (nn.Linear), the causal mask by
tril and renormalization and by -inf in masked_fill, CausalAttention with a register_buffer mask
and masked_fill_, MultiHeadAttentionWrapper and the efficient MultiHeadAttention with
view / transpose / contiguous, and a few steps of training it on a copy task."""
import argparse
import json
import re

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class SimpleTokenizerV2:
    def __init__(self, vocab):
        self.str_to_int = vocab
        self.int_to_str = {i: s for s, i in vocab.items()}

    def encode(self, text):
        preprocessed = re.split(r'([,.:;?_!"()\']|--|\s)', text)
        preprocessed = [item.strip() for item in preprocessed if item.strip()]
        preprocessed = [item if item in self.str_to_int else "<|unk|>" for item in preprocessed]
        return [self.str_to_int[s] for s in preprocessed]

    def decode(self, ids):
        text = " ".join([self.int_to_str[i] for i in ids])
        return re.sub(r'\s+([,.?!"()\'])', r"\1", text)


class ByteTokenizer:
    """UTF-8 bytes as token ids, with 256 as <|endoftext|> (tiktoken's role in the book)."""
    eot = 256

    def encode(self, text, allowed_special=()):
        ids = []
        for i, part in enumerate(text.split("<|endoftext|>")):
            if i:
                ids.append(self.eot)
            ids.extend(part.encode("utf-8"))
        return ids

    def decode(self, ids):
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


class GPTDatasetV1(Dataset):
    def __init__(self, txt, tokenizer, max_length, stride):
        self.input_ids = []
        self.target_ids = []
        token_ids = tokenizer.encode(txt, allowed_special={"<|endoftext|>"})
        for i in range(0, len(token_ids) - max_length, stride):
            input_chunk = token_ids[i:i + max_length]
            target_chunk = token_ids[i + 1: i + max_length + 1]
            self.input_ids.append(torch.tensor(input_chunk))
            self.target_ids.append(torch.tensor(target_chunk))

    def __len__(self):
        return len(self.input_ids)

    def __getitem__(self, idx):
        return self.input_ids[idx], self.target_ids[idx]


def create_dataloader_v1(txt, batch_size=4, max_length=256, stride=128, shuffle=True, drop_last=True,
                         num_workers=0):
    tokenizer = ByteTokenizer()
    dataset = GPTDatasetV1(txt, tokenizer, max_length, stride)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                      num_workers=num_workers)


class SelfAttention_v1(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.W_query = nn.Parameter(torch.rand(d_in, d_out))
        self.W_key = nn.Parameter(torch.rand(d_in, d_out))
        self.W_value = nn.Parameter(torch.rand(d_in, d_out))

    def forward(self, x):
        keys = x @ self.W_key
        queries = x @ self.W_query
        values = x @ self.W_value
        attn_scores = queries @ keys.T
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        return attn_weights @ values


class SelfAttention_v2(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        keys = self.W_key(x)
        queries = self.W_query(x)
        values = self.W_value(x)
        attn_scores = queries @ keys.T
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        return attn_weights @ values


class CausalAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, qkv_bias=False):
        super().__init__()
        self.d_out = d_out
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def forward(self, x):
        b, num_tokens, d_in = x.shape
        keys = self.W_key(x)
        queries = self.W_query(x)
        values = self.W_value(x)
        attn_scores = queries @ keys.transpose(1, 2)
        attn_scores.masked_fill_(self.mask.bool()[:num_tokens, :num_tokens], -torch.inf)
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)
        return attn_weights @ values


class MultiHeadAttentionWrapper(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.heads = nn.ModuleList([CausalAttention(d_in, d_out, context_length, dropout, qkv_bias)
                                    for _ in range(num_heads)])

    def forward(self, x):
        return torch.cat([head(x) for head in self.heads], dim=-1)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        assert d_out % num_heads == 0, "d_out must be divisible by num_heads"
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def forward(self, x):
        b, num_tokens, d_in = x.shape
        keys = self.W_key(x)
        queries = self.W_query(x)
        values = self.W_value(x)
        keys = keys.view(b, num_tokens, self.num_heads, self.head_dim)
        values = values.view(b, num_tokens, self.num_heads, self.head_dim)
        queries = queries.view(b, num_tokens, self.num_heads, self.head_dim)
        keys = keys.transpose(1, 2)
        queries = queries.transpose(1, 2)
        values = values.transpose(1, 2)
        attn_scores = queries @ keys.transpose(2, 3)
        mask_bool = self.mask.bool()[:num_tokens, :num_tokens]
        attn_scores.masked_fill_(mask_bool, -torch.inf)
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)
        context_vec = (attn_weights @ values).transpose(1, 2)
        context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)
        return self.out_proj(context_vec)


def rows(t, digits=6):
    return np.round(t.detach().numpy().astype(np.float64), digits).tolist()


def main():
    parser = argparse.ArgumentParser(description="LLMs from scratch, chapters 2 and 3")
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    out = {}

    # 2.2-2.4: a word tokenizer over a tiny vocabulary.
    raw_text = ("I HAD always thought Jack Gisburn rather a cheap genius--though a good fellow enough--so it "
                "was no great surprise to me to hear that, in the height of his glory, he had dropped his "
                "painting, married a rich widow, and established himself in a villa on the Riviera.")
    preprocessed = re.split(r'([,.:;?_!"()\']|--|\s)', raw_text)
    preprocessed = [item.strip() for item in preprocessed if item.strip()]
    all_tokens = sorted(list(set(preprocessed)))
    all_tokens.extend(["<|endoftext|>", "<|unk|>"])
    vocab = {token: integer for integer, token in enumerate(all_tokens)}
    tokenizer = SimpleTokenizerV2(vocab)
    text = " <|endoftext|> ".join(("Hello, do you like tea?", "In the sunlit terraces of the palace."))
    ids = tokenizer.encode(text)
    out["word_ids"] = ids
    out["word_decoded"] = tokenizer.decode(ids)
    out["vocab_size"] = len(vocab)

    # 2.6: the sliding window.
    rng = np.random.RandomState(0)
    words = preprocessed + ["<|endoftext|>"]
    corpus = " ".join(words[i] for i in rng.randint(0, len(words), 300))
    dataloader = create_dataloader_v1(corpus, batch_size=8, max_length=4, stride=4, shuffle=False)
    data_iter = iter(dataloader)
    first_batch = next(data_iter)
    second_batch = next(data_iter)
    out["first_batch"] = [first_batch[0].tolist(), first_batch[1].tolist()]
    out["second_inputs"] = second_batch[0].tolist()
    out["n_batches"] = len(dataloader)
    out["dtype"] = str(first_batch[0].dtype)
    overlap = create_dataloader_v1(corpus, batch_size=2, max_length=6, stride=1, shuffle=False, drop_last=False)
    out["overlap_len"] = len(overlap.dataset)
    last = None
    for last in overlap:
        pass
    out["overlap_last_shape"] = list(last[0].shape)

    # 2.7-2.8: token and absolute positional embeddings (shared initial weights).
    torch.manual_seed(123)
    vocab_size, output_dim, context_length = 257, 8, 4
    token_embedding_layer = torch.nn.Embedding(vocab_size, output_dim)
    pos_embedding_layer = torch.nn.Embedding(context_length, output_dim)
    embeddings = nn.ModuleDict({"tok": token_embedding_layer, "pos": pos_embedding_layer})

    # 3.3-3.5 on "Your journey starts with one step".
    inputs = torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                           [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
    torch.manual_seed(123)
    sa_v1 = SelfAttention_v1(3, 2)
    torch.manual_seed(789)
    sa_v2 = SelfAttention_v2(3, 2)
    torch.manual_seed(123)
    ca = CausalAttention(3, 2, 6, 0.0)
    torch.manual_seed(123)
    mha_wrapper = MultiHeadAttentionWrapper(3, 2, 6, 0.0, num_heads=2)
    torch.manual_seed(123)
    mha = MultiHeadAttention(3, 4, 6, 0.0, num_heads=2)
    torch.manual_seed(123)
    model = nn.Sequential()
    model.add_module("emb_proj", nn.Linear(output_dim, 16))
    model.add_module("mha", MultiHeadAttention(16, 16, context_length, 0.0, num_heads=4))
    model.add_module("head", nn.Linear(16, vocab_size))
    everything = nn.ModuleDict({"emb": embeddings, "sa_v1": sa_v1, "sa_v2": sa_v2, "ca": ca,
                                "wrapper": mha_wrapper, "mha": mha, "model": model})
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in everything.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            everything.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    out["mask_is_buffer"] = sorted(k for k, _ in ca.named_buffers())
    out["state_keys"] = list(everything.state_dict().keys())

    token_embeddings = token_embedding_layer(first_batch[0])
    pos_embeddings = pos_embedding_layer(torch.arange(context_length))
    input_embeddings = token_embeddings + pos_embeddings
    out["input_embeddings_shape"] = list(input_embeddings.shape)
    out["input_embeddings"] = rows(input_embeddings[0])

    query = inputs[1]
    attn_scores_2 = torch.empty(inputs.shape[0])
    for i, x_i in enumerate(inputs):
        attn_scores_2[i] = torch.dot(x_i, query)
    attn_weights_2 = torch.softmax(attn_scores_2, dim=0)
    context_vec_2 = torch.zeros(query.shape)
    for i, x_i in enumerate(inputs):
        context_vec_2 += attn_weights_2[i] * x_i
    attn_scores = inputs @ inputs.T
    attn_weights = torch.softmax(attn_scores, dim=-1)
    all_context_vecs = attn_weights @ inputs
    out["simple"] = rows(attn_weights_2) + rows(context_vec_2) + rows(all_context_vecs[1])
    out["rows_sum_to_one"] = bool(torch.allclose(attn_weights.sum(dim=-1), torch.ones(6)))

    with torch.no_grad():
        out["sa_v1"] = rows(sa_v1(inputs))
        out["sa_v2"] = rows(sa_v2(inputs))
        queries = sa_v2.W_query(inputs)
        keys = sa_v2.W_key(inputs)
        attn_scores = queries @ keys.T
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        context_length6 = attn_scores.shape[0]
        mask_simple = torch.tril(torch.ones(context_length6, context_length6))
        masked_simple = attn_weights * mask_simple
        row_sums = masked_simple.sum(dim=-1, keepdim=True)
        masked_simple_norm = masked_simple / row_sums
        mask = torch.triu(torch.ones(context_length6, context_length6), diagonal=1)
        masked = attn_scores.masked_fill(mask.bool(), -torch.inf)
        attn_weights_inf = torch.softmax(masked / keys.shape[-1] ** 0.5, dim=1)
        out["renorm_equals_inf"] = bool(torch.allclose(masked_simple_norm, attn_weights_inf, atol=1e-6))
        out["masked_weights"] = rows(attn_weights_inf)
        batch = torch.stack((inputs, inputs), dim=0)
        out["batch_shape"] = list(batch.shape)
        out["ca"] = rows(ca(batch)[1])
        out["wrapper"] = rows(mha_wrapper(batch)[0])
        out["wrapper_shape"] = list(mha_wrapper(batch).shape)
        out["mha"] = rows(mha(batch)[0])
        out["mha_shape"] = list(mha(batch).shape)
        a = torch.tensor([[[[0.2745, 0.6584, 0.2775, 0.8573], [0.8993, 0.0390, 0.9268, 0.7388],
                            [0.7179, 0.7058, 0.9156, 0.4340]],
                           [[0.0772, 0.3565, 0.1479, 0.5331], [0.4066, 0.2318, 0.4545, 0.9737],
                            [0.4606, 0.5159, 0.4220, 0.5786]]]])
        out["batched_matmul"] = rows(a @ a.transpose(2, 3))
        first_head = a[0, 0, :, :]
        out["head_matmul"] = rows(first_head @ first_head.T)

    # Dropout on a matrix of ones: kept entries are scaled by 1 / (1 - p).
    torch.manual_seed(123)
    dropout = torch.nn.Dropout(0.5)
    dropped = dropout(torch.ones(6, 6))
    out["dropout_values"] = sorted(set(dropped.flatten().tolist()))

    # A few steps of next-token training of embeddings + attention (fixed batches, no shuffling).
    params = list(embeddings.parameters()) + list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-2)
    losses = []
    step = 0
    while step < args.steps:
        for input_batch, target_batch in dataloader:
            x = token_embedding_layer(input_batch) + pos_embedding_layer(torch.arange(input_batch.shape[1]))
            logits = model(x)
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
            if step == args.steps:
                break
    out["losses"] = losses
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
