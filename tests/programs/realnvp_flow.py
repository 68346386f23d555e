"""A RealNVP normalizing flow on two moons, written as flow tutorials write it: alternating checkerboard masks
registered as buffers, coupling layers whose scale net ends in ``Tanh``, ``log_det_J`` accumulated over layers,
a ``MultivariateNormal(torch.zeros(2), torch.eye(2))`` prior, training by maximum likelihood with Adam and
``clip_grad_norm_``, sampling through the inverse; then the same kind of model from ``torch.distributions``:
a ``TransformedDistribution`` of an ``Independent(Normal)`` base through ``AffineTransform``,
``ComposeTransform``, ``SigmoidTransform`` / ``TanhTransform`` / ``ExpTransform``, a custom ``Transform``
subclass with ``log_abs_det_jacobian``, ``.inv``, ``rsample`` gradients and ``constraints`` checks."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
from torch import distributions as D
from torch.distributions import constraints, transforms as T


def make_moons(n, rng, noise=0.05):
    t = rng.rand(n) * math.pi
    upper = rng.rand(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return torch.tensor(np.stack([x, y], 1) + rng.normal(0, noise, (n, 2)), dtype=torch.float32)


class RealNVP(nn.Module):
    def __init__(self, nets, nett, mask, prior):
        super().__init__()
        self.prior = prior
        self.register_buffer("mask", mask)
        self.t = nn.ModuleList([nett() for _ in range(len(mask))])
        self.s = nn.ModuleList([nets() for _ in range(len(mask))])

    def g(self, z):
        x = z
        for i in range(len(self.t)):
            x_ = x * self.mask[i]
            s = self.s[i](x_) * (1 - self.mask[i])
            t = self.t[i](x_) * (1 - self.mask[i])
            x = x_ + (1 - self.mask[i]) * (x * torch.exp(s) + t)
        return x

    def f(self, x):
        log_det_J, z = x.new_zeros(x.shape[0]), x
        for i in reversed(range(len(self.t))):
            z_ = self.mask[i] * z
            s = self.s[i](z_) * (1 - self.mask[i])
            t = self.t[i](z_) * (1 - self.mask[i])
            z = (1 - self.mask[i]) * (z - t) * torch.exp(-s) + z_
            log_det_J -= s.sum(dim=1)
        return z, log_det_J

    def log_prob(self, x):
        z, logp = self.f(x)
        return self.prior.log_prob(z) + logp

    def sample(self, batch_size):
        z = self.prior.sample((batch_size,))
        return self.g(z)


class CubeTransform(T.Transform):
    domain = constraints.real
    codomain = constraints.real
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, CubeTransform)

    def _call(self, x):
        return x ** 3 + x

    def _inverse(self, y):
        x = y.clone()
        for _ in range(30):
            x = x - (x ** 3 + x - y) / (3 * x ** 2 + 1)
        return x

    def log_abs_det_jacobian(self, x, y):
        return torch.log(3 * x ** 2 + 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    nets = lambda: nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(), nn.Linear(32, 32), nn.LeakyReLU(),  # noqa: E731
                                 nn.Linear(32, 2), nn.Tanh())
    nett = lambda: nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(), nn.Linear(32, 32), nn.LeakyReLU(),  # noqa: E731
                                 nn.Linear(32, 2))
    masks = torch.from_numpy(np.array([[0, 1], [1, 0]] * 3).astype(np.float32))
    prior = D.MultivariateNormal(torch.zeros(2), torch.eye(2))
    flow = RealNVP(nets, nett, masks, prior)
    optimizer = torch.optim.Adam([p for p in flow.parameters() if p.requires_grad], lr=1e-3)
    losses = []
    for t in range(args.steps):
        noisy_moons = make_moons(64, rng)
        loss = -flow.log_prob(noisy_moons).mean()
        optimizer.zero_grad()
        loss.backward(retain_graph=True)
        torch.nn.utils.clip_grad_norm_(flow.parameters(), 5.0)
        optimizer.step()
        losses.append(loss.item())
    x = make_moons(16, rng)
    z, ld = flow.f(x)
    recon = (flow.g(z) - x).abs().max().item()
    samples = flow.sample(8)

    # the torch.distributions way
    loc = torch.tensor([0.5, -1.0], requires_grad=True)
    base = D.Independent(D.Normal(torch.zeros(2), torch.ones(2)), 1)
    affine = T.AffineTransform(loc=loc, scale=torch.tensor([2.0, 0.5]))
    chain = T.ComposeTransform([affine, T.SigmoidTransform()])
    td = D.TransformedDistribution(base, [affine, T.SigmoidTransform()])
    y = td.rsample((5,))
    lp = td.log_prob(y)
    (lp.sum() + y.sum()).backward()
    u = torch.linspace(-2, 2, 7)
    cube = D.TransformedDistribution(D.Normal(0.0, 1.0), [CubeTransform(), T.AffineTransform(1.0, 3.0)])
    tanh_d = D.TransformedDistribution(D.Normal(torch.zeros(3), torch.ones(3)), [T.TanhTransform(cache_size=1)])
    ts = tanh_d.sample()
    lognormal = D.TransformedDistribution(D.Normal(0.2, 0.7), T.ExpTransform())
    ref = D.LogNormal(0.2, 0.7)
    pts = torch.tensor([0.3, 1.0, 2.5])
    print("RESULT " + json.dumps({
        "losses": losses, "recon": recon, "logdet": ld.tolist(), "samples": samples.tolist(),
        "td_sample": y.tolist(), "td_logp": lp.tolist(), "loc_grad": loc.grad.tolist(),
        "chain_inv": (chain.inv(chain(u.unsqueeze(-1).expand(7, 2))) - u.unsqueeze(-1)).abs().max().item(),
        "chain_ladj": chain.log_abs_det_jacobian(u.unsqueeze(-1).expand(7, 2), chain(u.unsqueeze(-1).expand(7, 2))
                                                  ).tolist(),
        "cube_lp": cube.log_prob(u).tolist(), "cube_support": str(cube.support), "event_shape": list(td.event_shape),
        "tanh_lp": tanh_d.log_prob(ts).tolist(), "tanh_sample": ts.tolist(),
        "lognormal": [lognormal.log_prob(pts).tolist(), ref.log_prob(pts).tolist(), ref.mean.item()],
        "support": [str(td.support), constraints.unit_interval.check(torch.tensor([0.5, 1.5])).tolist()],
        "sigmoid_inv": T.SigmoidTransform().inv(torch.tensor([0.25, 0.75])).tolist(),
        "prior_entropy": prior.entropy().item(),
    }))


if __name__ == "__main__":
    main()
