"""Probabilistic regression with torch.distributions, as mixture-density-network posts and
repos write it (Bishop's inverse-sine problem): a network whose heads give mixture logits, means
and softplus scales, a MixtureSameFamily(Categorical(logits=...), Normal(...)) likelihood trained
by -log_prob(y).mean(), a heteroscedastic Normal head (GaussianNLLLoss beside Normal.log_prob), a
2-D mixture with Independent(Normal(...), 1) components, mean / variance / cdf of the mixture,
KL divergences through torch.distributions.kl_divergence (Normal-Normal, Categorical-Categorical,
Independent, MultivariateNormal), a variational posterior trained on an ELBO with rsample under
a seeded stream, and the shapes of samples, batch_shape and event_shape."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import (Categorical, Independent, MixtureSameFamily, MultivariateNormal, Normal,
                                 kl_divergence)


class MDN(nn.Module):
    def __init__(self, n_hidden=24, n_components=3):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(1, n_hidden), nn.Tanh(), nn.Linear(n_hidden, n_hidden), nn.Tanh())
        self.pi = nn.Linear(n_hidden, n_components)
        self.mu = nn.Linear(n_hidden, n_components)
        self.sigma = nn.Linear(n_hidden, n_components)

    def forward(self, x):
        h = self.hidden(x)
        mix = Categorical(logits=self.pi(h))
        comp = Normal(self.mu(h), F.softplus(self.sigma(h)) + 1e-3)
        return MixtureSameFamily(mix, comp)


class Hetero(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x):
        out = self.net(x)
        return out[:, :1], F.softplus(out[:, 1:]) + 1e-4


def tolist(t):
    return t.detach().reshape(-1).tolist()


def main():
    parser = argparse.ArgumentParser(description="Mixture density network with torch.distributions")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    # Inverse problem: x = y + 0.3 sin(2 pi y) + noise, predict y from x (multi-valued).
    y_np = rng.uniform(0, 1, size=(args.n, 1)).astype(np.float32)
    x_np = (y_np + 0.3 * np.sin(2 * np.pi * y_np) + rng.uniform(-0.1, 0.1, size=y_np.shape)).astype(np.float32)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    mdn, hetero = MDN(), Hetero()
    if args.init_out:
        np.savez(args.init_out, **{"mdn." + k: v.detach().numpy() for k, v in mdn.state_dict().items()},
                 **{"het." + k: v.detach().numpy() for k, v in hetero.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            mdn.load_state_dict({k[4:]: torch.from_numpy(f[k]) for k in f.files if k.startswith("mdn.")})
            hetero.load_state_dict({k[4:]: torch.from_numpy(f[k]) for k in f.files if k.startswith("het.")})
    result = {}

    opt = torch.optim.Adam(mdn.parameters(), lr=1e-2)
    losses = []
    for step in range(args.steps):
        dist = mdn(x)
        loss = -dist.log_prob(y.squeeze(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    result["mdn_losses"] = losses
    with torch.no_grad():
        grid = torch.linspace(-0.2, 1.2, 5).unsqueeze(1)
        dist = mdn(grid)
        result["batch_shape"] = [list(dist.batch_shape), list(dist.event_shape)]
        result["mix_mean"] = tolist(dist.mean)
        result["mix_var"] = tolist(dist.variance)
        result["mix_cdf"] = tolist(dist.cdf(torch.full((5,), 0.5)))
        result["mix_probs"] = tolist(dist.mixture_distribution.probs)
        result["sample_shape"] = list(dist.sample((7,)).shape)

    # Heteroscedastic regression: GaussianNLLLoss vs Normal.log_prob.
    opt = torch.optim.Adam(hetero.parameters(), lr=1e-2)
    nll = nn.GaussianNLLLoss(full=True)
    het = []
    for step in range(args.steps):
        mean, std = hetero(x)
        loss = nll(mean, y, std ** 2)
        manual = -Normal(mean, std).log_prob(y).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        het.append([loss.item(), manual.item()])
    result["het"] = het

    # A 2-D mixture with Independent components.
    logits = torch.tensor([0.2, -0.1, 0.5])
    locs = torch.tensor([[0.0, 1.0], [1.0, -1.0], [-2.0, 0.5]])
    scales = torch.tensor([[1.0, 0.5], [0.3, 0.7], [1.5, 1.0]])
    gmm = MixtureSameFamily(Categorical(logits=logits), Independent(Normal(locs, scales), 1))
    pts = torch.tensor([[0.0, 0.0], [1.0, -1.0], [3.0, 3.0]])
    result["gmm_event"] = [list(gmm.batch_shape), list(gmm.event_shape)]
    result["gmm_log_prob"] = tolist(gmm.log_prob(pts))
    result["gmm_mean"] = tolist(gmm.mean)
    result["gmm_var"] = tolist(gmm.variance)

    # KL divergences.
    p, q = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])), Normal(torch.tensor([0.5, 0.0]),
                                                                              torch.tensor([1.5, 0.5]))
    result["kl_normal"] = tolist(kl_divergence(p, q))
    result["kl_cat"] = tolist(kl_divergence(Categorical(logits=torch.tensor([[0.1, 0.2, 0.7], [1.0, 0.0, -1.0]])),
                                            Categorical(probs=torch.tensor([0.3, 0.3, 0.4]))))
    result["kl_indep"] = tolist(kl_divergence(Independent(p, 1), Independent(q, 1)))
    cov1 = torch.tensor([[1.0, 0.3], [0.3, 2.0]])
    cov2 = torch.tensor([[1.5, -0.2], [-0.2, 0.8]])
    result["kl_mvn"] = tolist(kl_divergence(MultivariateNormal(torch.zeros(2), covariance_matrix=cov1),
                                            MultivariateNormal(torch.ones(2), scale_tril=torch.linalg.cholesky(cov2))))

    # Variational inference of a Normal mean: ELBO with rsample, KL to the prior in closed form.
    data = torch.from_numpy(rng.normal(1.5, 1.0, size=50).astype(np.float32))
    mu = torch.zeros((), requires_grad=True)
    log_sigma = torch.full((), -1.0, requires_grad=True)
    opt = torch.optim.Adam([mu, log_sigma], lr=5e-2)
    prior = Normal(0.0, 10.0)
    gen = torch.Generator().manual_seed(0)
    elbos = []
    for step in range(args.steps):
        q_dist = Normal(mu, log_sigma.exp())
        z = q_dist.rsample((16,))
        ll = Normal(z.unsqueeze(1), 1.0).log_prob(data).sum(1).mean()
        elbo = ll - kl_divergence(q_dist, prior)
        opt.zero_grad()
        (-elbo).backward()
        opt.step()
        elbos.append(elbo.item())
    result["elbo_first"] = elbos[0]
    result["elbo_last"] = float(np.mean(elbos[-10:]))
    result["vi_mu"] = mu.item()
    result["analytic_mu"] = float(data.sum() / (len(data) + 1 / 100.0))
    result["has_rsample"] = [Normal(0.0, 1.0).has_rsample, Categorical(logits=logits).has_rsample]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
