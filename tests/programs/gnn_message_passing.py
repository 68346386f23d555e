"""Graph neural networks written by hand, as research code does without torch_geometric: a GCN
layer with the symmetric-normalized adjacency as a torch.sparse_coo_tensor and torch.sparse.mm,
a GraphSAGE-style layer whose mean and max aggregations use index_add_ and
scatter_reduce(reduce="mean"/"amax", include_self=False), a GAT-style attention softmax over each
node's incoming edges (scatter_reduce amax for stability, index_add_ for the denominator), and
global mean pooling per graph with index_add_ over a batch vector. Node classification on two
small random graphs, Adam, shared initial weights."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def random_graph(rng, n, p):
    a = np.triu(rng.rand(n, n) < p, 1)
    src, dst = np.nonzero(a | a.T)
    return torch.tensor(np.stack([src, dst]), dtype=torch.long)


def gcn_adjacency(edge_index, n):
    loops = torch.arange(n)
    row = torch.cat([edge_index[0], loops])
    col = torch.cat([edge_index[1], loops])
    deg = torch.zeros(n).index_add_(0, row, torch.ones(row.numel()))
    norm = deg[row].rsqrt() * deg[col].rsqrt()
    return torch.sparse_coo_tensor(torch.stack([row, col]), norm, (n, n)).coalesce()


class GCNLayer(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.lin = nn.Linear(n_in, n_out)

    def forward(self, x, adj):
        return torch.sparse.mm(adj, self.lin(x))


class SAGELayer(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.lin_self = nn.Linear(n_in, n_out)
        self.lin_mean = nn.Linear(n_in, n_out, bias=False)
        self.lin_max = nn.Linear(n_in, n_out, bias=False)

    def forward(self, x, edge_index):
        src, dst = edge_index
        n, d = x.shape
        messages = x[src]
        summed = torch.zeros(n, d).index_add_(0, dst, messages)
        count = torch.zeros(n).index_add_(0, dst, torch.ones(dst.numel())).clamp(min=1)
        mean = summed / count.unsqueeze(1)
        index = dst.unsqueeze(1).expand(-1, d)
        mean2 = torch.zeros(n, d).scatter_reduce(0, index, messages, reduce="mean", include_self=False)
        amax = torch.zeros(n, d).scatter_reduce(0, index, messages, reduce="amax", include_self=False)
        return self.lin_self(x) + self.lin_mean(0.5 * (mean + mean2)) + self.lin_max(amax)


class GATLayer(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.lin = nn.Linear(n_in, n_out, bias=False)
        self.att_src = nn.Parameter(torch.randn(n_out) * 0.1)
        self.att_dst = nn.Parameter(torch.randn(n_out) * 0.1)

    def forward(self, x, edge_index):
        src, dst = edge_index
        h = self.lin(x)
        n = h.shape[0]
        logits = F.leaky_relu((h[src] * self.att_src).sum(-1) + (h[dst] * self.att_dst).sum(-1), 0.2)
        peak = torch.full((n,), -1e9).scatter_reduce(0, dst, logits, reduce="amax", include_self=False)
        e = torch.exp(logits - peak[dst].detach())
        denom = torch.zeros(n).index_add_(0, dst, e)
        alpha = e / denom[dst]
        out = torch.zeros_like(h).index_add_(0, dst, alpha.unsqueeze(1) * h[src])
        return out, alpha


class Net(nn.Module):
    def __init__(self, n_in, hidden, n_classes):
        super().__init__()
        self.gcn = GCNLayer(n_in, hidden)
        self.sage = SAGELayer(hidden, hidden)
        self.gat = GATLayer(hidden, hidden)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x, adj, edge_index):
        h = F.relu(self.gcn(x, adj))
        h = F.relu(self.sage(h, edge_index))
        g, alpha = self.gat(h, edge_index)
        return self.out(F.elu(g) + h), alpha, h


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    sizes = [12, 9]
    edges = [random_graph(rng, n, 0.3) for n in sizes]
    offsets = np.cumsum([0] + sizes[:-1])
    edge_index = torch.cat([e + int(o) for e, o in zip(edges, offsets)], dim=1)
    n = sum(sizes)
    batch = torch.cat([torch.full((s,), i, dtype=torch.long) for i, s in enumerate(sizes)])
    x = torch.tensor(rng.randn(n, 5), dtype=torch.float32)
    y = torch.tensor(rng.randint(0, 3, n))
    adj = gcn_adjacency(edge_index, n)
    model = Net(5, 8, 3)
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    losses = []
    for _ in range(args.steps):
        opt.zero_grad()
        logits, alpha, _ = model(x, adj, edge_index)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        logits, alpha, h = model(x, adj, edge_index)
        pooled = torch.zeros(len(sizes), h.shape[1]).index_add_(0, batch, h)
        pooled = pooled / torch.bincount(batch).unsqueeze(1)
        alpha_sums = torch.zeros(n).index_add_(0, edge_index[1], alpha)
    has_in = torch.bincount(edge_index[1], minlength=n) > 0
    print("RESULT " + json.dumps({
        "losses": losses, "n_edges": edge_index.shape[1], "adj_nnz": adj._nnz(),
        "adj_row_sums": torch.sparse.sum(adj, dim=1).to_dense().tolist(),
        "accuracy": (logits.argmax(1) == y).float().mean().item(),
        "pooled": pooled.tolist(), "alpha_sums": alpha_sums[has_in].tolist(),
        "grad_norms": {k: v.grad.norm().item() for k, v in model.named_parameters()}}))


if __name__ == "__main__":
    main()
