"""The channels-last kernels (ember.keras.ops) against PyTorch's NCHW ops on permuted data, forward and gradients."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ember
from ember.keras import ops
from ember.keras.ops.conv import same_padding


def _e(a):
    return ember.tensor(a, requires_grad=True)


def _nchw(a):
    return torch.tensor(a).permute(0, 3, 1, 2).detach().requires_grad_()


def _nhwc(t):
    return t.permute(0, 2, 3, 1).detach().numpy()


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


CONV_CASES = [(7, 6, 3, 4, 3, 1, "valid", 1), (8, 8, 2, 5, 3, 2, "same", 1), (9, 7, 2, 3, 3, 1, "same", 2),
              (6, 6, 3, 2, 2, 2, "valid", 1), (5, 5, 3, 4, 1, 1, "valid", 1), (7, 7, 2, 3, 4, 3, "same", 1)]


@pytest.mark.parametrize("H,W,C,O,k,s,padding,d", CONV_CASES)
def test_conv2d_matches_torch(H, W, C, O, k, s, padding, d):
    rng = np.random.default_rng(0)
    x, K, b = rng.standard_normal((2, H, W, C)), rng.standard_normal((k, k, C, O)), rng.standard_normal(O)
    xe, Ke, be = _e(x), _e(K), _e(b)
    y = ops.conv2d(xe, Ke, be, s, padding, d)
    g = rng.standard_normal(tuple(y.shape))
    (y * ember.tensor(g)).sum().backward()
    xt, Kt, bt = _nchw(x), torch.tensor(K).permute(3, 2, 0, 1).detach().requires_grad_(), torch.tensor(b,
                                                                                                     requires_grad=True)
    xin = xt
    if padding == "same":
        (t, bo), (left, right) = same_padding(H, k, s, d), same_padding(W, k, s, d)
        xin = F.pad(xt, (left, right, t, bo))
    yt = F.conv2d(xin, Kt, bt, stride=s, dilation=d).permute(0, 2, 3, 1)
    (yt * torch.tensor(g)).sum().backward()
    _close(y.detach().numpy(), yt.detach().numpy())
    _close(xe.grad.numpy(), _nhwc(xt.grad))
    _close(Ke.grad.numpy(), Kt.grad.permute(2, 3, 1, 0).numpy())
    _close(be.grad.numpy(), bt.grad.numpy())


@pytest.mark.parametrize("H,W,C,O,k,s,padding,d", CONV_CASES[:4])
def test_depthwise_conv2d_matches_grouped_torch_conv(H, W, C, O, k, s, padding, d):
    rng = np.random.default_rng(1)
    M = 2
    x, K = rng.standard_normal((2, H, W, C)), rng.standard_normal((k, k, C, M))
    xe, Ke = _e(x), _e(K)
    y = ops.depthwise_conv2d(xe, Ke, None, s, padding, d)
    g = rng.standard_normal(tuple(y.shape))
    (y * ember.tensor(g)).sum().backward()
    xt = _nchw(x)
    # Keras's output channel c * M + m is torch's grouped-conv output channel c * M + m.
    Kt = torch.tensor(K).reshape(k, k, C * M).permute(2, 0, 1)[:, None].detach().requires_grad_()
    xin = xt
    if padding == "same":
        (t, bo), (left, right) = same_padding(H, k, s, d), same_padding(W, k, s, d)
        xin = F.pad(xt, (left, right, t, bo))
    yt = F.conv2d(xin, Kt, None, stride=s, dilation=d, groups=C).permute(0, 2, 3, 1)
    (yt * torch.tensor(g)).sum().backward()
    _close(y.detach().numpy(), yt.detach().numpy())
    _close(xe.grad.numpy(), _nhwc(xt.grad))
    _close(Ke.grad.numpy(), Kt.grad[:, 0].permute(1, 2, 0).reshape(k, k, C, M).numpy())


@pytest.mark.parametrize("H,W,C,O,k,s,padding", [(4, 5, 3, 2, 3, 2, "valid"), (4, 4, 2, 3, 3, 1, "valid"),
                                                 (4, 4, 2, 3, 3, 2, "same"), (5, 5, 2, 3, 4, 2, "same"),
                                                 (3, 3, 2, 2, 2, 3, "valid")])
def test_conv2d_transpose_matches_torch(H, W, C, O, k, s, padding):
    rng = np.random.default_rng(2)
    x, K, b = rng.standard_normal((2, H, W, C)), rng.standard_normal((k, k, O, C)), rng.standard_normal(O)
    xe, Ke, be = _e(x), _e(K), _e(b)
    y = ops.conv2d_transpose(xe, Ke, be, s, padding)
    expected_len = H * s if padding == "same" else H * s + max(k - s, 0)
    assert y.shape[1] == expected_len
    g = rng.standard_normal(tuple(y.shape))
    (y * ember.tensor(g)).sum().backward()
    xt, Kt = _nchw(x), torch.tensor(K).permute(3, 2, 0, 1).detach().requires_grad_()
    bt = torch.tensor(b, requires_grad=True)
    full = F.conv_transpose2d(xt, Kt, None, stride=s)
    Lh, Lw, Hf, Wf = y.shape[1], y.shape[2], full.shape[2], full.shape[3]
    pt = max(Hf - Lh, 0) // 2 if padding == "same" else 0
    pl = max(Wf - Lw, 0) // 2 if padding == "same" else 0
    full = F.pad(full, (0, max(Lw - Wf, 0), 0, max(Lh - Hf, 0)))
    yt = (full[:, :, pt:pt + Lh, pl:pl + Lw] + bt[:, None, None]).permute(0, 2, 3, 1)
    (yt * torch.tensor(g)).sum().backward()
    _close(y.detach().numpy(), yt.detach().numpy())
    _close(xe.grad.numpy(), _nhwc(xt.grad))
    _close(Ke.grad.numpy(), Kt.grad.permute(2, 3, 1, 0).numpy())
    _close(be.grad.numpy(), bt.grad.numpy())


@pytest.mark.parametrize("H,k,s,padding", [(6, 2, None, "valid"), (7, 3, 2, "valid"), (7, 2, None, "same"),
                                           (5, 3, 1, "same"), (7, 2, None, "valid")])
def test_pooling_matches_torch(H, k, s, padding):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, H, H, 3))
    stride = s or k
    pads = same_padding(H, k, stride, 1) if padding == "same" else (0, 0)
    xe = _e(x)
    y = ops.max_pool2d(xe, k, s, padding)
    g = rng.standard_normal(tuple(y.shape))
    (y * ember.tensor(g)).sum().backward()
    xt = _nchw(x)
    yt = F.max_pool2d(F.pad(xt, (pads[0], pads[1]) * 2, value=-np.inf), k, stride).permute(0, 2, 3, 1)
    (yt * torch.tensor(g)).sum().backward()
    _close(y.detach().numpy(), yt.detach().numpy())
    _close(xe.grad.numpy(), _nhwc(xt.grad))

    xe = _e(x)
    y = ops.avg_pool2d(xe, k, s, padding)
    (y * ember.tensor(g)).sum().backward()
    xt = _nchw(x)
    # TensorFlow averages over the real pixels of a window only.
    ones = F.pad(torch.ones_like(xt), (pads[0], pads[1]) * 2)
    yt = (F.avg_pool2d(F.pad(xt, (pads[0], pads[1]) * 2), k, stride) / F.avg_pool2d(ones, k, stride))
    yt = yt.permute(0, 2, 3, 1)
    (yt * torch.tensor(g)).sum().backward()
    _close(y.detach().numpy(), yt.detach().numpy())
    _close(xe.grad.numpy(), _nhwc(xt.grad))


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = _e(np.array([[[[1.0], [1.0]], [[1.0], [0.0]]]]))
    ops.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy().reshape(-1).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_conv2d_error_names_expected_and_given_shapes():
    with pytest.raises(ValueError, match=r"expected an input \(batch, height, width, 3\), got shape \(2, 5, 5, 4\)"):
        ops.conv2d(ember.ones(2, 5, 5, 4), ember.ones(3, 3, 3, 8))
