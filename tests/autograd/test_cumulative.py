"""cumsum / cumprod against torch 2.13 bit for bit: ATen's CPU scans carry the running value in the
accumulate type (double for float32 and complex64, float for half and bfloat16) and round each output, so a
long float32 cumsum does not drift from torch's (NeRF's sample_pdf CDF, cumulative products of
transmittance); gradients too."""
import numpy as np
import pytest
import torch

import ember


def _data(dtype, shape=(4, 3000)):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 1.0, shape)
    if dtype.startswith("complex"):
        x = x + 1j * rng.uniform(0.0, 1.0, shape)
    return x


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64", "complex64", "int32"])
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [-1, 0])
def test_scans_equal_torch_bit_for_bit(dtype, op, dim):
    x = _data(dtype)
    if op == "cumprod":
        x = 1.0 - x * 1e-3 if not dtype.startswith("int") else (x * 2).round()[:, :40]
    if dtype.startswith("int"):
        x = (x * 3).round()
    t = torch.tensor(x).to(getattr(torch, dtype))
    e = ember.tensor(t.float().numpy() if dtype == "bfloat16" else t.numpy()).to(getattr(ember, dtype))
    want, got = getattr(torch, op)(t, dim), getattr(ember, op)(e, dim)
    assert str(got.dtype) == str(want.dtype).replace("torch", "ember")
    cast = (lambda v: v.float().numpy()) if dtype == "bfloat16" else (lambda v: v.numpy())
    np.testing.assert_array_equal(cast(got), cast(want))


def test_dtype_argument_and_gradients_match_torch():
    x = _data("float32", (3, 500)).astype(np.float32)
    te, tt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = ember.cumsum(te, 1, dtype=ember.float64), torch.cumsum(tt, 1, dtype=torch.float64)
    assert ye.dtype == ember.float64
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    g = np.random.default_rng(1).standard_normal((3, 500))
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(te.grad.numpy(), tt.grad.numpy(), rtol=1e-6)
    pe, pt = ember.tensor(1 - x * 1e-3, requires_grad=True), torch.tensor(1 - x * 1e-3, requires_grad=True)
    ember.cumprod(pe, 1).sum().backward()
    torch.cumprod(pt, 1).sum().backward()
    np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-5)
