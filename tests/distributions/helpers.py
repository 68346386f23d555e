"""Build the same distribution in ember and in PyTorch and compare what they compute."""
import math

import numpy as np
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD

RTOL, ATOL = 1e-9, 1e-11
METHODS = ("log_prob", "cdf", "icdf", "entropy", "mean", "variance", "stddev", "mode")


def tensors(params, requires_grad=True):
    """``(ember kwargs, torch kwargs)``: arrays become tensors (float ones tracking gradients), numbers stay."""
    em, th = {}, {}
    for k, v in params.items():
        if isinstance(v, np.ndarray):
            grad = requires_grad and v.dtype.kind == "f"
            em[k] = ember.tensor(v.copy(), requires_grad=grad)
            th[k] = torch.tensor(v.copy(), requires_grad=grad)
        else:
            em[k], th[k] = v, v
    return em, th


def build(name, params, requires_grad=True, **kw):
    em, th = tensors(params, requires_grad)
    return getattr(ED, name)(**em, **kw), getattr(TD, name)(**th, **kw), em, th


def evaluate(dist, method, arg=None):
    """``dist.method(arg)`` for methods, ``dist.method`` for properties; the exception type if it raises."""
    try:
        attr = getattr(dist, method)
        if method in ("log_prob", "cdf", "icdf"):
            return attr(arg)
        return attr() if callable(attr) else attr
    except (NotImplementedError, ValueError) as e:
        return type(e)


def as_numpy(t):
    return t.detach().numpy() if isinstance(t, (ember.Tensor, torch.Tensor)) else np.asarray(t)


def assert_close(e, t, what, rtol=RTOL, atol=ATOL):
    e, t = as_numpy(e), as_numpy(t)
    assert e.shape == t.shape, f"{what}: shape {e.shape} != torch {t.shape}"
    np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def compare_methods(ed, td, value, prob, methods=METHODS, rtol=RTOL, atol=ATOL, what=""):
    """Every method gives torch's value, or raises where torch raises. Returns the finite pairs, for gradients."""
    pairs = []
    for m in methods:
        arg = prob if m == "icdf" else value
        t = evaluate(td, m, torch.tensor(arg) if arg is not None else None)
        e = evaluate(ed, m, ember.tensor(arg) if arg is not None else None)
        if isinstance(t, type):
            assert e is t, f"{what}.{m}: torch raises {t.__name__}, ember gave {e}"
            continue
        assert not isinstance(e, type), f"{what}.{m}: ember raised {e.__name__}, torch gave {t}"
        assert_close(e, t, f"{what}.{m}", rtol, atol)
        if t.requires_grad and torch.isfinite(t).all():
            pairs.append((m, e, t))
    return pairs


def compare_grads(pairs, em, th, rtol=1e-7, atol=1e-9, what=""):
    """The gradient of each finite output's sum matches torch's, parameter by parameter; where torch's
    backward raises (igamma has no derivative in its first argument), ember's must raise too."""
    names = [k for k, t in th.items() if isinstance(t, torch.Tensor) and t.requires_grad]
    for m, e, t in pairs:
        try:
            t_grads = torch.autograd.grad(t.sum(), [th[k] for k in names], allow_unused=True, retain_graph=True)
        except RuntimeError:
            try:
                ember.autograd.grad(e.sum(), [em[k] for k in names], allow_unused=True, retain_graph=True)
            except RuntimeError:
                continue
            raise AssertionError(f"{what}.{m}: torch has no gradient, ember gave one")
        e_grads = ember.autograd.grad(e.sum(), [em[k] for k in names], allow_unused=True, retain_graph=True)
        for k, eg, tg in zip(names, e_grads, t_grads):
            if tg is None:
                assert eg is None or not np.any(as_numpy(eg)), f"{what}.{m}: d/d{k} should be zero"
                continue
            assert eg is not None, f"{what}.{m}: no gradient for {k}"
            assert_close(eg, tg, f"{what}.{m}: d/d{k}", rtol, atol)


def normalize(message):
    """A validation message up to the listed values, with the module prefix made neutral."""
    return message.split("but found")[0].replace("torch.", "X.").replace("ember.", "X.")


def assert_same_value_error(make_ember, make_torch):
    errors = []
    for make in (make_ember, make_torch):
        try:
            make()
        except ValueError as e:
            errors.append(str(e))
        else:
            errors.append(None)
    if errors[1] is None:
        assert errors[0] is None, f"torch accepts it, ember raised: {errors[0]}"
        return
    assert errors[0] is not None, f"ember did not raise; torch: {errors[1]}"
    assert normalize(errors[0]) == normalize(errors[1])


def moment_tolerance(variance, n, sigmas=5.0):
    return sigmas * np.sqrt(variance / n)


def is_finite(a):
    return bool(np.all(np.isfinite(as_numpy(a))))


def check_samples(ed, td, value, n=4000, what="", use_mean=True):
    """Draws agree with the oracle's law: the empirical mean with torch's mean (when the variance is finite),
    for discrete laws the frequencies of 0..5 with torch's probabilities, and for continuous laws the empirical
    CDF with the oracle's (its ``cdf`` if it has one, else torch's own draws)
    at five quantiles, each within five standard errors."""
    x = as_numpy(ed.sample((n,)))
    assert x.shape == (n, *td.batch_shape, *td.event_shape), what
    mean, var = evaluate(td, "mean"), evaluate(td, "variance")
    if use_mean and not isinstance(var, type) and is_finite(var) and is_finite(mean):
        err = np.abs(x.mean(0) - as_numpy(mean))
        assert np.all(err <= moment_tolerance(as_numpy(var), n) + 1e-12), f"{what}: sample mean off by {err}"
    if td.support.is_discrete:
        # the frequency of each small value against the oracle's probability mass
        for k in range(6):
            value_k = torch.full(tuple(td.batch_shape), float(k), dtype=torch.float64)
            if not td.support.check(value_k).all():
                break
            p = np.exp(as_numpy(td.log_prob(value_k)))
            frac = (x == k).mean(0)
            tol = moment_tolerance(p * (1 - p), n) + 1e-3
            assert np.all(np.abs(frac - p) <= tol), f"{what}: frequency of {k} is {frac}, P = {p}"
        return
    y = as_numpy(td.sample((n,)))
    for q in (0.1, 0.3, 0.5, 0.7, 0.9):
        point = np.quantile(y, q, axis=0)
        cdf = evaluate(td, "cdf", torch.tensor(point))
        if isinstance(cdf, type):
            p, spread = (y <= point).mean(0), 2.0  # two samples: twice the variance
        else:
            p, spread = as_numpy(cdf), 1.0
        frac = (x <= point).mean(0)
        tol = moment_tolerance(spread * p * (1 - p), n) + 1e-3
        assert np.all(np.abs(frac - p) <= tol), f"{what}: empirical CDF {frac} vs {p} at the {q} quantile"


def bad_value(constraint, like):
    """A value outside a torch constraint (for the argument-validation tests)."""
    name = type(constraint).__name__
    if name in ("_GreaterThan", "_GreaterThanEq", "_IntegerGreaterThan"):
        return float(constraint.lower_bound) - 1.0
    if name in ("_Interval", "_HalfOpenInterval"):
        return float(constraint.upper_bound) + 0.5
    if name == "_Real":
        return math.nan
    return None
