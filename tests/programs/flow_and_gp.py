"""Two probabilistic-modelling idioms. (1) A RealNVP normalizing flow (Dinh et al.) on a 2-D
two-moons sample: affine coupling layers with alternating masks, the log-determinant summed by
hand, a MultivariateNormal base, trained by maximum likelihood with Adam; then the same flow's
density through torch.distributions (TransformedDistribution with AffineTransform,
SigmoidTransform, ExpTransform, ComposeTransform, Independent(Normal)) checked against the
change-of-variables formula. (2) Gaussian-process regression: an RBF kernel from torch.cdist,
the log marginal likelihood (jitter added in place on k.diagonal()) through torch.linalg.cholesky, cholesky_solve and
solve_triangular, its hyperparameters fitted with Adam, and the predictive mean and variance."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
from torch import distributions as D
from torch.distributions import transforms as T


def moons(n, rng):
    a = rng.uniform(0, np.pi, n)
    upper = rng.rand(n) < 0.5
    x = np.where(upper, np.cos(a), 1 - np.cos(a))
    y = np.where(upper, np.sin(a), 0.5 - np.sin(a))
    return np.stack([x, y], 1) + 0.05 * rng.randn(n, 2)


class Coupling(nn.Module):
    def __init__(self, mask, hidden=16):
        super().__init__()
        self.register_buffer("mask", mask)
        self.s = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2), nn.Tanh())
        self.t = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, x):  # data -> latent
        xm = x * self.mask
        s = self.s(xm) * (1 - self.mask)
        t = self.t(xm) * (1 - self.mask)
        z = xm + (1 - self.mask) * (x - t) * torch.exp(-s)
        return z, -s.sum(dim=1)

    def inverse(self, z):
        zm = z * self.mask
        s = self.s(zm) * (1 - self.mask)
        t = self.t(zm) * (1 - self.mask)
        return zm + (1 - self.mask) * (z * torch.exp(s) + t)


class RealNVP(nn.Module):
    def __init__(self, n_layers=4):
        super().__init__()
        masks = [torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0]) for i in range(n_layers)]
        self.layers = nn.ModuleList(Coupling(m) for m in masks)
        self.register_buffer("loc", torch.zeros(2))
        self.register_buffer("cov", torch.eye(2))

    @property
    def base(self):
        return D.MultivariateNormal(self.loc, covariance_matrix=self.cov)

    def log_prob(self, x):
        log_det = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return self.base.log_prob(x) + log_det

    def sample(self, n):
        z = self.base.sample((n,))
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z


def gp_nll(log_ls, log_sf, log_sn, x, y):
    k = torch.exp(2 * log_sf) * torch.exp(-0.5 * torch.cdist(x, x).pow(2) / torch.exp(2 * log_ls))
    k = k + torch.exp(2 * log_sn) * torch.eye(x.shape[0], dtype=x.dtype)
    k.diagonal().add_(1e-6)  # jitter, in place on the diagonal view
    chol = torch.linalg.cholesky(k)
    alpha = torch.cholesky_solve(y, chol)
    n = x.shape[0]
    return (0.5 * (y * alpha).sum() + torch.log(torch.diagonal(chol)).sum() + 0.5 * n * math.log(2 * math.pi)), chol


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    data = torch.tensor(moons(128, rng), dtype=torch.float32)
    flow = RealNVP()
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in flow.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            flow.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    opt = torch.optim.Adam(flow.parameters(), lr=5e-3)
    flow_losses = []
    for step in range(args.steps):
        batch = data[(step * 32) % 128:(step * 32) % 128 + 32]
        opt.zero_grad()
        loss = -flow.log_prob(batch).mean()
        loss.backward()
        opt.step()
        flow_losses.append(loss.item())
    with torch.no_grad():
        z = flow.layers[0](data[:4])[0]
        back = flow.layers[0].inverse(z)
        samples = flow.sample(64)
    out = {"flow_losses": flow_losses, "inverse_err": (back - data[:4]).abs().max().item(),
           "sample_shape": list(samples.shape), "sample_finite": bool(torch.isfinite(samples).all())}

    # torch.distributions transforms against the change-of-variables formula (float64).
    base = D.Independent(D.Normal(torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)), 1)
    chain = T.ComposeTransform([T.AffineTransform(loc=0.5, scale=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)),
                                T.SigmoidTransform()])
    td = D.TransformedDistribution(base, chain)
    y = torch.tensor([[0.2, 0.7, 0.9], [0.5, 0.1, 0.3]], dtype=torch.float64)
    x = chain.inv(y)
    manual = base.log_prob(x) - chain.log_abs_det_jacobian(x, y).sum(-1)
    ln = D.TransformedDistribution(D.Normal(torch.tensor(0.3, dtype=torch.float64),
                                            torch.tensor(0.8, dtype=torch.float64)), [T.ExpTransform()])
    v = torch.tensor([0.5, 1.0, 2.5], dtype=torch.float64)
    ref = D.LogNormal(torch.tensor(0.3, dtype=torch.float64), torch.tensor(0.8, dtype=torch.float64)).log_prob(v)
    loc = torch.tensor([0.1, -0.2], dtype=torch.float64, requires_grad=True)
    mvn = D.MultivariateNormal(loc, scale_tril=torch.tensor([[1.0, 0.0], [0.3, 0.5]], dtype=torch.float64))
    r = mvn.rsample((5,))
    r.sum().backward()
    out.update(td_log_prob=td.log_prob(y).tolist(), td_manual=manual.tolist(), lognormal=ln.log_prob(v).tolist(),
               lognormal_ref=ref.tolist(), event_shape=list(td.event_shape), batch_shape=list(td.batch_shape),
               rsample_shape=list(r.shape), loc_grad=loc.grad.tolist(), mvn_entropy=mvn.entropy().item(),
               mvn_log_prob=mvn.log_prob(torch.tensor([[0.0, 0.0], [1.0, -1.0]], dtype=torch.float64)).tolist(),
               td_sample_in_range=bool(((td.sample((20,)) > 0) & (td.sample((20,)) < 1)).all()))

    # Gaussian-process regression in float64.
    gx = torch.tensor(np.linspace(-3, 3, 20)[:, None])
    gy = torch.sin(gx) + 0.1 * torch.tensor(rng.randn(20, 1))
    params = [torch.tensor(0.0, dtype=torch.float64, requires_grad=True) for _ in range(3)]
    gp_opt = torch.optim.Adam(params, lr=0.05)
    gp_losses = []
    for _ in range(args.steps):
        gp_opt.zero_grad()
        nll, _ = gp_nll(*params, gx, gy)
        nll.backward()
        gp_opt.step()
        gp_losses.append(nll.item())
    with torch.no_grad():
        log_ls, log_sf, log_sn = params
        _, chol = gp_nll(*params, gx, gy)
        xs = torch.tensor([[-2.0], [0.0], [1.5]], dtype=torch.float64)
        ks = torch.exp(2 * log_sf) * torch.exp(-0.5 * torch.cdist(xs, gx).pow(2) / torch.exp(2 * log_ls))
        mean = ks @ torch.cholesky_solve(gy, chol)
        vsol = torch.linalg.solve_triangular(chol, ks.T, upper=False)
        var = torch.exp(2 * log_sf) - (vsol ** 2).sum(0)
    out.update(gp_losses=gp_losses, gp_mean=mean.flatten().tolist(), gp_var=var.tolist(),
               gp_params=[p.item() for p in params])
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
