"""Gradients of many index reads of one tensor are written into one buffer, and equal PyTorch's."""
import numpy as np
import pytest
import torch

import ember
from ember.autograd import index_grad

RNG = np.random.default_rng(0)
X0 = RNG.standard_normal((4, 6, 5))


def _program(lib, x):
    xp = x * 2
    acc = 0
    for t in range(x.shape[1]):                          # x[:, t] in a loop, as in a hand-written RNN
        a, b = xp[:, t].split([2, 3], 1)
        acc = acc + (a * 3).sum() + (b ** 2).sum()
    i = lib.tensor([0, 0, 2])
    acc = acc + (xp[i] * 1.5).sum() + xp[1, 2, 3] * 7 + xp[..., 1].sum() + xp.sum()
    q, k, v = xp.chunk(3, dim=2)                          # pieces of unequal sizes: 2, 2, 1
    return acc + (q * k).sum() + (v * xp[:, :, :1]).sum()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_many_reads_give_pytorchs_gradient(dtype):
    xe = ember.tensor(X0.astype(dtype), requires_grad=True)
    xt = torch.tensor(X0.astype(dtype), requires_grad=True)
    _program(ember, xe).backward()
    _program(torch, xt).backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_one_dense_buffer_per_tensor_read_many_times(monkeypatch):
    made = []
    dense = index_grad.IndexGrad.dense
    monkeypatch.setattr(index_grad.IndexGrad, "dense", lambda self, dtype=None: made.append(self.shape) or
                        dense(self, dtype))
    x = ember.tensor(X0.astype(np.float32), requires_grad=True)
    h = x * 1.0
    sum(h[:, t].sum() for t in range(6)).backward()
    assert made == [(4, 6, 5)]                             # not one full-size array per step
    np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(X0))


def test_retained_and_hooked_gradients_are_not_written_into_later():
    x = ember.tensor(X0.astype(np.float32), requires_grad=True)
    y = x * 1.0
    y.retain_grad()
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()) or None)
    (y[:, 0].sum() + 2 * y[:, 1].sum() + y.sum()).backward(retain_graph=True)
    expected = np.ones_like(X0)
    expected[:, 0] += 1
    expected[:, 1] += 2
    np.testing.assert_array_equal(y.grad.numpy(), expected)
    np.testing.assert_array_equal(seen[0], expected)
    g_first = x.grad.numpy().copy()
    (y[:, 0].sum() * 0 + x[:, 2].sum()).backward(retain_graph=True)    # accumulates into .grad
    np.testing.assert_array_equal(y.grad.numpy(), expected)             # the retained grad is untouched
    g_first[:, 2] += 1
    np.testing.assert_array_equal(x.grad.numpy(), g_first)


def test_second_order_through_index_reads_matches_gradcheck():
    x = ember.tensor(X0[:2, :3, :2], requires_grad=True)

    def f(t):
        (g,) = ember.autograd.grad((t[:, 0] ** 3).sum() + (t[:, 1:] ** 2).sum(), t, create_graph=True)
        return g
    assert ember.autograd.gradcheck(f, (x,))


def test_index_tensors_written_after_the_op_do_not_change_its_gradient():
    # torch raises at backward when an index tensor the graph saved was modified in place; ember's backward uses
    # the positions the op read (what torch computes when the index is left alone), never the new values
    grads = []
    for lib, mutate in ((ember, True), (torch, False)):
        a = lib.arange(6.0).requires_grad_()
        m = lib.tensor([True, False, True, False, True, False])
        i = lib.tensor([0, 2])
        y = a[m] * lib.tensor([1.0, 2.0, 3.0])
        z = a.clone()
        z[i] = lib.tensor([10.0, 20.0])
        if mutate:
            m[:] = False
            i[0] = 5
        (y.sum() + z.sum()).backward()
        grads.append(a.grad.tolist())
    assert grads[0] == grads[1] == [1.0, 1.0, 2.0, 1.0, 4.0, 1.0]
