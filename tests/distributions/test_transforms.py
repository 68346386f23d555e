"""Transforms, constraints and the biject_to / transform_to registries against torch: forward, inverse,
log|det J| and their gradients, shapes, caching, and constraint checks on the same values."""
import numpy as np
import pytest
import torch

import ember
import ember.distributions as ED
import torch.distributions as TD
from ember.distributions import constraints as EC, transforms as ET
from torch.distributions import constraints as TC, transforms as TT

from .helpers import assert_close

R = np.random.default_rng(5)
X = R.standard_normal((2, 3))
POS = R.uniform(0.3, 2.0, (2, 3))
UNIT = R.uniform(0.1, 0.9, (2, 3))



def _loc_scale(L):
    return L.tensor([0.1, 0.2, 0.3], dtype=L.float64), L.tensor([1.5, -0.5, 2.0], dtype=L.float64)


# name, factory(T, lib), input inside the domain
CASES = [
    ("exp", lambda T, L: T.ExpTransform(), X),
    ("affine", lambda T, L: T.AffineTransform(0.5, -2.0), X),
    ("affine-tensor", lambda T, L: T.AffineTransform(*_loc_scale(L)), X),
    ("affine-event", lambda T, L: T.AffineTransform(*_loc_scale(L), 1), X),
    ("sigmoid", lambda T, L: T.SigmoidTransform(), X),
    ("tanh", lambda T, L: T.TanhTransform(), X),
    ("softplus", lambda T, L: T.SoftplusTransform(), X),
    ("power", lambda T, L: T.PowerTransform(L.tensor(2.5, dtype=L.float64)), POS),
    ("power-negative", lambda T, L: T.PowerTransform(L.tensor(-1.5, dtype=L.float64)), POS),
    ("abs", lambda T, L: T.AbsTransform(), X),
    ("stick-breaking", lambda T, L: T.StickBreakingTransform(), X),
    ("softmax", lambda T, L: T.SoftmaxTransform(), X),
    ("corr-cholesky", lambda T, L: T.CorrCholeskyTransform(), X),
    ("lower-cholesky", lambda T, L: T.LowerCholeskyTransform(), R.standard_normal((2, 3, 3))),
    ("positive-definite", lambda T, L: T.PositiveDefiniteTransform(), R.standard_normal((2, 3, 3))),
    ("reshape", lambda T, L: T.ReshapeTransform((3,), (3, 1)), X),
    ("independent", lambda T, L: T.IndependentTransform(T.ExpTransform(), 1), X),
    ("compose", lambda T, L: T.ComposeTransform([T.AffineTransform(1.0, 2.0), T.ExpTransform()]), X),
    ("compose-simplex", lambda T, L: T.ComposeTransform([T.AffineTransform(1.0, 2.0), T.StickBreakingTransform()]),
     X),
    ("inverse", lambda T, L: T.ExpTransform().inv, POS),
    ("identity", lambda T, L: T.identity_transform, X),
    ("cat", lambda T, L: T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 3.0)], dim=1, lengths=[1, 2]), X),
    ("stack", lambda T, L: T.StackTransform([T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform()], dim=1),
     X),
    ("cdf", lambda T, L: T.CumulativeDistributionTransform(
        (ED if T is ET else TD).Normal(L.tensor(0.3, dtype=L.float64), L.tensor(1.5, dtype=L.float64))), X),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_transform_matches_torch(case):
    _, make, x = case
    te, tt = make(ET, ember), make(TT, torch)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = te(xe), tt(xt)
    assert_close(ye, yt, "forward")
    assert te.bijective == tt.bijective
    assert te.domain.event_dim == tt.domain.event_dim and te.codomain.event_dim == tt.codomain.event_dim
    assert tuple(te.forward_shape(x.shape)) == tuple(tt.forward_shape(x.shape))
    assert tuple(te.inverse_shape(yt.shape)) == tuple(tt.inverse_shape(yt.shape))
    if tt.bijective or isinstance(tt, (TT.AbsTransform,)):
        assert_close(te.inv(ember.tensor(yt.detach().numpy())), tt.inv(yt.detach()), "inverse")
    total_e, total_t = ye.sum(), yt.sum()
    try:
        lt = tt.log_abs_det_jacobian(xt, yt)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            te.log_abs_det_jacobian(xe, ye)
    else:
        le = te.log_abs_det_jacobian(xe, ye)
        assert_close(le, lt, "log_abs_det_jacobian")
        total_e, total_t = total_e + le.sum(), total_t + lt.sum()
    total_e.backward()
    total_t.backward()
    assert_close(xe.grad, xt.grad, "gradient of forward + log|det J|", rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_transform_sign_and_repr(case):
    _, make, _ = case
    te, tt = make(ET, ember), make(TT, torch)
    try:
        st = tt.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            te.sign
    else:
        se = te.sign
        assert np.all(np.asarray(se.numpy() if isinstance(se, ember.Tensor) else se)
                      == np.asarray(st.numpy() if isinstance(st, torch.Tensor) else st))
    if not isinstance(tt, (TT.CumulativeDistributionTransform, TT.CatTransform, TT.StackTransform)):
        assert repr(te).replace("ember", "torch") == repr(tt)


def test_cache_returns_the_input_tensor():
    t = ET.ExpTransform().with_cache(1)
    x = ember.tensor([0.5])
    y = t(x)
    assert t.inv(y) is x and t(x) is y
    uncached = ET.ExpTransform()
    assert uncached.inv(uncached(x)) is not x
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        ET.ExpTransform(cache_size=2)


def test_equality():
    assert ET.ExpTransform() == ET.ExpTransform() and ET.ExpTransform() != ET.SigmoidTransform()
    assert ET.AffineTransform(1.0, 2.0) == ET.AffineTransform(1.0, 2.0)
    assert ET.AffineTransform(1.0, 2.0) != ET.AffineTransform(1.0, 3.0)
    assert ET.ExpTransform().inv == ET.ExpTransform().inv
    assert ET.ComposeTransform([ET.ExpTransform()]) == ET.ComposeTransform([ET.ExpTransform()])


CONSTRAINTS = [
    ("real", lambda C: C.real, X),
    ("positive", lambda C: C.positive, X),
    ("nonnegative", lambda C: C.nonnegative, np.array([-1.0, 0.0, 2.0])),
    ("greater_than", lambda C: C.greater_than(0.5), X),
    ("greater_than_eq", lambda C: C.greater_than_eq(0.5), np.array([0.5, 0.4])),
    ("less_than", lambda C: C.less_than(0.5), X),
    ("interval", lambda C: C.interval(-0.5, 0.5), X),
    ("half_open", lambda C: C.half_open_interval(0.0, 1.0), np.array([0.0, 1.0, 0.5])),
    ("unit_interval", lambda C: C.unit_interval, np.array([0.0, 1.0, 1.5])),
    ("boolean", lambda C: C.boolean, np.array([0.0, 1.0, 0.5])),
    ("integer_interval", lambda C: C.integer_interval(0, 3), np.array([0.0, 3.0, 4.0, 1.5])),
    ("nonnegative_integer", lambda C: C.nonnegative_integer, np.array([0.0, 3.0, -1.0, 1.5])),
    ("positive_integer", lambda C: C.positive_integer, np.array([0.0, 3.0, 1.5])),
    ("simplex", lambda C: C.simplex, np.array([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]])),
    ("one_hot", lambda C: C.one_hot, np.array([[0.0, 1.0], [1.0, 1.0]])),
    ("multinomial", lambda C: C.multinomial(3), np.array([[1.0, 2.0], [3.0, 1.0], [-1.0, 2.0]])),
    ("real_vector", lambda C: C.real_vector, np.array([[0.0, np.nan], [1.0, 2.0]])),
    ("independent", lambda C: C.independent(C.positive, 1), X),
    ("lower_triangular", lambda C: C.lower_triangular, np.array([[[1.0, 0.0], [2.0, 3.0]], [[1.0, 1.0], [0, 1]]])),
    ("lower_cholesky", lambda C: C.lower_cholesky, np.array([[[1.0, 0.0], [2.0, 3.0]], [[-1.0, 0], [0, 1]]])),
    ("corr_cholesky", lambda C: C.corr_cholesky, np.array([[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0], [0.5, 0.5]]])),
    ("square", lambda C: C.square, np.ones((2, 2, 3))),
    ("symmetric", lambda C: C.symmetric, np.array([[[1.0, 2.0], [2.0, 1.0]], [[1.0, 2.0], [0.0, 1.0]]])),
    ("positive_definite", lambda C: C.positive_definite, np.array([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2], [2, 1]]])),
    ("positive_semidefinite", lambda C: C.positive_semidefinite,
     np.array([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2], [2, 1]]])),
    ("cat", lambda C: C.cat([C.positive, C.real], dim=1, lengths=[1, 2]), X),
    ("stack", lambda C: C.stack([C.positive, C.real, C.unit_interval], dim=1), X),
]


