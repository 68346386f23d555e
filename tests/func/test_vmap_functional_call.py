"""vmap, functional_call and stack_module_state against torch.func: values, gradients, errors."""
import numpy as np
import pytest
import torch
import torch.func as tf

import ember
import ember.func as ef

LIBS = {"torch": (torch, tf), "ember": (ember, ef)}
A = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 10 - 1


def _both(fn):
    out = {}
    for name, (L, F) in LIBS.items():
        r = fn(L, F, L.tensor(A))
        out[name] = _np(r)
    return out["ember"], out["torch"]


def _np(tree):
    if isinstance(tree, (tuple, list)):
        return [_np(v) for v in tree]
    if isinstance(tree, dict):
        return {k: _np(v) for k, v in tree.items()}
    return tree.detach().numpy()


CASES = {
    "default": lambda L, F, a: F.vmap(lambda x: L.sin(x).sum(0))(a),
    "in_dim_1": lambda L, F, a: F.vmap(lambda x: x * 2, in_dims=1)(a),
    "in_dim_neg": lambda L, F, a: F.vmap(lambda x: x.sum(), in_dims=-1)(a),
    "out_dim_1": lambda L, F, a: F.vmap(lambda x: x @ x.T, out_dims=1)(a),
    "unmapped_arg": lambda L, F, a: F.vmap(lambda x, w: x @ w, in_dims=(0, None))(a, a[0].T),
    "two_mapped": lambda L, F, a: F.vmap(lambda x, y: (x * y).sum(1), in_dims=(0, 2))(a, a.permute(1, 2, 0)),
    "pytree_in_dims": lambda L, F, a: F.vmap(lambda p: p["u"] + p["v"], in_dims=({"u": 0, "v": 1},))(
        {"u": a, "v": a.transpose(0, 1)[:, :, :].transpose(0, 1).transpose(0, 1)}),
    "tuple_out_dims": lambda L, F, a: F.vmap(lambda x: (x.sum(0), x.max()), out_dims=(1, 0))(a),
    "nested": lambda L, F, a: F.vmap(F.vmap(lambda x: (x ** 2).sum()))(a),
    "nested_inner_dim": lambda L, F, a: F.vmap(F.vmap(lambda x: x.sum(), in_dims=1), in_dims=0)(a),
    "chunked": lambda L, F, a: F.vmap(lambda x: x.mean(), chunk_size=1)(a),
    "per_sample_grad": lambda L, F, a: F.vmap(F.grad(lambda x: (L.tanh(x) ** 2).sum()))(a),
    "jacrev_of_vmap": lambda L, F, a: F.jacrev(F.vmap(lambda x: L.exp(x).sum()))(a[:, 0]),
}


@pytest.mark.parametrize("case", CASES)
def test_vmap_matches_torch(case):
    ours, theirs = _both(CASES[case])
    np.testing.assert_equal(type(ours), type(theirs))
    for o, t in zip(ours if isinstance(ours, list) else [ours], theirs if isinstance(theirs, list) else [theirs]):
        np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-12)


def test_gradients_flow_through_vmap():
    grads = {}
    for name, (L, F) in LIBS.items():
        a = L.tensor(A).requires_grad_()
        F.vmap(lambda x: (L.sin(x) * x).sum())(a).pow(2).sum().backward()
        grads[name] = a.grad.numpy()
    np.testing.assert_allclose(grads["ember"], grads["torch"], rtol=1e-12)


@pytest.mark.parametrize("call, error", [
    (lambda L, F, a: F.vmap(lambda x, y: x + y)(a, a[:1]), ValueError),
    (lambda L, F, a: F.vmap(lambda x: x, in_dims=3)(a), ValueError),
    (lambda L, F, a: F.vmap(lambda x, n: x * n)(a, 2), ValueError),
    (lambda L, F, a: F.vmap(lambda x: 1.0)(a), ValueError),
    (lambda L, F, a: F.vmap(lambda x: x, in_dims=(0, 0))(a), ValueError),
    (lambda L, F, a: F.vmap(lambda x: x + L.rand(4, dtype=L.float64))(a), RuntimeError),
    (lambda L, F, a: F.vmap(lambda x: x, randomness="sometimes")(a), RuntimeError),
])
def test_vmap_errors_as_torch(call, error):
    for L, F in LIBS.values():
        with pytest.raises(error):
            call(L, F, L.tensor(A))


def test_vmap_randomness_same_and_different():
    for L, F in LIBS.values():
        L.manual_seed(0)
        same = F.vmap(lambda x: x + L.rand(4, dtype=L.float64), randomness="same")(L.zeros(3, 4, dtype=L.float64))
        assert all(np.array_equal(same[0].numpy(), row.numpy()) for row in same)
        different = F.vmap(lambda x: x + L.rand(4, dtype=L.float64), randomness="different")(
            L.zeros(3, 4, dtype=L.float64))
        assert not np.array_equal(different[0].numpy(), different[1].numpy())


def _model(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(4, 5), L.nn.BatchNorm1d(5), L.nn.Tanh(), L.nn.Linear(5, 2)).double()


def _copy_weights(src, dst):
    dst.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


