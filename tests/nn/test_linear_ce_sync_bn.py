"""LinearCrossEntropyLoss / F.linear_cross_entropy / LinearCrossEntropyOptions and SyncBatchNorm
(one process) with convert_sync_batchnorm, against PyTorch: same weights, outputs and gradients."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.functional.loss_linear import linear_cross_entropy
from ember.nn.layers.linear_cross_entropy import LinearCrossEntropyLoss, LinearCrossEntropyOptions
from ember.nn.layers.sync_batchnorm import SyncBatchNorm
from tests.nn.helpers import assert_close, compare_modules


@pytest.mark.parametrize("shapes", [((3, 4), (5, 4), (3,), (5,)), ((3, 4), (5, 2, 4), (3, 2), (5, 2)),
                                    ((4,), (5, 4), (), (5,))])
@pytest.mark.parametrize("kw", [dict(), dict(reduction="none", label_smoothing=0.1), dict(ignore_index=1,
                                                                                        reduction="sum"),
                                dict(weight=True)])
def test_functional_matches_torch(shapes, kw):
    xs, ws, ts, bs = shapes
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in (xs, ws, bs)]
    target = rng.integers(0, 5, ts)
    cw = rng.uniform(0.5, 2, 5)
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    ekw, tkw = dict(kw), dict(kw)
    if kw.get("weight"):
        ekw["weight"], tkw["weight"] = ember.tensor(cw), torch.tensor(cw)
    ours = linear_cross_entropy(e[0], e[1], ember.tensor(target), linear_bias=e[2], **ekw)
    theirs = torch.nn.functional.linear_cross_entropy(t[0], t[1], torch.tensor(target), linear_bias=t[2], **tkw)
    assert_close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    for a, b in zip(e, t):
        assert_close(a.grad, b.grad)


@pytest.mark.parametrize("out_features,bias", [((), False), ((2,), True)])
def test_module_matches_torch(out_features, bias):
    t_mod = torch.nn.LinearCrossEntropyLoss(4, 5, out_features=out_features, bias=bias, label_smoothing=0.05)
    e_mod = LinearCrossEntropyLoss(4, 5, out_features=out_features, bias=bias, label_smoothing=0.05)
    assert sorted(e_mod.state_dict()) == sorted(t_mod.state_dict())
    assert repr(e_mod) == repr(t_mod)
    target = np.random.default_rng(1).integers(0, 5, (3,) + out_features)
    compare_modules(e_mod, t_mod, [np.random.default_rng(2).standard_normal((3, 4)), target])


def test_options_are_accepted_and_checked():
    opts = LinearCrossEntropyOptions(batch_chunk_size=2)
    x, w, t = ember.randn(4, 3), ember.randn(5, 3), ember.tensor([0, 1, 2, 3])
    assert_close(linear_cross_entropy(x, w, t, options=opts), linear_cross_entropy(x, w, t))
    with pytest.raises(ValueError, match="acc_policy"):
        LinearCrossEntropyOptions(acc_policy="fast")
    torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    with pytest.raises(RuntimeError, match="in_features"):
        linear_cross_entropy(x, ember.randn(5, 2), t)


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 4), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("train", [True, False])
def test_sync_batchnorm_matches_torch(shape, train):
    t_mod, e_mod = torch.nn.SyncBatchNorm(3), SyncBatchNorm(3)
    assert repr(e_mod) == repr(t_mod)
    compare_modules(e_mod, t_mod, [np.random.default_rng(3).standard_normal(shape)], train=train)
    for name, buf in t_mod.named_buffers():
        assert_close(dict(e_mod.named_buffers())[name], buf)
    with pytest.raises(ValueError, match="at least 2D"):
        e_mod(ember.ones(3))


def test_convert_sync_batchnorm_keeps_weights_and_modes():
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv2d(1, 3, 1), lib.nn.BatchNorm2d(3),
                                 lib.nn.Sequential(lib.nn.BatchNorm1d(4, affine=False)))
    t_net = build(torch)
    e_net = build(ember)
    e_net.load_state_dict({k: v.numpy() for k, v in t_net.state_dict().items()})
    e_net[2].eval()
    t_net[2].eval()
    old_bn = e_net[1]
    t_conv = torch.nn.SyncBatchNorm.convert_sync_batchnorm(t_net)
    e_conv = SyncBatchNorm.convert_sync_batchnorm(e_net)
    assert [type(m).__name__ for m in e_conv.modules()] == [type(m).__name__ for m in t_conv.modules()]
    assert sorted(e_conv.state_dict()) == sorted(t_conv.state_dict())
    assert [m.training for m in e_conv.modules()] == [m.training for m in t_conv.modules()]
    assert e_conv[1] is not old_bn and e_conv[1].weight is old_bn.weight
    assert e_conv[1].running_var is old_bn.running_var
