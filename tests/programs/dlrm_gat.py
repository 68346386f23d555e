"""Two models from recommendation and graph codebases: a DLRM (Naumov et al. 2019, facebookresearch/dlrm's
``dlrm_s_pytorch.py`` pattern) with sparse features through ``nn.EmbeddingBag(mode="sum")`` fed by flat
indices and ``offsets`` (one bag with ``per_sample_weights``), a bottom MLP, the pairwise dot interaction
through ``torch.bmm`` and ``torch.triu_indices(offset=1)``, a top MLP, ``BCEWithLogitsLoss(pos_weight=...)``
and a ROC AUC by ``argsort``; and a two-layer graph attention network (Velickovic et al. 2018, the
PyG-style edge-list implementation): per-edge scores from ``index_select``, ``leaky_relu``, an edge softmax by
``scatter_reduce(reduce="amax", include_self=False)`` and ``index_add_``, multi-head concat / mean, trained
with masks on a synthetic two-community graph."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class DLRM(nn.Module):
    def __init__(self, num_dense=4, table_sizes=(20, 15, 10), dim=8):
        super().__init__()
        self.bot_l = nn.Sequential(nn.Linear(num_dense, 16), nn.ReLU(), nn.Linear(16, dim), nn.ReLU())
        self.emb_l = nn.ModuleList([nn.EmbeddingBag(n, dim, mode="sum") for n in table_sizes])
        for e in self.emb_l:
            nn.init.uniform_(e.weight, -np.sqrt(1 / e.num_embeddings), np.sqrt(1 / e.num_embeddings))
        n_f = len(table_sizes) + 1
        self.register_buffer("li", torch.triu_indices(n_f, n_f, offset=1)[0], persistent=False)
        self.register_buffer("lj", torch.triu_indices(n_f, n_f, offset=1)[1], persistent=False)
        self.top_l = nn.Sequential(nn.Linear(dim + n_f * (n_f - 1) // 2, 16), nn.ReLU(), nn.Linear(16, 1))

    def interact_features(self, x, ly):
        batch_size, d = x.shape
        T = torch.cat([x] + ly, dim=1).view((batch_size, -1, d))
        Z = torch.bmm(T, torch.transpose(T, 1, 2))
        Zflat = Z[:, self.li, self.lj]
        return torch.cat([x, Zflat], dim=1)

    def forward(self, dense_x, lS_o, lS_i, weights=None):
        x = self.bot_l(dense_x)
        ly = [emb(idx, off, per_sample_weights=weights if k == 0 else None)
              for k, (emb, idx, off) in enumerate(zip(self.emb_l, lS_i, lS_o))]
        return self.top_l(self.interact_features(x, ly)).squeeze(-1)


def make_ctr(n, rng):
    dense = rng.normal(0, 1, (n, 4)).astype(np.float32)
    idx, offs = [], []
    for size in (20, 15, 10):
        lengths = rng.randint(1, 4, n)
        flat = rng.randint(0, size, lengths.sum())
        idx.append(torch.from_numpy(flat))
        offs.append(torch.from_numpy(np.concatenate([[0], np.cumsum(lengths)[:-1]])))
    first_idx = idx[0].numpy()
    logit = dense[:, 0] - 0.5 * dense[:, 1] + np.array([np.sin(first_idx[o]) for o in offs[0].numpy()])
    y = (logit + rng.normal(0, 0.5, n) > 0.8).astype(np.float32)
    w = torch.from_numpy(rng.uniform(0.5, 1.5, len(first_idx)).astype(np.float32))
    return torch.from_numpy(dense), offs, idx, w, torch.from_numpy(y)


def roc_auc(scores, labels):
    order = torch.argsort(scores, descending=True)
    labels = labels[order]
    tps = torch.cumsum(labels, 0)
    fps = torch.cumsum(1 - labels, 0)
    tpr = tps / tps[-1]
    fpr = fps / fps[-1]
    return torch.trapz(torch.cat([torch.zeros(1), tpr]), torch.cat([torch.zeros(1), fpr])).item()


def edge_softmax(scores, index, num_nodes):
    """softmax of edge scores over the edges into each node."""
    E, H = scores.shape
    idx = index.view(-1, 1).expand(E, H)
    smax = torch.zeros(num_nodes, H).scatter_reduce(0, idx, scores, reduce="amax", include_self=False)
    out = (scores - smax.index_select(0, index)).exp()
    denom = torch.zeros(num_nodes, H).index_add_(0, index, out)
    return out / (denom.index_select(0, index) + 1e-16)


class GATLayer(nn.Module):
    def __init__(self, in_dim, out_dim, heads, concat=True, dropout=0.0):
        super().__init__()
        self.heads, self.out_dim, self.concat = heads, out_dim, concat
        self.lin = nn.Linear(in_dim, heads * out_dim, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, out_dim))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_dim))
        self.bias = nn.Parameter(torch.zeros(heads * out_dim if concat else out_dim))
        nn.init.xavier_uniform_(self.lin.weight)
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)
        self.dropout = dropout

    def forward(self, x, edge_index):
        N = x.size(0)
        h = self.lin(x).view(N, self.heads, self.out_dim)
        src, dst = edge_index
        a_src = (h * self.att_src).sum(-1)
        a_dst = (h * self.att_dst).sum(-1)
        e = F.leaky_relu(a_src.index_select(0, src) + a_dst.index_select(0, dst), 0.2)
        alpha = edge_softmax(e, dst, N)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        msg = h.index_select(0, src) * alpha.unsqueeze(-1)
        out = torch.zeros(N, self.heads, self.out_dim).index_add_(0, dst, msg)
        out = out.reshape(N, -1) if self.concat else out.mean(1)
        return out + self.bias, alpha


class GAT(nn.Module):
    def __init__(self, in_dim, hidden, classes, heads=2):
        super().__init__()
        self.l1 = GATLayer(in_dim, hidden, heads)
        self.l2 = GATLayer(hidden * heads, classes, 1, concat=False)

    def forward(self, x, edge_index):
        h, _ = self.l1(x, edge_index)
        out, alpha = self.l2(F.elu(h), edge_index)
        return out, alpha


def make_graph(rng, n=24):
    labels = np.array([0] * (n // 2) + [1] * (n // 2))
    edges = set()
    for i in range(n):
        for j in range(i + 1, n):
            p = 0.35 if labels[i] == labels[j] else 0.04
            if rng.rand() < p:
                edges.add((i, j))
                edges.add((j, i))
    for i in range(n):
        edges.add((i, i))
    e = np.array(sorted(edges)).T
    x = rng.normal(0, 1, (n, 5)).astype(np.float32)
    x[:, 0] += labels * 0.8
    return torch.from_numpy(x), torch.from_numpy(e), torch.from_numpy(labels)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    dlrm, gat = DLRM(), GAT(5, 4, 2)
    models = {"dlrm": dlrm, "gat": gat}
    if args.init_out:
        np.savez(args.init_out, **{f"{m}/{k}": v.detach().numpy() for m, mod in models.items()
                                   for k, v in mod.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for m, mod in models.items():
                mod.load_state_dict({k.split("/", 1)[1]: torch.from_numpy(f[k]) for k in f.files
                                     if k.startswith(m + "/")})
    rng = np.random.RandomState(0)
    opt = torch.optim.Adagrad(dlrm.parameters(), lr=0.05)
    pos_weight = torch.tensor([2.0])
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    ctr_losses = []
    for step in range(args.steps):
        dense, offs, idx, w, y = make_ctr(32, rng)
        loss = loss_fn(dlrm(dense, offs, idx, w), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ctr_losses.append(loss.item())
    dense, offs, idx, w, y = make_ctr(64, rng)
    with torch.no_grad():
        scores = torch.sigmoid(dlrm(dense, offs, idx, w))
    auc = roc_auc(scores, y)

    x, edge_index, labels = make_graph(rng)
    train_mask = torch.zeros(len(labels), dtype=torch.bool)
    train_mask[::3] = True
    opt = torch.optim.Adam(gat.parameters(), lr=0.02, weight_decay=5e-4)
    gat_losses = []
    for step in range(args.steps):
        gat.train()
        out, _ = gat(x, edge_index)
        loss = F.cross_entropy(out[train_mask], labels[train_mask])
        opt.zero_grad()
        loss.backward()
        opt.step()
        gat_losses.append(loss.item())
    gat.eval()
    with torch.no_grad():
        out, alpha = gat(x, edge_index)
    pred = out.argmax(1)
    into = torch.zeros(len(labels)).index_add_(0, edge_index[1], alpha[:, 0])
    print("RESULT " + json.dumps({"ctr": ctr_losses, "auc": auc, "scores": scores[:6].tolist(), "gat": gat_losses,
                                  "acc": (pred[~train_mask] == labels[~train_mask]).float().mean().item(),
                                  "alpha_sums": into[:5].tolist(), "n_edges": int(edge_index.shape[1]),
                                  "triu": dlrm.li.tolist()}))


if __name__ == "__main__":
    main()
