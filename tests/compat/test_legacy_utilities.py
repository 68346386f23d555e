"""Older and utility APIs that programs still use, side by side with PyTorch: autograd.Variable,
torch.random.fork_rng, Tensor.share_memory_, torch.utils._pytree and torch.utils.model_zoo."""
import collections

import pytest
import torch
import torch.utils._pytree as tpytree
import torch.utils.model_zoo

import ember
from ember.autograd import Variable
from ember.random import fork_rng
from ember.utils import _pytree, model_zoo


def test_variable_is_a_detached_tensor_like_torchs():
    for lib, var in ((torch, torch.autograd.Variable), (ember, Variable)):
        base = lib.ones(2, requires_grad=True) * 2
        v = var(base, requires_grad=True)
        assert type(v) is lib.Tensor and v.requires_grad and v.grad_fn is None
        assert isinstance(lib.zeros(1), var) and not var(lib.ones(1)).requires_grad
        (v * 3).sum().backward()
        assert v.grad.tolist() == [3.0, 3.0]
        with pytest.raises(TypeError, match="has to be a tensor"):
            var([1, 2])


def test_fork_rng_restores_the_stream():
    for lib, fork in ((torch, torch.random.fork_rng), (ember, fork_rng)):
        lib.manual_seed(3)
        expected = lib.rand(2)
        lib.manual_seed(3)
        with fork() as bound:
            lib.rand(7)
        assert lib.equal(lib.rand(2), expected) and bound is None
        lib.manual_seed(3)
        with fork(enabled=False):
            lib.rand(7)
        assert not lib.equal(lib.rand(2), expected)


def test_share_memory_returns_the_tensor():
    for lib in (torch, ember):
        t = lib.ones(3)
        assert t.share_memory_() is t


Point = collections.namedtuple("Point", "x y")
TREES = [{"a": (1, 2), "b": [3, {"c": 4}]}, [Point(1, 2), (3,)], (1,), 5]


@pytest.mark.parametrize("tree", TREES)
def test_pytree_matches_torch(tree):
    leaves, spec = _pytree.tree_flatten(tree)
    t_leaves, t_spec = tpytree.tree_flatten(tree)
    assert leaves == t_leaves
    assert _pytree.tree_unflatten([x * 10 for x in leaves], spec) == tpytree.tree_unflatten([x * 10 for x in t_leaves],
                                                                                         t_spec)
    assert _pytree.tree_map(lambda a, b: a + b, tree, tree) == tpytree.tree_map(lambda a, b: a + b, tree, tree)
    assert _pytree.tree_leaves(tree) == tpytree.tree_leaves(tree)
    assert _pytree.tree_all(lambda x: x > 0, tree) == tpytree.tree_all(lambda x: x > 0, tree)
    assert _pytree.tree_any(lambda x: x > 3, tree) == tpytree.tree_any(lambda x: x > 3, tree)


def test_model_zoo_load_url_is_the_hub_loader():
    assert model_zoo.load_url is ember.hub.load_state_dict_from_url
    assert torch.utils.model_zoo.load_url is torch.hub.load_state_dict_from_url


def test_cuda_memory_queries_and_device_errors_match_cpu_torch():
    for name in ("memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved"):
        assert getattr(ember.cuda, name)() == getattr(torch.cuda, name)() == 0
    for name in ("current_device", "get_device_name"):
        for lib in (torch, ember):
            with pytest.raises(AssertionError, match="not compiled with CUDA"):
                getattr(lib.cuda, name)()
