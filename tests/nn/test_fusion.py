"""nn.utils.fusion (conv/linear + batch-norm folding), skip_init and convert_conv2d/3d_weight_memory_format
against PyTorch: the fused layers' weights and outputs equal torch's."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.nn.utils import fusion
from ember.nn.utils.init import skip_init
from ember.nn.utils.memory_format import convert_conv2d_weight_memory_format
from tests.nn.helpers import assert_close, copy_weights


def _bn_pair(n, make_t, make_e, seed):
    t_bn, e_bn = make_t(n).double(), make_e(n).double()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        t_bn.running_mean.copy_(torch.tensor(rng.standard_normal(n)))
        t_bn.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, n)))
        t_bn.weight.copy_(torch.tensor(rng.standard_normal(n)))
        t_bn.bias.copy_(torch.tensor(rng.standard_normal(n)))
    copy_weights(t_bn, e_bn)
    return t_bn.eval(), e_bn.eval()


@pytest.mark.parametrize("transpose,bias", [(False, True), (False, False), (True, True)])
def test_fuse_conv_bn_eval(transpose, bias):
    t_cls = torch.nn.ConvTranspose2d if transpose else torch.nn.Conv2d
    e_cls = nn.ConvTranspose2d if transpose else nn.Conv2d
    t_conv, e_conv = t_cls(3, 4, 3, bias=bias).double().eval(), e_cls(3, 4, 3, bias=bias).double().eval()
    copy_weights(t_conv, e_conv)
    t_bn, e_bn = _bn_pair(4, torch.nn.BatchNorm2d, nn.BatchNorm2d, 0)
    t_f = torch.nn.utils.fusion.fuse_conv_bn_eval(t_conv, t_bn, transpose=transpose)
    e_f = fusion.fuse_conv_bn_eval(e_conv, e_bn, transpose=transpose)
    assert_close(e_f.weight, t_f.weight)
    assert_close(e_f.bias, t_f.bias)
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 6))
    assert_close(e_f(ember.tensor(x)), e_bn(e_conv(ember.tensor(x))), atol=1e-9)
    assert isinstance(e_f.weight, nn.Parameter) and e_conv.weight is not e_f.weight


def test_fuse_linear_bn_eval_and_weights():
    t_lin, e_lin = torch.nn.Linear(5, 3).double().eval(), nn.Linear(5, 3).double().eval()
    copy_weights(t_lin, e_lin)
    t_bn, e_bn = _bn_pair(3, torch.nn.BatchNorm1d, nn.BatchNorm1d, 2)
    t_f, e_f = torch.nn.utils.fusion.fuse_linear_bn_eval(t_lin, t_bn), fusion.fuse_linear_bn_eval(e_lin, e_bn)
    assert_close(e_f.weight, t_f.weight)
    assert_close(e_f.bias, t_f.bias)
    w, b = fusion.fuse_linear_bn_weights(e_lin.weight, e_lin.bias, e_bn.running_mean, e_bn.running_var, e_bn.eps,
                                         e_bn.weight, e_bn.bias)
    assert_close(w, t_f.weight)
    with pytest.raises(AssertionError, match="eval"):
        fusion.fuse_linear_bn_eval(nn.Linear(5, 3), e_bn)


def test_skip_init_and_weight_memory_format():
    ours, theirs = skip_init(nn.Conv2d, 3, 4, 3), torch.nn.utils.skip_init(torch.nn.Conv2d, 3, 4, 3)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    with pytest.raises(RuntimeError, match="device"):
        skip_init(nn.ReLU)
    e_net = convert_conv2d_weight_memory_format(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), ember.channels_last)
    t_net = torch.nn.utils.convert_conv2d_weight_memory_format(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)),
                                                                torch.channels_last)
    for net, lib in ((e_net, ember), (t_net, torch)):
        assert net[0].weight.is_contiguous(memory_format=lib.channels_last)
