"""ember.linalg against torch.linalg: values and gradients, plus float64 gradcheck."""
import numpy as np
import pytest
import torch

import ember

CASES = [
    ("inv", lambda L, a, b: L.linalg.inv(a)),
    ("det", lambda L, a, b: L.linalg.det(a)),
    ("solve_vec", lambda L, a, b: L.linalg.solve(a, b[..., 0])),
    ("solve_mat", lambda L, a, b: L.linalg.solve(a, b)),
    ("solve_right", lambda L, a, b: L.linalg.solve(a, b.mT, left=False)),
    ("vector_norm", lambda L, a, b: L.linalg.vector_norm(a, dim=-1)),
    ("vector_norm_ord1", lambda L, a, b: L.linalg.vector_norm(a, ord=1)),
    ("norm_fro", lambda L, a, b: L.linalg.norm(a, dim=(-2, -1))),
    ("matrix_norm", lambda L, a, b: L.linalg.matrix_norm(a)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_linalg_matches_torch(name, fn, batch):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(batch + (3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal(batch + (3, 2))
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ye, yt = fn(ember, ea, eb), fn(torch, ta, tb)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(tuple(yt.shape))
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-8, atol=1e-10)
    if tb.grad is not None:
        np.testing.assert_allclose(eb.grad.numpy(), tb.grad.numpy(), rtol=1e-8, atol=1e-10)
    assert ember.autograd.gradcheck(lambda x, y: fn(ember, x, y), (ember.tensor(a, requires_grad=True),
                                                                    ember.tensor(b, requires_grad=True)))


def test_singular_and_non_square_errors():
    with pytest.raises(RuntimeError, match="singular"):
        ember.linalg.inv(ember.zeros(2, 2))
    with pytest.raises(RuntimeError, match="square"):
        ember.linalg.det(ember.zeros(2, 3))


@pytest.mark.parametrize("name", ["addmm", "addmm_", "baddbmm", "baddbmm_", "addmv", "addmv_"])
def test_beta_zero_ignores_nan_and_inf_in_input_as_torch(name):
    # Hugging Face's GPT-2 attention: torch.baddbmm(torch.empty(...), q, k, beta=0, alpha=scale).
    rng = np.random.default_rng(0)
    shapes = {"addmm": ((3, 4), (3, 5), (5, 4)), "baddbmm": ((2, 3, 4), (2, 3, 5), (2, 5, 4)),
              "addmv": ((3,), (3, 5), (5,))}[name.rstrip("_")]
    base = np.full(shapes[0], np.nan)
    base.flat[::2] = np.inf
    m1, m2 = rng.standard_normal(shapes[1]), rng.standard_normal(shapes[2])
    outs = []
    for L in (ember, torch):
        x = L.tensor(base, requires_grad=True)
        a, b = L.tensor(m1, requires_grad=True), L.tensor(m2, requires_grad=True)
        if name.endswith("_"):
            y = getattr(x.clone(), name)(a, b, beta=0, alpha=0.5)
        else:
            y = getattr(L, name)(x, a, b, beta=0, alpha=0.5)
        (y * y).sum().backward()
        outs.append([t.detach().numpy() for t in (y, x.grad, a.grad, b.grad)])
    for e, t in zip(*outs):
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)
    assert np.isfinite(outs[0][0]).all() and (outs[0][1] == 0).all()
