"""Scalar-event distributions against torch.distributions: every method's value, the gradients of all of them
with respect to the parameters, a float64 gradcheck of log_prob, samples against the oracle's law, and
argument validation (same ValueError as PyTorch)."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD
from ember.autograd import gradcheck

from .helpers import (assert_same_value_error, bad_value, build, check_samples, compare_grads, compare_methods,
                      tensors)


def a(*v):
    return np.array(v, dtype=np.float64)


P = a(0.2, 0.85)  # probabilities for icdf

# name, parameters, values inside the support, extra constructor kwargs, tolerance
CASES = [
    ("Normal", dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), a(0.1, 1.5), {}, 1e-9),
    ("Exponential", dict(rate=a(0.5, 2.0)), a(0.3, 1.7), {}, 1e-9),
    ("Laplace", dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), a(0.1, 1.5), {}, 1e-9),
    ("Cauchy", dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), a(0.1, 1.5), {}, 1e-9),
    ("Uniform", dict(low=a(0.0, -1.0), high=a(1.0, 2.0)), a(0.5, 1.0), {}, 1e-9),
    ("Gamma", dict(concentration=a(0.7, 3.0), rate=a(1.5, 0.5)), a(0.4, 2.5), {}, 1e-9),
    ("Chi2", dict(df=a(1.5, 4.0)), a(0.4, 2.5), {}, 1e-9),
    ("Beta", dict(concentration1=a(0.7, 2.5), concentration0=a(1.5, 0.8)), a(0.3, 0.8), {}, 1e-9),
    ("LogNormal", dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), a(0.4, 2.5), {}, 1e-9),
    ("HalfNormal", dict(scale=a(0.7, 2.0)), a(0.4, 2.5), {}, 1e-9),
    ("HalfCauchy", dict(scale=a(0.7, 2.0)), a(0.4, 2.5), {}, 1e-9),
    ("Gumbel", dict(loc=a(0.3, -1.2), scale=a(0.7, 2.0)), a(0.1, 1.5), {}, 1e-9),
    ("Pareto", dict(scale=a(1.0, 2.0), alpha=a(3.0, 2.5)), a(1.5, 3.0), {}, 1e-9),
    ("Weibull", dict(scale=a(1.0, 2.0), concentration=a(0.8, 2.5)), a(0.4, 2.5), {}, 1e-9),
    ("StudentT", dict(df=a(1.5, 5.0), loc=a(0.3, -1.2), scale=a(0.7, 2.0)), a(0.1, 1.5), {}, 1e-9),
    ("FisherSnedecor", dict(df1=a(3.0, 5.0), df2=a(4.5, 9.0)), a(0.4, 2.5), {}, 1e-9),
    ("Kumaraswamy", dict(concentration1=a(0.7, 2.5), concentration0=a(1.5, 0.8)), a(0.3, 0.8), {}, 1e-9),
    ("InverseGamma", dict(concentration=a(2.5, 3.5), rate=a(1.5, 0.5)), a(0.4, 2.5), {}, 1e-9),
    ("VonMises", dict(loc=a(0.3, -1.2), concentration=a(0.7, 4.0)), a(0.1, 1.5), {}, 2e-6),
    ("ContinuousBernoulli", dict(probs=a(0.2, 0.4999, 0.8)), a(0.3, 0.8, 0.6), {}, 1e-9),
    ("ContinuousBernoulli", dict(logits=a(-1.0, 2.0)), a(0.3, 0.8), {}, 1e-9),
    ("Bernoulli", dict(probs=a(0.3, 0.5)), a(1.0, 0.0), {}, 1e-9),
    ("Bernoulli", dict(logits=a(-0.4, 1.3)), a(1.0, 0.0), {}, 1e-9),
    ("Geometric", dict(probs=a(0.3, 0.6)), a(2.0, 0.0), {}, 1e-9),
    ("Geometric", dict(logits=a(-0.4, 1.3)), a(2.0, 0.0), {}, 1e-9),
    ("Poisson", dict(rate=a(0.7, 4.0)), a(2.0, 0.0), {}, 1e-9),
    ("Binomial", dict(total_count=a(5.0, 5.0), probs=a(0.3, 0.6)), a(2.0, 5.0), {}, 1e-9),
    ("Binomial", dict(total_count=a(5.0, 8.0), logits=a(-0.4, 1.3)), a(2.0, 7.0), {}, 1e-9),
    ("NegativeBinomial", dict(total_count=a(3.0, 2.5), probs=a(0.3, 0.6)), a(2.0, 0.0), {}, 1e-9),
    ("RelaxedBernoulli", dict(temperature=a(0.7), probs=a(0.3, 0.6)), a(0.2, 0.9), {}, 1e-9),
]
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_match_torch(case):
    name, params, value, kw, tol = case
    ed, td, em, th = build(name, params, **kw)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape) and tuple(ed.event_shape) == tuple(td.event_shape)
    assert ed.has_rsample == td.has_rsample and ed.has_enumerate_support == td.has_enumerate_support
    pairs = compare_methods(ed, td, value, P[: len(value)] if len(value) == 2 else a(0.2, 0.5, 0.85), rtol=tol,
                            atol=tol * 1e-2, what=name)
    compare_grads(pairs, em, th, rtol=max(tol, 1e-7), atol=max(tol, 1e-9), what=name)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob_gradcheck(case):
    name, params, value, kw, _ = case
    floats = [k for k, v in params.items() if v.dtype.kind == "f" and k not in ("total_count",)]
    v = ember.tensor(value)

    def log_prob(*args):
        return getattr(ED, name)(**{**tensors(params, False)[0], **dict(zip(floats, args))}, **kw).log_prob(v)
    inputs = [ember.tensor(params[k].copy(), requires_grad=True) for k in floats]
    assert gradcheck(log_prob, tuple(inputs), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_samples_follow_the_oracle_law(case):
    name, params, value, kw, _ = case
    ed, td, _, _ = build(name, params, requires_grad=False, **kw)
    check_samples(ed, td, value, what=name, use_mean=name != "VonMises")  # its mean is circular
    if ed.has_rsample:
        assert ed.rsample((3,)).shape == (3, *td.batch_shape)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_expand_matches_torch(case):
    name, params, value, kw, tol = case
    ed, td, _, _ = build(name, params, requires_grad=False, **kw)
    ee, te = ed.expand((3, len(value))), td.expand((3, len(value)))
    assert type(ee) is type(ed) and tuple(ee.batch_shape) == tuple(te.batch_shape)
    v = np.broadcast_to(value, (3, len(value))).copy()
    np.testing.assert_allclose(ee.log_prob(ember.tensor(v)).numpy(), te.log_prob(torch.tensor(v)).detach().numpy(),
                               rtol=tol)
    assert ee.sample().shape == (3, len(value))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_bad_parameters_raise_like_torch(case):
    name, params, _, kw, _ = case
    cls = getattr(TD, name)
    tried = 0
    for pname, constraint in cls.arg_constraints.items() if isinstance(cls.arg_constraints, dict) else []:
        if pname not in params or pname == "temperature":
            continue
        bad = bad_value(constraint, params[pname])
        if bad is None:
            continue
        broken = dict(params)
        broken[pname] = params[pname].copy()
        broken[pname][0] = bad
        em, th = tensors(broken, False)
        assert_same_value_error(lambda: getattr(ED, name)(**em, **kw), lambda: cls(**th, **kw))
        tried += 1
    assert tried or name == "Uniform"


def test_uniform_low_must_be_below_high():
    with pytest.raises(ValueError, match="Uniform is not defined when low>= high"):
        ED.Uniform(ember.tensor([1.0]), ember.tensor([0.0]))
    with pytest.raises(ValueError):
        TD.Uniform(torch.tensor([1.0]), torch.tensor([0.0]))


VALUES_OUTSIDE = [("Normal", dict(loc=a(0.0), scale=a(1.0)), a(np.nan)),
                  ("Exponential", dict(rate=a(1.0)), a(-1.0)),
                  ("Beta", dict(concentration1=a(1.0), concentration0=a(2.0)), a(1.5)),
                  ("Bernoulli", dict(probs=a(0.3)), a(0.5)),
                  ("Poisson", dict(rate=a(2.0)), a(1.5)),
                  ("Binomial", dict(total_count=a(3.0), probs=a(0.3)), a(4.0)),
                  ("Uniform", dict(low=a(0.0), high=a(1.0)), a(2.0)),
                  ("Pareto", dict(scale=a(1.0), alpha=a(2.0)), a(0.5)),
                  ("Gamma", dict(concentration=a(1.0), rate=a(2.0)), a(-0.5))]


@pytest.mark.parametrize("name,params,value", VALUES_OUTSIDE, ids=[c[0] for c in VALUES_OUTSIDE])
def test_values_outside_the_support_raise_like_torch(name, params, value):
    ed, td, _, _ = build(name, params, requires_grad=False)
    assert_same_value_error(lambda: ed.log_prob(ember.tensor(value)), lambda: td.log_prob(torch.tensor(value)))


def test_value_checks_shape_and_type():
    d = ED.Normal(ember.zeros(3), ember.ones(3))
    with pytest.raises(ValueError, match="must be a Tensor"):
        d.log_prob(0.5)
    with pytest.raises(ValueError, match="not broadcastable"):
        d.log_prob(ember.zeros(2))
    assert ED.Normal(ember.zeros(3), ember.ones(3), validate_args=False).log_prob(ember.zeros(1)).shape == (3,)


def test_set_default_validate_args():
    ED.Distribution.set_default_validate_args(False)
    try:
        ED.Normal(0.0, -1.0)  # accepted without validation
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ED.Normal(0.0, -1.0)


def test_probs_or_logits_not_both():
    for name in ("Bernoulli", "Categorical", "Binomial", "Geometric"):
        with pytest.raises(ValueError, match="Either `probs` or `logits`"):
            getattr(ED, name)(probs=ember.tensor([0.5]), logits=ember.tensor([0.0]))


@pytest.mark.parametrize("name,params", [("Bernoulli", dict(probs=a(0.3, 0.6))),
                                         ("Binomial", dict(total_count=a(3.0, 3.0), probs=a(0.3, 0.6)))])
def test_enumerate_support_matches_torch(name, params):
    ed, td, _, _ = build(name, params, requires_grad=False)
    for expand in (True, False):
        np.testing.assert_array_equal(ed.enumerate_support(expand).numpy(), td.enumerate_support(expand).numpy())


def test_scalar_parameters_give_empty_batch_shape():
    for d in (ED.Normal(0.0, 1.0), ED.Gamma(2.0, 1.0), ED.Exponential(1.5), ED.Bernoulli(0.3)):
        assert tuple(d.batch_shape) == () and d.sample().shape == ()
        assert d.sample((4, 2)).shape == (4, 2)
    assert ED.Normal(0.0, 1.0).log_prob(ember.tensor(0.0)).dtype == ember.float32


def test_repr_and_perplexity():
    d, t = ED.Normal(ember.tensor(0.5), ember.tensor(2.0)), TD.Normal(torch.tensor(0.5), torch.tensor(2.0))
    assert repr(d) == repr(t)
    np.testing.assert_allclose(d.perplexity().numpy(), t.perplexity().numpy(), rtol=1e-6)
