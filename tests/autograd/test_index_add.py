"""index_add / index_add_ against torch 2.13: repeated indices accumulate in order onto the input's own
values (bit for bit in float32: the VQ-VAE usage counters of ``buf.mul_(0.9).index_add_(...)``), the
dtype, shape and index checks with torch's exception types and words, and gradients."""
import numpy as np
import pytest
import torch

import ember


def test_repeated_indices_accumulate_onto_the_input_bit_for_bit():
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 3, (16, 3)).astype(np.float32)
    idx = rng.integers(0, 16, 64)
    src = rng.uniform(0, 1, (64, 3)).astype(np.float32)
    res = []
    for L in (ember, torch):
        a = L.tensor(base).index_add_(0, L.tensor(idx), L.tensor(src))
        b = L.tensor(base.T.copy()).index_add(1, L.tensor(idx), L.tensor(src.T.copy()), alpha=0.1)
        c = L.tensor(base.T.copy()).index_add(-1, L.tensor(idx), L.tensor(src.T.copy()).T.contiguous().T)
        res.append([t.numpy() for t in (a, b, c)])
    for k, (e, t) in enumerate(zip(*res)):
        if k == 1:  # torch adds alpha * source with a fused multiply-add: one rounding fewer
            np.testing.assert_allclose(e, t, rtol=1e-6)
        else:
            np.testing.assert_array_equal(e, t)


def test_integer_and_zero_dim_inputs():
    for make in (lambda L: L.zeros(3, dtype=L.int64).index_add(0, L.tensor([2, 0, 2]), L.tensor([1, 2, 3]), alpha=2),
                 lambda L: L.tensor(1.0).index_add(0, L.tensor([0]), L.tensor(5.0))):
        e, t = make(ember), make(torch)
        assert e.dtype == ember.int64 if t.dtype == torch.int64 else e.dtype == ember.float32
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("case", ["dtype", "shape", "count", "too_big", "negative", "not_vector", "zero_dim_source",
                                  "too_big_1d", "too_big_0d"])
def test_errors_match_torch(case):
    make = {"too_big_1d": lambda L: L.zeros(3).index_add(0, L.tensor([3]), L.ones(1)),
            "too_big_0d": lambda L: L.tensor(1.0).index_add(0, L.tensor([1]), L.tensor(1.0)),
            "dtype": lambda L: L.zeros(4).index_add_(0, L.tensor([0, 1]), L.ones(2, dtype=L.float64)),
            "shape": lambda L: L.zeros(3, 4).index_add(0, L.tensor([2, 0, 2]), L.ones(3, 3)),
            "count": lambda L: L.zeros(3, 4).index_add(0, L.tensor([2, 0, 2]), L.ones(2, 4)),
            "too_big": lambda L: L.zeros(3, 4).index_add(0, L.tensor([3]), L.ones(1, 4)),
            "negative": lambda L: L.zeros(3, 4).index_add(0, L.tensor([-1]), L.ones(1, 4)),
            "not_vector": lambda L: L.zeros(3, 4).index_add(0, L.tensor([[0]]), L.ones(1, 4)),
            "zero_dim_source": lambda L: L.tensor(1.0).index_add(0, L.tensor([0]), L.tensor([5.0]))}[case]
    with pytest.raises(Exception) as theirs:
        make(torch)
    with pytest.raises(type(theirs.value)) as ours:
        make(ember)
    assert str(theirs.value) in str(ours.value)  # ember may add the op's name and the values


def test_gradients_and_second_order_match_torch():
    rng = np.random.default_rng(1)
    x0, s0 = rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    res = []
    for L in (ember, torch):
        x, s = L.tensor(x0, requires_grad=True), L.tensor(s0, requires_grad=True)
        y = x.index_add(0, L.tensor([2, 0, 2]), s * 2, alpha=3)
        gx, gs = L.autograd.grad((y ** 2).sum(), (x, s), create_graph=True)
        gg, = L.autograd.grad((gs ** 2).sum(), s)
        res.append([y.grad_fn.name()] + [t.detach().numpy() for t in (y, gx, gs, gg)])
    assert res[0][0] == res[1][0] == "IndexAddBackward0"
    for e, t in zip(res[0][1:], res[1][1:]):
        np.testing.assert_allclose(e, t, rtol=1e-12)
