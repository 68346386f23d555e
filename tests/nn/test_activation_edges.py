"""softplus and logsigmoid at the points where a composite of stable pieces goes wrong: the gradient at 0
(1/2, not the 1 a clamp passes) and tiny gradients in float32 (9e-14 at x = 30, lost when summed next to 1/2).
Checked against torch 2.13, and by float64 gradcheck including the double backward."""
import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

POINTS = [0.0, -30.0, 30.0, 2.0, -1e-9, 25.0, -100.0, 19.9, 20.1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, kw", [("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 10.0}),
                                      ("logsigmoid", {})])
def test_value_and_gradient_match_torch(name, kw, dtype):
    x = np.array(POINTS, dtype=dtype)
    e = ember.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    ye = getattr(ember.nn.functional, name)(e, **kw)
    yt = getattr(torch.nn.functional, name)(t, **kw)
    ye.sum().backward()
    yt.sum().backward()
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=0)
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=tol, atol=0)


@pytest.mark.parametrize("name", ["softplus", "logsigmoid"])
def test_gradcheck(name):
    x = ember.tensor(np.array([-3.0, -0.5, 0.3, 2.0, 5.0]), requires_grad=True)
    f = getattr(ember.nn.functional, name)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_nan_to_num_gradient_matches_torch():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ember.nan_to_num(e, posinf=9.0) * ember.tensor(w)).sum().backward()
    (torch.nan_to_num(t, posinf=9.0) * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    v = ember.tensor([0.5, -1.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda u: ember.nan_to_num(u).sin(), (v,))
