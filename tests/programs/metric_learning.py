"""Metric learning as the Siamese / triplet repositories write it (adambielski/siamese-triplet style): an
embedding net with ``F.normalize``, a ``SiameseNet`` trained with a hand-written ``ContrastiveLoss`` on
``F.pairwise_distance``, online batch-hard triplet mining over ``torch.cdist`` with masks from
``labels.unsqueeze(0) == labels.unsqueeze(1)``, ``nn.TripletMarginLoss(swap=True)``,
``nn.TripletMarginWithDistanceLoss`` with a cosine distance, ``nn.CosineEmbeddingLoss``,
``nn.MarginRankingLoss``, ``nn.HingeEmbeddingLoss``, ``nn.SoftMarginLoss``, ``nn.MultiMarginLoss``,
``nn.MultiLabelMarginLoss``; then recall@k from ``topk`` on a cosine similarity matrix and an
ArcFace-style margin head (``F.linear`` of normalized weights, ``acos`` / ``cos`` with a clamp)."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class EmbeddingNet(nn.Module):
    def __init__(self, d_in=12, d_emb=8):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(d_in, 32), nn.PReLU(), nn.Linear(32, 32), nn.PReLU(), nn.Linear(32, d_emb))

    def forward(self, x):
        return F.normalize(self.fc(x), p=2, dim=1)

    def get_embedding(self, x):
        return self.forward(x)


class SiameseNet(nn.Module):
    def __init__(self, embedding_net):
        super().__init__()
        self.embedding_net = embedding_net

    def forward(self, x1, x2):
        return self.embedding_net(x1), self.embedding_net(x2)


class ContrastiveLoss(nn.Module):
    def __init__(self, margin):
        super().__init__()
        self.margin, self.eps = margin, 1e-9

    def forward(self, output1, output2, target, size_average=True):
        distances = (output2 - output1).pow(2).sum(1)
        losses = 0.5 * (target.float() * distances +
                        (1 + -1 * target).float() * F.relu(self.margin - (distances + self.eps).sqrt()).pow(2))
        return losses.mean() if size_average else losses.sum()


def batch_hard_triplet_loss(embeddings, labels, margin):
    dist = torch.cdist(embeddings, embeddings, p=2)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    eye = torch.eye(len(labels), dtype=torch.bool)
    hardest_pos = (dist * (same & ~eye).float()).max(dim=1).values
    hardest_neg = dist.masked_fill(same, float("inf")).min(dim=1).values
    return F.relu(hardest_pos - hardest_neg + margin).mean(), dist


class ArcMarginProduct(nn.Module):
    def __init__(self, in_features, out_features, s=8.0, m=0.3):
        super().__init__()
        self.s, self.m = s, m
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x, label):
        cosine = F.linear(F.normalize(x), F.normalize(self.weight))
        theta = torch.acos(cosine.clamp(-1 + 1e-7, 1 - 1e-7))
        target = torch.cos(theta + self.m)
        one_hot = torch.zeros_like(cosine).scatter_(1, label.view(-1, 1).long(), 1)
        return self.s * (one_hot * target + (1.0 - one_hot) * cosine)


def make_data(n, rng, classes=4, d=12):
    centers = rng.normal(0, 1.5, (classes, d))
    y = np.arange(n) % classes
    return torch.tensor(centers[y] + rng.normal(0, 1, (n, d)), dtype=torch.float32), torch.tensor(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=15)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    x, y = make_data(64, rng)
    net = EmbeddingNet()
    siamese = SiameseNet(net)
    arc = ArcMarginProduct(8, 4)
    opt = torch.optim.Adam([*siamese.parameters(), *arc.parameters()], lr=3e-3)
    contrastive = ContrastiveLoss(margin=1.0)
    triplet = nn.TripletMarginLoss(margin=0.5, p=2, swap=True)
    cos_triplet = nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1.0 - F.cosine_similarity(a, b),
                                                   margin=0.3)
    history = []
    for step in range(args.steps):
        perm = torch.randperm(64)
        a, b = x[perm[:32]], x[perm[32:]]
        same = (y[perm[:32]] == y[perm[32:]]).long()
        e1, e2 = siamese(a, b)
        l_con = contrastive(e1, e2, same)
        emb = net(x)
        l_hard, dist = batch_hard_triplet_loss(emb, y, 0.3)
        pos_idx = torch.tensor([(i + 4) % 64 for i in range(64)])
        neg_idx = torch.tensor([(i + 1) % 64 for i in range(64)])
        l_tri = triplet(emb, emb[pos_idx], emb[neg_idx])
        l_cos = cos_triplet(emb, emb[pos_idx], emb[neg_idx])
        l_arc = F.cross_entropy(arc(emb, y), y)
        loss = l_con + l_hard + l_tri + l_cos + 0.1 * l_arc
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append([loss.item(), l_con.item(), l_hard.item(), l_tri.item(), l_cos.item(), l_arc.item()])

    net.eval()
    with torch.no_grad():
        emb = net.get_embedding(x)
        sim = emb @ emb.t()
        sim.fill_diagonal_(-float("inf"))
        top = sim.topk(5, dim=1).indices
        recall = {k: (y[top[:, :k]] == y[:, None]).any(1).float().mean().item() for k in (1, 5)}
    t = torch.tensor([1, -1, 1, -1, 1, 1])
    u, v = torch.randn(6, 8), torch.randn(6, 8)
    s1, s2 = torch.randn(6), torch.randn(6)
    scores = torch.randn(6, 4, requires_grad=True)
    extras = {
        "cosine_emb": nn.CosineEmbeddingLoss(margin=0.2)(u, v, t).item(),
        "cosine_emb_none": nn.CosineEmbeddingLoss(reduction="none")(u, v, t).tolist(),
        "ranking": nn.MarginRankingLoss(margin=0.1)(s1, s2, t).item(),
        "hinge": nn.HingeEmbeddingLoss(margin=1.5)(s1.abs(), t).item(),
        "soft_margin": nn.SoftMarginLoss()(s1, t.float()).item(),
        "multi_margin": nn.MultiMarginLoss(p=1, margin=1.0, weight=torch.tensor([1., 2., 1., .5]))(
            scores, torch.tensor([0, 1, 2, 3, 1, 0])).item(),
        "multi_margin_p2": F.multi_margin_loss(scores, torch.tensor([0, 1, 2, 3, 1, 0]), p=2).item(),
        "multilabel_margin": nn.MultiLabelMarginLoss()(scores, torch.tensor([[3, 0, -1, 1]] * 6)).item(),
        "pdist": F.pdist(u[:4]).tolist(), "pairwise": nn.PairwiseDistance(p=1, keepdim=True)(u, v)[:2].tolist(),
        "cos_sim": nn.CosineSimilarity(dim=1, eps=1e-8)(u, v).tolist(),
        "triplet_fn": F.triplet_margin_loss(u, v, u.flip(0), margin=1.0, p=1, reduction="sum").item(),
    }
    (extras_loss := F.multi_margin_loss(scores, torch.tensor([0, 1, 2, 3, 1, 0])) +
     F.multilabel_margin_loss(scores, torch.tensor([[3, 0, -1, 1]] * 6))).backward()
    print("RESULT " + json.dumps({
        "history": history, "recall": recall, "dist_mean": dist.mean().item(), "extras": extras,
        "score_grad": scores.grad.tolist(), "extras_loss": extras_loss.item(), "angle": math.degrees(arc.m),
        "prelu": [m.weight.item() for m in net.fc if isinstance(m, nn.PReLU)],
    }))


if __name__ == "__main__":
    main()
