"""Distributions with vector or matrix events, discrete ones over categories, and the wrappers (Independent,
MixtureSameFamily, TransformedDistribution) against torch.distributions: values, gradients, gradcheck, samples
and argument errors."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD
from ember.autograd import gradcheck

from .helpers import build, compare_grads, compare_methods, tensors

R = np.random.default_rng(7)
MATRIX_METHODS = ("log_prob", "entropy", "mean", "variance", "mode", "covariance_matrix", "precision_matrix",
                  "scale_tril")


def spd(n, batch=()):
    a = R.standard_normal((*batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def tril(n, batch=()):
    return np.linalg.cholesky(spd(n, batch))


def simplex(*shape):
    p = R.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


LOC = R.standard_normal((2, 3))
VEC = R.standard_normal((4, 2, 3))
# name, parameters, a value (batch of events), methods compared
CASES = [
    ("MultivariateNormal", dict(loc=LOC, covariance_matrix=spd(3, (2,))), VEC, MATRIX_METHODS),
    ("MultivariateNormal", dict(loc=LOC, precision_matrix=spd(3)), VEC, MATRIX_METHODS),
    ("MultivariateNormal", dict(loc=LOC[0], scale_tril=tril(3, (2,))), VEC, MATRIX_METHODS),
    ("LowRankMultivariateNormal", dict(loc=LOC, cov_factor=R.standard_normal((2, 3, 2)),
                                       cov_diag=R.uniform(0.5, 2.0, (2, 3))), VEC, MATRIX_METHODS),
    ("Dirichlet", dict(concentration=R.uniform(0.5, 3.0, (2, 3))), simplex(4, 2, 3), None),
    ("Dirichlet", dict(concentration=np.array([[0.5, 0.7, 0.9], [2.0, 3.0, 1.5]])), simplex(2, 3), None),
    ("Categorical", dict(probs=simplex(2, 3)), np.array([[0, 2], [1, 1]]), None),
    ("Categorical", dict(logits=R.standard_normal((2, 4))), np.array([[0, 3], [1, 2]]), None),
    ("OneHotCategorical", dict(probs=simplex(2, 3)), np.eye(3)[[[0, 2], [1, 1]]], None),
    ("OneHotCategoricalStraightThrough", dict(logits=R.standard_normal((2, 3))), np.eye(3)[[0, 2]], None),
    ("Multinomial", dict(total_count=5, probs=simplex(2, 3)), np.array([[[1., 2, 2], [0, 0, 5]]]), None),
    ("Multinomial", dict(total_count=4, logits=R.standard_normal(3)), np.array([[1., 2, 1], [4, 0, 0]]), None),
    ("Wishart", dict(df=np.array([4.0, 5.5]), covariance_matrix=spd(3, (2,))), spd(3, (2, 2)), MATRIX_METHODS),
    ("Wishart", dict(df=np.array(4.5), scale_tril=tril(2)), spd(2, (3,)), MATRIX_METHODS),
    ("Wishart", dict(df=np.array(3.5), precision_matrix=spd(2)), spd(2, (3,)), MATRIX_METHODS),
    ("LKJCholesky", dict(dim=3, concentration=np.array([0.5, 2.0])), tril(3, (2,)) * 0 + np.linalg.cholesky(
        np.array([[1.0, 0.3, -0.2], [0.3, 1.0, 0.4], [-0.2, 0.4, 1.0]])), ("log_prob",)),
    ("LogisticNormal", dict(loc=LOC[:, :2], scale=R.uniform(0.5, 2.0, (2, 2))), simplex(4, 2, 3), None),
    ("RelaxedOneHotCategorical", dict(temperature=np.array(0.7), probs=simplex(2, 3)), simplex(4, 2, 3), None),
]
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_match_torch(case):
    name, params, value, methods = case
    ed, td, em, th = build(name, params)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape) and tuple(ed.event_shape) == tuple(td.event_shape)
    kw = {} if methods is None else dict(methods=methods)
    # torch's Multinomial entropy takes lgamma of an integer tensor, in float32
    rtol = 1e-7 if name == "Multinomial" else 1e-8
    pairs = compare_methods(ed, td, value, None, rtol=rtol, atol=1e-10, what=name, **kw)
    compare_grads(pairs, em, th, rtol=1e-6, atol=1e-8, what=name)
    expanded_e, expanded_t = ed.expand((5, *td.batch_shape)), td.expand((5, *td.batch_shape))
    assert tuple(expanded_e.batch_shape) == tuple(expanded_t.batch_shape)
    tail = len(td.batch_shape) + len(td.event_shape)
    one = value.reshape(-1, *value.shape[value.ndim - tail:])[0]
    np.testing.assert_allclose(expanded_e.log_prob(ember.tensor(one)).detach().numpy(),
                               expanded_t.log_prob(torch.tensor(one)).detach().numpy(), rtol=1e-8)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob_gradcheck(case):
    name, params, value, _ = case
    floats = [k for k, v in params.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
    v = ember.tensor(value)
    fixed = tensors(params, False)[0]

    def structured(k, x):
        # a raw matrix argument is only read in its lower triangle (as in PyTorch), so the check goes through the
        # structure the argument has: symmetric for covariance and precision, triangular for scale_tril
        if k in ("covariance_matrix", "precision_matrix"):
            return (x + x.mT) / 2
        return x.tril() if k == "scale_tril" else x

    def log_prob(*args):
        return getattr(ED, name)(**{**fixed, **{k: structured(k, x) for k, x in zip(floats, args)}}).log_prob(v)
    inputs = tuple(ember.tensor(params[k].copy(), requires_grad=True) for k in floats)
    assert gradcheck(log_prob, inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_samples_follow_the_oracle_law(case):
    name, params, _, _ = case
    ed, td, _, _ = build(name, params, requires_grad=False)
    n = 3000
    x = ed.sample((n,)).numpy()
    assert x.shape == (n, *td.batch_shape, *td.event_shape)
    assert bool(td.support.check(torch.tensor(x)).all()), f"{name}: draws outside the support"
    if name in ("Categorical",):
        # frequencies of each category against the probabilities
        for k in range(td.probs.shape[-1]):
            p = td.probs[..., k].detach().numpy()
            assert np.all(np.abs((x == k).mean(0) - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-3)
        return
    y = td.sample((n,)).numpy()
    spread = np.sqrt(y.var(0) / n + x.var(0) / n)
    assert np.all(np.abs(x.mean(0) - y.mean(0)) <= 5 * spread + 1e-9), f"{name}: sample means differ"
    if name not in ("LKJCholesky", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Multinomial"):
        np.testing.assert_allclose(x.var(0), y.var(0), rtol=0.25, atol=1e-3, err_msg=f"{name}: variances")


def test_mvn_matrices_agree_whichever_is_given():
    cov = spd(3)
    d1 = ED.MultivariateNormal(ember.zeros(3, dtype=ember.float64), covariance_matrix=ember.tensor(cov))
    d2 = ED.MultivariateNormal(ember.zeros(3, dtype=ember.float64), precision_matrix=ember.tensor(np.linalg.inv(cov)))
    d3 = ED.MultivariateNormal(ember.zeros(3, dtype=ember.float64), scale_tril=ember.tensor(np.linalg.cholesky(cov)))
    for d in (d1, d2, d3):
        np.testing.assert_allclose(d.covariance_matrix.numpy(), cov, rtol=1e-10)
        np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(cov), rtol=1e-9)


@pytest.mark.parametrize("make", [
    lambda m, L: m.MultivariateNormal(L.zeros(3)),
    lambda m, L: m.MultivariateNormal(L.zeros(3), covariance_matrix=L.eye(3), scale_tril=L.eye(3)),
    lambda m, L: m.MultivariateNormal(L.zeros(()), covariance_matrix=L.eye(3)),
    lambda m, L: m.MultivariateNormal(L.zeros(3), covariance_matrix=L.ones(3)),
    lambda m, L: m.MultivariateNormal(L.zeros(2), covariance_matrix=-L.eye(2)),
    lambda m, L: m.LowRankMultivariateNormal(L.zeros(2), L.ones(3, 1), L.ones(2)),
    lambda m, L: m.Dirichlet(L.tensor([-1.0, 1.0])),
    lambda m, L: m.Categorical(probs=L.tensor([-0.5, 1.5])),
    lambda m, L: m.Independent(m.Normal(L.zeros(2), L.ones(2)), 2),
    lambda m, L: m.MixtureSameFamily(m.Categorical(probs=L.ones(3)), m.Normal(L.zeros(2), L.ones(2))),
    lambda m, L: m.MixtureSameFamily(m.Normal(L.zeros(2), L.ones(2)), m.Normal(L.zeros(2), L.ones(2))),
], ids=["mvn-no-matrix", "mvn-two-matrices", "mvn-scalar-loc", "mvn-vector-cov", "mvn-not-pd", "lowrank-shape",
        "dirichlet", "categorical", "independent-ndims", "mixture-count", "mixture-not-categorical"])
def test_bad_arguments_raise_value_error_like_torch(make):
    with pytest.raises(ValueError):
        make(TD, torch)
    with pytest.raises(ValueError):
        make(ED, ember)


def test_value_outside_the_simplex_raises():
    with pytest.raises(ValueError, match="to be within the support"):
        ED.Dirichlet(ember.ones(3)).log_prob(ember.tensor([0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match="to be within the support"):
        ED.Categorical(probs=ember.ones(3)).log_prob(ember.tensor(3))


def _mixtures(m, lib, params):
    e, _ = params
    cat = m.Categorical(logits=e["logits"])
    normal = m.MixtureSameFamily(cat, m.Normal(e["loc"], e["scale"]))
    mvn = m.MixtureSameFamily(m.Categorical(logits=e["logits"]),
                              m.Independent(m.Normal(e["loc3"], e["scale3"]), 1))
    return normal, mvn


def test_mixture_same_family_matches_torch():
    raw = dict(logits=R.standard_normal((2, 3)), loc=R.standard_normal((2, 3)), scale=R.uniform(0.5, 2, (2, 3)),
               loc3=R.standard_normal((2, 3, 4)), scale3=R.uniform(0.5, 2, (2, 3, 4)))
    em, th = tensors(raw)
    (en, emv), (tn, tmv) = _mixtures(ED, ember, (em, None)), _mixtures(TD, torch, (th, None))
    pairs = compare_methods(en, tn, R.standard_normal((5, 2)), None, methods=("log_prob", "cdf", "mean", "variance"),
                            what="mixture")
    pairs += compare_methods(emv, tmv, R.standard_normal((5, 2, 4)), None, methods=("log_prob", "mean", "variance"),
                             what="mixture-mvn")
    compare_grads(pairs, em, th, what="mixture")
    for e, t in ((en, tn), (emv, tmv)):
        x = e.sample((2000,))
        assert x.shape == (2000, *t.batch_shape, *t.event_shape)
        np.testing.assert_array_less(np.abs(x.numpy().mean(0) - t.mean.detach().numpy()),
                                     5 * np.sqrt(t.variance.detach().numpy() / 2000))
        assert tuple(e.expand((4, 2)).batch_shape) == (4, 2)


def test_independent_matches_torch():
    raw = dict(loc=R.standard_normal((2, 3)), scale=R.uniform(0.5, 2.0, (2, 3)))
    em, th = tensors(raw)
    for n in (0, 1, 2):
        e, t = ED.Independent(ED.Normal(**em), n), TD.Independent(TD.Normal(**th), n)
        assert tuple(e.batch_shape) == tuple(t.batch_shape) and tuple(e.event_shape) == tuple(t.event_shape)
        assert repr(e.support).replace("ember", "torch") == repr(t.support)
        pairs = compare_methods(e, t, R.standard_normal((4, 2, 3)), None,
                                methods=("log_prob", "entropy", "mean", "variance", "mode"), what=f"Independent{n}")
        compare_grads(pairs, em, th, what=f"Independent{n}")
        em, th = tensors(raw)
    with pytest.raises(NotImplementedError, match="cartesian product"):
        ED.Independent(ED.Bernoulli(ember.ones(2) / 2), 1).enumerate_support()


def test_transformed_distribution_matches_torch():
    from ember.distributions import transforms as ET
    from torch.distributions import transforms as TT
    raw = dict(loc=R.standard_normal(3), scale=R.uniform(0.5, 2.0, 3), a=R.standard_normal(3),
               b=R.uniform(0.5, 2.0, 3))
    em, th = tensors(raw)

    def chain(T, e):
        return [T.AffineTransform(e["a"], e["b"]), T.SigmoidTransform(), T.AffineTransform(2.0, -3.0)]
    e = ED.TransformedDistribution(ED.Normal(em["loc"], em["scale"]), chain(ET, em))
    t = TD.TransformedDistribution(TD.Normal(th["loc"], th["scale"]), chain(TT, th))
    value = np.array([[-0.5, 0.3, 1.2], [0.1, -0.2, -0.9]])
    pairs = compare_methods(e, t, value, np.array([[0.2, 0.5, 0.9]]), methods=("log_prob", "cdf", "icdf"),
                            what="transformed")
    compare_grads(pairs, em, th, what="transformed")
    assert repr(e.support).replace("ember", "torch") == repr(t.support)
    x = e.rsample((4,))
    assert x.shape == (4, 3)
    x.sum().backward()
    assert em["loc"].grad is not None
    stick = ED.TransformedDistribution(ED.Normal(ember.zeros(2, 2), ember.ones(2, 2)), ET.StickBreakingTransform())
    assert tuple(stick.event_shape) == (3,) and tuple(stick.batch_shape) == (2,)


def test_one_hot_straight_through_gradient_is_that_of_probs():
    logits = ember.tensor([0.3, -0.2, 1.0], dtype=ember.float64, requires_grad=True)
    d = ED.OneHotCategoricalStraightThrough(logits=logits)
    x = d.rsample((2,))
    assert bool(((x == 0) | (x == 1)).all()) and bool((x.sum(-1) == 1).all())
    w = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    (x * w).sum().backward()
    t = torch.tensor(logits.detach().numpy(), requires_grad=True)
    (2 * (t.softmax(-1) * torch.tensor(w.numpy())).sum()).backward()
    np.testing.assert_allclose(logits.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_categorical_enumerate_support_and_mode():
    probs = simplex(2, 4)
    e, t = ED.Categorical(probs=ember.tensor(probs)), TD.Categorical(probs=torch.tensor(probs))
    for expand in (True, False):
        np.testing.assert_array_equal(e.enumerate_support(expand).numpy(), t.enumerate_support(expand).numpy())
    np.testing.assert_array_equal(e.mode.numpy(), t.mode.numpy())
    o, u = ED.OneHotCategorical(probs=ember.tensor(probs)), TD.OneHotCategorical(probs=torch.tensor(probs))
    np.testing.assert_array_equal(o.enumerate_support().numpy(), u.enumerate_support().numpy())


@pytest.mark.parametrize("make", [
    lambda m, L: m.MultivariateNormal(L.zeros(2, dtype=L.float64),
                                      covariance_matrix=L.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=L.float64)),
    lambda m, L: m.MultivariateNormal(L.zeros(2), scale_tril=L.tensor([[1.0, 0.0], [0.5, -1.0]])),
    lambda m, L: m.Dirichlet(L.tensor([[1.0, -2.0], [1.0, 1.0]])),
    lambda m, L: m.Categorical(probs=L.tensor([0.5, -0.5, 1.0])),
    lambda m, L: m.Wishart(L.tensor(3.0), covariance_matrix=L.tensor([[1.0, 0.5], [0.4, 1.0]])),
    lambda m, L: m.LowRankMultivariateNormal(L.zeros(2), L.ones(2, 1), L.tensor([1.0, -1.0])),
    lambda m, L: m.Multinomial(3, probs=L.tensor([0.5, -0.1, 0.6])),
    lambda m, L: m.LKJCholesky(3, L.tensor(-1.0)),
], ids=["mvn-cov", "mvn-tril", "dirichlet", "categorical", "wishart", "lowrank", "multinomial", "lkj"])
def test_bad_parameters_give_torch_messages(make):
    from .helpers import assert_same_value_error
    assert_same_value_error(lambda: make(ED, ember), lambda: make(TD, torch))


def test_values_outside_the_support_give_torch_messages():
    from .helpers import assert_same_value_error
    value = np.array([[1.0, 0.0], [0.5, 0.8]])
    assert_same_value_error(lambda: ED.LKJCholesky(2, ember.tensor(1.0)).log_prob(ember.tensor(value)),
                            lambda: TD.LKJCholesky(2, torch.tensor(1.0)).log_prob(torch.tensor(value)))
    counts = np.array([2.0, 2.0])
    assert_same_value_error(lambda: ED.Multinomial(3, probs=ember.ones(2)).log_prob(ember.tensor(counts)),
                            lambda: TD.Multinomial(3, probs=torch.ones(2)).log_prob(torch.tensor(counts)))


def test_mixture_with_a_broadcast_mixing_distribution_draws_each_batch_element_independently():
    # PyTorch cannot sample this mixture (its gather needs the mixing batch shape); ember expands it
    mix = ED.MixtureSameFamily(ED.Categorical(probs=ember.ones(3)),
                               ED.Normal(ember.tensor([[-5.0, 0.0, 5.0], [10.0, 20.0, 30.0]]), ember.ones(2, 3) / 100))
    x = mix.sample((4000,)).numpy()
    assert x.shape == (4000, 2)
    np.testing.assert_array_less(np.abs(x.mean(0) - mix.mean.numpy()), 5 * np.sqrt(mix.variance.numpy() / 4000))
    assert abs(np.corrcoef(x.T)[0, 1]) < 0.1  # one shared choice would make the two columns move together
    assert tuple(mix.log_prob(ember.zeros(5, 2)).shape) == (5, 2)


@pytest.mark.parametrize("df, scale, shape", [
    (3.0, np.eye(2), ()), (3.0, [[2.0, 0.5], [0.5, 1.0]], (4,)),
    ([3.0, 5.0], np.broadcast_to(np.eye(3), (2, 3, 3)), ()),
    ([2.5, 4.0], np.broadcast_to(np.eye(2), (2, 2, 2)), (3, 2))])
def test_wishart_draws_follow_torchs_stream(df, scale, shape):
    # torch 2.13's rsample redraws every sample its first (inverted) singularity check passes, with a warning;
    # ember draws the same way, so the same seed gives torch's samples
    draws = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        with pytest.warns(UserWarning, match="Singular sample detected"):
            w = lib.distributions.Wishart(lib.tensor(df), covariance_matrix=lib.tensor(np.asarray(scale)).float())
            draws.append((w.sample(shape).numpy(), lib.rand(3).numpy()))
    np.testing.assert_allclose(draws[0][0], draws[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(draws[0][1], draws[1][1])
