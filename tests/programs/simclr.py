"""SimCLR-style contrastive pretraining (the NT-Xent loss of sthalles/SimCLR and the
contrastive-learning tutorials): two augmented views per image, a small conv encoder with an
MLP projection head, F.normalize, a cosine-similarity matrix by torch.mm / torch.matmul, the
diagonal masked out with masked_fill, F.cross_entropy over the logits; then a linear probe on
the frozen encoder's features, and a denoising autoencoder trained on the same images.

The augmentations (random flips, crops by padding and shifting, noise) are drawn with NumPy
so both frameworks see the same views."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, feat_dim=32, proj_dim=16):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(32, feat_dim))
        self.projector = nn.Sequential(nn.Linear(feat_dim, feat_dim), nn.ReLU(), nn.Linear(feat_dim, proj_dim))

    def forward(self, x):
        return self.projector(self.backbone(x))


def info_nce_loss(features, batch_size, n_views=2, temperature=0.07):
    labels = torch.cat([torch.arange(batch_size) for i in range(n_views)], dim=0)
    labels = (labels.unsqueeze(0) == labels.unsqueeze(1)).float()
    features = F.normalize(features, dim=1)
    similarity_matrix = torch.matmul(features, features.T)
    mask = torch.eye(labels.shape[0], dtype=torch.bool)
    labels = labels[~mask].view(labels.shape[0], -1)
    similarity_matrix = similarity_matrix[~mask].view(similarity_matrix.shape[0], -1)
    positives = similarity_matrix[labels.bool()].view(labels.shape[0], -1)
    negatives = similarity_matrix[~labels.bool()].view(similarity_matrix.shape[0], -1)
    logits = torch.cat([positives, negatives], dim=1)
    labels = torch.zeros(logits.shape[0], dtype=torch.long)
    logits = logits / temperature
    return logits, labels


def nt_xent(z1, z2, temperature=0.5):
    """The same loss written the other common way: a 2N x 2N matrix with -inf on the diagonal."""
    z = F.normalize(torch.cat([z1, z2]), p=2, dim=-1)
    sim = torch.mm(z, z.t().contiguous()) / temperature
    n = z1.size(0)
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


def augment(images, rng):
    n, c, h, w = images.shape
    out = images.copy()
    flip = rng.rand(n) < 0.5
    out[flip] = out[flip, :, :, ::-1]
    padded = np.pad(out, ((0, 0), (0, 0), (2, 2), (2, 2)), mode="reflect")
    for i in range(n):
        dy, dx = rng.randint(0, 5, 2)
        out[i] = padded[i, :, dy:dy + h, dx:dx + w]
    out = out * rng.uniform(0.7, 1.3, (n, 1, 1, 1)) + rng.normal(0, 0.05, out.shape)
    return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))


def make_images(n, rng, size=16):
    labels = rng.randint(0, 4, n)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack([np.sin(6 * xx), np.sin(6 * yy), np.sin(6 * (xx + yy)), np.cos(6 * (xx - yy))])
    colors = np.array([[1, 0.2, 0.2], [0.2, 1, 0.2], [0.2, 0.2, 1], [1, 1, 0.2]])
    images = base[labels][:, None] * colors[labels][:, :, None, None] + rng.normal(0, 0.1, (n, 3, size, size))
    return images.astype(np.float32), labels


class DenoisingAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1), nn.Tanh())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--temperature", type=float, default=0.2)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    images, labels = make_images(96, rng)
    model, dae = Encoder(), DenoisingAE()
    if args.init_out:
        np.savez(args.init_out, **{"m." + k: v.numpy() for k, v in model.state_dict().items()},
                 **{"d." + k: v.numpy() for k, v in dae.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k[2:]: torch.from_numpy(f[k]) for k in f.files if k.startswith("m.")})
            dae.load_state_dict({k[2:]: torch.from_numpy(f[k]) for k in f.files if k.startswith("d.")})
    optimizer = torch.optim.Adam(model.parameters(), 3e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps, eta_min=0, last_epoch=-1)
    criterion = torch.nn.CrossEntropyLoss()
    losses, alt, top1 = [], [], []
    for step in range(args.steps):
        idx = rng.choice(len(images), args.batch_size, replace=False)
        views = torch.cat([augment(images[idx], rng), augment(images[idx], rng)], dim=0)
        features = model(views)
        logits, targets = info_nce_loss(features, args.batch_size, temperature=args.temperature)
        loss = criterion(logits, targets)
        alt.append(nt_xent(features[:args.batch_size], features[args.batch_size:], args.temperature).item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        _, pred = logits.topk(1, 1, True, True)
        top1.append(pred.eq(targets.view(-1, 1)).float().mean().item())

    # linear probe on frozen features
    model.eval()
    with torch.no_grad():
        feats = model.backbone(torch.from_numpy(images))
    probe = nn.Linear(feats.shape[1], 4)
    with torch.no_grad():
        probe.weight.zero_()
        probe.bias.zero_()
    probe_opt = torch.optim.SGD(probe.parameters(), lr=0.5, momentum=0.9)
    y = torch.from_numpy(labels).long()
    for _ in range(20):
        probe_opt.zero_grad()
        probe_loss = F.cross_entropy(probe(feats), y)
        probe_loss.backward()
        probe_opt.step()
    probe_acc = (probe(feats).argmax(1) == y).float().mean().item()

    # denoising autoencoder
    opt = torch.optim.AdamW(dae.parameters(), lr=5e-3)
    clean = torch.from_numpy(images).clamp(-1, 1)
    dae_losses = []
    for step in range(6):
        noisy = clean + torch.from_numpy(rng.normal(0, 0.3, images.shape).astype(np.float32))
        noisy = torch.clip(noisy, -1.0, 1.0)
        loss = F.mse_loss(dae(noisy[:32]), clean[:32], reduction="mean")
        opt.zero_grad()
        loss.backward()
        opt.step()
        dae_losses.append(loss.item())
    print("RESULT " + json.dumps({"losses": losses, "alt": alt, "top1": top1, "probe_loss": probe_loss.item(),
                                  "probe_acc": probe_acc, "dae": dae_losses,
                                  "lr": scheduler.get_last_lr()}))


if __name__ == "__main__":
    main()
