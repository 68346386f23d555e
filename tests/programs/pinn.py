"""A physics-informed neural network (Raissi et al. style) for the 1-D heat equation
u_t = k u_xx on x in [0, 1], t in [0, 0.5], u(x, 0) = sin(pi x), u(0, t) = u(1, t) = 0.
The residual needs u_x, u_xx and u_t of the network with respect to its inputs:
torch.autograd.grad(create_graph=True) twice. Collocation points on a
torch.meshgrid(indexing="ij") of torch.linspace axes; LBFGS (strong Wolfe) first, then Adam.
float64 throughout (torch.set_default_dtype), as PINN codes commonly do."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn


class PINN(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(),
                                 nn.Linear(width, 1))

    def forward(self, x, t):
        return self.net(torch.cat([x, t], dim=1))


def residual(model, x, t, k):
    x = x.clone().requires_grad_(True)
    t = t.clone().requires_grad_(True)
    u = model(x, t)
    u_x, u_t = torch.autograd.grad(u, (x, t), grad_outputs=torch.ones_like(u), create_graph=True)
    u_xx = torch.autograd.grad(u_x.sum(), x, create_graph=True)[0]
    return u_t - k * u_xx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lbfgs-steps", type=int, default=3)
    parser.add_argument("--adam-steps", type=int, default=15)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    k = 0.1
    xs, ts = torch.linspace(0, 1, 9), torch.linspace(0, 0.5, 6)
    X, T = torch.meshgrid(xs, ts, indexing="ij")
    x_c, t_c = X.reshape(-1, 1), T.reshape(-1, 1)
    x0 = torch.linspace(0, 1, 11).unsqueeze(1)
    t0 = torch.zeros_like(x0)
    u0 = torch.sin(math.pi * x0)
    tb = torch.linspace(0, 0.5, 6).unsqueeze(1)
    xb = torch.cat([torch.zeros_like(tb), torch.ones_like(tb)])
    tb = torch.cat([tb, tb])

    model = PINN()
    if args.init_out:
        np.savez(args.init_out, **{k_: v.numpy() for k_, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k_: torch.from_numpy(f[k_]) for k_ in f.files})

    def loss_fn():
        r = residual(model, x_c, t_c, k)
        return (r ** 2).mean() + ((model(x0, t0) - u0) ** 2).mean() + (model(xb, tb) ** 2).mean()

    losses = []
    lbfgs = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=5, history_size=10,
                              line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    for _ in range(args.lbfgs_steps):
        losses.append(lbfgs.step(closure).item())
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(args.adam_steps):
        adam.zero_grad()
        loss = loss_fn()
        loss.backward()
        adam.step()
        losses.append(loss.item())
    with torch.no_grad():
        grid = torch.stack(torch.meshgrid(torch.linspace(0, 1, 5), torch.tensor([0.25]), indexing="xy"), -1)
        pred = model(grid[..., 0].reshape(-1, 1), grid[..., 1].reshape(-1, 1)).flatten()
    state = lbfgs.state[lbfgs._params[0]]
    print("RESULT " + json.dumps({"losses": losses, "pred": pred.tolist(), "grid_shape": list(grid.shape),
                                  "dtype": str(pred.dtype), "n_iter": state["n_iter"],
                                  "func_evals": state["func_evals"]}))


if __name__ == "__main__":
    previous = torch.get_default_dtype()
    try:
        main()
    finally:
        torch.set_default_dtype(previous)
