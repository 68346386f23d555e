"""Kipf's pygcn (tkipf/pygcn) on a synthetic citation-like graph: features and a symmetric adjacency
built with NumPy, row normalization, ``sparse_mx_to_torch_sparse_tensor`` through ``torch.sparse.FloatTensor``-era
code rewritten as ``torch.sparse_coo_tensor``; ``GraphConvolution`` with ``torch.FloatTensor(in, out)`` weights
``uniform_(-stdv, stdv)`` and ``torch.spmm``; log_softmax + nll_loss on an index mask, Adam with weight decay,
accuracy by ``max(1)[1].type_as``; plus the sparse API people use on the way: ``coalesce``, ``_indices`` /
``_values``, ``to_dense``, ``torch.sparse.sum``, ``torch.sparse.mm`` and its gradient, ``torch.sparse.softmax``."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.parameter import Parameter


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(torch.FloatTensor(in_features, out_features))
        if bias:
            self.bias = Parameter(torch.FloatTensor(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1. / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.spmm(adj, support)
        return output + self.bias if self.bias is not None else output

    def __repr__(self):
        return self.__class__.__name__ + " (" + str(self.in_features) + " -> " + str(self.out_features) + ")"


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)


def normalize(mx):
    rowsum = np.array(mx.sum(1))
    r_inv = np.power(rowsum, -1.0).flatten()
    r_inv[np.isinf(r_inv)] = 0.
    return mx * r_inv[:, None]


def sparse_mx_to_torch_sparse_tensor(dense):
    rows, cols = np.nonzero(dense)
    indices = torch.from_numpy(np.vstack((rows, cols)).astype(np.int64))
    values = torch.from_numpy(dense[rows, cols].astype(np.float32))
    return torch.sparse_coo_tensor(indices, values, torch.Size(dense.shape))


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    return (correct.sum() / len(labels)).item()


def load_data(n=60, nfeat=16, nclass=3, seed=0):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, nclass, n)
    centers = rng.normal(0, 1, (nclass, nfeat))
    features = (rng.rand(n, nfeat) < 0.3).astype(np.float32) + 0.5 * centers[labels]
    same = labels[:, None] == labels[None, :]
    adj = ((rng.rand(n, n) < np.where(same, 0.15, 0.02))).astype(np.float32)
    adj = np.triu(adj, 1)
    adj = adj + adj.T
    features = normalize(np.abs(features))
    adj = normalize(adj + np.eye(n))
    return (torch.FloatTensor(features), sparse_mx_to_torch_sparse_tensor(adj), torch.LongTensor(labels),
            torch.LongTensor(range(20)), torch.LongTensor(range(20, 40)), torch.LongTensor(range(40, 60)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    features, adj, labels, idx_train, idx_val, idx_test = load_data()
    model = GCN(nfeat=features.shape[1], nhid=8, nclass=int(labels.max()) + 1, dropout=0.5)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    history = []
    for epoch in range(args.epochs):
        model.train()
        optimizer.zero_grad()
        output = model(features, adj)
        loss_train = F.nll_loss(output[idx_train], labels[idx_train])
        acc_train = accuracy(output[idx_train], labels[idx_train])
        loss_train.backward()
        optimizer.step()
        model.eval()
        output = model(features, adj)
        loss_val = F.nll_loss(output[idx_val], labels[idx_val])
        history.append([loss_train.item(), acc_train, loss_val.item(), accuracy(output[idx_val], labels[idx_val])])
    model.eval()
    output = model(features, adj)
    test = [F.nll_loss(output[idx_test], labels[idx_test]).item(), accuracy(output[idx_test], labels[idx_test])]

    # the sparse tensor API around it
    a = adj.coalesce()
    dense = a.to_dense()
    w = torch.randn(60, 4, requires_grad=True)
    y = torch.sparse.mm(a, w)
    y.sum().backward()
    i = torch.tensor([[0, 1, 1, 2], [2, 0, 2, 1]])
    v = torch.tensor([3., 4., 5., 6.], requires_grad=True)
    s = torch.sparse_coo_tensor(i, v, (3, 3))
    sm = torch.sparse.softmax(s, dim=1).to_dense()
    (torch.sparse.sum(s * 2.0) + (s.to_dense() ** 2).sum()).backward()
    print("RESULT " + json.dumps({
        "history": history, "test": test, "repr": repr(model.gc1), "nnz": a._nnz(), "is_sparse": adj.is_sparse,
        "layout": str(a.layout), "indices_shape": list(a._indices().shape), "values_sum": a._values().sum().item(),
        "dense_rows": dense.sum(1)[:5].tolist(), "mm_grad": w.grad[:3].tolist(), "sm": sm.tolist(),
        "v_grad": v.grad.tolist(), "sparse_sum": torch.sparse.sum(s, dim=0).to_dense().tolist(),
    }))


if __name__ == "__main__":
    main()
