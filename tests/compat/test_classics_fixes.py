"""Focused oracle tests for what the classic teaching programs (tests/programs/test_programs_classics.py)
found: each compares ember with the real torch 2.13 on the same inputs."""
import numpy as np
import pytest
import torch

import ember

REDUCTIONS = ["sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var",
              "std", "var_mean", "std_mean", "logsumexp", "all", "any", "median"]


def _values(r):
    if isinstance(r, tuple):
        return [np.asarray(x.detach().numpy(), dtype=float) for x in r]
    return [np.asarray(r.detach().numpy(), dtype=float)]


def _both(lib, name, a, kwargs, method):
    x = lib.tensor(a, requires_grad=False)
    if name in ("all", "any"):
        x = x > 0.5
    fn = getattr(x, name) if method else getattr(lib, name)
    return fn(**kwargs) if method else fn(x, **kwargs)


# torch has no Tensor.var_mean / Tensor.std_mean methods: those two are called as functions only.
CASES = [(name, True) for name in REDUCTIONS if not name.endswith("_mean")] + [(name, False) for name in REDUCTIONS]


@pytest.mark.parametrize("name,method", CASES)
def test_numpy_axis_and_keepdims_names(name, method):
    # Karpathy's makemore: P /= P.sum(1, keepdims=True); torch's argument parser takes NumPy's names.
    a = np.random.RandomState(0).rand(3, 4)
    for kwargs in ({"axis": 1, "keepdims": True}, {"dim": 0, "keepdims": True}, {"axis": 1}):
        ours = _values(_both(ember, name, a, kwargs, method))
        theirs = _values(_both(torch, name, a, kwargs, method))
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert o.shape == t.shape, (name, kwargs)
            np.testing.assert_allclose(o, t, rtol=1e-6)


def test_keepdims_keeps_the_gradient():
    a = np.random.RandomState(1).rand(4, 5).astype(np.float32)
    grads = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        p = x / x.sum(1, keepdims=True)
        (p * lib.arange(5.0)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_dim_and_axis_together_is_an_error_as_in_torch():
    with pytest.raises(TypeError):
        torch.ones(2, 2).sum(dim=0, axis=0)
    with pytest.raises(TypeError, match="multiple values for argument 'dim'"):
        ember.ones(2, 2).sum(dim=0, axis=0)
    with pytest.raises(TypeError, match="multiple values for argument 'keepdim'"):
        ember.ones(2, 2).sum(0, keepdim=True, keepdims=True)
