"""A ViT trained the way timm's ``train.py`` trains one, with the pieces written as timm writes them: ``DropPath``
(stochastic depth by ``x.new_empty(shape).bernoulli_(keep_prob)`` and ``div_``), ``LayerScale`` (``x.mul_`` when
``inplace``), ``trunc_normal_`` init and ``no_weight_decay`` names, position-embedding resizing with
``F.interpolate(mode="bicubic")`` for a new image size, Mixup/CutMix (a ``torch.distributions.Beta`` draw, a box
cut with ``torch.randint``-free NumPy arithmetic, ``flip(0)`` pairing) with ``SoftTargetCrossEntropy``,
layer-wise learning-rate decay parameter groups for AdamW, ``SequentialLR`` of ``LinearLR`` warmup and
``CosineAnnealingLR``, ``torch.nn.utils.clip_grad_norm_`` and model EMA by ``torch.lerp_`` on the parameters."""
import argparse
import copy
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def drop_path(x, drop_prob: float = 0.0, training: bool = False, scale_by_keep: bool = True):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.0, scale_by_keep=True):
        super().__init__()
        self.drop_prob, self.scale_by_keep = drop_prob, scale_by_keep

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

    def extra_repr(self):
        return f"drop_prob={round(self.drop_prob, 3):0.3f}"


class LayerScale(nn.Module):
    def __init__(self, dim, init_values=1e-5, inplace=False):
        super().__init__()
        self.inplace = inplace
        self.gamma = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        return x.mul_(self.gamma) if self.inplace else x * self.gamma


class Attention(nn.Module):
    def __init__(self, dim, num_heads=2):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    def __init__(self, dim, drop_path_rate):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim)
        self.ls1 = LayerScale(dim, init_values=0.1)
        self.drop_path1 = DropPath(drop_path_rate) if drop_path_rate > 0.0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.ls2 = LayerScale(dim, init_values=0.1, inplace=True)
        self.drop_path2 = DropPath(drop_path_rate) if drop_path_rate > 0.0 else nn.Identity()

    def forward(self, x):
        x = x + self.drop_path1(self.ls1(self.attn(self.norm1(x))))
        return x + self.drop_path2(self.ls2(self.mlp(self.norm2(x))))


