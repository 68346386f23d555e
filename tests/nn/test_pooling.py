"""Pooling against PyTorch: max/avg/adaptive/LP pooling and unpooling, values, indices, gradients, errors."""
import itertools

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from tests.nn.helpers import compare_modules, em, th, assert_close

rng = np.random.default_rng(0)
TF = torch.nn.functional


def randn(*shape):
    return rng.standard_normal(shape)


def ties(*shape):
    """Values with many exact ties (as after a ReLU): the first maximum in window order must win."""
    return np.maximum(np.round(rng.standard_normal(shape)), 0)


def _pad_ok(k, p, d):
    ks = (k, k) if isinstance(k, int) else k
    return all(p <= ((ki - 1) * d + 1) // 2 for ki in ks)


MAX_CASES = [dict(k=k, s=s, p=p, d=d, c=c)
             for k, s, p, d, c in itertools.product([2, 3, (2, 3)], [None, 1, 2], [0, 1], [1, 2], [False, True])
             if _pad_ok(k, p, d)]


@pytest.mark.parametrize("case", MAX_CASES, ids=lambda c: "k{k}s{s}p{p}d{d}c{c}".format(**c))
@pytest.mark.parametrize("data", [randn, ties])
def test_max_pool2d_values_indices_gradients(case, data):
    kw = dict(kernel_size=case["k"], stride=case["s"], padding=case["p"], dilation=case["d"], ceil_mode=case["c"])
    x = data(2, 3, 9, 8)
    e_mod, t_mod = nn.MaxPool2d(return_indices=True, **kw), torch.nn.MaxPool2d(return_indices=True, **kw)
    xe, xt = em(x, True), th(x, True)
    (ye, ie), (yt, it) = e_mod(xe), t_mod(xt)
    assert_close(ye, yt)
    assert ie.dtype == ember.int64 and np.array_equal(ie.numpy(), it.numpy())
    g = randn(*yt.shape)
    ye.backward(em(g))
    yt.backward(th(g))
    assert_close(xe.grad, xt.grad)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(4, 6, 26, 26), (4, 6, 11, 11), (6, 7, 8)])
def test_max_pool2d_2x2_fast_path(shape, dtype):
    """The benchmark's 2x2/stride-2 pool (even and odd sizes, unbatched), float32 and float64, with ties."""
    for data in (randn, ties):
        compare_modules(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), [data(*shape)], dtype)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_threaded_pooling_matches_torch(monkeypatch, kw):
    """Batch slices on several threads give the same values and gradients."""
    from ember.functional import pooling
    monkeypatch.setattr(pooling, "_PARALLEL_MIN", 0)
    compare_modules(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), [ties(5, 3, 8, 7)])
    compare_modules(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), [randn(5, 3, 8, 7)], np.float32)


def test_max_pool_nan_wins_like_torch():
    x = randn(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 2, 2] = np.nan
    for k, s in ((2, 2), (3, 1)):
        ye, ie = F.max_pool2d(em(x), k, s, return_indices=True)
        yt, it = TF.max_pool2d(th(x), k, s, return_indices=True)
        np.testing.assert_array_equal(np.isnan(ye.numpy()), np.isnan(yt.numpy()))
        np.testing.assert_array_equal(ie.numpy(), it.numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=4, stride=1, dilation=2, padding=2)])
def test_max_pool1d(kw):
    compare_modules(nn.MaxPool1d(**kw), torch.nn.MaxPool1d(**kw), [randn(2, 3, 13)])
    compare_modules(nn.MaxPool1d(**kw), torch.nn.MaxPool1d(**kw), [ties(3, 13)])
    ye, ie = F.max_pool1d(em(randn(2, 3, 13)), return_indices=True, **kw)
    assert ie.shape == ye.shape


AVG_CASES = [dict(k=k, s=s, p=p, c=c, i=i, o=o)
             for k, s, p, c, i, o in itertools.product([2, 3, (3, 2)], [None, 1, 2], [0, 1], [False, True],
                                                       [True, False], [None, 5])
             if p <= (k if isinstance(k, int) else min(k)) // 2]


@pytest.mark.parametrize("case", AVG_CASES, ids=lambda c: "k{k}s{s}p{p}c{c}i{i}o{o}".format(**c))
def test_avg_pool2d(case):
    kw = dict(kernel_size=case["k"], stride=case["s"], padding=case["p"], ceil_mode=case["c"],
              count_include_pad=case["i"], divisor_override=case["o"])
    compare_modules(nn.AvgPool2d(**kw), torch.nn.AvgPool2d(**kw), [randn(2, 3, 9, 8)])


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                          count_include_pad=False)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_avg_pool1d(kw, dtype):
    compare_modules(nn.AvgPool1d(**kw), torch.nn.AvgPool1d(**kw), [randn(2, 3, 10)], dtype)


@pytest.mark.parametrize("size", [1, 2, 3, (2, 5), (None, 3), 7, (4, 9), (9, 9)])
def test_adaptive_pool2d(size):
    compare_modules(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), [randn(2, 3, 7, 8)])
    for data in (randn, ties):
        x = data(2, 3, 7, 8)
        e, t = nn.AdaptiveMaxPool2d(size, return_indices=True), torch.nn.AdaptiveMaxPool2d(size, return_indices=True)
        xe, xt = em(x, True), th(x, True)
        (ye, ie), (yt, it) = e(xe), t(xt)
        assert_close(ye, yt)
        np.testing.assert_array_equal(ie.numpy(), it.numpy())
        g = randn(*yt.shape)
        ye.backward(em(g))
        yt.backward(th(g))
        assert_close(xe.grad, xt.grad)


