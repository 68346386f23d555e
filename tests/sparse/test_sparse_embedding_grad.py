"""Embedding(sparse=True) gives a sparse COO weight gradient, as PyTorch: the same indices and values
(padding_idx lookups left out), accumulation (sparse + sparse concatenated, + dense is dense),
zero_grad(set_to_none=False), and the optimizers that take it (SparseAdam with PyTorch's
touched-row semantics, SGD with and without momentum, Adagrad, LBFGS) or refuse it (Adam, RMSprop)."""
import numpy as np
import pytest
import torch

import ember
from ember import nn, optim

W0 = np.random.default_rng(0).normal(size=(7, 3))


def _pair(**kwargs):
    return (nn.Embedding(7, 3, sparse=True, _weight=ember.tensor(W0), **kwargs),
            torch.nn.Embedding(7, 3, sparse=True, _weight=torch.tensor(W0), **kwargs))


def _lookup(emb, lib, idx, scale):
    return (emb(lib.tensor(idx)) * lib.tensor(scale)).sum()


IDX = np.array([[1, 4, 4], [0, 6, 1]])
SCALE = np.random.default_rng(1).normal(size=(2, 3, 3))


@pytest.mark.parametrize("padding_idx", [None, 4])
def test_sparse_gradient_matches_torch(padding_idx):
    ours, theirs = _pair(padding_idx=padding_idx)
    _lookup(ours, ember, IDX, SCALE).backward()
    _lookup(theirs, torch, IDX, SCALE).backward()
    g, t = ours.weight.grad, theirs.weight.grad
    assert g.is_sparse and t.is_sparse and g.layout == ember.sparse_coo
    assert g.shape == t.shape and g._nnz() == t._nnz()
    np.testing.assert_array_equal(g._indices().numpy(), t._indices().numpy())
    np.testing.assert_allclose(g._values().numpy(), t._values().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(g.coalesce().indices().numpy(), t.coalesce().indices().numpy())
    np.testing.assert_allclose(g.to_dense().numpy(), t.to_dense().numpy(), rtol=1e-12)
    # The dense gradient of the same lookup is the densified sparse one.
    dense = nn.Embedding(7, 3, _weight=ember.tensor(W0), padding_idx=padding_idx)
    _lookup(dense, ember, IDX, SCALE).backward()
    np.testing.assert_allclose(dense.weight.grad.numpy(), g.to_dense().numpy(), rtol=1e-12)


def test_accumulation_and_zero_grad_match_torch():
    ours, theirs = _pair()
    for emb, lib in ((ours, ember), (theirs, torch)):
        _lookup(emb, lib, IDX, SCALE).backward()
        _lookup(emb, lib, IDX[:1], SCALE[:1]).backward()  # sparse + sparse: entries side by side
    # PyTorch sometimes merges the entries of an accumulation and sometimes not: the sums agree.
    assert ours.weight.grad.is_sparse and theirs.weight.grad.is_sparse and ours.weight.grad._nnz() == 9
    np.testing.assert_allclose(ours.weight.grad.to_dense().numpy(), theirs.weight.grad.to_dense().numpy())
    for emb, lib in ((ours, ember), (theirs, torch)):
        (emb.weight * 2).sum().backward()                   # + a dense gradient: dense
    assert not ours.weight.grad.is_sparse and not theirs.weight.grad.is_sparse
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    for emb, lib in ((ours, ember), (theirs, torch)):
        emb.weight.grad = None
        _lookup(emb, lib, IDX, SCALE).backward()
        lib.optim.SGD(emb.parameters(), lr=0.1).zero_grad(set_to_none=False)
    g = ours.weight.grad
    assert g.is_sparse and g._nnz() == theirs.weight.grad._nnz() == 0 and g.is_coalesced()
    ours.zero_grad(set_to_none=False)
    assert ours.weight.grad._nnz() == 0


def test_sparse_gradient_reaching_an_op_becomes_dense():
    # The table scaled before the lookup: the gradient flows through a dense rule to the leaf.
    w, tw = ember.tensor(W0, requires_grad=True), torch.tensor(W0, requires_grad=True)
    ember.nn.functional.embedding(ember.tensor(IDX), w * 3, sparse=True).sum().backward()
    torch.nn.functional.embedding(torch.tensor(IDX), tw * 3, sparse=True).sum().backward()
    assert not w.grad.is_sparse
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.to_dense().numpy(), rtol=1e-12)


