"""F.interpolate(..., antialias=True) against PyTorch 2.13: bilinear and bicubic, down- and
upscaling, by size and by scale factor, with align_corners; forward and gradient in float64 and
float32, and the modes that refuse it."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

CASES = [((2, 3, 17, 13), {"size": (5, 4)}), ((1, 2, 6, 7), {"size": (11, 15)}),
         ((1, 1, 20, 9), {"scale_factor": 0.37}), ((1, 2, 12, 12), {"size": (4, 7), "align_corners": True}),
         ((1, 1, 9, 9), {"scale_factor": (0.5, 1.7)}),
         ((1, 1, 9, 9), {"scale_factor": (0.5, 1.7), "recompute_scale_factor": True}),
         ((1, 1, 16, 10), {"size": (1, 3)})]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("shape,kwargs", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_antialias_matches_torch(mode, shape, kwargs, dtype):
    x = np.random.RandomState(0).normal(size=shape).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.interpolate(tx, mode=mode, antialias=True, **kwargs)
    weight = np.cos(np.arange(ty.numel())).reshape(ty.shape).astype(dtype)
    (ty * torch.tensor(weight)).sum().backward()
    ex = ember.tensor(x, requires_grad=True)
    ey = F.interpolate(ex, mode=mode, antialias=True, **kwargs)
    (ey * ember.tensor(weight)).sum().backward()
    tol = 1e-12 if dtype == "float64" else 2e-6
    assert tuple(ey.shape) == tuple(ty.shape) and ey.dtype == getattr(ember, dtype)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("mode", ["nearest", "linear", "area"])
def test_antialias_is_refused_where_torch_refuses_it(mode):
    shape = (1, 1, 8) if mode == "linear" else (1, 1, 8, 8)
    with pytest.raises(Exception):
        torch.nn.functional.interpolate(torch.zeros(shape), size=shape[2:] and tuple(s // 2 for s in shape[2:]),
                                        mode=mode, antialias=True)
    with pytest.raises(NotImplementedError, match="anti-alias option is restricted to bilinear and bicubic"):
        F.interpolate(ember.zeros(shape), size=tuple(s // 2 for s in shape[2:]), mode=mode, antialias=True)
