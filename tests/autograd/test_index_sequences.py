"""Indexing with ``range``, ``torch.Size``, deques, ``array.array`` and nested sequences, as PyTorch reads them."""
import array
import collections
import warnings

import numpy as np
import pytest
import torch

import ember

# Each row is evaluated with ``T`` bound to torch or ember, so the same index reaches both.
INDICES = ["range(3)", "(slice(None), range(2))", "(range(2), range(2))", "(range(1, 3),)", "(1, range(2))",
           "(..., range(2))", "(None, range(2))", "(range(0),)", "range(3, 0, -1)", "T.Size([1, 2])",
           "collections.deque([0, 1])", "array.array('l', [0, 3])", "[]", "[0, 1]", "[True, False, True, False]",
           "np.array([[0, 1], [1, 2]])", "[[0, 1]] * 40", "((1, 2),)", "(1, 2)",
           # non-tuple sequences holding a sequence, slice, None or tensor read as tuples (with a warning)
           "[range(2)]", "[0, range(2)]", "[(1, 2)]", "[[0, 1], [1, 2]]", "[0, None]", "[0, slice(1, 3)]",
           "[T.tensor(0), T.tensor(1)]"]


def _run(lib, index, fn):
    env = {"T": lib, "np": np, "collections": collections, "array": array}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(eval(index, env))
    return result, [w.category for w in caught]


@pytest.mark.parametrize("index", INDICES)
def test_getitem_matches_torch_with_its_warning_and_gradient(index):
    base = np.arange(24.0).reshape(4, 6)
    t = torch.tensor(base, requires_grad=True)
    e = ember.tensor(base, requires_grad=True)
    rt, wt = _run(torch, index, lambda i: t[i])
    re, we = _run(ember, index, lambda i: e[i])
    assert re.shape == tuple(rt.shape) and re.tolist() == rt.tolist()
    assert we == wt
    weights = np.arange(rt.numel(), dtype=np.float64).reshape(tuple(rt.shape)) + 1
    (rt * torch.tensor(weights)).sum().backward()
    (re * ember.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("index", ["range(2)", "(slice(None), range(2))", "(range(1, 3), range(2))",
                                   "T.Size([3])", "[0, range(2)]", "collections.deque([1, 2])"])
def test_setitem_matches_torch(index, value=7):
    t, e = torch.arange(24).reshape(4, 6), ember.arange(24).reshape(4, 6)
    _run(torch, index, lambda i: t.__setitem__(i, value))
    _run(ember, index, lambda i: e.__setitem__(i, value))
    assert e.tolist() == t.tolist()
    t2, e2 = torch.zeros(4, 6), ember.zeros(4, 6)
    _run(torch, index, lambda i: t2.__setitem__(i, torch.ones(t2[i].shape[-1:])))
    _run(ember, index, lambda i: e2.__setitem__(i, ember.ones(e2[i].shape[-1:])))
    assert e2.tolist() == t2.tolist()


def test_setitem_with_a_range_is_differentiable():
    src_t = torch.tensor([1.0, 2.0], requires_grad=True)
    src_e = ember.tensor([1.0, 2.0], requires_grad=True)
    xt, xe = torch.zeros(3, 4), ember.zeros(3, 4)
    xt[:, range(2)] = src_t * 3
    xe[:, range(2)] = src_e * 3
    xt.sum().backward()
    xe.sum().backward()
    assert xe.tolist() == xt.tolist() and src_e.grad.tolist() == src_t.grad.tolist()


def test_float_sequences_truncate_and_strings_fail_as_in_torch():
    assert ember.arange(4)[[0.5, 2.7]].tolist() == torch.arange(4)[[0.5, 2.7]].tolist() == [0, 2]
    with pytest.raises(TypeError):
        torch.arange(4)[(["a"],)]
    with pytest.raises(TypeError, match="index sequences must hold numbers or bools"):
        ember.arange(4)[(["a"],)]
