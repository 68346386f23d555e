"""nn.utils.parametrizations.orthogonal against PyTorch: the initial weight (the assigned matrix
made orthogonal through QR with diag(R) > 0), forward values and gradients with respect to the
trained tensor for each map, the defaults, assignment through right_inverse, and the errors."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.nn.utils.parametrizations import orthogonal

RNG = np.random.default_rng(0)


def _pair(shape, **kwargs):
    w = RNG.normal(size=shape)
    mods = []
    for lib, orth in ((ember, orthogonal), (torch, torch.nn.utils.parametrizations.orthogonal)):
        layer = lib.nn.Linear(shape[1], shape[0], bias=False).double()
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w))
        mods.append(orth(layer, **kwargs))
    return mods


# Square matrices are deterministic with trivialization; non-square ones only without it (the
# trivialization completes the base with random columns).
CASES = [((4, 4), {}), ((4, 4), {"orthogonal_map": "cayley"}), ((4, 4), {"orthogonal_map": "householder"}),
         ((5, 3), {"use_trivialization": False}), ((3, 5), {"use_trivialization": False}),
         ((4, 4), {"orthogonal_map": "householder", "use_trivialization": False})]


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_weight_and_gradient_match_torch(shape, kwargs):
    ours, theirs = _pair(shape, **kwargs)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-10, atol=1e-12)
    q = ours.weight.detach().numpy()
    small = min(shape)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    # Move the trained tensor off its starting point, then compare forward and gradient.
    bump = RNG.normal(size=shape) * 0.3
    target = RNG.normal(size=shape)
    for layer, lib in ((ours, ember), (theirs, torch)):
        with lib.no_grad():
            layer.parametrizations.weight.original.add_(lib.tensor(bump))
        ((layer.weight - lib.tensor(target)) ** 2).sum().backward()
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.parametrizations.weight.original.grad.numpy(),
                               theirs.parametrizations.weight.original.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_tall_matrix_with_trivialization_is_orthogonal_and_trains():
    layer = orthogonal(nn.Linear(3, 6))
    opt = ember.optim.SGD(layer.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (layer.weight.sum() ** 2).backward()
        opt.step()
    q = layer.weight.detach().numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-5)
    assert sorted(n for n, _ in layer.named_parameters()) == ["bias", "parametrizations.weight.original"]
    assert "parametrizations.weight.0.base" in layer.state_dict()


def test_assigning_a_matrix_goes_through_right_inverse_as_torch():
    ours, theirs = _pair((4, 4))
    new = RNG.normal(size=(4, 4))
    for layer, lib in ((ours, ember), (theirs, torch)):
        with lib.no_grad():
            layer.weight = lib.tensor(new)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_errors_match_torch():
    for lib, orth in ((ember, orthogonal), (torch, torch.nn.utils.parametrizations.orthogonal)):
        with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
            orth(lib.nn.Linear(3, 3), orthogonal_map="qr")
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
            orth(lib.nn.Linear(3, 3), name="bias")
        with pytest.raises(ValueError, match="has no parameter or buffer"):
            orth(lib.nn.Linear(3, 3), name="nope")
        layer = orth(lib.nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
        with pytest.raises(NotImplementedError):
            with lib.no_grad():
                layer.weight = lib.eye(3)
