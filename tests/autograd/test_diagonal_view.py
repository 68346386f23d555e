"""diagonal over the last two dims is a view, as in PyTorch: in-place changes of it reach the base
(values and, while recording, gradients), and changes of the base show through it."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("shape, offset", [((3, 4), 0), ((3, 4), 1), ((4, 3), -2), ((2, 3, 3), 0)])
def test_inplace_on_the_diagonal_changes_the_base(shape, offset):
    got = []
    for lib in (ember, torch):
        x = lib.zeros(*shape)
        d = x.diagonal(offset, -2, -1)
        d.add_(lib.arange(float(d.shape[-1])) + 1)
        x.mul_(2)
        got.append((x.numpy().copy(), d.numpy().copy()))
    for ours, theirs in zip(*got):
        np.testing.assert_array_equal(ours, theirs)


def test_gradient_through_an_inplace_diagonal_change_matches_torch():
    w0 = np.random.default_rng(0).normal(size=(3, 3))
    grads = []
    for lib in (ember, torch):
        w = lib.tensor(w0, requires_grad=True)
        k = w @ w.T
        k.diagonal().add_(0.5)                 # the jitter idiom of GP code
        k.diagonal().mul_(lib.tensor([1.0, 2.0, 3.0]))
        (k * lib.arange(9.0, dtype=lib.float64).reshape(3, 3)).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(*grads, rtol=1e-12)


def test_other_dim_pairs_and_the_namespace_forms_match_torch():
    a = np.arange(24.0).reshape(2, 3, 4)
    for args in ((0, 0, 1), (1, 0, 2), (0, 2, 0)):
        np.testing.assert_array_equal(ember.diagonal(ember.tensor(a), *args).numpy(),
                                      torch.diagonal(torch.tensor(a), *args).numpy())
    x = ember.zeros(3, 3)
    ember.linalg.diagonal(x).fill_(4.0)
    ember.diagonal(x, 1).fill_(1.0)
    t = torch.zeros(3, 3)
    torch.linalg.diagonal(t).fill_(4.0)
    torch.diagonal(t, 1).fill_(1.0)
    np.testing.assert_array_equal(x.numpy(), t.numpy())