def test_functional_call_swaps_restores_and_differentiates_as_torch():
    tm, em = _model(torch), _model(ember)
    _copy_weights(tm, em)
    x = np.random.default_rng(0).standard_normal((6, 4))
    results = {}
    for name, (L, F, model) in {"torch": (torch, tf, tm), "ember": (ember, ef, em)}.items():
        before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        params = {k: v.detach() * 0.5 for k, v in model.named_parameters()}
        buffers = {k: v.clone() for k, v in model.named_buffers()}

        def loss(p):
            return (F.functional_call(model, (p, buffers), (L.tensor(x),)) ** 2).sum()
        model.eval()  # torch refuses a training-mode BatchNorm's buffer update inside grad
        g = F.grad(loss)(params)
        model.train()
        out = F.functional_call(model, {**params, **buffers}, L.tensor(x))
        after = {k: v.detach().numpy() for k, v in model.state_dict().items()}
        assert all(np.array_equal(before[k], after[k]) for k in before)  # originals restored
        assert all(isinstance(p, L.nn.Parameter) for p in model.parameters())
        results[name] = (_np(g), out.detach().numpy(), buffers["1.running_mean"].numpy())
    for k in results["torch"][0]:
        np.testing.assert_allclose(results["ember"][0][k], results["torch"][0][k], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(results["ember"][1], results["torch"][1], rtol=1e-10)
    np.testing.assert_allclose(results["ember"][2], results["torch"][2], rtol=1e-10)  # buffers updated in place


def test_functional_call_restores_after_an_error_and_checks_keys():
    for L, F in LIBS.values():
        lin = L.nn.Linear(3, 2)
        weight = lin.weight
        with pytest.raises(RuntimeError):
            F.functional_call(lin, {"weight": L.zeros(5, 5)}, (L.ones(1, 3),))
        assert lin.weight is weight
        with pytest.raises(RuntimeError, match="Missing key"):
            F.functional_call(lin, {"weight": L.zeros(2, 3)}, (L.ones(1, 3),), strict=True)
        with pytest.raises(RuntimeError, match="Unexpected key"):
            F.functional_call(lin, {"weight": L.zeros(2, 3), "bias": L.zeros(2), "extra": L.zeros(1)},
                              (L.ones(1, 3),), strict=True)
        with pytest.raises(ValueError, match="multiple dictionaries"):
            F.functional_call(lin, ({"weight": L.zeros(2, 3)}, {"weight": L.zeros(2, 3)}), (L.ones(1, 3),))
        out = F.functional_call(lin, {"bias": L.ones(2)}, (L.zeros(1, 3),), kwargs={})
        assert out.tolist() == [[1.0, 1.0]]


def test_tied_weights_follow_the_given_name():
    for L, F in LIBS.values():
        enc, dec = L.nn.Linear(3, 3, bias=False), L.nn.Linear(3, 3, bias=False)
        dec.weight = enc.weight
        model = L.nn.Sequential(enc, dec)
        eye = L.eye(3)
        tied = F.functional_call(model, {"0.weight": eye * 2}, (L.ones(1, 3),))
        untied = F.functional_call(model, {"0.weight": eye * 2}, (L.ones(1, 3),), tie_weights=False)
        assert tied.tolist() == [[4.0, 4.0, 4.0]]
        expected = (L.ones(1, 3) @ (eye * 2).T) @ enc.weight.T
        np.testing.assert_allclose(untied.detach().numpy(), expected.detach().numpy(), rtol=1e-6)


def test_ensemble_with_stack_module_state_and_vmap_matches_torch():
    x = np.random.default_rng(1).standard_normal((5, 4))
    outs = {}
    for name, (L, F) in LIBS.items():
        L.manual_seed(3)
        models = [L.nn.Sequential(L.nn.Linear(4, 3), L.nn.ReLU(), L.nn.Linear(3, 2)).double() for _ in range(3)]
        if name == "ember":
            for m, src in zip(models, outs["torch_models"]):
                _copy_weights(src, m)
        else:
            outs["torch_models"] = models
        params, buffers = F.stack_module_state(models)
        assert params["0.weight"].shape == (3, 3, 4) and params["0.weight"].requires_grad
        assert params["0.weight"].grad_fn is None
        base = models[0]

        def call(p, b, data):
            return F.functional_call(base, (p, b), (data,))
        y = F.vmap(call, in_dims=(0, 0, None))(params, buffers, L.tensor(x))
        y.sum().backward()
        outs[name] = (y.detach().numpy(), params["0.weight"].grad.numpy())
    np.testing.assert_allclose(outs["ember"][0], outs["torch"][0], rtol=1e-10)
    np.testing.assert_allclose(outs["ember"][1], outs["torch"][1], rtol=1e-10)
    for L, F in LIBS.values():
        with pytest.raises(RuntimeError, match="at least one model"):
            F.stack_module_state([])
        with pytest.raises(RuntimeError, match="same training/eval mode"):
            F.stack_module_state([L.nn.Linear(2, 2), L.nn.Linear(2, 2).eval()])


def test_top_level_vmap_alias():
    assert ember.vmap is ef.vmap
