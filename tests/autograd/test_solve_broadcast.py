"""linalg.solve reads B as PyTorch does: a batch of vectors only when B is 1-D or has exactly A's batch
shape and n; otherwise B is a matrix (or batch of matrices) broadcast against A. Values and gradients vs torch."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
A = RNG.standard_normal((5, 2, 2)) + 3 * np.eye(2)


@pytest.mark.parametrize("b_shape", [(2, 2), (2,), (5, 2), (3, 1, 2, 2), (5, 2, 3), (1, 2, 4)])
def test_solve_matches_torch(b_shape):
    b = RNG.standard_normal(b_shape)
    ea, eb = ember.tensor(A, requires_grad=True), ember.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(A, requires_grad=True), torch.tensor(b, requires_grad=True)
    ex, tx = ember.linalg.solve(ea, eb), torch.linalg.solve(ta, tb)
    assert tuple(ex.shape) == tuple(tx.shape)
    np.testing.assert_allclose(ex.detach().numpy(), tx.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = RNG.standard_normal(tuple(tx.shape))
    (ex * ember.tensor(w)).sum().backward()
    (tx * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(eb.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)
