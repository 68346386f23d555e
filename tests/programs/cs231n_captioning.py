"""Stanford CS231n assignment 3, image captioning with a Transformer (Transformer_Captioning.ipynb and
cs231n/transformer_layers.py, cs231n/classifiers/transformer.py, captioning_solver_transformer.py) on a
tiny synthetic "COCO": PositionalEncoding built with ``torch.pow(10000, -torch.arange(0, D, 2) / D)`` into
the even / odd columns of a registered buffer; MultiHeadAttention with ``view(N, S, H, E // H).transpose``
heads, ``masked_fill(attn_mask == 0, -inf)`` under a ``torch.tril`` causal mask; a decoder layer (self
attention, attention over the projected image feature, feed forward, post-norm) cloned with
``copy.deepcopy`` into a ModuleList; ``self.apply(self._init_weights)`` with ``weight.data.normal_(0, 0.02)``;
the solver's minibatches from ``np.random.choice``, ``torch.Tensor(features)`` / ``torch.LongTensor(mask)``
from NumPy, the masked temporal softmax loss (``cross_entropy(reduction='none')``, ``torch.mul`` by the
mask), and greedy sampling with ``torch.argmax(logits, axis=1)`` written back into a NumPy caption array;
decode_captions and the notebook's small checks of the layers on fixed inputs."""
import argparse
import copy
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class PositionalEncoding(nn.Module):
    def __init__(self, embed_dim, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        assert embed_dim % 2 == 0
        pe = torch.zeros(1, max_len, embed_dim)
        i = torch.arange(max_len)[:, None]
        pows = torch.pow(10000, -torch.arange(0, embed_dim, 2) / embed_dim)
        pe[0, :, 0::2] = torch.sin(i * pows)
        pe[0, :, 1::2] = torch.cos(i * pows)
        self.register_buffer("pe", pe)

    def forward(self, x):
        N, S, D = x.shape
        output = x + self.pe[:, :S]
        output = self.dropout(output)
        return output


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, dropout=0.1):
        super().__init__()
        assert embed_dim % num_heads == 0
        self.key = nn.Linear(embed_dim, embed_dim)
        self.query = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.attn_drop = nn.Dropout(dropout)
        self.n_head = num_heads
        self.emd_dim = embed_dim
        self.head_dim = self.emd_dim // self.n_head

    def forward(self, query, key, value, attn_mask=None):
        N, S, E = query.shape
        N, T, E = value.shape
        H = self.n_head
        q = self.query(query).view(N, S, H, E // H).transpose(1, 2)
        k = self.key(key).view(N, T, H, E // H).transpose(1, 2)
        v = self.value(value).view(N, T, H, E // H).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(E / H)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask == 0, float("-inf"))
        attn = self.attn_drop(F.softmax(scores, dim=-1))
        output = torch.matmul(attn, v).transpose(1, 2).reshape(N, S, E)
        output = self.proj(output)
        return output


class TransformerDecoderLayer(nn.Module):
    def __init__(self, input_dim, num_heads, dim_feedforward=2048, dropout=0.1):
        super().__init__()
        self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.multihead_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.linear1 = nn.Linear(input_dim, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, input_dim)
        self.norm1 = nn.LayerNorm(input_dim)
        self.norm2 = nn.LayerNorm(input_dim)
        self.norm3 = nn.LayerNorm(input_dim)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = nn.ReLU()

    def forward(self, tgt, memory, tgt_mask=None):
        tgt2 = self.self_attn(query=tgt, key=tgt, value=tgt, attn_mask=tgt_mask)
        tgt = tgt + self.dropout1(tgt2)
        tgt = self.norm1(tgt)
        tgt2 = self.multihead_attn(query=tgt, key=memory, value=memory)
        tgt = tgt + self.dropout2(tgt2)
        tgt = self.norm2(tgt)
        tgt2 = self.linear2(self.dropout(self.activation(self.linear1(tgt))))
        tgt = tgt + self.dropout3(tgt2)
        tgt = self.norm3(tgt)
        return tgt


def clones(module, N):
    return nn.ModuleList([copy.deepcopy(module) for _ in range(N)])


class TransformerDecoder(nn.Module):
    def __init__(self, decoder_layer, num_layers):
        super().__init__()
        self.layers = clones(decoder_layer, num_layers)
        self.num_layers = num_layers

    def forward(self, tgt, memory, tgt_mask=None):
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask)
        return output


class CaptioningTransformer(nn.Module):
    def __init__(self, word_to_idx, input_dim, wordvec_dim, num_heads=4, num_layers=2, max_length=50,
                 dim_feedforward=2048, dropout=0.1):
        super().__init__()
        vocab_size = len(word_to_idx)
        self.vocab_size = vocab_size
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)
        self.visual_projection = nn.Linear(input_dim, wordvec_dim)
        self.embedding = nn.Embedding(vocab_size, wordvec_dim, padding_idx=self._null)
        self.positional_encoding = PositionalEncoding(wordvec_dim, dropout=dropout, max_len=max_length)
        decoder_layer = TransformerDecoderLayer(input_dim=wordvec_dim, num_heads=num_heads,
                                                dim_feedforward=dim_feedforward, dropout=dropout)
        self.transformer = TransformerDecoder(decoder_layer, num_layers=num_layers)
        self.apply(self._init_weights)
        self.output = nn.Linear(wordvec_dim, vocab_size)

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def forward(self, features, captions):
        N, T = captions.shape
        caption_embeddings = self.embedding(captions)
        caption_embeddings = self.positional_encoding(caption_embeddings)
        projected_features = self.visual_projection(features).unsqueeze(1)
        tgt_mask = torch.tril(torch.ones(T, T, device=caption_embeddings.device, dtype=caption_embeddings.dtype))
        features = self.transformer(caption_embeddings, projected_features, tgt_mask)
        scores = self.output(features)
        return scores

    def sample(self, features, max_length=30):
        with torch.no_grad():
            features = torch.Tensor(features)
            N = features.shape[0]
            captions = self._null * np.ones((N, max_length), dtype=np.int32)
            partial_caption = self._start * np.ones(N, dtype=np.int32)
            partial_caption = torch.LongTensor(partial_caption)
            partial_caption = partial_caption.unsqueeze(1)
            for t in range(max_length):
                output_logits = self.forward(features, partial_caption)
                output_logits = output_logits[:, -1, :]
                word = torch.argmax(output_logits, axis=1)
                captions[:, t] = word.numpy()
                word = word.unsqueeze(1)
                partial_caption = torch.cat([partial_caption, word], dim=1)
            return captions


def transformer_temporal_softmax_loss(x, y, mask):
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)
    loss = torch.nn.functional.cross_entropy(x_flat, y_flat, reduction="none")
    loss = torch.mul(loss, mask_flat)
    loss = torch.mean(loss)
    return loss


