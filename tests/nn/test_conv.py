"""Convolutions against PyTorch: functional ops, layers with copied weights, gradients, errors, reprs."""
import math

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from ember.functional import _conv_kernels as K
from tests.nn.helpers import compare_modules, compare_fn, copy_weights, em, th, assert_close

rng = np.random.default_rng(0)
TF = torch.nn.functional


def randn(*shape):
    return rng.standard_normal(shape)


# -- conv2d over its options (both kernel layouts are reached: see test_kernel_layouts) ------------------

CONV2D_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 1), padding=(1, 2)),
    dict(padding=1, dilation=2),
    dict(padding="same"),
    dict(padding="same", dilation=(2, 1)),
    dict(padding="valid"),
    dict(groups=2, padding=1),
    dict(groups=4, stride=2),
    dict(kernel=(1, 1)),
    dict(kernel=(2, 3), stride=(1, 2), padding=(0, 1)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", CONV2D_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_conv2d_layer_matches_torch(case, bias, dtype):
    case = dict(case)
    k = case.pop("kernel", 3)
    e = nn.Conv2d(4, 8, k, bias=bias, **case)
    t = torch.nn.Conv2d(4, 8, k, bias=bias, **case)
    compare_modules(e, t, [randn(3, 4, 9, 8)], dtype)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_padding_modes(mode, padding):
    e = nn.Conv2d(3, 5, 3, padding=padding, padding_mode=mode)
    t = torch.nn.Conv2d(3, 5, 3, padding=padding, padding_mode=mode)
    compare_modules(e, t, [randn(2, 3, 6, 7)])


@pytest.mark.parametrize("case", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding="same"),
                                  dict(groups=2, bias=False), dict(padding_mode="circular", padding=2),
                                  dict(padding_mode="reflect", padding=1, stride=3)])
def test_conv1d_layer_matches_torch(case):
    compare_modules(nn.Conv1d(4, 6, 3, **case), torch.nn.Conv1d(4, 6, 3, **case), [randn(3, 4, 11)])
    compare_modules(nn.Conv1d(4, 6, 3, **case), torch.nn.Conv1d(4, 6, 3, **case), [randn(3, 4, 11)], np.float32)


