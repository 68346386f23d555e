"""A Vision Transformer from scratch, in the style of the ViT tutorials (lucidrains/vit-pytorch,
the UvA deep-learning notebooks): patch embedding by a strided Conv2d or by unfold + Linear, a
learned cls token and position embedding as nn.Parameter with trunc_normal_ init, an
nn.TransformerEncoder(batch_first=True, norm_first=True, activation="gelu"), the cls token read
out through LayerNorm + Linear; AdamW with weight decay only on the weight matrices, a linear
warmup then cosine schedule by LambdaLR, gradient clipping; data through random_split, Subset
and a WeightedRandomSampler for the imbalanced classes."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset, TensorDataset, WeightedRandomSampler, random_split


class PatchEmbed(nn.Module):
    def __init__(self, img_size=16, patch_size=4, in_chans=3, embed_dim=32, use_unfold=False):
        super().__init__()
        self.num_patches = (img_size // patch_size) ** 2
        self.patch_size = patch_size
        self.use_unfold = use_unfold
        if use_unfold:
            self.proj = nn.Linear(in_chans * patch_size * patch_size, embed_dim)
        else:
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        if self.use_unfold:
            patches = F.unfold(x, kernel_size=self.patch_size, stride=self.patch_size)  # B, C*p*p, L
            return self.proj(patches.transpose(1, 2))
        x = self.proj(x)  # B, E, H/p, W/p
        return x.flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, img_size=16, patch_size=4, in_chans=3, num_classes=4, embed_dim=32, depth=2, num_heads=4,
                 mlp_ratio=2.0, dropout=0.0, use_unfold=False):
        super().__init__()
        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, embed_dim, use_unfold)
        num_patches = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.pos_drop = nn.Dropout(p=dropout)
        encoder_layer = nn.TransformerEncoderLayer(d_model=embed_dim, nhead=num_heads,
                                                   dim_feedforward=int(embed_dim * mlp_ratio), dropout=dropout,
                                                   activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(encoder_layer, num_layers=depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.head = nn.Linear(embed_dim, num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    def forward(self, x):
        x = self.patch_embed(x)
        cls_token = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls_token, x), dim=1)
        x = self.pos_drop(x + self.pos_embed)
        x = self.encoder(x)
        x = self.norm(x)
        return self.head(x[:, 0])


def make_data(n, rng, size=16):
    # class k has a bright k-th quadrant; class 0 is three times as common as the others
    labels = rng.choice(4, n, p=[0.5, 1 / 6, 1 / 6, 1 / 6])
    images = rng.normal(0, 0.5, (n, 3, size, size)).astype(np.float32)
    h = size // 2
    for i, k in enumerate(labels):
        images[i, :, (k // 2) * h:(k // 2) * h + h, (k % 2) * h:(k % 2) * h + h] += 1.0
    return torch.from_numpy(images), torch.from_numpy(labels).long()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--unfold", action="store_true")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rng = np.random.RandomState(0)
    x, y = make_data(120, rng)
    full = TensorDataset(x, y)
    train_set, val_set = random_split(full, [96, 24], generator=torch.Generator().manual_seed(42))
    assert len(train_set) == 96 and len(val_set) == 24
    # fixed order for the shared-weights comparison: the first 64 of the data set
    fixed = Subset(full, list(range(64)))
    counts = torch.bincount(y[:64], minlength=4).float()
    sample_weights = (1.0 / counts)[y[:64]]
    sampler = WeightedRandomSampler(sample_weights, num_samples=64, replacement=True)
    sampled = torch.cat([y[i:i + 1] for i in sampler])
    loader = DataLoader(fixed, batch_size=16, shuffle=False)
    val_loader = DataLoader(val_set, batch_size=24)

    model = VisionTransformer(use_unfold=args.unfold).to(device)
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim <= 1 or name in ("cls_token", "pos_embed") else decay).append(p)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=3e-3, betas=(0.9, 0.999))
    total = args.epochs * len(loader)

    def lr_lambda(step):
        if step < args.warmup:
            return float(step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, total - args.warmup)
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    criterion = nn.CrossEntropyLoss()
    losses, lrs, norms = [], [], []
    for epoch in range(args.epochs):
        model.train()
        for imgs, labels in loader:
            imgs, labels = imgs.to(device), labels.to(device)
            logits = model(imgs)
            loss = criterion(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0).item())
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
    model.eval()
    correct = 0
    with torch.no_grad():
        for imgs, labels in val_loader:
            correct += (model(imgs).argmax(dim=-1) == labels).sum().item()
    n_params = sum(p.numel() for p in model.parameters())
    print("RESULT " + json.dumps({"losses": losses, "lrs": lrs, "norms": norms, "val_acc": correct / len(val_set),
                                  "n_params": n_params, "sampled_counts": torch.bincount(sampled, minlength=4).tolist(),
                                  "state_keys": list(model.state_dict().keys())[:12]}))


if __name__ == "__main__":
    main()
