"""Focused oracle tests for what the tutorial programs (tests/programs/test_programs_tutorials.py)
found: each compares ember with the real torch 2.13 on the same inputs."""
import math

import numpy as np
import pytest
import torch

import ember

LINSPACE_CASES = [(-math.pi, math.pi, 2000), (-1, 1, 7), (0, 1, 5), (-2.5, 7.3, 101), (1e-3, 3.7, 1000),
                  (5, -3, 11), (2, 2, 4), (0, 1, 2), (3, 1, 1), (0, 1, 0), (-0.2, 1.2, 5), (-5, 5, 30001)]


@pytest.mark.parametrize("start,end,steps", LINSPACE_CASES)
def test_linspace_float32_bit_equal(start, end, steps):
    # The polynomial-fit tutorial's x = linspace(-pi, pi, 2000): PyTorch's halfway kernel (up from
    # the start, down from the end, fused multiply-add) rather than NumPy's start + i * step.
    ours = ember.linspace(start, end, steps).numpy()
    theirs = torch.linspace(start, end, steps).numpy()
    assert ours.dtype == theirs.dtype == np.float32
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("start,end,steps", LINSPACE_CASES[:-1])
def test_linspace_float64_bit_equal(start, end, steps):
    ours = ember.linspace(start, end, steps, dtype=ember.float64).numpy()
    theirs = torch.linspace(start, end, steps, dtype=torch.float64).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_linspace_long_float64_within_one_ulp_and_other_dtypes():
    ours = ember.linspace(-5, 5, 100001, dtype=ember.float64).numpy()
    theirs = torch.linspace(-5, 5, 100001, dtype=torch.float64).numpy()
    assert np.abs(ours - theirs).max() <= np.spacing(5.0)   # one ulp of the end points
    assert (ours != theirs).mean() < 0.01
    assert ember.linspace(0, 10, 4, dtype=ember.int64).tolist() == torch.linspace(0, 10, 4, dtype=torch.int64).tolist()
    c_ours, c_theirs = ember.linspace(0, 1 + 1j, 3), torch.linspace(0, 1 + 1j, 3)
    assert str(c_ours.dtype).split(".")[-1] == str(c_theirs.dtype).split(".")[-1] == "complex64"
    np.testing.assert_array_equal(c_ours.numpy(), c_theirs.numpy())
    np.testing.assert_array_equal(ember.linspace(ember.tensor(0.0), ember.tensor(1.0), 3).numpy(),
                                  torch.linspace(torch.tensor(0.0), torch.tensor(1.0), 3).numpy())
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        ember.linspace(0, 1, -1)
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        torch.linspace(0, 1, -1)


def _mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.ReLU(), lib.nn.Linear(5, 2))


def test_module_to_meta_as_functional_call_template():
    # The model-ensembling tutorial: stack_module_state over models, a copy moved to "meta",
    # then vmap(functional_call(base_model, (params, buffers), (x,))).
    rng = np.random.RandomState(0)
    states = [{k: rng.randn(*v.shape).astype(np.float32) for k, v in _mlp(torch).state_dict().items()}
              for _ in range(3)]
    x = rng.randn(3, 4, 3).astype(np.float32)
    outs = []
    for lib in (torch, ember):
        models = []
        for s in states:
            m = _mlp(lib)
            m.load_state_dict({k: lib.from_numpy(v) for k, v in s.items()})
            models.append(m)
        params, buffers = lib.func.stack_module_state(models)
        base = _mlp(lib)
        assert base.to("meta") is base
        out = lib.func.vmap(lambda p, b, xb: lib.func.functional_call(base, (p, b), (xb,)))(params, buffers,
                                                                                            lib.from_numpy(x))
        out.sum().backward()
        outs.append((out.detach().numpy(), params["0.weight"].grad.numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="CPU only"):
        _mlp(ember).to("cuda")
