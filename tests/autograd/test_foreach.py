"""torch._foreach_* against PyTorch: every name, out-of-place and in place, with a scalar, a list
of scalars and a list of tensors as the second operand; gradients through the out-of-place forms."""
import numpy as np
import pytest
import torch

import ember
from ember.functional import foreach
from tests.nn.helpers import assert_close

SHAPES = [(3,), (2, 4)]


def _lists(seed=0, low=0.2, high=0.9):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(low, high, s) for s in SHAPES]
    return arrays, [ember.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def _check(ours, theirs):
    if isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_close(a, b)
    else:
        assert ours is None and theirs is None


UNARY = [n for n in foreach.__all__ if n[len("_foreach_"):].rstrip("_") in foreach._UNARY]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    _, e, t = _lists()
    _check(getattr(foreach, name)(e), getattr(torch, name)(t))
    _check(e, t)  # the in-place forms changed their inputs alike


BINARY = [n for n in foreach.__all__ if n[len("_foreach_"):].rstrip("_") in foreach._BINARY]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("kind", ["scalar", "scalars", "tensors"])
def test_binary(name, kind):
    _, e, t = _lists()
    a2, e2, t2 = _lists(1)
    other = {"scalar": (0.5, 0.5), "scalars": ([0.5, 2.0], [0.5, 2.0]), "tensors": (e2, t2)}[kind]
    _check(getattr(foreach, name)(e, other[0]), getattr(torch, name)(t, other[1]))
    _check(e, t)


@pytest.mark.parametrize("name", ["_foreach_add", "_foreach_sub_"])
def test_alpha(name):
    _, e, t = _lists()
    _, e2, t2 = _lists(1)
    _check(getattr(foreach, name)(e, e2, alpha=-0.3), getattr(torch, name)(t, t2, alpha=-0.3))
    _check(e, t)


def test_one_tensor_as_the_other_operand():
    _, e, t = _lists()
    _check(foreach._foreach_mul(e, ember.tensor(3.0)), torch._foreach_mul(t, torch.tensor(3.0)))


@pytest.mark.parametrize("name", ["_foreach_addcmul", "_foreach_addcdiv", "_foreach_addcmul_", "_foreach_addcdiv_"])
@pytest.mark.parametrize("value", [0.5, [0.5, -2.0], "tensor"])
def test_addcmul_addcdiv(name, value):
    _, e, t = _lists()
    _, e1, t1 = _lists(1)
    _, e2, t2 = _lists(2)
    ve, vt = (ember.tensor([0.5, -2.0]), torch.tensor([0.5, -2.0])) if value == "tensor" else (value, value)
    _check(getattr(foreach, name)(e, e1, e2, ve), getattr(torch, name)(t, t1, t2, vt))
    _check(e, t)


@pytest.mark.parametrize("name", ["_foreach_lerp", "_foreach_lerp_"])
@pytest.mark.parametrize("weight", ["scalar", "scalars", "tensors"])
def test_lerp(name, weight):
    _, e, t = _lists()
    _, e1, t1 = _lists(1)
    _, ew, tw = _lists(2)
    w = {"scalar": (0.3, 0.3), "scalars": ([0.3, 0.8], [0.3, 0.8]), "tensors": (ew, tw)}[weight]
    _check(getattr(foreach, name)(e, e1, w[0]), getattr(torch, name)(t, t1, w[1]))
    _check(e, t)


@pytest.mark.parametrize("call", [
    lambda lib, x, y: lib._foreach_norm(x), lambda lib, x, y: lib._foreach_norm(x, 1),
    lambda lib, x, y: lib._foreach_max(x), lambda lib, x, y: lib._foreach_clone(x),
    lambda lib, x, y: lib._foreach_powsum(x, 3), lambda lib, x, y: lib._foreach_zero_(x),
    lambda lib, x, y: lib._foreach_copy_(x, y),
])
def test_reductions_and_copies(call):
    _, e, t = _lists()
    _, e1, t1 = _lists(1)
    _check(call(foreach, e, e1), call(torch, t, t1))
    _check(e, t)


def test_mm():
    rng = np.random.default_rng(0)
    a = [rng.standard_normal((2, 3)), rng.standard_normal((3, 3))]
    b = [rng.standard_normal((3, 4)), rng.standard_normal((3, 1))]
    _check(foreach._foreach_mm([ember.tensor(x) for x in a], [ember.tensor(x) for x in b]),
           torch._foreach_mm([torch.tensor(x) for x in a], [torch.tensor(x) for x in b]))


def test_gradients_flow_through_the_out_of_place_forms():
    arrays, _, _ = _lists()
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours = sum((x * x).sum() for x in foreach._foreach_lerp(foreach._foreach_mul(e, [2.0, 3.0]), e, 0.25))
    theirs = sum((x * x).sum() for x in torch._foreach_lerp(torch._foreach_mul(t, [2.0, 3.0]), t, 0.25))
    ours.backward()
    theirs.backward()
    for a, b in zip(e, t):
        assert_close(a.grad, b.grad)


def test_mismatched_lists_are_refused():
    with pytest.raises(RuntimeError, match="same number of tensors"):
        foreach._foreach_add([ember.ones(2)], [ember.ones(2), ember.ones(2)])
    with pytest.raises(TypeError, match="list of tensors"):
        foreach._foreach_neg([1.0])
