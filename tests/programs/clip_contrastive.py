"""CLIP-style contrastive training in the manner of open_clip / the CLIP paper's pseudo-code: an image tower
(a small CNN with attention pooling through ``nn.MultiheadAttention`` and a learned query) and a text
tower (token embedding + ``nn.TransformerEncoder`` over variable-length captions batched by
``nn.utils.rnn.pad_sequence`` with a ``src_key_padding_mask``, pooled at the EOT position by
``argmax``), L2-normalized features, a learnable ``logit_scale`` initialized to ``log(1/0.07)``
and clamped to 100, the symmetric cross entropy, class-imbalanced pairs drawn by a
``WeightedRandomSampler`` through a ``DataLoader`` with a ``collate_fn``, a ``@torch.compile``-decorated
loss function, ``torch.amp.autocast("cpu", dtype=torch.bfloat16)`` for evaluation, and
``need_weights``/``average_attn_weights`` of ``nn.MultiheadAttention``."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

VOCAB = ["<pad>", "<sot>", "<eot>", "a", "the", "red", "blue", "green", "bar", "square", "cross", "big", "small",
         "picture", "of"]
STOI = {s: i for i, s in enumerate(VOCAB)}
COLORS, SHAPES = ["red", "blue", "green"], ["bar", "square", "cross"]


class ShapesCaptions(Dataset):
    def __init__(self, n, seed):
        rng = np.random.RandomState(seed)
        self.items = []
        for _ in range(n):
            color, shape = rng.randint(3), rng.randint(3)
            img = rng.normal(0, 0.05, (3, 12, 12)).astype(np.float32)
            r, c = rng.randint(1, 7, 2)
            if shape == 0:
                img[color, r + 2, 1:11] += 1
            elif shape == 1:
                img[color, r:r + 5, c:c + 5] += 1
            else:
                img[color, r + 2, c:c + 5] += 1
                img[color, r:r + 5, c + 2] += 1
            words = ["a", "picture", "of"][: rng.randint(1, 4)] + (["big"] if rng.rand() < 0.3 else [])
            words += [COLORS[color], SHAPES[shape]]
            ids = [STOI["<sot>"]] + [STOI[w] for w in words] + [STOI["<eot>"]]
            self.items.append((img, ids, color * 3 + shape))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        img, ids, label = self.items[i]
        return torch.from_numpy(img), torch.tensor(ids, dtype=torch.long), label


def collate(batch):
    images, texts, labels = zip(*batch)
    lengths = torch.tensor([len(t) for t in texts])
    return torch.stack(images), pad_sequence(list(texts), batch_first=True, padding_value=0), lengths, \
        torch.tensor(labels)


class AttentionPool2d(nn.Module):
    def __init__(self, spacial_dim, embed_dim, num_heads, output_dim):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(spacial_dim ** 2 + 1, embed_dim) / embed_dim ** 0.5)
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=False)
        self.c_proj = nn.Linear(embed_dim, output_dim)

    def forward(self, x):
        x = x.flatten(start_dim=2).permute(2, 0, 1)  # NCHW -> (HW)NC
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)
        x = x + self.positional_embedding[:, None, :].to(x.dtype)
        out, weights = self.attn(x[:1], x, x, need_weights=True, average_attn_weights=True)
        return self.c_proj(out.squeeze(0)), weights


class ImageEncoder(nn.Module):
    def __init__(self, width=16, embed_dim=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.AvgPool2d(2), nn.Conv2d(width, width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(), nn.AvgPool2d(2))
        self.attnpool = AttentionPool2d(3, width, 2, embed_dim)

    def forward(self, x):
        return self.attnpool(self.stem(x))


class TextEncoder(nn.Module):
    def __init__(self, width=16, embed_dim=16, context_length=8):
        super().__init__()
        self.token_embedding = nn.Embedding(len(VOCAB), width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width))
        nn.init.normal_(self.positional_embedding, std=0.01)
        layer = nn.TransformerEncoderLayer(width, 2, dim_feedforward=32, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim))
        nn.init.normal_(self.text_projection, std=width ** -0.5)

    def forward(self, text):
        x = self.token_embedding(text) + self.positional_embedding[: text.shape[1]]
        pad_mask = text == 0
        causal = nn.Transformer.generate_square_subsequent_mask(text.shape[1])
        x = self.transformer(x, mask=causal, src_key_padding_mask=pad_mask)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = ImageEncoder()
        self.text = TextEncoder()
        self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))

    def forward(self, image, text):
        image_features, attn = self.visual(image)
        text_features = self.text(text)
        image_features = image_features / image_features.norm(dim=1, keepdim=True)
        text_features = F.normalize(text_features, dim=-1)
        logit_scale = self.logit_scale.exp()
        logits_per_image = logit_scale * image_features @ text_features.t()
        return logits_per_image, logits_per_image.t(), attn


@torch.compile
def clip_loss(logits_per_image, logits_per_text):
    labels = torch.arange(logits_per_image.shape[0], device=logits_per_image.device, dtype=torch.long)
    return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = CLIP()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    train = ShapesCaptions(96, seed=0)
    labels = [it[2] for it in train.items]
    counts = np.bincount(labels, minlength=9)
    weights = [1.0 / counts[l] for l in labels]
    sampler = WeightedRandomSampler(weights, num_samples=len(weights), replacement=True,
                                    generator=torch.Generator().manual_seed(0))
    drawn = list(iter(sampler))
    loader = DataLoader(train, batch_size=16, sampler=sampler, collate_fn=collate, drop_last=True)
    fixed = DataLoader(train, batch_size=16, shuffle=False, collate_fn=collate)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "embedding" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=3e-3, betas=(0.9, 0.98), eps=1e-6)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=args.epochs * len(fixed))
    losses, scales = [], []
    for epoch in range(args.epochs):
        model.train()
        for images, texts, lengths, _ in fixed:
            logits_per_image, logits_per_text, _ = model(images, texts)
            loss = clip_loss(logits_per_image, logits_per_text)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            losses.append(loss.item())
            scales.append(model.logit_scale.item())
    images, texts, lengths, batch_labels = next(iter(fixed))
    model.eval()
    with torch.no_grad():
        logits_per_image, _, attn = model(images, texts)
        acc = (logits_per_image.argmax(-1) == torch.arange(len(images))).float().mean().item()
        with torch.amp.autocast("cpu", dtype=torch.bfloat16):
            bf_logits, _, _ = model(images, texts)
            bf_dtype = str(bf_logits.dtype)
            lin_dtype = str(model.visual.attnpool.c_proj(torch.randn(2, 16)).dtype)
    # multi-head attention on its own: padding mask, per-head weights
    mha = model.visual.attnpool.attn
    q = torch.from_numpy(np.random.RandomState(3).randn(4, 2, 16).astype(np.float32))
    kpm = torch.tensor([[False, False, True, True], [False, False, False, True]])
    with torch.no_grad():
        out, w_avg = mha(q, q, q, key_padding_mask=kpm)
        _, w_heads = mha(q, q, q, key_padding_mask=kpm, average_attn_weights=False)
        out_nw, w_none = mha(q, q, q, key_padding_mask=kpm, need_weights=False)
    sampler_draws = np.bincount(np.array([labels[i] for i in drawn]), minlength=9).tolist()
    result = {"losses": losses, "scales": scales, "acc": acc, "attn_shape": list(attn.shape),
              "attn_row_sum": attn.sum(-1).flatten().tolist()[:4], "bf_dtype": bf_dtype, "lin_dtype": lin_dtype,
              "bf_diff": (bf_logits.float() - logits_per_image).abs().max().item(),
              "padded_shape": list(texts.shape), "lengths": lengths.tolist(),
              "mha_out": out.sum().item(), "w_avg_shape": list(w_avg.shape), "w_heads_shape": list(w_heads.shape),
              "w_masked": w_avg[0, :, 2:].abs().sum().item(), "w_none": w_none is None,
              "need_weights_same": torch.allclose(out, out_nw, atol=1e-6),
              "sampler_len": len(drawn), "sampler_draws": sampler_draws, "drawn": drawn[:10],
              "lr": scheduler.get_last_lr()}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
