"""``where`` with Python scalars and tensors of every kind: result dtype and values as torch.where."""
import itertools

import numpy as np
import pytest
import torch

import ember

SCALARS = [1, 7, 0.5, -2.5, True, False]
TENSOR_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]


def _operand(lib, spec):
    if isinstance(spec, tuple):  # (dtype name, 0-d?)
        name, zero_d = spec
        data = [1] if name == "bool" else [2]
        return lib.tensor(data[0] if zero_d else data * 3, dtype=getattr(lib, name))
    return spec


OPERANDS = SCALARS + [(d, False) for d in TENSOR_DTYPES] + [(d, True) for d in ("int64", "float64", "bool")]


@pytest.mark.parametrize("a, b", list(itertools.product(OPERANDS, OPERANDS)), ids=str)
def test_where_dtype_and_values_match_torch(a, b):
    expected = torch.where(torch.tensor([True, False, True]), _operand(torch, a), _operand(torch, b))
    got = ember.where(ember.tensor([True, False, True]), _operand(ember, a), _operand(ember, b))
    assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert got.tolist() == expected.tolist()


def test_two_scalars_follow_the_default_dtype():
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    try:
        expected = torch.where(torch.tensor([True, False]), 1, 0.5)
        got = ember.where(ember.tensor([True, False]), 1, 0.5)
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)
    assert got.dtype == ember.float64 and expected.dtype == torch.float64
    assert got.tolist() == expected.tolist()


def test_scalar_branches_broadcast_against_the_condition_and_pass_gradients():
    cond = np.array([[True], [False]])
    xt = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    xe = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    rt, re = torch.where(torch.tensor(cond), xt, 0.5), ember.where(ember.tensor(cond), xe, 0.5)
    assert re.shape == tuple(rt.shape) and re.tolist() == rt.tolist()
    rt.sum().backward()
    re.sum().backward()
    assert xe.grad.tolist() == xt.grad.tolist()
    assert ember.where(ember.tensor(True), 1, 0).tolist() == torch.where(torch.tensor(True), 1, 0).tolist()


def test_where_with_only_a_condition_is_nonzero_as_a_tuple():
    c = np.array([[True, False, True], [False, True, False]])
    expected = torch.where(torch.tensor(c))
    got = ember.where(ember.tensor(c))
    assert isinstance(got, tuple) and len(got) == len(expected) == 2
    for g, e in zip(got, expected):
        assert g.dtype == ember.int64 and g.tolist() == e.tolist()
