"""nn.utils.prune against torch.nn.utils.prune: the same masks (magnitude and norm ranked), state_dict
keys, outputs and gradients of the pruned layers, iterative and global pruning, remove, is_pruned."""
import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

import ember
from ember import nn
from ember.nn.utils import prune
from tests.nn.helpers import assert_close, copy_weights


def _pair(make_t, make_e):
    t_mod, e_mod = make_t().double(), make_e().double()
    copy_weights(t_mod, e_mod)
    return t_mod, e_mod


def _same(t_mod, e_mod, x):
    assert sorted(e_mod.state_dict()) == sorted(t_mod.state_dict())
    for k, v in t_mod.state_dict().items():
        assert_close(e_mod.state_dict()[k], v, what=k)
    out_t, out_e = t_mod(torch.tensor(x)), e_mod(ember.tensor(x))
    assert_close(out_e, out_t)
    out_t.sum().backward()
    out_e.sum().backward()
    for name, p in t_mod.named_parameters():
        assert_close(dict(e_mod.named_parameters())[name].grad, p.grad, what=name)


LINEAR = (lambda: torch.nn.Linear(6, 4), lambda: nn.Linear(6, 4), (3, 6))
CONV = (lambda: torch.nn.Conv2d(3, 4, 3), lambda: nn.Conv2d(3, 4, 3), (2, 3, 5, 5))


@pytest.mark.parametrize("layer", [LINEAR, CONV])
@pytest.mark.parametrize("amount", [5, 0.3, 0.0])
def test_l1_unstructured(layer, amount):
    t_mod, e_mod = _pair(*layer[:2])
    tprune.l1_unstructured(t_mod, "weight", amount=amount)
    prune.l1_unstructured(e_mod, "weight", amount=amount)
    _same(t_mod, e_mod, np.random.default_rng(0).standard_normal(layer[2]))


@pytest.mark.parametrize("layer", [LINEAR, CONV])
@pytest.mark.parametrize("n,dim", [(1, 0), (2, 1), (float("inf"), -1), (3, 0)])
def test_ln_structured(layer, n, dim):
    t_mod, e_mod = _pair(*layer[:2])
    tprune.ln_structured(t_mod, "weight", amount=0.5, n=n, dim=dim)
    prune.ln_structured(e_mod, "weight", amount=0.5, n=n, dim=dim)
    _same(t_mod, e_mod, np.random.default_rng(1).standard_normal(layer[2]))


def test_iterative_pruning_combines_masks_like_torch():
    t_mod, e_mod = _pair(*CONV[:2])
    for lib, mod in ((tprune, t_mod), (prune, e_mod)):
        lib.l1_unstructured(mod, "weight", amount=0.2)
        lib.ln_structured(mod, "weight", amount=1, n=2, dim=0)
        lib.l1_unstructured(mod, "weight", amount=10)
        lib.l1_unstructured(mod, "bias", amount=1)
    assert type(e_mod._forward_pre_hooks[list(e_mod._forward_pre_hooks)[0]]).__name__ == "PruningContainer"
    _same(t_mod, e_mod, np.random.default_rng(2).standard_normal(CONV[2]))


def test_global_unstructured_and_custom_mask():
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Linear(6, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3))
    t_net, e_net = _pair(lambda: build(torch), lambda: build(ember))
    tprune.custom_from_mask(t_net[2], "bias", torch.tensor([1.0, 0.0, 1.0]))
    prune.custom_from_mask(e_net[2], "bias", ember.tensor([1.0, 0.0, 1.0]))
    tprune.global_unstructured([(t_net[0], "weight"), (t_net[2], "weight")], pruning_method=tprune.L1Unstructured,
                               amount=12)
    prune.global_unstructured([(e_net[0], "weight"), (e_net[2], "weight")], pruning_method=prune.L1Unstructured,
                              amount=12)
    _same(t_net, e_net, np.random.default_rng(3).standard_normal((2, 6)))
    assert prune.is_pruned(e_net) and tprune.is_pruned(t_net)


def test_remove_keeps_the_pruned_values():
    t_mod, e_mod = _pair(*LINEAR[:2])
    for lib, mod in ((tprune, t_mod), (prune, e_mod)):
        lib.l1_unstructured(mod, "weight", amount=0.5)
        lib.remove(mod, "weight")
    assert not prune.is_pruned(e_mod)
    _same(t_mod, e_mod, np.random.default_rng(4).standard_normal(LINEAR[2]))
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(e_mod, "weight")


def test_random_pruning_counts_and_amount_checks():
    layer = prune.random_unstructured(nn.Linear(10, 10), "weight", amount=0.25)
    assert int((layer.weight_mask == 0).sum()) == 25
    conv = prune.random_structured(nn.Conv2d(2, 6, 3), "weight", amount=2, dim=0)
    kept = conv.weight_mask.numpy().reshape(6, -1).all(1)
    assert kept.sum() == 4 and (conv.weight_mask.numpy().reshape(6, -1).any(1) == kept).all()
    with pytest.raises(ValueError, match="should either be a float"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=1.5)
    with pytest.raises(ValueError, match="smaller than the number"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=5)