class VisionTransformer(nn.Module):
    def __init__(self, img_size=12, patch=4, dim=16, depth=3, num_classes=4, drop_path_rate=0.2):
        super().__init__()
        self.patch = patch
        self.patch_embed = nn.Conv2d(1, dim, patch, patch)
        self.grid = img_size // patch
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, self.grid ** 2 + 1, dim) * 0.02)
        dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
        self.blocks = nn.Sequential(*[Block(dim, dpr[i]) for i in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    @torch.jit.ignore
    def no_weight_decay(self):
        return {"pos_embed", "cls_token"}

    def resample_pos_embed(self, new_grid):
        cls_pos, grid_pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        dim = grid_pos.shape[-1]
        grid_pos = grid_pos.reshape(1, self.grid, self.grid, dim).permute(0, 3, 1, 2)
        grid_pos = F.interpolate(grid_pos, size=(new_grid, new_grid), mode="bicubic", antialias=False,
                                 align_corners=False)
        grid_pos = grid_pos.permute(0, 2, 3, 1).reshape(1, new_grid * new_grid, dim)
        return torch.cat([cls_pos, grid_pos], dim=1)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        pos = self.pos_embed if x.shape[1] == self.grid ** 2 else self.resample_pos_embed(int(math.sqrt(x.shape[1])))
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + pos
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


def param_groups_lrd(model, weight_decay=0.05, layer_decay=0.75):
    num_layers = len(model.blocks) + 1
    scales = [layer_decay ** (num_layers - i) for i in range(num_layers + 1)]
    groups = {}
    for n, p in model.named_parameters():
        no_decay = p.ndim == 1 or n in model.no_weight_decay()
        layer = 0 if n.startswith(("cls_token", "pos_embed", "patch_embed")) else \
            int(n.split(".")[1]) + 1 if n.startswith("blocks") else num_layers
        key = f"layer_{layer}_{'no_decay' if no_decay else 'decay'}"
        if key not in groups:
            groups[key] = {"lr_scale": scales[layer], "weight_decay": 0.0 if no_decay else weight_decay, "params": [],
                           "names": []}
        groups[key]["params"].append(p)
        groups[key]["names"].append(n)
    return list(groups.values())


def rand_bbox(size, lam, rng):
    W, H = size[2], size[3]
    cut_rat = np.sqrt(1.0 - lam)
    cut_w, cut_h = int(W * cut_rat), int(H * cut_rat)
    cx, cy = rng.randint(W), rng.randint(H)
    return (np.clip(cx - cut_w // 2, 0, W), np.clip(cy - cut_h // 2, 0, H), np.clip(cx + cut_w // 2, 0, W),
            np.clip(cy + cut_h // 2, 0, H))


def mixup_cutmix(x, y, num_classes, step, rng, smoothing=0.1):
    off, on = smoothing / num_classes, 1.0 - smoothing + smoothing / num_classes
    y1 = torch.full((x.size(0), num_classes), off).scatter_(1, y.long().view(-1, 1), on)
    lam = float(torch.distributions.Beta(torch.tensor([0.8]), torch.tensor([0.8])).sample())
    if step % 2:
        bbx1, bby1, bbx2, bby2 = rand_bbox(x.size(), lam, rng)
        x[:, :, bbx1:bbx2, bby1:bby2] = x.flip(0)[:, :, bbx1:bbx2, bby1:bby2]
        lam = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (x.size(-1) * x.size(-2)))
    else:
        x.mul_(lam).add_(x.flip(0).mul_(1.0 - lam))
    return x, y1 * lam + y1.flip(0) * (1.0 - lam), lam


class SoftTargetCrossEntropy(nn.Module):
    def forward(self, x, target):
        return torch.sum(-target * F.log_softmax(x, dim=-1), dim=-1).mean()


def make_data(n, rng, size=12):
    x = rng.normal(0, 0.2, (n, 1, size, size)).astype(np.float32)
    y = rng.randint(0, 4, n)
    h = size // 2
    for i in range(n):
        q = y[i]
        x[i, 0, (q // 2) * h:(q // 2) * h + h, (q % 2) * h:(q % 2) * h + h] += 1.0
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = VisionTransformer()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    groups = param_groups_lrd(model)
    base_lr = 2e-3
    optimizer = torch.optim.AdamW([{k: v for k, v in g.items() if k != "names"} for g in groups], lr=base_lr)
    for g in optimizer.param_groups:
        g["lr"] = base_lr * g["lr_scale"]
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps - 3, eta_min=1e-5)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[3])
    criterion = SoftTargetCrossEntropy()
    rng = np.random.RandomState(0)
    torch.manual_seed(1)
    losses, lams, lrs, norms = [], [], [], []
    for step in range(args.steps):
        model.train()
        x, y = make_data(16, rng)
        x, target, lam = mixup_cutmix(x, y, 4, step, rng)
        loss = criterion(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
        optimizer.step()
        scheduler.step()
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 0.1)
        losses.append(loss.item())
        lams.append(float(lam))
        lrs.append([round(g["lr"], 10) for g in optimizer.param_groups][:3])
    model.eval()
    x, y = make_data(32, rng)
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
        ema_logits = ema(x)
        big, _ = make_data(2, rng, size=16)
        big_logits = model(big)
    print("RESULT " + json.dumps({"losses": losses, "lams": lams, "lrs": lrs, "norms": norms, "acc": acc,
                                  "ema": ema_logits.sum().item(), "big": big_logits.tolist(),
                                  "groups": [sorted(g["names"])[:2] for g in groups], "repr": repr(model.blocks[1].drop_path1)}))


if __name__ == "__main__":
    main()
