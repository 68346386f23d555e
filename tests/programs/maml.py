"""MAML (Finn et al., 2017) on sine-wave regression, written two ways that research code uses:
(1) second-order MAML with an explicit inner SGD loop on a params dict through
torch.func.functional_call and torch.autograd.grad(create_graph=True), and (2) the same
meta-gradient with torch.func.grad of the inner-adapted loss, torch.func.vmap over the batch of
tasks. The two meta-gradients must agree; then checks of jacrev / jacfwd / hessian / jvp / vjp
against torch.autograd.functional on a small function."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, jvp, vjp, vmap


def sine_tasks(rng, n_tasks, k):
    amp = rng.uniform(0.1, 5.0, n_tasks)
    phase = rng.uniform(0, np.pi, n_tasks)
    xs = rng.uniform(-5, 5, (n_tasks, 2 * k, 1))
    ys = amp[:, None, None] * np.sin(xs + phase[:, None, None])
    x, y = torch.tensor(xs, dtype=torch.float32), torch.tensor(ys, dtype=torch.float32)
    return x[:, :k], y[:, :k], x[:, k:], y[:, k:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--meta-steps", type=int, default=10)
    parser.add_argument("--inner-steps", type=int, default=2)
    parser.add_argument("--inner-lr", type=float, default=0.01)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.RandomState(0)

    def adapt(params, xs, ys):
        for _ in range(args.inner_steps):
            loss = F.mse_loss(functional_call(model, params, (xs,)), ys)
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
            params = {n: p - args.inner_lr * g for (n, p), g in zip(params.items(), grads)}
        return params

    losses = []
    for _ in range(args.meta_steps):
        xs, ys, xq, yq = sine_tasks(rng, 4, 5)
        meta_opt.zero_grad()
        total = 0.0
        for i in range(xs.shape[0]):
            fast = adapt(dict(model.named_parameters()), xs[i], ys[i])
            qloss = F.mse_loss(functional_call(model, fast, (xq[i],)), yq[i]) / xs.shape[0]
            qloss.backward()
            total += qloss.item()
        meta_opt.step()
        losses.append(total)

    # The same meta-gradient, functionally: grad of the query loss after inner steps, vmapped over tasks.
    params = {k: v.detach() for k, v in model.named_parameters()}

    def inner_loss(p, x, y):
        return F.mse_loss(functional_call(model, p, (x,)), y)

    def maml_loss(p, x_s, y_s, x_q, y_q):
        for _ in range(args.inner_steps):
            g = grad(inner_loss)(p, x_s, y_s)
            p = {n: p[n] - args.inner_lr * g[n] for n in p}
        return inner_loss(p, x_q, y_q)

    xs, ys, xq, yq = sine_tasks(rng, 4, 5)
    per_task = vmap(grad(maml_loss), in_dims=(None, 0, 0, 0, 0))(params, xs, ys, xq, yq)
    functional = {n: g.mean(0) for n, g in per_task.items()}
    model.zero_grad()
    for i in range(4):
        fast = adapt(dict(model.named_parameters()), xs[i], ys[i])
        (F.mse_loss(functional_call(model, fast, (xq[i],)), yq[i]) / 4).backward()
    meta_diff = max((functional[n] - p.grad).abs().max().item() for n, p in model.named_parameters())
    meta_norm = sum(p.grad.pow(2).sum().item() for p in model.parameters()) ** 0.5

    # Transform checks on f: R^3 -> R^2 in float64, against torch.autograd.functional.
    def f(x):
        return torch.stack([(x ** 2).sum() * x[0], torch.sin(x).prod()])

    def scalar(x):
        return (x.sin() * x.cos().exp()).sum() + x[0] * x[1] * x[2]

    x = torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64)
    v = torch.tensor([1.0, 0.5, -2.0], dtype=torch.float64)
    jr, jf = jacrev(f)(x), jacfwd(f)(x)
    ja = torch.autograd.functional.jacobian(f, x)
    h = hessian(scalar)(x)
    ha = torch.autograd.functional.hessian(scalar, x)
    _, jv = jvp(f, (x,), (v,))
    out, vjp_fn = vjp(f, x)
    (vj,) = vjp_fn(torch.tensor([1.0, -1.0], dtype=torch.float64))
    _, hvp = torch.autograd.functional.hvp(scalar, x, v)
    batched_jac = vmap(jacrev(f))(torch.stack([x, 2 * x]))
    print("RESULT " + json.dumps({
        "losses": losses, "meta_diff": meta_diff, "meta_norm": meta_norm,
        "jac_diff": max((jr - ja).abs().max().item(), (jf - ja).abs().max().item()),
        "hess_diff": (h - ha).abs().max().item(), "jac": ja.flatten().tolist(), "hess": h.flatten().tolist(),
        "jvp": jv.tolist(), "vjp": vj.tolist(), "hvp": hvp.tolist(), "hvp_diff": (hvp - h @ v).abs().max().item(),
        "batched_jac_shape": list(batched_jac.shape), "out": out.tolist()}))


if __name__ == "__main__":
    main()
