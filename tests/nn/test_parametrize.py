"""Parametrizations (nn.utils.parametrize, parametrizations.weight_norm / spectral_norm) and the
hook-based nn.utils.weight_norm / spectral_norm, against PyTorch: same state_dict keys, same
weights after loading torch's state, same outputs, gradients and power-iteration buffers."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.nn.utils import parametrize, parametrizations
from tests.nn.helpers import assert_close, copy_weights


def _pair(make_t, make_e, wrap_t, wrap_e):
    t_mod = wrap_t(make_t().double())
    e_mod = wrap_e(make_e().double())
    assert sorted(e_mod.state_dict()) == sorted(t_mod.state_dict())
    copy_weights(t_mod, e_mod)
    return t_mod, e_mod


def _step(t_mod, e_mod, x):
    out_t = t_mod(torch.tensor(x))
    out_e = e_mod(ember.tensor(x))
    assert_close(out_e, out_t, what="forward")
    g = np.random.default_rng(1).standard_normal(tuple(out_t.shape))
    out_t.backward(torch.tensor(g))
    out_e.backward(ember.tensor(g))
    tp, ep = dict(t_mod.named_parameters()), dict(e_mod.named_parameters())
    assert list(ep) == list(tp)
    for name in tp:
        assert_close(ep[name].grad, tp[name].grad, what=f"grad of {name}")
    for name, buf in t_mod.named_buffers():
        assert_close(dict(e_mod.named_buffers())[name], buf, what=f"buffer {name}")


LAYERS = [
    (lambda: torch.nn.Linear(5, 4), lambda: nn.Linear(5, 4), (3, 5)),
    (lambda: torch.nn.Conv2d(2, 3, 3), lambda: nn.Conv2d(2, 3, 3), (2, 2, 6, 6)),
    (lambda: torch.nn.ConvTranspose1d(3, 2, 3), lambda: nn.ConvTranspose1d(3, 2, 3), (2, 3, 5)),
]


@pytest.mark.parametrize("make_t,make_e,shape", LAYERS)
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization(make_t, make_e, shape, dim):
    t_mod, e_mod = _pair(make_t, make_e, lambda m: torch.nn.utils.parametrizations.weight_norm(m, dim=dim),
                         lambda m: parametrizations.weight_norm(m, dim=dim))
    assert type(e_mod).__name__ == type(t_mod).__name__
    _step(t_mod, e_mod, np.random.default_rng(0).standard_normal(shape))


@pytest.mark.parametrize("make_t,make_e,shape", LAYERS)
@pytest.mark.parametrize("dim", [0, None])
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_weight_norm_hook(make_t, make_e, shape, dim):
    t_mod, e_mod = _pair(make_t, make_e, lambda m: torch.nn.utils.weight_norm(m, dim=dim),
                         lambda m: nn.utils.weight_norm(m, dim=dim))
    _step(t_mod, e_mod, np.random.default_rng(0).standard_normal(shape))
    torch.nn.utils.remove_weight_norm(t_mod)
    nn.utils.remove_weight_norm(e_mod)
    assert sorted(e_mod.state_dict()) == sorted(t_mod.state_dict())
    assert_close(e_mod.weight, t_mod.weight)


@pytest.mark.parametrize("make_t,make_e,shape", LAYERS)
@pytest.mark.parametrize("train", [True, False])
def test_spectral_norm_parametrization(make_t, make_e, shape, train):
    t_mod, e_mod = _pair(make_t, make_e, lambda m: torch.nn.utils.parametrizations.spectral_norm(m),
                         lambda m: parametrizations.spectral_norm(m))
    t_mod.train(train)
    e_mod.train(train)
    x = np.random.default_rng(0).standard_normal(shape)
    _step(t_mod, e_mod, x)
    _step(t_mod, e_mod, x)  # a second power iteration from the updated buffers


@pytest.mark.parametrize("make_t,make_e,shape", LAYERS)
@pytest.mark.parametrize("train", [True, False])
def test_spectral_norm_hook(make_t, make_e, shape, train):
    t_mod, e_mod = _pair(make_t, make_e, lambda m: torch.nn.utils.spectral_norm(m, n_power_iterations=2),
                         lambda m: nn.utils.spectral_norm(m, n_power_iterations=2))
    t_mod.train(train)
    e_mod.train(train)
    x = np.random.default_rng(0).standard_normal(shape)
    _step(t_mod, e_mod, x)
    _step(t_mod, e_mod, x)
    torch.nn.utils.remove_spectral_norm(t_mod)
    nn.utils.remove_spectral_norm(e_mod)
    assert sorted(e_mod.state_dict()) == sorted(t_mod.state_dict())
    assert_close(e_mod.weight, t_mod.weight)


def test_spectral_norm_bounds_the_largest_singular_value():
    layer = parametrizations.spectral_norm(nn.Linear(6, 4))
    for _ in range(30):
        layer(ember.randn(2, 6))
    s = np.linalg.svd(layer.weight.detach().numpy(), compute_uv=False)
    assert s[0] == pytest.approx(1.0, rel=1e-3)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_old_weight_norm_keys_load_into_the_parametrization():
    old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    layer = parametrizations.weight_norm(nn.Linear(3, 2))
    layer.load_state_dict({k: v.detach().numpy() for k, v in old.state_dict().items()})
    assert_close(layer.weight, old.weight, dtype=np.float32)


class _Symmetric:
    """The same parametrization written for both frameworks: X -> triu(X) + triu(X, 1)^T."""

    @staticmethod
    def build(base):
        class Symmetric(base):
            def forward(self, x):
                return x.triu() + x.triu(1).transpose(-1, -2)

            def right_inverse(self, a):
                return a.triu()
        return Symmetric()


def test_register_parametrization_forward_gradient_and_assignment():
    t_mod, e_mod = _pair(lambda: torch.nn.Linear(4, 4), lambda: nn.Linear(4, 4),
                         lambda m: torch.nn.utils.parametrize.register_parametrization(
                             m, "weight", _Symmetric.build(torch.nn.Module)),
                         lambda m: parametrize.register_parametrization(m, "weight", _Symmetric.build(nn.Module)))
    assert "parametrizations.weight.original" in e_mod.state_dict()
    _step(t_mod, e_mod, np.random.default_rng(0).standard_normal((3, 4)))
    value = np.random.default_rng(2).standard_normal((4, 4))
    value = value + value.T
    with torch.no_grad():
        t_mod.weight = torch.tensor(value)
    e_mod.weight = ember.tensor(value)
    assert_close(e_mod.parametrizations.weight.original, t_mod.parametrizations.weight.original)
    assert_close(e_mod.weight, t_mod.weight)


def test_chains_cache_and_removal():
    layer = nn.Linear(3, 3)
    original_weight = layer.weight.detach().clone()

    class Double(nn.Module):
        def forward(self, x):
            return 2 * x
    parametrize.register_parametrization(layer, "weight", Double())
    parametrize.register_parametrization(layer, "weight", Double())
    assert parametrize.is_parametrized(layer) and parametrize.is_parametrized(layer, "weight")
    assert not parametrize.is_parametrized(layer, "bias")
    assert parametrize.type_before_parametrizations(layer) is nn.Linear
    assert np.allclose(layer.weight.detach().numpy(), 4 * original_weight.numpy())
    with parametrize.cached():
        assert layer.weight is layer.weight
    assert layer.weight is not layer.weight
    parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
    assert type(layer) is nn.Linear and not hasattr(layer, "parametrizations")
    assert isinstance(layer.weight, nn.Parameter)
    assert np.allclose(layer.weight.detach().numpy(), 4 * original_weight.numpy())
    assert sorted(layer.state_dict()) == ["bias", "weight"]


@pytest.mark.parametrize("how", ["grad", "no_grad", "frozen"])
def test_removing_weight_norm_gives_a_parameter_or_buffer_as_torch(how):
    # original0/original1: a Parameter only when the value requires grad in the current grad mode
    def removed(L):
        conv = L.nn.utils.parametrizations.weight_norm(L.nn.Conv1d(2, 3, 3))
        if how == "frozen":
            conv.requires_grad_(False)
        with L.no_grad() if how == "no_grad" else L.enable_grad():
            L.nn.utils.parametrize.remove_parametrizations(conv, "weight")
        w = conv.weight
        return ([n for n, _ in conv.named_parameters()], [n for n, _ in conv.named_buffers()],
                sorted(conv.state_dict()), type(w).__name__, w.requires_grad, w.is_leaf)
    assert removed(ember) == removed(torch)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="does not have a parameter"):
        parametrize.register_parametrization(nn.Linear(2, 2), "nope", nn.Identity())
    with pytest.raises(ValueError, match="does not have a parametrization"):
        parametrize.remove_parametrizations(nn.Linear(2, 2), "weight")
    with pytest.raises(RuntimeError, match="two weight_norm hooks"):
        nn.utils.weight_norm(nn.utils.weight_norm(nn.Linear(2, 2)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_weight_norm_function_against_torch_and_gradcheck(dim):
    from ember.functional.weight_norm import _weight_norm, norm_except_dim
    rng = np.random.default_rng(3)
    v = rng.standard_normal((3, 4, 2))
    g = rng.standard_normal(tuple(torch.norm_except_dim(torch.tensor(v), 2, dim).shape))
    assert_close(norm_except_dim(ember.tensor(v), 2, dim), torch.norm_except_dim(torch.tensor(v), 2, dim))
    assert_close(_weight_norm(ember.tensor(v), ember.tensor(g), dim),
                 torch._weight_norm(torch.tensor(v), torch.tensor(g), dim))
    ve, ge = ember.tensor(v, requires_grad=True), ember.tensor(g, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: _weight_norm(a, b, dim), (ve, ge))


def test_a_parametrized_module_deep_copies_but_does_not_pickle():
    import copy
    import pickle
    layer = parametrizations.weight_norm(nn.Linear(3, 2))
    twin = copy.deepcopy(layer)
    assert type(twin) is type(layer)
    assert twin.parametrizations.weight.original1 is not layer.parametrizations.weight.original1
    assert np.array_equal(twin.weight.detach().numpy(), layer.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(layer)
