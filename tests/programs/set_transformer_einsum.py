"""Point-set models the way PointNet / Set Transformer / DGCNN repos write them, on tiny synthetic
point clouds (a class is a shape: ring, blob, line): k-nearest neighbours by torch.cdist and
topk(largest=False), neighbour features by index arithmetic and index_select / gather with an
expanded index, an EdgeConv-style max over neighbours, a Set Transformer's multihead attention
block (nn.MultiheadAttention with batch_first=True, key_padding_mask for ragged sets, need_weights
and average_attn_weights=False) and pooling by multihead attention with a learned seed, per-set
statistics accumulated with scatter_add_ / scatter_reduce / index_add_, einsum for bilinear
scores and batched outer products, bucketize / searchsorted for a radial histogram feature, and
a training loop with Adam and cross-entropy."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_clouds(rng, n_sets, max_points=12):
    xs, masks, labels = [], [], []
    for i in range(n_sets):
        label = i % 3
        n = rng.randint(6, max_points + 1)
        t = rng.uniform(0, 2 * np.pi, size=n)
        if label == 0:
            pts = np.stack([np.cos(t), np.sin(t)], 1)
        elif label == 1:
            pts = rng.randn(n, 2) * 0.3
        else:
            pts = np.stack([t / np.pi - 1, 0.5 * (t / np.pi - 1)], 1)
        pts = pts + 0.05 * rng.randn(n, 2)
        pad = np.zeros((max_points, 2))
        pad[:n] = pts
        m = np.zeros(max_points, dtype=bool)
        m[n:] = True  # True = padding, as key_padding_mask wants
        xs.append(pad)
        masks.append(m)
        labels.append(label)
    return (torch.tensor(np.array(xs), dtype=torch.float32), torch.tensor(np.array(masks)),
            torch.tensor(labels))


def knn(x, k, mask):
    d = torch.cdist(x, x)
    d = d.masked_fill(mask[:, None, :], float("inf"))
    return d.topk(k, dim=-1, largest=False).indices


def edge_features(x, idx):
    b, n, k = idx.shape
    idx_base = torch.arange(0, b).view(-1, 1, 1) * n
    flat = (idx + idx_base).view(-1)
    neighbours = x.reshape(b * n, -1).index_select(0, flat).view(b, n, k, -1)
    centre = x.unsqueeze(2).expand(-1, -1, k, -1)
    via_gather = torch.gather(x.unsqueeze(1).expand(-1, n, -1, -1), 2,
                              idx.unsqueeze(-1).expand(-1, -1, -1, x.size(-1)))
    return torch.cat([neighbours - centre, centre], dim=-1), neighbours, via_gather


class MAB(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln1 = nn.LayerNorm(dim)
        self.ln2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, q, kv, key_padding_mask=None):
        h, w = self.attn(q, kv, kv, key_padding_mask=key_padding_mask, need_weights=True,
                         average_attn_weights=False)
        h = self.ln1(q + h)
        return self.ln2(h + self.ff(h)), w


class SetClassifier(nn.Module):
    def __init__(self, dim=16, heads=2, k=4, bins=4, classes=3):
        super().__init__()
        self.k = k
        self.edge = nn.Sequential(nn.Linear(4, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.sab = MAB(dim, heads)
        self.seed = nn.Parameter(torch.randn(1, 1, dim) * 0.1)
        self.pma = MAB(dim, heads)
        self.bilinear = nn.Parameter(torch.randn(dim, dim) * 0.1)
        self.register_buffer("edges", torch.linspace(0.25, 1.25, bins - 1))
        self.head = nn.Linear(dim + bins + 1, classes)

    def forward(self, x, mask):
        idx = knn(x, self.k, mask)
        e, _, _ = edge_features(x, idx)
        h = self.edge(e).max(dim=2).values
        h, w_self = self.sab(h, h, key_padding_mask=mask)
        pooled, w_pool = self.pma(self.seed.expand(x.size(0), -1, -1), h, key_padding_mask=mask)
        pooled = pooled.squeeze(1)
        # A bilinear self-score of the pooled vector against the set's mean (einsum).
        valid = (~mask).float()
        mean = torch.einsum("bn,bnd->bd", valid, h) / valid.sum(1, keepdim=True)
        score = torch.einsum("bi,ij,bj->b", pooled, self.bilinear, mean).unsqueeze(1)
        # Radial histogram: bucketize the radii, count per set with scatter_add_.
        r = x.norm(dim=-1)
        bucket = torch.bucketize(r, self.edges)
        hist = torch.zeros(x.size(0), self.edges.numel() + 1)
        hist.scatter_add_(1, bucket, valid)
        hist = hist / valid.sum(1, keepdim=True)
        return self.head(torch.cat([pooled, hist, score], dim=1)), w_self, w_pool


def main():
    parser = argparse.ArgumentParser(description="Set transformer / DGCNN-style point-set classifier")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--n-sets", type=int, default=48)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    x, mask, y = make_clouds(rng, args.n_sets)
    model = SetClassifier()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    result = {"state_keys": list(model.state_dict().keys())}

    idx = knn(x[:2], 3, mask[:2])
    result["knn"] = idx.reshape(-1).tolist()
    e, neighbours, via_gather = edge_features(x[:2], idx)
    result["gather_same"] = bool(torch.equal(neighbours, via_gather))
    r = x[:2].norm(dim=-1)
    result["bucketize"] = [torch.bucketize(r, model.edges).reshape(-1).tolist(),
                           torch.bucketize(r, model.edges, right=True).reshape(-1).tolist(),
                           torch.searchsorted(model.edges, r.contiguous()).reshape(-1).tolist()]
    # Per-class statistics with scatter_reduce / index_add_.
    feats = x.sum(1)
    cls_max = torch.zeros(3, 2).scatter_reduce(0, y.unsqueeze(1).expand(-1, 2), feats, reduce="amax",
                                               include_self=False)
    cls_sum = torch.zeros(3, 2).index_add_(0, y, feats)
    cls_mean = torch.zeros(3, 2).scatter_reduce(0, y.unsqueeze(1).expand(-1, 2), feats, reduce="mean",
                                                include_self=False)
    result["scatter"] = [cls_max.reshape(-1).tolist(), cls_sum.reshape(-1).tolist(), cls_mean.reshape(-1).tolist()]
    outer = torch.einsum("bi,bj->bij", feats[:3], feats[:3])
    result["einsum_outer"] = outer.reshape(-1).tolist()
    result["einsum_trace"] = torch.einsum("bii->b", outer).tolist()

    with torch.no_grad():
        logits, w_self, w_pool = model(x, mask)
    result["w_shapes"] = [list(w_self.shape), list(w_pool.shape)]
    result["w_pool_pad"] = float(w_pool.masked_select(mask[:, None, None, :].expand_as(w_pool)).abs().max())
    result["w_sum"] = w_pool.sum(-1).reshape(-1)[:6].tolist()
    result["logits0"] = logits.reshape(-1).tolist()

    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    losses = []
    for step in range(args.steps):
        logits, _, _ = model(x, mask)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    result["losses"] = losses
    with torch.no_grad():
        result["acc"] = (model(x, mask)[0].argmax(1) == y).float().mean().item()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