@pytest.mark.parametrize("size", [1, 3, 4, 6])
def test_adaptive_pool1d(size):
    compare_modules(nn.AdaptiveAvgPool1d(size), torch.nn.AdaptiveAvgPool1d(size), [randn(2, 3, 9)])
    compare_modules(nn.AdaptiveMaxPool1d(size), torch.nn.AdaptiveMaxPool1d(size), [randn(2, 3, 9)])
    compare_modules(nn.AdaptiveAvgPool1d(size), torch.nn.AdaptiveAvgPool1d(size), [randn(3, 9)], np.float32)


def test_lp_pool():
    x = np.abs(randn(2, 3, 8, 7)) + 0.1
    compare_modules(nn.LPPool2d(2, 3, stride=2), torch.nn.LPPool2d(2, 3, stride=2), [x])
    compare_modules(nn.LPPool2d(1.5, (2, 3), ceil_mode=True), torch.nn.LPPool2d(1.5, (2, 3), ceil_mode=True), [x])
    compare_modules(nn.LPPool1d(3, 2), torch.nn.LPPool1d(3, 2), [x[0]])


@pytest.mark.parametrize("kw,shape,out", [(dict(kernel_size=2), (2, 3, 8, 10), None),
                                          (dict(kernel_size=2), (2, 3, 7, 9), (7, 9)),
                                          (dict(kernel_size=3, stride=2, padding=1), (2, 3, 8, 10), (1, 1, 8, 10))])
def test_max_unpool2d(kw, shape, out):
    x = randn(*shape)
    ye, ie = F.max_pool2d(em(x), return_indices=True, **kw)
    yt, it = TF.max_pool2d(th(x), return_indices=True, **kw)
    v = randn(*yt.shape)
    ve, vt = em(v, True), th(v, True)
    ue = nn.MaxUnpool2d(**kw)(ve, ie, output_size=out)
    ut = torch.nn.MaxUnpool2d(**kw)(vt, it, output_size=out)
    assert_close(ue, ut)
    g = randn(*ut.shape)
    ue.backward(em(g))
    ut.backward(th(g))
    assert_close(ve.grad, vt.grad)


def test_max_unpool1d():
    x = randn(2, 3, 8)
    ye, ie = F.max_pool1d(em(x), 2, return_indices=True)
    yt, it = TF.max_pool1d(th(x), 2, return_indices=True)
    assert_close(F.max_unpool1d(ye, ie, 2), TF.max_unpool1d(yt, it, 2))


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 2, 1),
    lambda x: F.max_pool2d(x * x, 3, 2, 1, ceil_mode=True),
    lambda x: F.max_pool2d(x, 2),
    lambda x: F.avg_pool2d(x, 3, 2, 1, True, False),
    lambda x: F.avg_pool2d(x, 2),
    lambda x: F.adaptive_max_pool2d(x, 3),
    lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
    lambda x: F.max_pool1d(x.flatten(2), 3, 2),
    lambda x: F.lp_pool2d(x * x + 1, 2, 2),
])
def test_gradcheck_and_gradgradcheck(fn):
    x = ember.tensor(randn(1, 2, 5, 5), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("make", [
    lambda m: m.MaxPool2d(2), lambda m: m.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
    lambda m: m.MaxPool1d(3), lambda m: m.AvgPool2d(2), lambda m: m.AvgPool2d(3, 2, 1), lambda m: m.AvgPool1d(3),
    lambda m: m.AdaptiveAvgPool2d((1, None)), lambda m: m.AdaptiveMaxPool2d(3), lambda m: m.AdaptiveAvgPool1d(4),
    lambda m: m.AdaptiveMaxPool1d(2), lambda m: m.MaxUnpool2d(2),
    lambda m: m.LPPool2d(2, 3), lambda m: m.LPPool1d(2, 3, 2)])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_max_unpool1d_repr():
    from ember.nn.layers.pooling import MaxUnpool1d
    assert repr(MaxUnpool1d(2, 1)) == repr(torch.nn.MaxUnpool1d(2, 1))


def test_pool_keeps_float32_and_contiguity():
    y = nn.MaxPool2d(2)(ember.randn(2, 3, 6, 6, requires_grad=True))
    assert y.dtype == ember.float32
    assert y.view(2, -1).shape == (2, 27)
    y.sum().backward()


@pytest.mark.parametrize("call,err,msg", [
    (lambda: F.max_pool2d(ember.zeros(1, 1, 4, 4), 3, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size"),
    (lambda: F.avg_pool2d(ember.zeros(1, 1, 4, 4), 2, padding=2), RuntimeError, "pad should be at most half"),
    (lambda: F.max_pool2d(ember.zeros(1, 1, 2, 2), 3), RuntimeError, "too small"),
    (lambda: F.max_pool2d(ember.zeros(4, 4), 2), RuntimeError, r"expected a 3D \(unbatched\) or 4D \(batched\)"),
    (lambda: F.max_pool2d(ember.zeros(1, 1, 4, 4), 0), RuntimeError, "kernel_size must be greater than zero"),
    (lambda: F.avg_pool2d(ember.zeros(1, 1, 4, 4), 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda: nn.MaxPool2d(2)(ember.zeros(1, 2, 3, 4, 5)), RuntimeError,
     r"MaxPool2d\(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False\): expected a 4D input"),
    (lambda: F.max_unpool2d(ember.zeros(1, 1, 2, 2), ember.zeros(1, 1, 2, 2, dtype=ember.int64), 2,
                            output_size=(7, 7)), ValueError, "invalid output_size"),
    (lambda: F.adaptive_avg_pool2d(ember.zeros(1, 1, 0, 4), 2), RuntimeError, "non-zero sizes"),
])
def test_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()
