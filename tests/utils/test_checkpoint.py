"""ember.utils.checkpoint against torch.utils.checkpoint: same gradients as without checkpointing, the
segment's activations freed after the forward, dropout replayed, torch's warnings and limits."""
import gc
import warnings
import weakref

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import ember
import ember.utils.checkpoint as ecp

LIBS = {"torch": (torch, tcp), "ember": (ember, ecp)}


def _blocks(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(6, 8), L.nn.Tanh(), L.nn.Linear(8, 8), L.nn.ReLU(), L.nn.Linear(8, 8),
                           L.nn.Sigmoid(), L.nn.Linear(8, 3)).double()


def _copy(src, dst):
    dst.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


X = np.random.default_rng(0).standard_normal((5, 6))


def _grads(L, model, run):
    x = L.tensor(X).requires_grad_()
    loss = (run(model, x) ** 2).sum()
    loss.backward()
    return [loss.item(), x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


RUNS = {
    "plain": lambda L, C: lambda m, x: m(x),
    "one_segment": lambda L, C: lambda m, x: m[4:](C.checkpoint(m[:4], x, use_reentrant=False)),
    "reentrant": lambda L, C: lambda m, x: m[4:](C.checkpoint(m[:4], x, use_reentrant=True)),
    "nested_calls": lambda L, C: lambda m, x: C.checkpoint(m[4:], C.checkpoint(m[:4], x, use_reentrant=False),
                                                           use_reentrant=False),
    "sequential": lambda L, C: lambda m, x: C.checkpoint_sequential(m, 3, x, use_reentrant=False),
    "sequential_reentrant": lambda L, C: lambda m, x: C.checkpoint_sequential(m, 2, x, use_reentrant=True),
}


@pytest.mark.parametrize("run", RUNS)
def test_gradients_equal_torch_and_no_checkpoint(run):
    tm, em = _blocks(torch), _blocks(ember)
    _copy(tm, em)
    ours = _grads(ember, em, RUNS[run](ember, ecp))
    theirs = _grads(torch, tm, RUNS[run](torch, tcp))
    plain = _grads(torch, _blocks(torch), RUNS["plain"](torch, tcp))
    for a, b, c in zip(ours, theirs, plain):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b, c, rtol=1e-10, atol=1e-12)


def test_dropout_masks_are_replayed_in_the_recomputation():
    def run(checkpointed):
        ember.manual_seed(5)
        lin = ember.nn.Linear(4, 4)
        block = ember.nn.Sequential(lin, ember.nn.Dropout(0.5), ember.nn.Tanh())
        x = ember.randn(6, 4, requires_grad=True)
        ember.manual_seed(9)
        y = ecp.checkpoint(block, x, use_reentrant=False) if checkpointed else block(x)
        y.sum().backward()
        return y.detach().numpy(), x.grad.numpy(), lin.weight.grad.numpy()
    for a, b in zip(run(True), run(False)):
        np.testing.assert_array_equal(a, b)


def test_the_segment_activations_are_freed_after_the_forward():
    seen = []

    def segment(x):
        hidden = ember.tanh(x * 3)
        seen.append(weakref.ref(hidden))
        return hidden.sum(1)
    x = ember.randn(4, 5, requires_grad=True)
    y = ecp.checkpoint(segment, x, use_reentrant=False)
    gc.collect()
    assert seen[0]() is None  # not kept alive by the graph
    y.sum().backward()
    plain = x.detach().clone().requires_grad_(True)    # the same segment without checkpointing: the same bits
    ember.tanh(plain * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), plain.grad.numpy())
    theirs = torch.tensor(x.detach().numpy(), requires_grad=True)
    torch.tanh(theirs * 3).sum().backward()
    # 3 (1 - tanh^2): a last-bit difference of tanh (6e-8) moves it by up to 3 * 2 * 6e-8 absolute
    np.testing.assert_allclose(x.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_reentrant_without_grad_inputs_gives_no_gradients_as_torch():
    for L, C in LIBS.values():
        lin = L.nn.Linear(3, 2)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            y = C.checkpoint(lin, L.ones(1, 3), use_reentrant=True)
        assert not y.requires_grad
        y2 = C.checkpoint(lin, L.ones(1, 3), use_reentrant=False)  # parameters still get gradients
        y2.sum().backward()
        assert lin.weight.grad is not None and lin.weight.grad.tolist() == [[1.0] * 3] * 2


def test_defaults_warn_and_keyword_rules_as_torch():
    for L, C in LIBS.values():
        x = L.ones(2, 3, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            C.checkpoint(lambda t: t * 2, x)
            C.checkpoint_sequential(L.nn.Sequential(L.nn.Identity(), L.nn.Identity()), 1, x)
        assert [w.category for w in caught] == [UserWarning, UserWarning]
        assert all("use_reentrant parameter should be passed explicitly" in str(w.message) for w in caught)
        with pytest.raises(ValueError, match="Unexpected keyword arguments"):
            C.checkpoint(lambda t, scale: t * scale, x, use_reentrant=True, scale=2)
        y = C.checkpoint(lambda t, scale: t * scale, x, use_reentrant=False, scale=3.0)
        y.sum().backward()
        assert x.grad.tolist() == [[3.0] * 3] * 2


def test_tuple_outputs_and_higher_order_gradients():
    grads = {}
    for name, (L, C) in LIBS.items():
        x = L.tensor([0.5, -1.0, 2.0], dtype=L.float64, requires_grad=True)
        a, b = C.checkpoint(lambda t: (t ** 3, L.sin(t)), x, use_reentrant=False)
        (g,) = L.autograd.grad((a + b).sum(), x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x)
        grads[name] = (g.detach().numpy(), h.numpy())
    for a, b in zip(grads["ember"], grads["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_reachable_as_attributes_of_utils():
    assert ember.utils.checkpoint.checkpoint is ecp.checkpoint
    assert ember.utils.tensorboard.SummaryWriter.__module__ == "ember.utils.tensorboard.writer"