@pytest.mark.parametrize("case", CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_constraint_matches_torch(case):
    _, make, value = case
    ce, ct = make(EC), make(TC)
    np.testing.assert_array_equal(ce.check(ember.tensor(value)).numpy(), ct.check(torch.tensor(value)).numpy())
    assert ce.event_dim == ct.event_dim and ce.is_discrete == ct.is_discrete
    if not isinstance(ct, (TC._Cat, TC._Stack)):
        assert repr(ce) == repr(ct)


def test_dependent_constraints():
    assert EC.is_dependent(EC.dependent) and not EC.is_dependent(EC.real)
    with pytest.raises(ValueError, match="Cannot determine validity"):
        EC.dependent.check(ember.zeros(1))
    assert EC.dependent(is_discrete=True, event_dim=1).event_dim == 1
    assert EC.is_dependent(ED.Uniform.support) and EC.is_dependent(ED.Uniform.arg_constraints["low"])


REGISTRY = ["real", "positive", "nonnegative", "greater_than", "greater_than_eq", "less_than", "interval",
            "half_open", "unit_interval", "simplex", "real_vector", "independent", "lower_cholesky", "corr_cholesky",
            "positive_definite", "positive_semidefinite", "cat", "stack"]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("case", [c for c in CONSTRAINTS if c[0] in REGISTRY], ids=lambda c: c[0])
def test_registries_map_onto_the_constraint_like_torch(registry, case):
    name, make, _ = case
    ce, ct = make(EC), make(TC)
    try:
        tt = getattr(TD, registry)(ct)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            getattr(ED, registry)(ce)
        return
    te = getattr(ED, registry)(ce)
    event = max(tt.domain.event_dim, 1)
    shape = (2, 3, 3) if event >= 2 else (2, 3)
    if name == "corr_cholesky":
        shape = (2, 3)
    u = R.standard_normal(shape)
    ye, yt = te(ember.tensor(u)), tt(torch.tensor(u))
    assert_close(ye, yt, f"{registry}({name})")
    assert bool(ce.check(ye).all())
    assert type(te).__name__ == type(tt).__name__


def test_unregistered_constraint_raises():
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        ED.biject_to(EC.boolean)


def test_every_torch_distributions_module_exists_in_ember():
    import importlib
    import pkgutil
    for info in pkgutil.iter_modules(TD.__path__):
        module = importlib.import_module("ember.distributions." + info.name)
        theirs = importlib.import_module("torch.distributions." + info.name)
        for name in getattr(theirs, "__all__", []):
            assert hasattr(module, name), f"ember.distributions.{info.name} lacks {name}"