def sample_coco_minibatch(data, batch_size=100, split="train"):
    split_size = data["%s_captions" % split].shape[0]
    mask = np.random.choice(split_size, batch_size)
    captions = data["%s_captions" % split][mask]
    image_idxs = data["%s_image_idxs" % split][mask]
    image_features = data["%s_features" % split][image_idxs]
    return captions, image_features, image_idxs


def decode_captions(captions, idx_to_word):
    singleton = False
    if captions.ndim == 1:
        singleton = True
        captions = captions[None]
    decoded = []
    N, T = captions.shape
    for i in range(N):
        words = []
        for t in range(T):
            word = idx_to_word[captions[i, t]]
            if word != "<NULL>":
                words.append(word)
            if word == "<END>":
                break
        decoded.append(" ".join(words))
    if singleton:
        decoded = decoded[0]
    return decoded


def load_tiny_coco(rng, n_images=60, dim=24, max_len=8):
    """Each 'image' holds a colour, an object and (sometimes) a place; its feature vector is their one-hot
    codes projected by a fixed random matrix plus noise; two captions per image in the COCO layout."""
    colours, objects, places = ["red", "blue", "green"], ["cat", "dog", "car", "bird"], ["park", "street"]
    words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "in", "the"] + colours + objects + places
    word_to_idx = {w: i for i, w in enumerate(words)}
    proj = rng.randn(9, dim)
    feats, caps, idxs = [], [], []
    for i in range(n_images):
        c, o, p = rng.randint(3), rng.randint(4), rng.randint(3)
        code = np.zeros(9)
        code[c] = code[3 + o] = 1
        if p < 2:
            code[7 + p] = 1
        feats.append(code @ proj + 0.1 * rng.randn(dim))
        sent = ["a", colours[c], objects[o]] + (["in", "the", places[p]] if p < 2 else [])
        for _ in range(2):
            ids = [word_to_idx["<START>"]] + [word_to_idx[w] for w in sent] + [word_to_idx["<END>"]]
            caps.append(ids + [word_to_idx["<NULL>"]] * (max_len - len(ids)))
            idxs.append(i)
    feats, caps, idxs = np.array(feats, np.float32), np.array(caps, np.int32), np.array(idxs)
    n_train = 2 * (n_images * 3 // 4)
    return {"word_to_idx": word_to_idx, "idx_to_word": {i: w for w, i in word_to_idx.items()},
            "train_features": feats, "val_features": feats,
            "train_captions": caps[:n_train], "train_image_idxs": idxs[:n_train],
            "val_captions": caps[n_train:], "val_image_idxs": idxs[n_train:]}


def main():
    parser = argparse.ArgumentParser(description="CS231n transformer captioning")
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--iters", type=int, default=60)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(231)
    np.random.seed(231)
    result = {}

    # The notebook's layer checks, on inputs made with NumPy.
    pe_layer = PositionalEncoding(8, dropout=0.0, max_len=20)
    result["pe"] = pe_layer.pe[0, [0, 1, 7, 19]].flatten().tolist()
    result["pe_buffer"] = [name for name, _ in pe_layer.named_buffers()]
    x = torch.from_numpy(np.linspace(-0.3, 0.5, 2 * 5 * 8, dtype=np.float32).reshape(2, 5, 8))
    attn = MultiHeadAttention(8, 2, dropout=0.0)
    with torch.no_grad():
        for k, p in sorted(attn.named_parameters()):
            p.copy_(torch.from_numpy(np.linspace(-0.2, 0.2, p.numel(), dtype=np.float32).reshape(p.shape)))
    mask = torch.tril(torch.ones(5, 5))
    result["attn_self"] = attn(x, x, x).flatten()[::7].tolist()
    result["attn_masked"] = attn(x, x, x, attn_mask=mask).flatten()[::7].tolist()
    result["attn_cross"] = attn(x, x[:, :3], x[:, :3]).flatten()[::7].tolist()
    result["pos_enc_out"] = pe_layer(x).flatten()[::9].tolist()

    rng = np.random.RandomState(0)
    data = load_tiny_coco(rng)
    model = CaptioningTransformer(data["word_to_idx"], input_dim=24, wordvec_dim=16, num_heads=2, num_layers=2,
                                  max_length=12, dim_feedforward=32, dropout=args.dropout)
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    result["n_params"] = sum(p.numel() for p in model.parameters())
    result["layers_distinct"] = model.transformer.layers[0].linear1.weight is not model.transformer.layers[1].linear1.weight

    optim = torch.optim.Adam(model.parameters(), 5e-3)
    null = data["word_to_idx"]["<NULL>"]
    loss_history = []
    model.train()
    for it in range(args.iters):
        captions, features, urls = sample_coco_minibatch(data, batch_size=25, split="train")
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]
        mask = captions_out != null
        t_features = torch.Tensor(features)
        t_captions_in = torch.LongTensor(captions_in)
        t_captions_out = torch.LongTensor(captions_out)
        t_mask = torch.LongTensor(mask)
        logits = model(t_features, t_captions_in)
        loss = transformer_temporal_softmax_loss(logits, t_captions_out, t_mask)
        loss_history.append(float(loss.detach().numpy()))
        optim.zero_grad()
        loss.backward()
        optim.step()
    result["losses"] = loss_history

    model.eval()
    for split in ("train", "val"):
        gt, feats, _ = sample_coco_minibatch(data, batch_size=4, split=split)
        sample_captions = model.sample(feats, max_length=8)
        result[f"{split}_samples"] = decode_captions(sample_captions, data["idx_to_word"])
        result[f"{split}_gt"] = decode_captions(gt, data["idx_to_word"])
    result["single"] = decode_captions(np.array([1, 4, 8, 2, 0]), data["idx_to_word"])
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
