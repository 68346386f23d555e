"""kl_divergence against torch for every pair torch registers: values (including the infinite ones) and the
gradients with respect to both distributions' parameters; dispatch through subclasses, the Bregman fallback for
exponential families, and the errors for pairs with no formula."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD
from torch.distributions.kl import _KL_REGISTRY

from .helpers import assert_close, compare_grads, tensors

R = np.random.default_rng(11)


def a(*v):
    return np.array(v, dtype=np.float64)


def simplex(*shape):
    p = R.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def tril(n, batch=()):
    m = R.standard_normal((*batch, n, n))
    return np.linalg.cholesky(m @ np.swapaxes(m, -1, -2) + n * np.eye(n))


# Two parameter sets per family (p uses the first, q the second for same-family pairs), batch shape (2,).
PARAMS = {
    "Bernoulli": [dict(probs=a(0.3, 0.6)), dict(probs=a(0.5, 0.2))],
    "Beta": [dict(concentration1=a(0.7, 2.5), concentration0=a(1.5, 0.8)),
             dict(concentration1=a(1.7, 0.5), concentration0=a(2.5, 1.8))],
    "Binomial": [dict(total_count=a(5.0, 5.0), probs=a(0.3, 0.6)), dict(total_count=a(5.0, 4.0), probs=a(0.5, 0.2))],
    "Categorical": [dict(probs=simplex(2, 3)), dict(probs=simplex(2, 3))],
    "Cauchy": [dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), dict(loc=a(1.0, 0.5), scale=a(1.5, 0.4))],
    "ContinuousBernoulli": [dict(probs=a(0.2, 0.7)), dict(probs=a(0.6, 0.4))],
    "Dirichlet": [dict(concentration=R.uniform(0.5, 3, (2, 3))), dict(concentration=R.uniform(0.5, 3, (2, 3)))],
    "Exponential": [dict(rate=a(0.5, 2.0)), dict(rate=a(1.5, 0.7))],
    "Gamma": [dict(concentration=a(0.7, 3.0), rate=a(1.5, 0.5)), dict(concentration=a(2.0, 1.2), rate=a(0.5, 2.0))],
    "Geometric": [dict(probs=a(0.3, 0.6)), dict(probs=a(0.5, 0.2))],
    "Gumbel": [dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), dict(loc=a(1.0, 0.5), scale=a(1.5, 0.4))],
    "HalfNormal": [dict(scale=a(0.7, 2.0)), dict(scale=a(1.5, 0.4))],
    "Laplace": [dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), dict(loc=a(1.0, 0.5), scale=a(1.5, 0.4))],
    "LowRankMultivariateNormal": [
        dict(loc=R.standard_normal((2, 3)), cov_factor=R.standard_normal((2, 3, 2)), cov_diag=R.uniform(.5, 2, (2, 3))),
        dict(loc=R.standard_normal((2, 3)), cov_factor=R.standard_normal((2, 3, 1)), cov_diag=R.uniform(.5, 2, (2, 3))),
    ],
    "MultivariateNormal": [dict(loc=R.standard_normal((2, 3)), scale_tril=tril(3, (2,))),
                           dict(loc=R.standard_normal((2, 3)), scale_tril=tril(3, (2,)))],
    "Normal": [dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), dict(loc=a(1.0, 0.5), scale=a(1.5, 0.4))],
    "OneHotCategorical": [dict(probs=simplex(2, 3)), dict(probs=simplex(2, 3))],
    "Pareto": [dict(scale=a(1.0, 2.0), alpha=a(3.0, 2.5)), dict(scale=a(0.5, 2.5), alpha=a(1.5, 4.0))],
    "Poisson": [dict(rate=a(0.7, 4.0)), dict(rate=a(2.0, 1.0))],
    "Uniform": [dict(low=a(0.1, 0.2), high=a(0.8, 0.9)), dict(low=a(0.05, 0.3), high=a(0.95, 1.5))],
}
# pairs whose parameters need other supports to give finite values
OVERRIDES = {("Uniform", "Pareto"): [dict(low=a(1.5, 2.5), high=a(3.0, 4.0)), None],
             ("Uniform", "Exponential"): [dict(low=a(0.1, 0.2), high=a(0.8, 0.9)), None],
             ("Pareto", "Normal"): [dict(scale=a(1.0, 2.0), alpha=a(3.0, 2.5)), None]}

PAIRS = sorted((p.__name__, q.__name__) for p, q in _KL_REGISTRY
               if (p.__name__, q.__name__) not in {("ExponentialFamily", "ExponentialFamily"),
                                                   ("TransformedDistribution", "TransformedDistribution"),
                                                   ("Independent", "Independent")})


def _params(p_name, q_name):
    p_params, q_params = PARAMS[p_name][0], PARAMS[q_name][1 if p_name == q_name else 0]
    override = OVERRIDES.get((p_name, q_name), [None, None])
    return override[0] or p_params, override[1] or q_params


@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_kl_matches_torch(pair):
    p_name, q_name = pair
    p_params, q_params = _params(p_name, q_name)
    pe, pt = tensors(p_params)
    qe, qt = tensors(q_params)
    ep, eq = getattr(ED, p_name)(**pe), getattr(ED, q_name)(**qe)
    tp, tq = getattr(TD, p_name)(**pt), getattr(TD, q_name)(**qt)
    kt = TD.kl_divergence(tp, tq)
    ke = ED.kl_divergence(ep, eq)
    assert_close(ke, kt, f"KL({p_name} || {q_name})", rtol=1e-8, atol=1e-10)
    if kt.requires_grad and torch.isfinite(kt).all():
        both_e = {**{"p_" + k: v for k, v in pe.items()}, **{"q_" + k: v for k, v in qe.items()}}
        both_t = {**{"p_" + k: v for k, v in pt.items()}, **{"q_" + k: v for k, v in qt.items()}}
        compare_grads([("kl", ke, kt)], both_e, both_t, rtol=1e-7, atol=1e-9, what=f"KL({p_name} || {q_name})")


def test_every_torch_pair_is_registered_in_ember():
    theirs = {(p.__name__, q.__name__) for p, q in _KL_REGISTRY}
    ours = {(p.__name__, q.__name__) for p, q in ED.kl._KL_REGISTRY}
    assert theirs == ours


def test_some_pairs_are_finite_and_some_infinite():
    # the table above must exercise both branches of the support checks
    finite = infinite = 0
    for p_name, q_name in PAIRS:
        p_params, q_params = _params(p_name, q_name)
        v = ED.kl_divergence(getattr(ED, p_name)(**tensors(p_params, False)[0]),
                             getattr(ED, q_name)(**tensors(q_params, False)[0])).numpy()
        finite += np.isfinite(v).all()
        infinite += np.isinf(v).any()
    assert finite > 40 and infinite > 20


def test_subclasses_dispatch_to_the_parent_formula():
    e = ED.kl_divergence(ED.Chi2(ember.tensor([3.0])), ED.Chi2(ember.tensor([5.0])))
    t = TD.kl_divergence(TD.Chi2(torch.tensor([3.0])), TD.Chi2(torch.tensor([5.0])))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_exponential_family_bregman_fallback_for_wishart():
    m = R.standard_normal((2, 2))
    cov1, cov2 = m @ m.T + np.eye(2), np.array([[2.0, 0.3], [0.3, 1.0]])
    df1, df2 = a(4.0), a(5.5)
    e = ED.kl_divergence(ED.Wishart(ember.tensor(df1), covariance_matrix=ember.tensor(cov1)),
                         ED.Wishart(ember.tensor(df2), covariance_matrix=ember.tensor(cov2)))
    t = TD.kl_divergence(TD.Wishart(torch.tensor(df1), covariance_matrix=torch.tensor(cov1)),
                         TD.Wishart(torch.tensor(df2), covariance_matrix=torch.tensor(cov2)))
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-8)


def test_independent_and_transformed_pairs():
    loc, scale = R.standard_normal((2, 3)), R.uniform(0.5, 2, (2, 3))
    pe, pt = tensors(dict(loc=loc, scale=scale))
    qe, qt = tensors(dict(loc=loc[::-1].copy(), scale=scale[::-1].copy()))
    e = ED.kl_divergence(ED.Independent(ED.Normal(**pe), 1), ED.Independent(ED.Normal(**qe), 1))
    t = TD.kl_divergence(TD.Independent(TD.Normal(**pt), 1), TD.Independent(TD.Normal(**qt), 1))
    assert_close(e, t, "Independent")
    e = ED.kl_divergence(ED.LogNormal(**pe), ED.LogNormal(**qe))
    t = TD.kl_divergence(TD.LogNormal(**pt), TD.LogNormal(**qt))
    assert_close(e, t, "LogNormal")
    with pytest.raises(NotImplementedError):
        ED.kl_divergence(ED.Independent(ED.Normal(**pe), 1), ED.Independent(ED.Normal(**qe), 2))


def test_pairs_without_a_formula_raise():
    with pytest.raises(NotImplementedError, match="No KL"):
        ED.kl_divergence(ED.Cauchy(0.0, 1.0), ED.Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="different exponential families"):
        ED.kl_divergence(ED.Poisson(ember.tensor(1.0)), ED.Dirichlet(ember.ones(2)))
    with pytest.raises(ValueError, match="different event shapes"):
        ED.kl_divergence(ED.MultivariateNormal(ember.zeros(2), ember.eye(2)),
                         ED.MultivariateNormal(ember.zeros(3), ember.eye(3)))


def test_register_kl_takes_the_most_specific_pair():
    class MyNormal(ED.Normal):
        pass

    @ED.register_kl(MyNormal, ED.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)
    try:
        assert float(ED.kl_divergence(MyNormal(0.0, 1.0), ED.Normal(0.0, 1.0))) == 42.0
        assert float(ED.kl_divergence(ED.Normal(0.0, 1.0), ED.Normal(0.0, 1.0))) == 0.0
    finally:
        del ED.kl._KL_REGISTRY[MyNormal, ED.Normal]
        ED.kl._KL_MEMOIZE.clear()
    with pytest.raises(TypeError):
        ED.register_kl(int, ED.Normal)
