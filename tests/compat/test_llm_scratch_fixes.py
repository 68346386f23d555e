"""Differences from PyTorch 2.13 found by the "LLMs from scratch" / "ML with PyTorch" programs
(tests/programs/test_programs_llm_scratch.py), each checked against the real torch."""
import warnings

import numpy as np
import pytest
import torch

import ember


def test_comparing_a_tensor_with_none_is_false_as_torch():
    # generate(..., eos_id=None) in the book: `if idx_next == eos_id: break`.
    for lib in (torch, ember):
        t = lib.tensor([[3]])
        assert (t == None) is False and (t != None) is True  # noqa: E711
        assert (None == t) is False and (t == "a") is False  # noqa: E711
        with pytest.raises(TypeError, match="'<' not supported between instances of 'Tensor' and 'NoneType'"):
            t < None  # noqa: B015
        assert (t == 3).tolist() == [[True]] and (t != lib.tensor([3])).tolist() == [[False]]


@pytest.mark.parametrize("make", [
    lambda: [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
    lambda: [np.zeros(2, np.float32), np.zeros(2, np.float64)],
    lambda: [np.zeros(2, np.float64), np.zeros(2, np.float32)],
    lambda: [np.zeros(2, np.uint8)],
    lambda: [np.uint8(1), np.int8(1)],
    lambda: [np.int32(1), 2],
    lambda: [np.float16(1), 2],
    lambda: [np.zeros(2, np.int32), [True, False]],
    lambda: [np.zeros(2, np.int16), np.zeros(2, np.float32)],
    lambda: [np.complex64(1), np.float64(1)],
    lambda: [np.float32(1), 1j],
    lambda: [1, 2.0],
    lambda: [True, 1],
    lambda: [np.bool_(True)],
    lambda: [1.0, np.float64(2)],
    lambda: [],
])
def test_tensor_of_a_list_promotes_the_elements_dtypes_as_torch(make):
    # ch15: torch.tensor(text_chunks) of int32 NumPy chunks is an int32 tensor.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch: "creating a tensor from a list of numpy.ndarrays is slow"
        theirs = torch.tensor(make())
    ours = ember.tensor(make())
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("values", [
    [[-float("inf"), 1.0]], [0.0, float("inf")], [float("nan"), 12.5, 0.0], [[0.2899, -float("inf")], [0.46, 0.17]],
    [1e9, -float("inf"), 0.0], [[0.0, 1.0], [-float("inf"), 0.0]], [0.0, 0.0],
])
def test_float_repr_widths_come_from_nonzero_finite_values_as_torch(values):
    # ch3 prints masked attention scores: tensor([[-inf, 1.]]) has no padding before 1.
    assert repr(ember.tensor(values)) == repr(torch.tensor(values))
