"""Tensor.bfloat16() and torch.BFloat16Tensor as PyTorch's: rounding to nearest even on the same
values, the type string, isinstance, and the gradient of a round trip (the identity, as in torch)."""
import numpy as np
import torch

import ember


def test_bfloat16_cast_rounds_as_torch_and_passes_gradients():
    values = np.array([1.5, 2.25, 3.3, -7.77e-3, 65504.0, 1e-30, 3.1415926], dtype=np.float32)
    e, t = ember.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    eb, tb = e.bfloat16(), t.bfloat16()
    assert eb.type() == tb.type() == "torch.BFloat16Tensor"
    assert isinstance(eb, ember.BFloat16Tensor) and not isinstance(e, ember.BFloat16Tensor)
    np.testing.assert_array_equal(eb.float().detach().numpy(), tb.float().detach().numpy())
    (eb.float() * ember.arange(7.0)).sum().backward()
    (tb.float() * torch.arange(7.0)).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    assert ember.BFloat16Tensor([1.0, 2.0]).dtype == ember.bfloat16


def test_pin_memory_and_is_pinned_as_torch_without_an_accelerator():
    import pytest
    t, e = torch.ones(2), ember.ones(2)
    assert e.is_pinned() == t.is_pinned() is False
    with pytest.raises(RuntimeError) as theirs:
        t.pin_memory()
    with pytest.raises(RuntimeError) as ours:
        e.pin_memory()
    assert str(ours.value) == str(theirs.value)
