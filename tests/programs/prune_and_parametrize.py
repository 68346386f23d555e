"""Model-compression idioms on a small MLP classifier: torch.nn.utils.prune (l1_unstructured,
random_unstructured with its own seed-free count check, ln_structured, global_unstructured over
several layers, a custom mask via prune.custom_from_mask, is_pruned, prune.remove to make it
permanent), fine-tuning with the masks applied through forward pre-hooks, then
nn.utils.parametrizations.orthogonal and weight_norm on a fresh layer, a hand-written
parametrization with register_parametrization (right_inverse included), parametrize.cached,
and parameters_to_vector / vector_to_parameters round trips."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.parametrize as parametrize
from torch.nn.utils import parameters_to_vector, prune, vector_to_parameters
from torch.nn.utils.parametrizations import orthogonal, weight_norm


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(-1, -2)

    def right_inverse(self, a):
        return a.triu()


def sparsity(t):
    return float((t == 0).sum()) / t.numel()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    rng = np.random.RandomState(0)
    X = torch.tensor(rng.randn(64, 8), dtype=torch.float32)
    Y = torch.tensor(rng.randint(0, 3, 64))
    out = {}
    prune.l1_unstructured(model[0], name="weight", amount=0.3)
    prune.ln_structured(model[2], name="weight", amount=0.25, n=2, dim=0)
    prune.l1_unstructured(model[4], name="bias", amount=1)
    out["after_local"] = [sparsity(model[0].weight), sparsity(model[2].weight), sparsity(model[4].bias)]
    out["param_names"] = sorted(n for n, _ in model.named_parameters())
    out["buffer_names"] = sorted(n for n, _ in model.named_buffers())
    out["is_pruned"] = [prune.is_pruned(model), prune.is_pruned(nn.Linear(2, 2))]
    out["hooks"] = [len(m._forward_pre_hooks) for m in model]
    # Iterative pruning: a second l1 pass on the same tensor composes the masks (PruningContainer).
    prune.l1_unstructured(model[0], name="weight", amount=0.2)
    out["iterative"] = sparsity(model[0].weight)
    parameters = [(model[0], "weight"), (model[2], "weight"), (model[4], "weight")]
    prune.global_unstructured(parameters, pruning_method=prune.L1Unstructured, amount=0.5)
    total = sum(getattr(m, n).numel() for m, n in parameters)
    zeros = sum(int((getattr(m, n) == 0).sum()) for m, n in parameters)
    out["global"] = zeros / total
    out["per_layer_global"] = [sparsity(getattr(m, n)) for m, n in parameters]
    mask = torch.ones(3, 16)
    mask[:, :4] = 0
    prune.custom_from_mask(model[4], name="weight", mask=mask)
    out["custom"] = sparsity(model[4].weight)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(args.steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["losses"] = losses
    out["still_sparse"] = [sparsity(getattr(m, n)) for m, n in parameters]
    out["orig_grad_masked"] = float((model[0].weight_orig.grad * (model[0].weight_mask == 0)).abs().sum())
    for m, n in parameters:
        prune.remove(m, n)
    prune.remove(model[4], "bias")
    out["removed_names"] = sorted(n for n, _ in model.named_parameters())
    out["removed_sparse"] = [sparsity(getattr(m, n)) for m, n in parameters]
    out["state_keys"] = list(model.state_dict().keys())
    out["final_logits"] = model(X[:2]).tolist()

    # parameters_to_vector / vector_to_parameters.
    vec = parameters_to_vector(model.parameters())
    out["vec_len"] = vec.numel()
    vector_to_parameters(vec * 2, model.parameters())
    out["doubled"] = float(parameters_to_vector(model.parameters()).sum() / vec.sum())

    # Parametrizations on fresh layers with shared weights.
    lin = nn.Linear(6, 6)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(rng.randn(6, 6), dtype=torch.float32))
    orthogonal(lin)
    q = lin.weight
    out["orth_err"] = float((q.T @ q - torch.eye(6)).abs().max())
    out["orth_names"] = sorted(n for n, _ in lin.named_parameters())
    opt = torch.optim.Adam(lin.parameters(), lr=0.05)
    target = torch.tensor(rng.randn(6, 6), dtype=torch.float32)
    orth_losses = []
    for _ in range(args.steps):
        opt.zero_grad()
        loss = ((lin.weight - target) ** 2).mean()
        loss.backward()
        opt.step()
        orth_losses.append(loss.item())
    out["orth_losses_fall"] = orth_losses[-1] < orth_losses[0]
    out["orth_err_after"] = float((lin.weight.T @ lin.weight - torch.eye(6)).abs().max())
    out["is_parametrized"] = [parametrize.is_parametrized(lin), parametrize.is_parametrized(lin, "bias")]

    sym = nn.Linear(4, 4, bias=False)
    with torch.no_grad():
        sym.weight.copy_(torch.tensor(rng.randn(4, 4), dtype=torch.float32))
    parametrize.register_parametrization(sym, "weight", Symmetric())
    out["sym"] = bool((sym.weight == sym.weight.T).all())
    out["sym_original"] = sym.parametrizations.weight.original.tolist()
    with torch.no_grad():
        sym.weight = torch.tensor(rng.randn(4, 4), dtype=torch.float32)  # through right_inverse
    out["sym_after_assign"] = sym.weight.tolist()
    with parametrize.cached():
        a, b = sym.weight, sym.weight
        out["cached_same"] = a is b
    parametrize.remove_parametrizations(sym, "weight", leave_parametrized=True)
    out["sym_removed_names"] = sorted(n for n, _ in sym.named_parameters())

    wn = weight_norm(nn.Linear(5, 3))
    out["wn_names"] = sorted(n for n, _ in wn.named_parameters())
    out["wn_g_shape"] = list(wn.parametrizations.weight.original0.shape)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