@pytest.mark.parametrize("case", [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
                                  dict(stride=(2, 3), output_padding=(1, 2)), dict(dilation=2, padding=2),
                                  dict(groups=2, stride=2, bias=False), dict(stride=2, dilation=3, output_padding=2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_transpose2d_layer_matches_torch(case, dtype):
    e = nn.ConvTranspose2d(4, 6, 3, **case)
    t = torch.nn.ConvTranspose2d(4, 6, 3, **case)
    compare_modules(e, t, [randn(2, 4, 5, 4)], dtype)


@pytest.mark.parametrize("case", [dict(), dict(stride=3, padding=1, output_padding=2), dict(groups=2, dilation=2)])
def test_conv_transpose1d_layer_matches_torch(case):
    compare_modules(nn.ConvTranspose1d(4, 2, 3, **case), torch.nn.ConvTranspose1d(4, 2, 3, **case), [randn(2, 4, 7)])


def test_conv_transpose2d_output_size_argument():
    e, t = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double(), torch.nn.ConvTranspose2d(3, 2, 3, stride=2,
                                                                                               padding=1).double()
    copy_weights(t, e)
    x = randn(1, 3, 4, 4)
    for size in [(7, 7), (8, 8), (1, 2, 8, 7)]:
        assert_close(e(em(x), output_size=size), t(th(x), output_size=size))
    with pytest.raises(ValueError, match="valid sizes range from"):
        e(em(x), output_size=(9, 9))


@pytest.mark.parametrize("layer,shape", [(lambda m: m.Conv2d(3, 4, 3), (3, 6, 6)),
                                         (lambda m: m.Conv1d(3, 4, 3), (3, 6)),
                                         (lambda m: m.ConvTranspose2d(3, 4, 3, stride=2), (3, 4, 5)),
                                         (lambda m: m.ConvTranspose1d(3, 4, 3), (3, 5))])
def test_unbatched_input(layer, shape):
    out_e, out_t = compare_modules(layer(nn), layer(torch.nn), [randn(*shape)])
    assert out_e.ndim == len(shape)


def test_conv_functional_with_bias_and_groups_matches_torch():
    x, w, b = randn(2, 6, 7, 7), randn(9, 2, 3, 3), randn(9)
    compare_fn(lambda x, w, b: F.conv2d(x, w, b, 2, 1, 1, 3), lambda x, w, b: TF.conv2d(x, w, b, 2, 1, 1, 3),
               [x, w, b])
    compare_fn(lambda x, w: F.conv1d(x, w, None, 1, "same", 2), lambda x, w: TF.conv1d(x, w, None, 1, "same", 2),
               [randn(2, 3, 8), randn(5, 3, 4)])
    compare_fn(lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 3, 1),
               lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1, 1, 3, 1), [randn(2, 6, 4, 4), randn(6, 2, 3, 3),
                                                                            randn(6)])


_LAYOUT_CASES = [dict(), dict(stride=(2, 1), pad=(1, 0, 2, 2)), dict(dilation=(1, 2), pad=(2,) * 4)]


@pytest.mark.parametrize("mode,case", [("sample", c) for c in _LAYOUT_CASES]
                         + [("batch", c) for c in _LAYOUT_CASES + [dict(groups=2)]])
def test_kernel_layouts(mode, case):
    """Both column layouts ("sample" and "batch", flat or not), and chunking, against torch."""
    x, w, b = randn(5, 4, 9, 8), randn(6, 4 // case.get("groups", 1), 3, 3), randn(6)
    pad = case.get("pad", (0, 0, 0, 0))
    geo = K.ConvGeom(5, 4, 9, 8, 6, 3, 3, case.get("stride", (1, 1)), pad, case.get("dilation", (1, 1)),
                     case.get("groups", 1), itemsize=8, mode=mode)
    geo.nc = 2  # chunks of 2, 2, 1 samples, on two threads
    geo.threads = 2
    xt = TF.pad(th(x), (pad[2], pad[3], pad[0], pad[1]))
    ref = TF.conv2d(xt, th(w), th(b), case.get("stride", 1), 0, case.get("dilation", 1), case.get("groups", 1))
    assert_close(K.conv_forward(x, w, b, geo), ref)
    g = randn(*ref.shape)
    tx, tw, tb = th(x, True), th(w, True), th(b, True)
    TF.conv2d(TF.pad(tx, (pad[2], pad[3], pad[0], pad[1])), tw, tb, case.get("stride", 1), 0,
              case.get("dilation", 1), case.get("groups", 1)).backward(th(g))
    dx, dw, db = K.conv_backward(g, x, w, geo)
    assert_close(dx, tx.grad)
    assert_close(dw, tw.grad)
    assert_close(db, tb.grad)


def test_kernel_plans_both_layouts_for_the_mnist_cnn():
    first = K.ConvGeom(64, 1, 28, 28, 32, 3, 3)
    second = K.ConvGeom(64, 32, 13, 13, 64, 3, 3)
    assert first.mode == "sample"
    assert second.mode == "batch" and second.flat


# -- gradcheck, double backward -----------------------------------------------------------------------

@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), [(2, 2, 5, 5), (3, 2, 3, 3), (3,)]),
    (lambda x, w, b: F.conv2d(x, w, b, padding="same", dilation=2, groups=2), [(1, 2, 5, 4), (2, 1, 2, 3), (2,)]),
    (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=2), [(2, 2, 6), (3, 2, 3), (3,)]),
    (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
     [(1, 2, 3, 3), (2, 3, 3, 3), (3,)]),
    (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, groups=2), [(1, 2, 4), (2, 2, 3), (4,)]),
])
def test_gradcheck_and_gradgradcheck(fn, shapes):
    args = tuple(ember.tensor(randn(*s), requires_grad=True) for s in shapes)
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def test_gradient_penalty_matches_torch():
    """A WGAN-GP style penalty needs d/dw of ||d out / d x||: conv double backward against torch."""
    x, w, b = randn(2, 3, 6, 6), randn(4, 3, 3, 3), randn(4)
    res = []
    for lib, mk in ((ember, em), (torch, th)):
        xs, ws, bs = mk(x, True), mk(w, True), mk(b, True)
        conv = F.conv2d if lib is ember else TF.conv2d
        out = conv(xs, ws, bs, padding=1).tanh().sum()
        (gx,) = lib.autograd.grad(out, xs, create_graph=True)
        ((gx * gx).sum()).backward()
        res.append((ws.grad, bs.grad, xs.grad))
    for e, t in zip(*res):
        assert_close(e, t)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=2, padding=1),
                                dict(kernel_size=3, dilation=2, padding=2, stride=(1, 2))])
