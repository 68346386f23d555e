"""Distributions inside training loops: float32 parameters behave like PyTorch's, and an optimiser fitting a
distribution by a KL objective or by a reparameterised Monte-Carlo loss follows PyTorch's trajectory; the
``torch.distributions`` import resolves to ember through the compat alias."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD

from .helpers import build, compare_grads, compare_methods
from .test_univariate import CASES, P

FLOAT32 = [c for c in CASES if c[0] in ("Normal", "Gamma", "Beta", "Bernoulli", "Poisson", "StudentT", "Laplace",
                                        "Weibull", "ContinuousBernoulli", "Binomial")]


@pytest.mark.parametrize("case", FLOAT32, ids=[f"{c[0]}-{'-'.join(c[1])}" for c in FLOAT32])
def test_float32_parameters_match_torch(case):
    name, params, value, kw, _ = case
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    ed, td, em, th = build(name, params32, **kw)
    prob = P if len(value) == 2 else np.array([0.2, 0.5, 0.85])
    pairs = compare_methods(ed, td, value.astype(np.float32), prob.astype(np.float32), rtol=2e-5, atol=1e-6,
                            what=name + "-float32")
    for _, e, _ in pairs:
        assert e.dtype == ember.float32
    compare_grads(pairs, em, th, rtol=1e-4, atol=1e-5, what=name + "-float32")
    assert ed.sample((3,)).dtype == ember.float32


def test_fitting_a_normal_by_kl_follows_torch():
    target_loc, target_scale = np.array([1.0, -2.0]), np.array([0.5, 2.0])
    start = np.zeros(2)
    e_loc, e_log_scale = ember.tensor(start, requires_grad=True), ember.tensor(start, requires_grad=True)
    t_loc, t_log_scale = torch.tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    e_opt = ember.optim.SGD([e_loc, e_log_scale], lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD([t_loc, t_log_scale], lr=0.1, momentum=0.9)
    e_target = ED.Normal(ember.tensor(target_loc), ember.tensor(target_scale))
    t_target = TD.Normal(torch.tensor(target_loc), torch.tensor(target_scale))
    for _ in range(20):
        e_opt.zero_grad()
        t_opt.zero_grad()
        e_loss = ED.kl_divergence(ED.Normal(e_loc, e_log_scale.exp()), e_target).sum()
        t_loss = TD.kl_divergence(TD.Normal(t_loc, t_log_scale.exp()), t_target).sum()
        e_loss.backward()
        t_loss.backward()
        e_opt.step()
        t_opt.step()
        np.testing.assert_allclose(e_loss.item(), t_loss.item(), rtol=1e-9)
    np.testing.assert_allclose(e_loc.detach().numpy(), t_loc.detach().numpy(), rtol=1e-9)


def test_reparameterised_elbo_step_matches_torch_on_shared_noise():
    # one VAE-style step: loss = -E_q[log p(x | z)] + KL(q || prior), with z = mu + sigma * eps for shared eps
    rng = np.random.default_rng(0)
    mu0, log_sigma0, x = rng.standard_normal(3), rng.standard_normal(3) * 0.1, rng.standard_normal(3)
    eps = rng.standard_normal((16, 3))

    def loss(lib, D, mu, log_sigma):
        q = D.Normal(mu, log_sigma.exp())
        z = mu + log_sigma.exp() * lib.tensor(eps)
        recon = D.Normal(z, 1.0).log_prob(lib.tensor(x)).sum(-1).mean()
        return -recon + D.kl_divergence(q, D.Normal(lib.zeros(3, dtype=lib.float64), 1.0)).sum()
    em = [ember.tensor(v, requires_grad=True) for v in (mu0, log_sigma0)]
    th = [torch.tensor(v, requires_grad=True) for v in (mu0, log_sigma0)]
    le, lt = loss(ember, ED, *em), loss(torch, TD, *th)
    le.backward()
    lt.backward()
    np.testing.assert_allclose(le.item(), lt.item(), rtol=1e-10)
    for a, b in zip(em, th):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9)


def test_torch_distributions_resolves_to_ember_through_the_alias():
    code = ("import ember.compat; ember.compat.install()\n"
            "import torch\nimport torch.distributions as D\nfrom torch.distributions import constraints\n"
            "from torch.distributions.kl import kl_divergence\n"
            "assert D.__name__ == 'ember.distributions', D.__name__\n"
            "d = D.Normal(torch.zeros(2), torch.ones(2))\n"
            "assert constraints.positive.check(d.scale).all()\n"
            "print(float(kl_divergence(d, D.Normal(torch.ones(2), torch.ones(2))).sum()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == pytest.approx(1.0)
