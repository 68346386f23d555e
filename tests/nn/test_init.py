"""nn.init: gains equal PyTorch's, distributions have the documented bounds and moments, layers use
PyTorch's default initialisation."""
import math

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.nn import init


@pytest.mark.parametrize("name,param", [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
                                        ("conv_transpose1d", None)])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors_and_fans():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    w = ember.empty(8, 4, 3, 3)
    assert init._calculate_fan_in_and_fan_out(w) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(5))


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


def test_uniform_family_bounds_and_variance():
    w = ember.empty(400, 300)
    for fn, bound in [(lambda t: init.uniform_(t, -2, 3), None),
                      (lambda t: init.xavier_uniform_(t, gain=2.0), 2.0 * math.sqrt(6 / 700)),
                      (lambda t: init.kaiming_uniform_(t), math.sqrt(3) * math.sqrt(2 / (1 + 0)) / math.sqrt(300)),
                      (lambda t: init.kaiming_uniform_(t, a=0.1, mode="fan_out", nonlinearity="leaky_relu"),
                       math.sqrt(3) * math.sqrt(2 / 1.01) / math.sqrt(400))]:
        assert fn(w) is w
        lo, hi, mean, std = _stats(w)
        if bound is None:
            assert -2 <= lo < -1.99 and 2.99 < hi <= 3
            continue
        assert -bound <= lo and hi <= bound and hi > 0.99 * bound
        assert abs(std - bound / math.sqrt(3)) < 0.01 * bound


def test_normal_family_moments():
    w = ember.empty(500, 400)
    for fn, std in [(lambda t: init.normal_(t, 1.0, 0.5), 0.5),
                    (lambda t: init.xavier_normal_(t), math.sqrt(2 / 900)),
                    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
                     math.sqrt(2) / math.sqrt(500))]:
        fn(w)
        _, _, mean, s = _stats(w)
        assert abs(s - std) < 0.01 * std
    init.trunc_normal_(w, mean=0.5, std=1.0, a=-1.0, b=1.5)
    lo, hi, mean, _ = _stats(w)
    assert -1.0 <= lo and hi <= 1.5
    ref = torch.nn.init.trunc_normal_(torch.empty(500, 400, dtype=torch.float64), 0.5, 1.0, -1.0, 1.5)
    assert abs(mean - ref.mean().item()) < 0.01


def test_constant_eye_dirac_orthogonal_sparse():
    w = ember.empty(3, 5)
    assert init.ones_(w).tolist() == [[1.0] * 5] * 3
    assert init.zeros_(w).abs().sum().item() == 0
    assert init.constant_(w, 0.3).numpy().mean() == np.float32(0.3)
    assert np.array_equal(init.eye_(w).numpy(), np.eye(3, 5))
    d = init.dirac_(ember.empty(4, 2, 3, 3), groups=2).numpy()
    assert np.array_equal(d, torch.nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2).numpy())
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        q = init.orthogonal_(ember.empty(*shape, dtype=ember.float64), gain=2.0).numpy().reshape(shape[0], -1)
        small = min(q.shape)
        g = q @ q.T if q.shape[0] == small else q.T @ q
        assert np.allclose(g, 4 * np.eye(small))
    s = init.sparse_(ember.empty(10, 7), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) == 3).all()


def test_seeded_init_is_reproducible_and_uses_generator():
    ember.manual_seed(5)
    a = nn.Linear(10, 10).weight.detach().numpy().copy()
    ember.manual_seed(5)
    b = nn.Linear(10, 10).weight.detach().numpy().copy()
    assert np.array_equal(a, b)
    g = ember.Generator().manual_seed(1)
    x = init.normal_(ember.empty(4), generator=g).numpy().copy()
    g.manual_seed(1)
    assert np.array_equal(x, init.normal_(ember.empty(4), generator=g).numpy())


def test_layer_default_init_distributions():
    fc = nn.Linear(256, 300)
    b = 1 / math.sqrt(256)
    for p in (fc.weight, fc.bias):
        lo, hi, _, std = _stats(p)
        assert -b <= lo and hi <= b and hi > 0.95 * b
    lo, hi, _, std = _stats(fc.weight)
    assert abs(std - b / math.sqrt(3)) < 0.02 * b
    emb = nn.Embedding(1000, 64)
    _, _, mean, std = _stats(emb.weight)
    assert abs(mean) < 0.01 and abs(std - 1) < 0.01
    assert nn.PReLU(4).weight.tolist() == [0.25] * 4
    bl = nn.Bilinear(100, 7, 50)
    lo, hi, _, _ = _stats(bl.weight)
    assert -0.1 <= lo and hi <= 0.1 and hi > 0.099
    assert fc.weight.dtype == ember.float32
    assert nn.Linear(2, 2, dtype=ember.float64).weight.dtype == ember.float64


def test_init_is_not_recorded():
    p = nn.Parameter(ember.zeros(3, 3))
    init.xavier_uniform_(p)
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
