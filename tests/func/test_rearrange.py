"""torch.func.rearrange against torch 2.13: values and gradients for flatten, permute, split, ellipsis (bare and
flattened), unit axes and stacked lists; torch's ValueErrors for a wrong rank, a name on one side only and a
length for a name the pattern lacks."""
import numpy as np
import pytest
import torch
from torch.func import rearrange as trearrange

import ember
from ember.func import rearrange as erearrange

CASES = [("b c h -> b (c h)", {}), ("b c h -> h b c", {}), ("b (c1 c2) h -> b c1 c2 h", {"c1": 3}),
         ("... h -> h ...", {}), ("b c h -> (b c) h", {}), ("b c (h1 h2) -> b c h1 h2", {"h2": 2}),
         ("b c h -> b c h 1", {}), ("b c h -> b () c h", {}), ("b ... -> (...) b", {}), ("b c h -> (h b) c", {}),
         ("a b c -> c b a", {}), ("b c (h1 h2) -> (h2 b) c h1", {"h1": 2, "h2": 2})]
X = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize("pattern,lengths", CASES)
def test_values_and_gradients_as_torch(pattern, lengths):
    e, t = ember.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    re, rt = erearrange(e, pattern, **lengths), trearrange(t, pattern, **lengths)
    assert tuple(re.shape) == tuple(rt.shape)
    np.testing.assert_array_equal(re.detach().numpy(), rt.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(rt.shape))
    (re * ember.tensor(w)).sum().backward()
    (rt * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_lists_and_unit_axes_as_torch():
    parts = [np.ones((2, 3)), np.zeros((2, 3))]
    np.testing.assert_array_equal(erearrange([ember.tensor(p) for p in parts], "n a b -> a (n b)").numpy(),
                                  trearrange([torch.tensor(p) for p in parts], "n a b -> a (n b)").numpy())
    y = np.arange(12.0).reshape(1, 3, 4)
    for pattern in ("1 c h -> c h", "() c h -> h c"):
        np.testing.assert_array_equal(erearrange(ember.tensor(y), pattern).numpy(),
                                      trearrange(torch.tensor(y), pattern).numpy())


@pytest.mark.parametrize("pattern,lengths", [("b c -> b c", {}), ("b c h -> b c", {}), ("b c h -> b c h w", {}),
                                             ("b c h -> b c h", {"q": 1})])
def test_errors_as_torch(pattern, lengths):
    with pytest.raises(ValueError) as ours:
        erearrange(ember.tensor(X), pattern, **lengths)
    with pytest.raises(ValueError) as theirs:
        trearrange(torch.tensor(X), pattern, **lengths)
    assert str(ours.value) == str(theirs.value)
