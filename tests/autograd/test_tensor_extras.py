"""Tensor.new, as_subclass, output_nr and name against PyTorch."""
import numpy as np
import pytest
import torch

import ember
from tests.nn.helpers import assert_close


@pytest.mark.parametrize("args", [(), (2, 3), ([1, 2],), ([[1.5], [2.5]],), ("size",), ("tensor",)])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_new_matches_torch(args, dtype):
    def build(lib):
        x = lib.ones(2, dtype=getattr(lib, dtype))
        special = {"size": (lib.Size([4, 1]),), "tensor": (lib.arange(3).to(getattr(lib, dtype)),)}
        a = special[args[0]] if args and isinstance(args[0], str) else args
        return x.new(*a)
    ours, theirs = build(ember), build(torch)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if args and args[0] != "size" and not isinstance(args[0], int):
        assert_close(ours, theirs)


def test_new_refuses_another_dtype_like_torch():
    with pytest.raises(TypeError):
        torch.ones(2).new(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="dtype"):
        ember.ones(2).new(ember.tensor([1, 2]))


def test_as_subclass_shares_data_and_keeps_the_class():
    for lib in (torch, ember):
        class Tagged(lib.Tensor):
            pass
        x = lib.tensor([1.0, 2.0])
        y = x.as_subclass(Tagged)
        assert type(y) is Tagged and isinstance(y, lib.Tensor)
        y[0] = 5.0
        assert x[0].item() == 5.0
    with pytest.raises(TypeError, match="subclass of Tensor"):
        ember.ones(1).as_subclass(int)


def test_output_nr_and_name():
    for lib in (torch, ember):
        leaf = lib.ones(3, requires_grad=True)
        assert leaf.output_nr == 0 and (leaf * 2).output_nr == 0 and lib.ones(2).output_nr == 0
        assert leaf.name is None
        with pytest.raises(AttributeError):
            leaf.name = "w"
    assert np.array_equal(ember.ones(2).new(2).shape, (2,))


def test_set_and_is_set_to_match_torch():
    for lib in (torch, ember):
        a, b = lib.ones(3), lib.zeros(2)
        b.set_(a)
        assert b.tolist() == [1.0, 1.0, 1.0] and b.is_set_to(a) and not a.is_set_to(a[:2])
        a[0] = 5.0
        assert b[0].item() == 5.0
        assert tuple(b.set_().shape) == (0,)


@pytest.mark.parametrize("perm", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
def test_dim_order_and_const_data_ptr(perm):
    ours, theirs = ember.ones(2, 3, 4).permute(*perm), torch.ones(2, 3, 4).permute(*perm)
    assert ours.dim_order() == theirs.dim_order()
    assert ours.const_data_ptr() == ours.data_ptr()


@pytest.mark.parametrize("size,fill", [(3, -1), (1, 0), (5, 9)])
def test_nonzero_static_matches_torch(size, fill):
    x = np.array([[0, 1, 0], [2, 0, 3]])
    from ember.autograd.tensor_extras import nonzero_static
    assert_close(nonzero_static(ember.tensor(x), size=size, fill_value=fill),
                 torch.nonzero_static(torch.tensor(x), size=size, fill_value=fill))
    assert_close(ember.tensor(x).nonzero_static(size=size, fill_value=fill),
                 torch.tensor(x).nonzero_static(size=size, fill_value=fill))


def test_is_distributed_and_module_load():
    assert ember.ones(2).is_distributed() is torch.ones(2).is_distributed() is False
    for lib in (torch, ember):
        param, value = lib.zeros(2), lib.tensor([1.0, 2.0])
        loaded = param.module_load(value)
        assert loaded.tolist() == [1.0, 2.0] and param.tolist() == [1.0, 2.0]
        assigned = lib.zeros(2).module_load(value, assign=True)
        assert assigned.tolist() == [1.0, 2.0]
