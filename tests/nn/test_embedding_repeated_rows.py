"""The embedding weight gradient when lookups repeat rows (more lookups than rows: the sorted
path) equals PyTorch's, with padding_idx and scale_grad_by_freq, and for few lookups too."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("V,shape", [(5, (40, 5)), (65, (8, 64)), (1000, (3, 7)), (3, (1,))])
@pytest.mark.parametrize("options", [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True}])
def test_weight_gradient_equals_torch(V, shape, options):
    rng = np.random.default_rng(V)
    idx = rng.integers(0, V, shape)
    w = rng.standard_normal((V, 6)).astype(np.float32)
    g = rng.standard_normal(shape + (6,)).astype(np.float32)
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(idx), tw, **options).backward(torch.tensor(g))
    ew = ember.tensor(w, requires_grad=True)
    ember.nn.functional.embedding(ember.tensor(idx), ew, **options).backward(ember.tensor(g))
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-5)
