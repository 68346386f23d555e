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
