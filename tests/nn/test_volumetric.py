"""3-D layers and ops (convolution, transposed convolution, pooling, unpooling, instance norm, padding)
and the lazy layers against PyTorch: same weights and inputs, same outputs and input/parameter gradients;
the functional ops also pass float64 gradcheck."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from tests.nn.helpers import compare_fn, compare_modules, copy_weights, em

rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


CONV3D = [dict(), dict(stride=2, padding=1), dict(stride=(2, 1, 2), padding=(1, 0, 2), dilation=(2, 1, 1)),
          dict(groups=2, padding="same"), dict(padding="same", dilation=(1, 2, 1)), dict(kernel_size=(1, 2, 3)),
          dict(padding=1, padding_mode="reflect"), dict(padding=(1, 0, 1), padding_mode="circular", bias=False)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV3D, ids=str)
def test_conv3d_layer(case, dtype):
    case = dict(case)
    k = case.pop("kernel_size", 3)
    compare_modules(nn.Conv3d(4, 6, k, **case), torch.nn.Conv3d(4, 6, k, **case), [randn(2, 4, 6, 5, 7)], dtype)


CONVT3D = [dict(), dict(stride=2, padding=1, output_padding=1),
           dict(stride=(2, 1, 3), padding=(1, 0, 2), dilation=(2, 1, 1), output_padding=(1, 0, 2)),
           dict(groups=2, stride=2, dilation=2, bias=False), dict(kernel_size=(1, 2, 2), stride=(1, 2, 2))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONVT3D, ids=str)
def test_conv_transpose3d_layer(case, dtype):
    case = dict(case)
    k = case.pop("kernel_size", 3)
    compare_modules(nn.ConvTranspose3d(4, 6, k, **case), torch.nn.ConvTranspose3d(4, 6, k, **case),
                    [randn(2, 4, 3, 4, 3)], dtype)


def test_conv_transpose3d_output_size_and_unbatched():
    e, t = nn.ConvTranspose3d(2, 3, 3, stride=2), torch.nn.ConvTranspose3d(2, 3, 3, stride=2)
    copy_weights(t, e)
    x = randn(2, 3, 3, 4)
    out_e = e(em(x).float(), output_size=(8, 8, 10))
    out_t = t(torch.tensor(x).float(), output_size=(8, 8, 10))
    assert tuple(out_e.shape) == tuple(out_t.shape) == (3, 8, 8, 10)
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_conv3d_gradcheck_and_gradgradcheck():
    x = em(randn(1, 2, 4, 3, 4), True)
    w = em(randn(4, 1, 2, 2, 3), True)
    b = em(randn(4), True)
    assert gradcheck(lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1, groups=2), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv3d(x, w, None, padding=(1, 0, 1), groups=2), (x, w))
    wt = em(randn(2, 2, 2, 3, 2), True)
    assert gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b[:2], stride=2, padding=1, output_padding=1),
                     (x, wt, b))


def test_conv3d_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match="expected input.*to have 4 channels"):
        F.conv3d(em(randn(1, 3, 4, 4, 4)), em(randn(2, 4, 2, 2, 2)))
    with pytest.raises(RuntimeError, match="Expected 4D \\(unbatched\\) or 5D"):
        F.conv3d(em(randn(3, 4, 4)), em(randn(2, 3, 2, 2, 2)))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv3d(em(randn(1, 1, 2, 4, 4)), em(randn(1, 1, 3, 2, 2)))
    with pytest.raises(nn.ModuleInputError, match="expected a 5D input"):
        nn.Conv3d(1, 1, 2)(em(randn(1, 4, 4)))


POOLS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), ceil_mode=True),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)]


@pytest.mark.parametrize("case", POOLS + [dict(kernel_size=(2, 3, 2), dilation=(2, 1, 2), padding=1)], ids=str)
def test_max_pool3d_values_indices_and_gradients(case):
    x = randn(2, 3, 7, 6, 9)
    compare_modules(nn.MaxPool3d(**case), torch.nn.MaxPool3d(**case), [x])
    (ye, ie), (yt, it) = F.max_pool3d(em(x), return_indices=True, **case), \
        torch.nn.functional.max_pool3d(torch.tensor(x), return_indices=True, **case)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    kw = {k: v for k, v in case.items() if k in ("kernel_size", "stride", "padding")}
    compare_fn(lambda y: F.max_unpool3d(y, ie, output_size=x.shape[-3:], **kw),
               lambda y: torch.nn.functional.max_unpool3d(y, it, output_size=x.shape[-3:], **kw),
               [yt.detach().numpy()])


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 5])
@pytest.mark.parametrize("case", POOLS, ids=str)
def test_avg_pool3d(case, count_include_pad, divisor_override):
    kw = dict(case, count_include_pad=count_include_pad, divisor_override=divisor_override)
    compare_modules(nn.AvgPool3d(**kw), torch.nn.AvgPool3d(**kw), [randn(2, 3, 7, 6, 9)])


@pytest.mark.parametrize("size", [(3, 2, 4), 1, (None, 4, 5), (7, 6, 9), 4])
def test_adaptive_pool3d(size):
    x = randn(2, 3, 7, 6, 9)
    compare_modules(nn.AdaptiveAvgPool3d(size), torch.nn.AdaptiveAvgPool3d(size), [x])
    compare_modules(nn.AdaptiveMaxPool3d(size), torch.nn.AdaptiveMaxPool3d(size), [x])
    _, ie = F.adaptive_max_pool3d(em(x), size, return_indices=True)
    _, it = torch.nn.functional.adaptive_max_pool3d(torch.tensor(x), size, return_indices=True)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())


@pytest.mark.parametrize("norm_type,kw", [(2, dict(kernel_size=2)), (3, dict(kernel_size=(2, 3, 2), stride=2)),
                                          (1.5, dict(kernel_size=3, stride=2, ceil_mode=True))])
def test_lp_pool3d(norm_type, kw):
    x = np.abs(randn(2, 3, 6, 6, 7)) + 0.1
    compare_modules(nn.LPPool3d(norm_type, **kw), torch.nn.LPPool3d(norm_type, **kw), [x])


def test_pool3d_ops_gradcheck():
    x = em(randn(1, 2, 4, 5, 4), True)
    assert gradcheck(lambda x: F.max_pool3d(x, 2, stride=(1, 2, 1), padding=1), (x,))
    assert gradcheck(lambda x: F.avg_pool3d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                     (x,))
    assert gradcheck(lambda x: F.adaptive_avg_pool3d(x, (3, 2, 3)), (x,))
    assert gradcheck(lambda x: F.adaptive_max_pool3d(x, (2, 3, 2)), (x,))
    assert gradgradcheck(lambda x: F.avg_pool3d(x, 2), (x,))


@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True)])
def test_instance_norm3d(affine, track):
    e = nn.InstanceNorm3d(3, affine=affine, track_running_stats=track)
    t = torch.nn.InstanceNorm3d(3, affine=affine, track_running_stats=track)
    compare_modules(e, t, [randn(2, 3, 4, 3, 5)])
    compare_modules(e, t, [randn(3, 4, 3, 5)])
    if track:
        np.testing.assert_allclose(e.running_var.numpy(), t.running_var.numpy(), rtol=1e-10)
        compare_modules(e, t, [randn(2, 3, 4, 3, 5)], train=False)


@pytest.mark.parametrize("name", ["ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"])
@pytest.mark.parametrize("padding", [1, (1, 2, 0, 1, 2, 1)])
def test_padding3d(name, padding):
    compare_modules(getattr(nn, name)(padding), getattr(torch.nn, name)(padding), [randn(2, 2, 3, 4, 5)])
    compare_modules(getattr(nn, name)(padding), getattr(torch.nn, name)(padding), [randn(2, 3, 4, 5)])


def test_batch_norm3d():
    e, t = nn.BatchNorm3d(3), torch.nn.BatchNorm3d(3)
    compare_modules(e, t, [randn(2, 3, 3, 4, 2)])
    np.testing.assert_allclose(e.running_var.numpy(), t.running_var.numpy(), rtol=1e-10)


def test_layer_reprs_match_torch():
    for e, t in [(nn.Conv3d(2, 4, 3, stride=2, padding=1, groups=2), torch.nn.Conv3d(2, 4, 3, stride=2, padding=1,
                                                                                      groups=2)),
                 (nn.ConvTranspose3d(2, 4, (1, 2, 3), output_padding=0), torch.nn.ConvTranspose3d(2, 4, (1, 2, 3))),
                 (nn.MaxPool3d(2), torch.nn.MaxPool3d(2)), (nn.AvgPool3d(3, 2), torch.nn.AvgPool3d(3, 2)),
                 (nn.AdaptiveAvgPool3d(2), torch.nn.AdaptiveAvgPool3d(2)), (nn.InstanceNorm3d(4),
                                                                            torch.nn.InstanceNorm3d(4)),
                 (nn.ReflectionPad3d(1), torch.nn.ReflectionPad3d(1))]:
        assert repr(e) == repr(t)


# -- lazy layers --------------------------------------------------------------------------------------------
LAZY = [
    ("LazyConv3d", (4, 3), dict(stride=2, padding=1), (2, 3, 5, 4, 6)),
    ("LazyConvTranspose1d", (4, 3), dict(stride=2), (2, 3, 5)),
    ("LazyConvTranspose2d", (6, 3), dict(stride=2, groups=3, padding=1), (2, 3, 5, 4)),
    ("LazyConvTranspose3d", (2, 2), dict(output_padding=1, stride=2), (2, 3, 3, 2, 3)),
    ("LazyBatchNorm1d", (), dict(), (4, 3)),
    ("LazyBatchNorm2d", (), dict(momentum=None), (4, 3, 2, 2)),
    ("LazyBatchNorm3d", (), dict(affine=False), (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), dict(affine=True), (2, 3, 5)),
    ("LazyInstanceNorm2d", (), dict(track_running_stats=False), (2, 3, 4, 5)),
    ("LazyInstanceNorm3d", (), dict(), (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_layers_infer_their_size_and_match_torch(name, args, kwargs, shape):
    e, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert e.has_uninitialized_params() if hasattr(e, "has_uninitialized_params") else True
    x = randn(*shape)
    e(em(x)), t(torch.tensor(x).float())
    assert type(e).__name__ == type(t).__name__ == name[4:]
    assert repr(e) == repr(t)
    se, st = e.state_dict(), t.state_dict()
    assert list(se) == list(st)
    for k in st:
        assert tuple(se[k].shape) == tuple(st[k].shape), k
    compare_modules(e, t.double(), [x])


def test_uninitialized_buffer_is_exported():
    b = nn.UninitializedBuffer()
    b.materialize((3,))
    assert type(b) is ember.Tensor and b.shape == (3,)


@pytest.mark.parametrize("pad", [0, 2])
def test_conv_tbc(pad):
    compare_fn(lambda x, w, b: F.conv_tbc(x, w, b, pad), lambda x, w, b: torch.conv_tbc(x, w, b, pad),
               [randn(7, 2, 3), randn(3, 3, 4), randn(4)])