def _train(make, lib, emb, steps=4, zero_row=False):
    opt = make(lib, emb.parameters())
    rng = np.random.default_rng(2)
    for _ in range(steps):
        idx = rng.integers(0, 7, size=(5,))
        target = rng.normal(size=(5, 3))
        if zero_row:  # row 0 is looked up with an exactly zero gradient: PyTorch still counts it as touched
            idx[0] = 0
        opt.zero_grad()
        out = emb(lib.tensor(idx))
        weight = lib.tensor(np.where(np.arange(5)[:, None] == 0, 0.0, 1.0)) if zero_row else 1.0
        (((out - lib.tensor(target)) ** 2) * weight).sum().backward()
        opt.step()
    return emb.weight.detach().numpy(), opt


@pytest.mark.parametrize("name, make", [
    ("sparse_adam", lambda lib, p: lib.optim.SparseAdam(p, lr=0.05)),
    ("sparse_adam_max", lambda lib, p: lib.optim.SparseAdam(p, lr=0.05, betas=(0.8, 0.9), maximize=True)),
    ("sgd", lambda lib, p: lib.optim.SGD(p, lr=0.1)),
    ("sgd_momentum", lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("adagrad", lambda lib, p: lib.optim.Adagrad(p, lr=0.1, lr_decay=0.01)),
])
def test_optimizers_on_sparse_gradients_match_torch(name, make):
    ours, theirs = _pair()
    w_ours, _ = _train(make, ember, ours, zero_row=name.startswith("sparse_adam"))
    w_theirs, topt = _train(make, torch, theirs, zero_row=name.startswith("sparse_adam"))
    np.testing.assert_allclose(w_ours, w_theirs, rtol=1e-10, atol=1e-12)


def test_sparse_adam_moments_follow_touched_rows_as_torch():
    ours, theirs = _pair()
    make = lambda lib, p: lib.optim.SparseAdam(p, lr=0.05)  # noqa: E731
    _, eopt = _train(make, ember, ours, zero_row=True)
    _, topt = _train(make, torch, theirs, zero_row=True)
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(eopt.state[ours.weight][key].numpy(), topt.state[theirs.weight][key].numpy(),
                                   rtol=1e-10, atol=1e-14)


def test_lbfgs_reads_a_sparse_gradient_densely_as_torch():
    results = []
    for emb, lib in zip(_pair(), (ember, torch)):
        opt = lib.optim.LBFGS(emb.parameters(), lr=0.5, max_iter=3)

        def closure():
            opt.zero_grad()
            loss = ((emb(lib.tensor(IDX)) - 1.0) ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
        results.append(emb.weight.detach().numpy())
    np.testing.assert_allclose(*results, rtol=1e-8)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_dense_only_optimizers_refuse_sparse_gradients_as_torch(name):
    messages = []
    for emb, lib in zip(_pair(), (ember, torch)):
        emb(lib.tensor(IDX)).sum().backward()
        with pytest.raises(RuntimeError) as info:
            getattr(lib.optim, name)(emb.parameters()).step()
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_weight_decay_with_sparse_gradients_raises_as_torch():
    for make in (lambda lib, p: lib.optim.SGD(p, lr=0.1, weight_decay=0.1),
                 lambda lib, p: lib.optim.Adagrad(p, weight_decay=0.1)):
        messages = []
        for emb, lib in zip(_pair(), (ember, torch)):
            emb(lib.tensor(IDX)).sum().backward()
            with pytest.raises(RuntimeError) as info:
                make(lib, emb.parameters()).step()
            messages.append(str(info.value))
        assert messages[0] == messages[1]
