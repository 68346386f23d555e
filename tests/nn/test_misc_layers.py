"""AdaptiveLogSoftmaxWithLoss, ChannelShuffle, CrossMapLRN2d, FractionalMaxPool2d/3d,
multi_head_attention_forward, nn.grad, nn.attention and nn.Container against PyTorch."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck
from tests.nn.helpers import compare_fn, compare_modules, copy_weights, em

rng = np.random.default_rng(0)
TF = torch.nn.functional


@pytest.mark.parametrize("kw", [dict(cutoffs=[4, 10, 15], div_value=2.0, head_bias=True), dict(cutoffs=[5])])
def test_adaptive_log_softmax_with_loss(kw):
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, **kw).double()
    e = nn.AdaptiveLogSoftmaxWithLoss(16, 20, **kw).double()
    copy_weights(t, e)
    assert repr(e) == repr(t)
    x, y = rng.normal(size=(12, 16)), rng.integers(0, 20, size=12)
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ot, oe = t(xt, torch.tensor(y)), e(xe, ember.tensor(y))
    np.testing.assert_allclose(oe.output.detach().numpy(), ot.output.detach().numpy(), rtol=1e-12)
    assert oe.loss.item() == pytest.approx(ot.loss.item(), rel=1e-12)
    ot.loss.backward(), oe.loss.backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    for (name, pt), (_, pe) in zip(t.named_parameters(), e.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(e.log_prob(xe).detach().numpy(), t.log_prob(xt).detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(e.predict(xe).numpy(), t.predict(xt).numpy())
    single = e(ember.tensor(x[0]), ember.tensor(y[0]))
    assert single.output.shape == () and single.output.item() == pytest.approx(oe.output[0].item())
    with pytest.raises(RuntimeError, match="Target values should be in"):
        e(xe, ember.tensor(np.full(12, 20)))
    with pytest.raises(ValueError, match="cutoffs should be a sequence"):
        nn.AdaptiveLogSoftmaxWithLoss(16, 20, [10, 4])


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 4), 2), ((2, 6, 5), 3), ((1, 8, 2, 2, 2), 4)])
def test_channel_shuffle(shape, groups):
    x = rng.normal(size=shape)
    compare_modules(nn.ChannelShuffle(groups), torch.nn.ChannelShuffle(groups), [x])
    compare_fn(lambda x: F.native_channel_shuffle(x, groups), lambda x: TF.native_channel_shuffle(x, groups), [x],
               grad=[False])  # PyTorch has no derivative for the native kernel
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.channel_shuffle(em(x), 5)


@pytest.mark.parametrize("size,channels", [(2, 5), (3, 6), (4, 1), (5, 9), (7, 3)])
def test_cross_map_lrn2d(size, channels):
    kw = dict(alpha=0.5, beta=0.7, k=1.5)
    compare_modules(nn.CrossMapLRN2d(size, **kw), torch.nn.CrossMapLRN2d(size, **kw),
                    [rng.normal(size=(2, channels, 3, 4))], rtol=1e-12, atol=1e-13)
    assert repr(nn.CrossMapLRN2d(size, **kw)) == repr(torch.nn.CrossMapLRN2d(size, **kw))


@pytest.mark.parametrize("nd,shape,kw", [
    (2, (2, 3, 9, 11), dict(kernel_size=2, output_size=(4, 5))),
    (2, (2, 3, 9, 11), dict(kernel_size=(3, 2), output_ratio=(0.5, 0.6))),
    (3, (2, 2, 7, 8, 9), dict(kernel_size=2, output_size=(3, 4, 5))),
    (3, (1, 2, 7, 8, 9), dict(kernel_size=(2, 3, 2), output_ratio=0.5)),
])
def test_fractional_max_pool(nd, shape, kw):
    x, u = rng.normal(size=shape), rng.uniform(size=shape[:2] + (nd,))
    name = f"FractionalMaxPool{nd}d"
    e = getattr(nn, name)(return_indices=True, _random_samples=ember.tensor(u), **kw)
    t = getattr(torch.nn, name)(return_indices=True, _random_samples=torch.tensor(u), **kw)
    (ye, ie), (yt, it) = e(em(x)), t(torch.tensor(x))
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    np.testing.assert_array_equal(ye.numpy(), yt.numpy())
    fe = getattr(F, f"fractional_max_pool{nd}d")
    ft = getattr(TF, f"fractional_max_pool{nd}d")
    compare_fn(lambda x: fe(x, _random_samples=ember.tensor(u), **kw),
               lambda x: ft(x, _random_samples=torch.tensor(u), **kw), [x])
    xg = em(x[:1], True)
    assert gradcheck(lambda x: fe(x, _random_samples=ember.tensor(u[:1]), **kw), (xg,))
    drawn = getattr(nn, name)(**kw)(em(x))          # samples drawn when not given
    assert tuple(drawn.shape) == tuple(yt.shape)


def test_fractional_max_pool_errors():
    with pytest.raises(ValueError, match="requires specifying either an output size"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)


@pytest.mark.parametrize("extra", [dict(), dict(bias_kv=True, zero_attn=True, kpm=True), dict(separate=True),
                                   dict(unbatched=True, mask=True)])
def test_multi_head_attention_forward(extra):
    E, H, L, S, N = 8, 2, 4, 5, 3
    shapes = dict(q=(L, N, E), k=(S, N, E), v=(S, N, E), w=(3 * E, E), b=(3 * E,), ow=(E, E), ob=(E,),
                  bk=(1, 1, E), bv=(1, 1, E))
    arrays = {k: rng.normal(size=s) for k, s in shapes.items()}
    if extra.get("unbatched"):
        for k in "qkv":
            arrays[k] = arrays[k][:, 0]
    kpm = np.zeros((N, S), bool)
    kpm[0, -1] = True
    mask = np.triu(np.ones((L, S), bool), 1)
    results = []
    for lib, fn in ((ember, F), (torch, TF)):
        t = {k: lib.tensor(v, requires_grad=True) for k, v in arrays.items()}
        sep = extra.get("separate", False)
        out, w = fn.multi_head_attention_forward(
            t["q"], t["k"], t["v"], E, H, None if sep else t["w"], t["b"],
            t["bk"] if extra.get("bias_kv") else None, t["bv"] if extra.get("bias_kv") else None,
            extra.get("zero_attn", False), 0.0, t["ow"], t["ob"],
            key_padding_mask=lib.tensor(kpm) if extra.get("kpm") else None,
            attn_mask=lib.tensor(mask) if extra.get("mask") else None, use_separate_proj_weight=sep,
            q_proj_weight=t["w"][:E] if sep else None, k_proj_weight=t["w"][E:2 * E] if sep else None,
            v_proj_weight=t["w"][2 * E:] if sep else None)
        (out.sum() + (w ** 2).sum()).backward()
        results.append((out.detach().numpy(), w.detach().numpy(),
                        {k: v.grad.numpy() for k, v in t.items() if v.grad is not None}))
    (oe, we, ge), (ot, wt, gt) = results
    np.testing.assert_allclose(oe, ot, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(we, wt, rtol=1e-10, atol=1e-12)
    assert sorted(ge) == sorted(gt)
    for k in gt:
        np.testing.assert_allclose(ge[k], gt[k], rtol=1e-9, atol=1e-11, err_msg=k)


@pytest.mark.parametrize("nd,kw", [(1, dict(stride=2, padding=1)), (2, dict(stride=(2, 1), dilation=2, groups=2)),
                                   (3, dict(padding=1, stride=2))])
def test_nn_grad_matches_torch(nd, kw):
    groups = kw.get("groups", 1)
    x = rng.normal(size=(2, 4) + (7,) * nd)
    w = rng.normal(size=(6, 4 // groups) + (3,) * nd)
    out = getattr(TF, f"conv{nd}d")(torch.tensor(x), torch.tensor(w), **kw)
    g = rng.normal(size=tuple(out.shape))
    ge = getattr(nn.grad, f"conv{nd}d_input")(x.shape, em(w), em(g), **kw)
    gt = getattr(torch.nn.grad, f"conv{nd}d_input")(x.shape, torch.tensor(w), torch.tensor(g), **kw)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-10, atol=1e-12)
    ge = getattr(nn.grad, f"conv{nd}d_weight")(em(x), w.shape, em(g), **kw)
    gt = getattr(torch.nn.grad, f"conv{nd}d_weight")(torch.tensor(x), w.shape, torch.tensor(g), **kw)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-10, atol=1e-12)
    assert F.grad is nn.grad


def test_nn_attention_sdpa_kernel():
    from ember.nn.attention import SDPBackend, sdpa_kernel, current_backends
    from torch.nn.attention import SDPBackend as TB
    assert {k: int(v) for k, v in SDPBackend.__members__.items()} == {k: int(v) for k, v in TB.__members__.items()}
    q = ember.tensor(rng.normal(size=(1, 3, 4)))
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]):
        assert current_backends() == [SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]
        out = F.scaled_dot_product_attention(q, q, q)
    assert SDPBackend.EFFICIENT_ATTENTION in current_backends()
    np.testing.assert_allclose(out.numpy(), TF.scaled_dot_product_attention(*(torch.tensor(q.numpy()),) * 3).numpy(),
                               rtol=1e-12)
    with pytest.raises(AssertionError, match="instance of SDPBackend"):
        with sdpa_kernel(["math"]):
            pass
    from ember.nn import common_types
    assert common_types._size_2_t is not None


def test_container_is_a_deprecated_module():
    with pytest.warns(UserWarning, match="nn.Container is deprecated"):
        c = nn.Container(fc=nn.Linear(2, 3))
    assert isinstance(c, nn.Module) and [n for n, _ in c.named_parameters()] == ["fc.weight", "fc.bias"]
