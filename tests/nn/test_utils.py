"""nn.utils: gradient clipping and parameter/vector conversion against PyTorch."""
import math

import numpy as np
import pytest
import torch

import ember
from ember import nn


def _pair_with_grads(scale=1.0):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [rng.standard_normal(s) * scale for s in shapes]
    ep = [nn.Parameter(ember.zeros(*s, dtype=ember.float64)) for s in shapes]
    tp = [torch.nn.Parameter(torch.zeros(*s, dtype=torch.float64)) for s in shapes]
    for e, t, g in zip(ep, tp, grads):
        e.grad = ember.tensor(g)
        t.grad = torch.tensor(g)
    return ep, tp


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1000.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ep, tp = _pair_with_grads()
    nt = float(norm_type)
    te = nn.utils.clip_grad_norm_(ep, max_norm, nt)
    tt = torch.nn.utils.clip_grad_norm_(tp, max_norm, nt)
    assert isinstance(te, ember.Tensor) and te.shape == ()
    assert np.isclose(te.item(), tt.item(), rtol=1e-12)
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_nonfinite_and_single_tensor():
    ep, _ = _pair_with_grads()
    ep[0].grad._data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ep, 1.0, error_if_nonfinite=True)
    assert np.isnan(nn.utils.clip_grad_norm_(ep, 1.0).item())
    p = nn.Parameter(ember.zeros(2))
    p.grad = ember.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 5.0
    assert np.allclose(p.grad.numpy(), [0.6, 0.8], atol=1e-6)
    assert nn.utils.clip_grad_norm_([nn.Parameter(ember.zeros(1))], 1.0).item() == 0.0
    m = nn.Linear(3, 3)
    m(ember.ones(2, 3)).sum().backward()
    nn.utils.clip_grad_norm_(m.parameters(), 0.1)  # a generator of parameters works too
    assert math.sqrt(sum((p.grad ** 2).sum().item() for p in m.parameters())) <= 0.1 + 1e-6


def test_clip_grad_value_matches_torch():
    ep, tp = _pair_with_grads(3.0)
    nn.utils.clip_grad_value_(ep, 1.5)
    torch.nn.utils.clip_grad_value_(tp, 1.5)
    for e, t in zip(ep, tp):
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_parameters_to_vector_and_back():
    e, t = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    ve = nn.utils.parameters_to_vector(e.parameters())
    vt = torch.nn.utils.parameters_to_vector(t.parameters())
    np.testing.assert_array_equal(ve.detach().numpy(), vt.detach().numpy())
    (ve * ember.arange(8.0)).sum().backward()
    assert e.weight.grad.tolist() == [[0, 1, 2], [3, 4, 5]]
    nn.utils.vector_to_parameters(ember.arange(8.0), e.parameters())
    assert e.bias.tolist() == [6.0, 7.0] and isinstance(e.weight, nn.Parameter)
    with pytest.raises(TypeError):
        nn.utils.parameters_to_vector(ember.zeros(2))
