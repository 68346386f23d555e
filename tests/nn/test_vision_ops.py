"""Padding, interpolation and pixel shuffling against PyTorch (functional and layers)."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from tests.nn.helpers import compare_modules, compare_fn

rng = np.random.default_rng(0)
TF = torch.nn.functional


def randn(*shape):
    return rng.standard_normal(shape)


# -- pad ----------------------------------------------------------------------------------------------

PAD_CASES = [
    ((2, 3, 4), (1, 2), "constant"), ((2, 3, 4), (1, 1, 2, 0, 1, 1), "constant"), ((2, 3, 4), (-1, 2, 1, -2), "constant"),
    ((3, 5), (2, 3), "reflect"), ((2, 3, 5), (4, 1), "reflect"), ((1, 2, 4, 5), (1, 2, 3, 0), "reflect"),
    ((1, 2, 4, 5), (-1, 2, 0, -1), "reflect"), ((1, 2, 3, 4, 5), (1, 1, 2, 1, 0, 2), "reflect"),
    ((2, 3, 5), (3, 7), "replicate"), ((1, 2, 4, 5), (2, 1, 0, 3), "replicate"), ((2, 4, 5), (-2, 1, 1, -1), "replicate"),
    ((2, 3, 5), (5, 2), "circular"), ((1, 2, 4, 5), (1, 2, 4, 0), "circular"), ((1, 2, 4, 5), (-1, 2, 1, -2), "circular"),
]


@pytest.mark.parametrize("shape,pad,mode", PAD_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pad_matches_torch(shape, pad, mode, dtype):
    compare_fn(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode), [randn(*shape)], dtype)


def test_pad_constant_value_and_gradgradcheck():
    compare_fn(lambda x: F.pad(x, (1, 2, 0, 1), value=-3.5), lambda x: TF.pad(x, (1, 2, 0, 1), value=-3.5),
               [randn(2, 3, 3)])
    x = ember.tensor(randn(1, 2, 3, 4), requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        fn = (lambda m: lambda x: F.pad(x, (2, 1, -1, 2), m) * F.pad(x, (2, 1, -1, 2), m).sum())(mode)
        assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


@pytest.mark.parametrize("make", [
    lambda m: m.ZeroPad2d(1), lambda m: m.ZeroPad2d((1, 0, 2, 3)), lambda m: m.ZeroPad1d((1, 2)),
    lambda m: m.ConstantPad2d(2, 3.5), lambda m: m.ConstantPad1d(1, 0), lambda m: m.ConstantPad3d(1, 1.0),
    lambda m: m.ReflectionPad2d(2), lambda m: m.ReflectionPad1d((1, 2)), lambda m: m.ReplicationPad2d((1, 0, 2, 0)),
    lambda m: m.ReplicationPad1d(2), lambda m: m.CircularPad2d(1), lambda m: m.CircularPad1d((2, 1))])
def test_padding_layers_match_torch(make):
    e, t = make(nn), make(torch.nn)
    assert repr(e) == repr(t)
    nd = len(e.padding) // 2
    compare_modules(e, t, [randn(*((2, 3, 5, 6, 4)[:nd + 2]))])
    compare_modules(e, t, [randn(*((3, 5, 6, 4)[:nd + 1]))], np.float32)


@pytest.mark.parametrize("call,err,msg", [
    (lambda: F.pad(ember.zeros(3), (1, 1, 1)), RuntimeError, "Padding length must be divisible by 2"),
    (lambda: F.pad(ember.zeros(3), (1, 1, 1, 1)), RuntimeError, "less than or equal to two times the input dimension"),
    (lambda: F.pad(ember.zeros(1, 2, 3, 3), (3, 3), "reflect"), NotImplementedError, "Padding size 2 is not supported"),
    (lambda: F.pad(ember.zeros(1, 2, 3, 3), (3, 3, 0, 0), "reflect"), RuntimeError,
     r"Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) at dimension 3"),
    (lambda: F.pad(ember.zeros(1, 2, 3, 3), (4, 4, 0, 0), "circular"), RuntimeError, "wrapping around more than once"),
    (lambda: F.pad(ember.zeros(1, 2, 3, 3), (1, 1), "mirror"), NotImplementedError, "Unrecognised padding mode mirror"),
    (lambda: nn.ReflectionPad2d(1)(ember.zeros(3, 3)), RuntimeError, r"ReflectionPad2d\(\(1, 1, 1, 1\)\): expected"),
])
def test_pad_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


# -- interpolate ----------------------------------------------------------------------------------------

SIZES = [dict(scale_factor=2), dict(scale_factor=1.7), dict(scale_factor=0.6), dict(size=3), dict(size=9),
         dict(scale_factor=2.5, recompute_scale_factor=True), dict(size=1)]


@pytest.mark.parametrize("mode,shape", [("nearest", (2, 3, 5)), ("nearest", (2, 3, 5, 7)), ("nearest-exact", (1, 2, 5, 7)),
                                        ("linear", (2, 3, 5)), ("bilinear", (2, 3, 5, 7)), ("bicubic", (1, 2, 5, 7)),
                                        ("trilinear", (1, 2, 3, 4, 5)), ("nearest", (1, 2, 3, 4, 5)), ("area", (2, 3, 5, 7)),
                                        ("area", (2, 3, 9))])
@pytest.mark.parametrize("kw", SIZES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_interpolate_matches_torch(mode, shape, kw):
    for ac in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True]):
        compare_fn(lambda x: F.interpolate(x, mode=mode, align_corners=ac, **kw),
                   lambda x: TF.interpolate(x, mode=mode, align_corners=ac, **kw), [randn(*shape)])


def test_interpolate_per_axis_sizes_and_float32():
    compare_fn(lambda x: F.interpolate(x, size=(3, 11), mode="bilinear"),
               lambda x: TF.interpolate(x, size=(3, 11), mode="bilinear"), [randn(2, 3, 5, 7)], np.float32)
    compare_fn(lambda x: F.interpolate(x, scale_factor=(2, 0.5)), lambda x: TF.interpolate(x, scale_factor=(2, 0.5)),
               [randn(2, 3, 5, 7)], np.float32)
    y = F.interpolate(ember.randn(1, 2, 4, 4), scale_factor=2, mode="bilinear")
    assert y.dtype == ember.float32


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_interpolate_gradgradcheck(mode):
    x = ember.tensor(randn(1, 2, 3, 4), requires_grad=True)
    kw = {} if mode == "nearest" else {"align_corners": False}
    fn = lambda x: F.interpolate(x, scale_factor=1.5, mode=mode, **kw) ** 2  # noqa: E731
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


@pytest.mark.parametrize("make", [
    lambda m: m.Upsample(scale_factor=2), lambda m: m.Upsample(size=(4, 5), mode="bilinear", align_corners=True),
    lambda m: m.Upsample(scale_factor=(2, 3), mode="bicubic"), lambda m: m.UpsamplingNearest2d(scale_factor=2),
    lambda m: m.UpsamplingBilinear2d(size=3), lambda m: m.Upsample(scale_factor=1.5, mode="nearest-exact")])
def test_upsample_layers_match_torch(make):
    e, t = make(nn), make(torch.nn)
    assert repr(e) == repr(t)
    compare_modules(e, t, [randn(2, 3, 4, 5)])


@pytest.mark.parametrize("call,err,msg", [
    (lambda: F.interpolate(ember.zeros(1, 1, 4, 4), size=2, scale_factor=2), ValueError, "only one of size or"),
    (lambda: F.interpolate(ember.zeros(1, 1, 4, 4)), ValueError, "either size or scale_factor should be defined"),
    (lambda: F.interpolate(ember.zeros(1, 1, 4, 4), scale_factor=2, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes"),
    (lambda: F.interpolate(ember.zeros(1, 1, 4, 4), scale_factor=2, mode="linear"), NotImplementedError,
     "Got 4D input, but linear mode needs 3D input"),
    (lambda: F.interpolate(ember.zeros(1, 1, 4, 4), size=(2, 3, 4)), ValueError,
     "Input and output must have the same number of spatial dimensions"),
])
def test_interpolate_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()


# -- pixel shuffle --------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((9, 2, 3), 3), ((2, 1, 4, 2, 2), 2)])
def test_pixel_shuffle_round_trip(shape, r):
    compare_modules(nn.PixelShuffle(r), torch.nn.PixelShuffle(r), [randn(*shape)])
    out = TF.pixel_shuffle(torch.tensor(randn(*shape)), r)
    compare_modules(nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r), [randn(*out.shape)])
    x = ember.tensor(randn(*shape))
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, r), r).numpy(), x.numpy())
    assert repr(nn.PixelShuffle(r)) == repr(torch.nn.PixelShuffle(r))
    assert repr(nn.PixelUnshuffle(r)) == repr(torch.nn.PixelUnshuffle(r))


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match=r"divisible by the square of upscale_factor, but input.size\(-3\)=5"):
        F.pixel_shuffle(ember.zeros(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match="divisible by downscale_factor"):
        F.pixel_unshuffle(ember.zeros(1, 1, 3, 4), 2)
