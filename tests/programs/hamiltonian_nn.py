"""Hamiltonian Neural Networks (greydanus/hamiltonian-nn) on a mass-spring system: the model outputs a scalar
H(q, p), its symplectic gradient comes from ``torch.autograd.grad(H.sum(), x, create_graph=True)`` split by
``.split(1, 1)`` and recombined with ``torch.cat``, trained against true time derivatives; rollouts by a
hand-written RK4 under ``torch.enable_grad`` inside ``no_grad``; an energy check; then the derivative
tooling physics-informed code reaches for: ``torch.autograd.functional.jacobian`` / ``hessian`` /
``vjp`` / ``jvp`` / ``hvp`` (with ``create_graph`` and ``vectorize``), and the ``torch.func`` versions
(``jacrev``, ``jacfwd``, ``hessian``, ``vmap`` over ``grad`` for per-sample gradients with
``functional_call``)."""
import argparse
import json

import torch
import torch.nn as nn
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp
from torch.func import functional_call, grad, jacfwd, jacrev, vmap
from torch.func import hessian as func_hessian


class MLP(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, nonlinearity="tanh"):
        super().__init__()
        self.linear1 = nn.Linear(input_dim, hidden_dim)
        self.linear2 = nn.Linear(hidden_dim, hidden_dim)
        self.linear3 = nn.Linear(hidden_dim, output_dim, bias=None)
        for l in [self.linear1, self.linear2, self.linear3]:
            torch.nn.init.orthogonal_(l.weight)
        self.nonlinearity = torch.tanh if nonlinearity == "tanh" else torch.relu

    def forward(self, x):
        h = self.nonlinearity(self.linear1(x))
        h = self.nonlinearity(self.linear2(h))
        return self.linear3(h)


class HNN(nn.Module):
    def __init__(self, input_dim, differentiable_model):
        super().__init__()
        self.differentiable_model = differentiable_model
        self.register_buffer("M", self.permutation_tensor(input_dim))

    def forward(self, x):
        return self.differentiable_model(x)

    def time_derivative(self, x):
        H = self.forward(x)
        dH = torch.autograd.grad(H.sum(), x, create_graph=True)[0]
        dHdq, dHdp = dH.split(1, 1)
        return torch.cat([dHdp, -dHdq], 1)

    def permutation_tensor(self, n):
        M = torch.eye(n)
        return torch.cat([M[n // 2:], -M[:n // 2]])


def get_dataset(n, generator):
    q = torch.rand(n, 1, generator=generator) * 2 - 1
    p = torch.rand(n, 1, generator=generator) * 2 - 1
    x = torch.cat([q, p], 1)
    dx = torch.cat([p, -q], 1) + 0.01 * torch.randn(n, 2, generator=generator)
    return x, dx


def rk4(fun, y0, t):
    ys = [y0]
    y = y0
    for i in range(len(t) - 1):
        h = t[i + 1] - t[i]
        k1 = fun(y)
        k2 = fun(y + h / 2 * k1)
        k3 = fun(y + h / 2 * k2)
        k4 = fun(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    return torch.stack(ys)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x, dxdt = get_dataset(64, g)
    test_x, test_dxdt = get_dataset(32, g)
    model = HNN(2, MLP(2, 32, 1))
    optim = torch.optim.Adam(model.parameters(), 1e-3, weight_decay=1e-4)
    losses = []
    for step in range(args.steps):
        xb = x.clone().requires_grad_(True)
        dxdt_hat = model.time_derivative(xb)
        loss = (dxdt - dxdt_hat).pow(2).mean()
        loss.backward()
        optim.step()
        optim.zero_grad()
        losses.append(loss.item())
    tx = test_x.clone().requires_grad_(True)
    test_loss = (test_dxdt - model.time_derivative(tx)).pow(2).mean().item()

    def fun(y):
        with torch.enable_grad():
            y = y.detach().requires_grad_(True)
            return model.time_derivative(y).detach()
    with torch.no_grad():
        traj = rk4(fun, torch.tensor([[0.5, 0.0]]), torch.linspace(0, 3, 31))
    energy = (traj ** 2).sum(-1).squeeze(1)

    def f(a, b):
        return (a.sin() * b.exp()).sum(-1)

    a, b = torch.randn(3), torch.randn(3)
    j = jacobian(lambda u: u.sin() * u.exp(), a)
    jv = jacobian(f, (a, b), vectorize=True)
    h = hessian(lambda u: (u ** 3).sum() + u.prod(), a)
    v = torch.ones(3)
    _, vjp_out = vjp(lambda u: u.sin() * 2, a, v)
    _, jvp_out = jvp(lambda u: u.sin() * 2, a, v)
    _, hvp_out = hvp(lambda u: (u ** 3).sum(), a, v)
    hh = hessian(lambda u: (u ** 3).sum(), a, create_graph=True)

    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_fn(p, xi, ti):
        xi = xi.unsqueeze(0)
        out = functional_call(model, p, (xi,))
        return (out - ti).pow(2).sum()

    per_sample = vmap(grad(loss_fn), in_dims=(None, 0, 0))(params, x[:8], dxdt[:8, :1])
    print("RESULT " + json.dumps({
        "losses": losses, "test_loss": test_loss, "traj": traj.squeeze(1).tolist(), "energy": energy.tolist(),
        "M": model.M.tolist(), "jac": j.tolist(), "jac_vec": [t.tolist() for t in jv], "hess": h.tolist(),
        "vjp": vjp_out.tolist(), "jvp": jvp_out.tolist(), "hvp": hvp_out.tolist(), "hh_grad_fn": hh.requires_grad,
        "jacrev": jacrev(f, argnums=1)(a, b).tolist(), "jacfwd": jacfwd(f, argnums=(0, 1))(a, b)[0].tolist(),
        "func_hess": func_hessian(lambda u: (u ** 3).sum())(a).tolist(),
        "per_sample": {k: [list(v.shape), v.sum().item()] for k, v in per_sample.items()},
    }))


if __name__ == "__main__":
    main()
