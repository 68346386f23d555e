"""A word2vec-style skip-gram model with negative sampling on nn.Embedding(sparse=True), the
way recommendation and embedding code trains large tables: the tables' gradients are sparse COO
tensors (one entry per looked-up row), optim.SparseAdam updates only those rows, a dense
Linear head trains with Adam in a second optimizer, and plain SGD takes a sparse gradient too.
Checks the gradient's layout, indices and values, zero_grad(set_to_none=False) on a sparse
gradient, accumulation over two backward passes, and that Adam refuses a sparse gradient.
Then torch.quasirandom.SobolEngine: quasi-random negative-sampling draws and initial points, plain
and scrambled with a seed (the same points on both frameworks)."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class SkipGram(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.center = nn.Embedding(vocab, dim, sparse=True)
        self.context = nn.Embedding(vocab, dim, sparse=True, padding_idx=0)
        self.bias = nn.Linear(dim, 1)

    def forward(self, center, context, negatives):
        c = self.center(center)                         # (B, D)
        pos = (c * self.context(context)).sum(-1)       # (B,)
        neg = torch.bmm(self.context(negatives), c.unsqueeze(2)).squeeze(2)  # (B, K)
        extra = self.bias(c).squeeze(1)
        return -(F.logsigmoid(pos + extra) + F.logsigmoid(-neg).sum(1)).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    vocab, dim = 30, 8
    model = SkipGram(vocab, dim)
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    rng = np.random.RandomState(0)
    batches = [(torch.tensor(rng.randint(1, vocab, 16)), torch.tensor(rng.randint(0, vocab, 16)),
                torch.tensor(rng.randint(0, vocab, (16, 3)))) for _ in range(args.steps)]
    sparse_opt = torch.optim.SparseAdam(list(model.center.parameters()) + list(model.context.parameters()), lr=0.05)
    dense_opt = torch.optim.Adam(model.bias.parameters(), lr=0.01)
    out = {}
    losses = []
    for i, (center, context, negatives) in enumerate(batches):
        sparse_opt.zero_grad()
        dense_opt.zero_grad()
        loss = model(center, context, negatives)
        loss.backward()
        if i == 0:
            g = model.center.weight.grad
            out["layout"] = str(g.layout).split(".")[-1]
            out["is_sparse"] = g.is_sparse
            out["nnz"] = g._nnz()
            out["indices"] = g._indices().tolist()
            out["coalesced_rows"] = g.coalesce().indices().tolist()
            out["coalesced_values"] = g.coalesce().values().sum(1).tolist()
            out["dense_grad_row_sums"] = g.to_dense().sum(1).tolist()
            ctx = model.context.weight.grad
            out["context_padding_row"] = ctx.to_dense()[0].tolist()  # padding_idx lookups are left out
            out["context_row_sums"] = ctx.to_dense().sum(1).tolist()
            out["bias_grad_sparse"] = model.bias.weight.grad.is_sparse
        sparse_opt.step()
        dense_opt.step()
        losses.append(loss.item())
    out["losses"] = losses
    out["state_keys"] = sorted(sparse_opt.state[model.center.weight].keys())
    out["step"] = sparse_opt.state[model.center.weight]["step"] if isinstance(
        sparse_opt.state[model.center.weight]["step"], int) else int(sparse_opt.state[model.center.weight]["step"])
    out["untouched_row0"] = model.center.weight[0].tolist()
    out["weights_after"] = model.center.weight.detach().sum(1).tolist()

    # zero_grad(set_to_none=False) leaves an empty sparse gradient; a second backward accumulates.
    emb = nn.Embedding(6, 2, sparse=True)
    emb(torch.tensor([1, 4, 4])).sum().backward()
    opt = torch.optim.SGD(emb.parameters(), lr=0.5)
    opt.zero_grad(set_to_none=False)
    out["zeroed_nnz"] = emb.weight.grad._nnz()
    out["zeroed_sparse"] = emb.weight.grad.is_sparse
    emb(torch.tensor([1, 2])).sum().backward()
    (2 * emb(torch.tensor([[2, 5]]))).sum().backward()
    out["accumulated_sparse"] = emb.weight.grad.is_sparse
    out["accumulated_dense"] = emb.weight.grad.to_dense().tolist()
    before = emb.weight.detach().clone()
    opt.step()
    out["sgd_update"] = (emb.weight.detach() - before).tolist()
    momentum = torch.optim.SGD(emb.parameters(), lr=0.5, momentum=0.9)
    before = emb.weight.detach().clone()
    momentum.step()
    momentum.step()
    out["sgd_momentum"] = (emb.weight.detach() - before).tolist()
    try:
        torch.optim.Adam(emb.parameters()).step()
        out["adam_refuses"] = False
    except RuntimeError as exc:
        out["adam_refuses"] = "sparse" in str(exc)
    # A dense gradient flowing into the same table as a sparse one makes the sum dense.
    emb.zero_grad()
    (emb(torch.tensor([3])).sum() + emb.weight.sum()).backward()
    out["mixed_is_sparse"] = emb.weight.grad.is_sparse
    out["mixed_grad"] = emb.weight.grad.tolist()
    # Sobol' points: plain, seeded-scrambled (fast_forward, reset, draw_base2) and as a sampler.
    sobol = torch.quasirandom.SobolEngine(dimension=3)
    out["sobol_plain"] = sobol.draw(6).tolist()
    scrambled = torch.quasirandom.SobolEngine(dimension=4, scramble=True, seed=13)
    first = scrambled.draw(3, dtype=torch.float64)
    scrambled.fast_forward(5)
    out["sobol_scrambled"] = first.tolist() + scrambled.draw(2, dtype=torch.float64).tolist()
    out["sobol_num_generated"] = scrambled.num_generated
    out["sobol_reset"] = scrambled.reset().draw_base2(2).tolist()
    quasi_negatives = (torch.quasirandom.SobolEngine(3, scramble=True, seed=0).draw(16) * vocab).long()
    out["sobol_negatives"] = quasi_negatives.tolist()
    with torch.no_grad():
        out["sobol_loss"] = model(batches[0][0], batches[0][1], quasi_negatives).item()
    out["sobol_repr"] = repr(scrambled)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