def test_unfold_fold_match_torch(kw):
    x = randn(2, 3, 6, 7)
    out_e, out_t = compare_fn(lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw), [x])
    cols = randn(*out_t.shape)
    compare_fn(lambda c: F.fold(c, (6, 7), **kw), lambda c: TF.fold(c, (6, 7), **kw), [cols])
    compare_modules(nn.Unfold(**kw), torch.nn.Unfold(**kw), [x])
    args = (ember.tensor(randn(1, 2, 5, 5), requires_grad=True),)
    assert gradgradcheck(lambda x: F.unfold(x, **kw) ** 2, args)


def test_unfold_fold_unbatched():
    x = randn(3, 4, 4)
    compare_fn(lambda x: F.unfold(x, 2), lambda x: TF.unfold(x, 2), [x])
    compare_fn(lambda c: F.fold(c, (4, 4), 2), lambda c: TF.fold(c, (4, 4), 2), [randn(12, 9)])


# -- layers: init, repr, parameters, lazy -------------------------------------------------------------

def test_conv_parameters_and_default_init():
    import torch
    ember.manual_seed(0)
    c = nn.Conv2d(16, 32, 3)
    assert c.weight.shape == (32, 16, 3, 3) and c.bias.shape == (32,)
    bound = 1 / math.sqrt(16 * 9)
    for p in (c.weight, c.bias):
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.8 * bound
        assert abs(a.std() - bound / math.sqrt(3)) < 0.15 * bound
    torch.manual_seed(0)  # the same seed gives torch's exact initial values
    tc = torch.nn.Conv2d(16, 32, 3)
    assert np.array_equal(c.weight.detach().numpy(), tc.weight.detach().numpy())
    assert np.array_equal(c.bias.detach().numpy(), tc.bias.detach().numpy())
    assert [n for n, _ in c.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(2, 4, 3, bias=False).bias is None
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3)
    assert np.abs(t.bias.detach().numpy()).max() <= 1 / math.sqrt(3 * 9)
    assert nn.Conv1d(3, 5, 4).weight.shape == (5, 3, 4)
    assert c.weight.dtype == ember.float32
    assert nn.Conv2d(1, 2, 3, dtype=ember.float64).weight.dtype == ember.float64


@pytest.mark.parametrize("make", [
    lambda m: m.Conv2d(1, 32, 3),
    lambda m: m.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False, padding_mode="reflect"),
    lambda m: m.Conv2d(4, 8, 3, padding="same", groups=2),
    lambda m: m.Conv2d(4, 8, 3, padding="valid"),
    lambda m: m.Conv1d(2, 4, 3, stride=2, padding_mode="circular", padding=1),
    lambda m: m.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
    lambda m: m.ConvTranspose1d(4, 2, 3, dilation=2),
    lambda m: m.Unfold(2, padding=1),
    lambda m: m.Fold((4, 4), 2),
])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_state_dict_round_trip_with_torch():
    t = torch.nn.Conv2d(3, 4, 3)
    e = nn.Conv2d(3, 4, 3)
    copy_weights(t, e)
    assert list(e.state_dict()) == ["weight", "bias"]
    t2 = torch.nn.Conv2d(3, 4, 3)
    t2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    assert_close(e.weight, t2.weight, np.float32)


def test_lazy_conv2d_infers_in_channels():
    e = nn.LazyConv2d(8, 3, padding=1)
    y = e(ember.randn(2, 5, 6, 6))
    assert type(e) is nn.Conv2d and e.in_channels == 5 and e.weight.shape == (8, 5, 3, 3)
    assert y.shape == (2, 8, 6, 6)
    assert repr(e) == repr(torch.nn.Conv2d(5, 8, 3, padding=1))


