"""Tensor.register_post_accumulate_grad_hook as in torch 2.13: the hook gets the leaf after .grad holds the
accumulated gradient; the optimizer-in-backward idiom (step and clear .grad inside the hook) gives torch's
weights; a removed hook stops running; non-leaf and no-grad tensors are refused."""
import numpy as np
import pytest
import torch

import ember


def _train(L):
    rng = np.random.default_rng(0)
    w = L.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = L.tensor(rng.standard_normal(2), requires_grad=True)
    x = L.tensor(rng.standard_normal((5, 3)))
    seen = []

    def step(p):
        seen.append(float(p.grad.abs().sum()))
        with L.no_grad():
            p -= 0.1 * p.grad
        p.grad = None
    handles = [p.register_post_accumulate_grad_hook(step) for p in (w, b)]
    for _ in range(3):
        ((x @ w + b) ** 2).sum().backward()
    handles[1].remove()
    ((x @ w + b) ** 2).sum().backward()
    return w.detach().numpy(), b.detach().numpy(), b.grad, seen


def test_optimizer_in_backward_matches_torch():
    ew, eb, egrad, eseen = _train(ember)
    tw, tb, tgrad, tseen = _train(torch)
    np.testing.assert_allclose(ew, tw, rtol=1e-12)
    np.testing.assert_allclose(eb, tb, rtol=1e-12)
    np.testing.assert_allclose(eseen, tseen, rtol=1e-12)
    assert len(eseen) == 7  # 3 steps x 2 parameters, then w alone after b's hook was removed
    np.testing.assert_allclose(egrad.numpy(), tgrad.numpy(), rtol=1e-12)  # b's grad accumulates again


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_refused_on_non_leaf_and_no_grad(lib):
    x = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError):
        lib.ones(2).register_post_accumulate_grad_hook(lambda t: None)
