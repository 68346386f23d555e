"""Word2vec skip-gram with negative sampling in the manner of the classic PyTorch ports
(Andras7/word2vec-pytorch, the "word2vec from scratch" tutorials): two nn.Embedding tables with
sparse=True, the input table uniform-initialized and the output table zeroed, a unigram^0.75
negative-sampling table, the loss -logsigmoid(u.v) - sum logsigmoid(-u.v_neg) through torch.bmm,
optim.SparseAdam (and a dense SGD comparison step), sparse gradients inspected with is_sparse /
coalesce / _indices, and nearest neighbours by cosine similarity with F.normalize and topk."""
import argparse
import json
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

GROUPS = [["king", "queen", "prince", "princess", "royal"], ["cat", "dog", "mouse", "pet", "animal"],
          ["red", "green", "blue", "yellow", "color"], ["one", "two", "three", "four", "number"]]
FILLER = "the a of and to is".split()


class SkipGramModel(nn.Module):
    def __init__(self, emb_size, emb_dimension):
        super().__init__()
        self.emb_size = emb_size
        self.emb_dimension = emb_dimension
        self.u_embeddings = nn.Embedding(emb_size, emb_dimension, sparse=True)
        self.v_embeddings = nn.Embedding(emb_size, emb_dimension, sparse=True)
        initrange = 1.0 / self.emb_dimension
        nn.init.uniform_(self.u_embeddings.weight.data, -initrange, initrange)
        nn.init.constant_(self.v_embeddings.weight.data, 0)

    def forward(self, pos_u, pos_v, neg_v):
        emb_u = self.u_embeddings(pos_u)
        emb_v = self.v_embeddings(pos_v)
        emb_neg_v = self.v_embeddings(neg_v)
        score = torch.sum(torch.mul(emb_u, emb_v), dim=1)
        score = torch.clamp(score, max=10, min=-10)
        score = -F.logsigmoid(score)
        neg_score = torch.bmm(emb_neg_v, emb_u.unsqueeze(2)).squeeze()
        neg_score = torch.clamp(neg_score, max=10, min=-10)
        neg_score = -torch.sum(F.logsigmoid(-neg_score), dim=1)
        return torch.mean(score + neg_score)


def main():
    parser = argparse.ArgumentParser(description="word2vec SGNS")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--window", type=int, default=2)
    parser.add_argument("--negatives", type=int, default=5)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    sentences = []
    for _ in range(150):
        g = GROUPS[rng.randint(len(GROUPS))]
        words = list(rng.choice(g, 4)) + list(rng.choice(FILLER, 2))
        rng.shuffle(words)
        sentences.append(words)
    counts = Counter(w for s in sentences for w in s)
    itos = [w for w, _ in counts.most_common()]
    stoi = {w: i for i, w in enumerate(itos)}
    freq = np.array([counts[w] for w in itos], dtype=np.float64) ** 0.75
    neg_table = np.repeat(np.arange(len(itos)), np.round(freq / freq.sum() * 1000).astype(int))
    pairs = []
    for s in sentences:
        ids = [stoi[w] for w in s]
        for i, u in enumerate(ids):
            for j in range(max(0, i - args.window), min(len(ids), i + args.window + 1)):
                if j != i:
                    pairs.append((u, ids[j]))
    pairs = np.array(pairs)

    model = SkipGramModel(len(itos), 16)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=0.05)

    # One step's gradient: sparse, with a row per looked-up index.
    pos_u = torch.from_numpy(pairs[:8, 0])
    pos_v = torch.from_numpy(pairs[:8, 1])
    neg_v = torch.from_numpy(neg_table[rng.randint(0, len(neg_table), size=(8, args.negatives))])
    model(pos_u, pos_v, neg_v).backward()
    g = model.u_embeddings.weight.grad
    grad_info = {"is_sparse": g.is_sparse, "layout": str(g.layout).split(".")[-1], "nnz_raw": g._indices().shape[1],
                 "coalesced_rows": sorted(g.coalesce().indices()[0].tolist()),
                 "dense_sum": g.to_dense().sum().item(), "shape": list(g.shape)}
    optimizer.zero_grad()

    losses = []
    for epoch in range(args.epochs):
        order = rng.permutation(len(pairs))
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            pos_u = torch.from_numpy(pairs[idx, 0])
            pos_v = torch.from_numpy(pairs[idx, 1])
            neg_v = torch.from_numpy(neg_table[rng.randint(0, len(neg_table), size=(len(idx), args.negatives))])
            optimizer.zero_grad()
            loss = model(pos_u, pos_v, neg_v)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        print(f"epoch {epoch} loss {np.mean(losses[-10:]):.4f}")

    # A plain SGD step also takes sparse gradients.
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    sgd.zero_grad()
    model(pos_u, pos_v, neg_v).backward()
    sgd.step()

    with torch.no_grad():
        emb = F.normalize(model.u_embeddings.weight, p=2, dim=1)
        sims = emb @ emb.t()
        sims.fill_diagonal_(-1.0)
        top = torch.topk(sims, k=3, dim=1).indices
    neighbours = {w: [itos[j] for j in top[stoi[w]].tolist()] for w in ("king", "cat", "red", "one")}
    same_group = np.mean([all(any(n in g and w in g for g in GROUPS) or n in FILLER for n in ns)
                          for w, ns in neighbours.items()])
    print("neighbours", neighbours)
    print("RESULT " + json.dumps({"losses": losses, "grad": grad_info, "neighbours": neighbours,
                                  "same_group": float(same_group),
                                  "final_emb": model.u_embeddings.weight[:3].tolist()}))


if __name__ == "__main__":
    main()