def test_mnist_cnn_trains_like_torch():
    """The benchmark CNN: three SGD steps in float64 give PyTorch's weights."""
    def build(m):
        return m.Sequential(m.Conv2d(1, 4, 3), m.ReLU(), m.MaxPool2d(2), m.Conv2d(4, 6, 3), m.ReLU(), m.MaxPool2d(2),
                            m.Flatten(), m.Linear(6 * 5 * 5, 10))
    e, t = build(nn).double(), build(torch.nn).double()
    copy_weights(t, e)
    x, y = randn(8, 1, 28, 28), rng.integers(0, 10, 8)
    for _ in range(3):
        for mod, mk, lib in ((e, em, ember), (t, th, torch)):
            mod.zero_grad()
            loss = (F if lib is ember else TF).cross_entropy(mod(mk(x)), mk(y))
            loss.backward()
            with lib.no_grad():
                for p in mod.parameters():
                    p -= 0.1 * p.grad
    for (name, pt), pe in zip(t.named_parameters(), e.parameters()):
        assert_close(pe, pt, what=name)


# -- errors -------------------------------------------------------------------------------------------

def test_wrong_channels_names_the_layer():
    with pytest.raises(RuntimeError, match=r"Conv2d\(1, 32, kernel_size=\(3, 3\), stride=\(1, 1\)\): expected "
                                           r"input\[64, 3, 28, 28\] to have 1 channels, but got 3 channels"):
        nn.Conv2d(1, 32, 3)(ember.zeros(64, 3, 28, 28))
    with pytest.raises(RuntimeError, match=r"Conv2d\(1, 32.*expected a 4D input.*got input of shape \(64, 784\)"):
        nn.Conv2d(1, 32, 3)(ember.zeros(64, 784))
    with pytest.raises(RuntimeError, match=r"ConvTranspose2d\(4, 2.*expected input\[1, 3, 5, 5\] to have 4"):
        nn.ConvTranspose2d(4, 2, 3)(ember.zeros(1, 3, 5, 5))


@pytest.mark.parametrize("call,err,msg", [
    (lambda: F.conv2d(ember.zeros(2, 3, 8, 8), ember.zeros(4, 1, 3, 3)), RuntimeError,
     r"Given groups=1, weight of size \[4, 1, 3, 3\], expected input\[2, 3, 8, 8\] to have 1 channels, but got 3"),
    (lambda: F.conv2d(ember.zeros(2, 4, 8, 8), ember.zeros(3, 2, 3, 3), groups=2), RuntimeError,
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda: F.conv2d(ember.zeros(2, 1, 2, 2), ember.zeros(4, 1, 3, 3)), RuntimeError,
     r"Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel size can't be greater"),
    (lambda: F.conv2d(ember.zeros(2, 1, 8, 8), ember.zeros(4, 1, 3, 3), stride=2, padding="same"), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(ember.zeros(2, 1, 8, 8), ember.zeros(4, 1, 3, 3), padding="full"), ValueError,
     "Invalid padding string 'full'"),
    (lambda: F.conv2d(ember.zeros(2, 1, 8, 8), ember.zeros(4, 1, 3, 3), ember.zeros(3)), RuntimeError,
     "expected bias to be 1-dimensional with 4 elements"),
    (lambda: F.conv2d(ember.zeros(8, 8), ember.zeros(4, 1, 3, 3)), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[8, 8\]"),
    (lambda: F.conv2d(ember.zeros(1, 1, 8, 8), ember.zeros(4, 1, 3, 3), stride=0), RuntimeError,
     "non-positive stride"),
    (lambda: F.conv2d(ember.zeros(1, 1, 8, 8, dtype=ember.float64), ember.zeros(4, 1, 3, 3)), RuntimeError,
     r"input type \(ember.float64\) and weight type \(ember.float32\) should be the same"),
    (lambda: F.conv_transpose2d(ember.zeros(1, 2, 3, 3), ember.zeros(2, 1, 3, 3), stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation"),
    (lambda: F.conv1d(ember.zeros(2, 3, 5), ember.zeros(4, 2, 3)), RuntimeError,
     r"weight of size \[4, 2, 3\], expected input\[2, 3, 5\] to have 2 channels"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 4, 3, stride=2, padding="same"), ValueError, "not supported for strided"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"), ValueError, "padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError, 'Only "zeros" padding mode'),
    (lambda: F.fold(ember.zeros(1, 12, 5), (4, 4), 2), RuntimeError, "match the calculated number of sliding"),
])
def test_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


def test_float32_stays_float32():
    y = nn.Conv2d(2, 3, 3)(ember.randn(2, 2, 5, 5, requires_grad=True))
    assert y.dtype == ember.float32
    y.sum().backward()
