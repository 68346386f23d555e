"""A rule's fresh gradient becomes a leaf's ``.grad`` without a copy, and only when nothing else holds it.

Each program runs in ember and in PyTorch (which steals gradients by use count the same way); after the
backward it writes into ``.grad`` in place, so any tensor that wrongly shares memory with a ``.grad``
would change and differ from PyTorch's.
"""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((4, 2)).astype(np.float32)


def _leaf(lib, a):
    return lib.tensor(a.copy(), requires_grad=True)


def _np(t):
    return t.detach().numpy().copy()


def _kept_by_function(lib):
    """A custom Function keeps the gradient it returns; a later in-place change of .grad must not reach it."""
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            r = g * 2
            ctx.kept = r
            return r
    x = _leaf(lib, A)
    holder = []

    class Keep(Scale):
        @staticmethod
        def backward(ctx, g):
            r = Scale.backward(ctx, g)
            holder.append(r)
            return r
    Keep.apply(x).sum().backward()
    x.grad.add_(1.0)
    Keep.apply(x).sum().backward()          # accumulates into x.grad in place
    return [_np(x.grad), _np(holder[0]), _np(holder[1])]


def _one_tensor_for_two_inputs(lib):
    class Both(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            r = g * 3
            return r, r
    x, y = _leaf(lib, A), _leaf(lib, A)
    Both.apply(x, y).sum().backward()
    x.grad.mul_(5.0)
    return [_np(x.grad), _np(y.grad)]


def _fan_in(lib):
    x, w = _leaf(lib, A), _leaf(lib, B)
    h = x * 1.5                              # a non-leaf read three times
    loss = (x * 2 + x * 3).sum() + (x @ w).pow(2).sum() + (h * h).sum() + (h @ w).sum() + h.sum()
    loss.backward()
    gx, gw = _np(x.grad), _np(w.grad)
    loss2 = (x @ w).sum() + x.sum()
    loss2.backward()                         # a second backward accumulates
    return [gx, gw, _np(x.grad), _np(w.grad)]


def _held_across_backward(lib):
    x, w = _leaf(lib, A), _leaf(lib, B)
    (x @ w).sum().backward()
    g1 = x.grad                               # the user keeps the .grad tensor
    before = _np(g1)
    (x @ w).sum().backward()
    return [before, _np(g1), _np(x.grad), np.array(g1 is x.grad)]


def _leaf_hook_keeps_gradient(lib):
    x, w = _leaf(lib, A), _leaf(lib, B)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x @ w).sum().backward()
    x.grad.add_(1.0)
    return [_np(x.grad), _np(seen[0])]


def _retained(lib, op):
    x, w = _leaf(lib, A), _leaf(lib, B)
    y = {"view": lambda: x.view(12).view(3, 4), "reshape": lambda: x.reshape(4, 3).reshape(3, 4),
         "clone": lambda: x.clone(), "contiguous": lambda: x.t().contiguous().t(), "add0": lambda: x + 0,
         "mul1": lambda: x * 1, "to": lambda: x.to(lib.float32), "t": lambda: x.t().t()}[op]()
    y.retain_grad()
    z = y * 1.0
    z.retain_grad()
    ((z @ w).sum() + z.sum()).backward()
    x.grad.add_(1.0)
    y.grad.mul_(3.0)
    return [_np(x.grad), _np(y.grad), _np(z.grad)]


def _cast_into_leaf(lib):
    x = _leaf(lib, A)
    y = x.double() * 2                       # the float64 gradient is cast back to float32
    (y.sum() + (x * 3).sum()).backward()
    return [_np(x.grad), np.array(str(x.grad.dtype).replace("torch.", "ember."))]


PROGRAMS = {"kept_by_function": _kept_by_function, "one_tensor_for_two_inputs": _one_tensor_for_two_inputs,
            "fan_in": _fan_in, "held_across_backward": _held_across_backward,
            "leaf_hook_keeps_gradient": _leaf_hook_keeps_gradient, "cast_into_leaf": _cast_into_leaf}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_gradients_and_aliasing_match_pytorch(name):
    got, want = PROGRAMS[name](ember), PROGRAMS[name](torch)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if g.dtype.kind in "US":
            assert g == w
        else:
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", ["view", "reshape", "clone", "contiguous", "add0", "mul1", "to", "t"])
def test_retained_gradients_share_no_memory_with_leaf_grads(op):
    got, want = _retained(ember, op), _retained(torch, op)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


def test_a_fresh_gradient_becomes_grad_without_a_copy():
    made = []

    class Fresh(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            r = g * 2
            made.append(r._data.__array_interface__["data"][0])   # the address only: no reference kept
            return r
    x = _leaf(ember, A)
    Fresh.apply(x).sum().backward()
    assert x.grad._data.__array_interface__["data"][0] == made[0]
    np.testing.assert_array_equal(x.grad.numpy(), np.full_like(A, 2.0))


def test_a_gradient_summed_away_leaves_no_stale_id_behind():
    """Summing a fresh gradient into another drops it; its id must leave the engine's owned set, or a later
    tensor that CPython places at the same address would pass for engine-made and be written in place
    (seen once in CI: a leaf's .grad shared memory with a retained gradient)."""
    from ember.autograd import engine
    from ember.autograd.tensor import make
    old, g = make(np.ones(3, np.float32)), make(np.ones(3, np.float32))
    owned = {id(old), id(g)}
    assert engine._merge(old, g, owned) is old
    assert owned == {id(old)}
    other = make(np.ones((2, 3), np.float32))  # shapes differ: a new sum is made, both inputs are gone
    owned = {id(old), id(other)}
    r = engine._merge(old, other, owned)
    assert r is not old and id(other) not in owned and id(old) not in owned
