"""Normalization layers against PyTorch: outputs, gradients and running statistics over several steps."""
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
    return rng.standard_normal(shape) * 2 + 0.5


def train_steps(e, t, shape, steps=3, dtype=np.float64, train=True):
    """Run a few forward/backward steps on fresh inputs; compare every output, gradient and buffer."""
    for _ in range(steps):
        compare_modules(e, t, [randn(*shape)], dtype, train=train)
        for (name, bt), (_, be) in zip(t.named_buffers(), e.named_buffers()):
            assert_close(be, bt, dtype if bt.dtype.is_floating_point else np.float64, f"buffer {name}")
        for m in (e, t):
            m.zero_grad()


BN_CASES = [dict(), dict(momentum=None), dict(momentum=0.5), dict(affine=False), dict(bias=False),
            dict(track_running_stats=False), dict(affine=False, track_running_stats=False, momentum=None),
            dict(eps=1e-3)]


@pytest.mark.parametrize("case", BN_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batchnorm2d_train_then_eval(case, dtype):
    e, t = nn.BatchNorm2d(3, **case), torch.nn.BatchNorm2d(3, **case)
    train_steps(e, t, (4, 3, 5, 6), dtype=dtype)
    train_steps(e, t, (4, 3, 5, 6), steps=1, dtype=dtype, train=False)


@pytest.mark.parametrize("shape", [(6, 4), (5, 4, 7)])
@pytest.mark.parametrize("case", [dict(), dict(momentum=None), dict(affine=False), dict(track_running_stats=False)])
def test_batchnorm1d_2d_and_3d_input(shape, case):
    e, t = nn.BatchNorm1d(4, **case), torch.nn.BatchNorm1d(4, **case)
    train_steps(e, t, shape)
    train_steps(e, t, shape, steps=1, train=False)


def test_batchnorm3d():
    e, t = nn.BatchNorm3d(2), torch.nn.BatchNorm3d(2)
    train_steps(e, t, (3, 2, 3, 4, 2), steps=2)
    train_steps(e, t, (3, 2, 3, 4, 2), steps=1, train=False)


def test_batchnorm_num_batches_tracked_and_state_dict():
    e = nn.BatchNorm2d(3)
    assert list(e.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    for _ in range(3):
        e(ember.randn(4, 3, 2, 2))
    assert e.num_batches_tracked.item() == 3 and e.num_batches_tracked.dtype == ember.int64
    e.eval()
    e(ember.randn(4, 3, 2, 2))
    assert e.num_batches_tracked.item() == 3
    t = torch.nn.BatchNorm2d(3)
    t.load_state_dict({k: torch.tensor(np.array(v.numpy())) for k, v in e.state_dict().items()})
    assert t.num_batches_tracked.item() == 3
    e.reset_running_stats()
    assert e.num_batches_tracked.item() == 0 and e.running_var.numpy().tolist() == [1, 1, 1]


def test_batchnorm_loads_checkpoint_without_counter():
    e = nn.BatchNorm2d(2)
    sd = {k: v for k, v in e.state_dict().items() if k != "num_batches_tracked"}
    e.load_state_dict(sd)  # an old checkpoint (no version metadata) without the counter still loads
    assert e.num_batches_tracked.item() == 0


@pytest.mark.parametrize("ns,shape", [((5,), (3, 5)), (4, (2, 3, 4)), ((3, 4), (2, 3, 4)), ([2, 3, 4], (2, 2, 3, 4))])
@pytest.mark.parametrize("case", [dict(), dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layernorm(ns, shape, case, dtype):
    e, t = nn.LayerNorm(ns, **case), torch.nn.LayerNorm(ns, **case)
    with torch.no_grad():
        for p in t.parameters():
            p.copy_(torch.randn(p.shape))
    compare_modules(e, t, [randn(*shape)], dtype)


@pytest.mark.parametrize("groups,channels,shape", [(2, 4, (3, 4, 5)), (3, 6, (2, 6, 3, 3)), (1, 4, (2, 4)),
                                                   (4, 4, (2, 4, 2, 3))])
@pytest.mark.parametrize("case", [dict(), dict(affine=False), dict(bias=False)])
def test_groupnorm(groups, channels, shape, case):
    e, t = nn.GroupNorm(groups, channels, **case), torch.nn.GroupNorm(groups, channels, **case)
    with torch.no_grad():
        for p in t.parameters():
            p.copy_(torch.randn(p.shape))
    compare_modules(e, t, [randn(*shape)])
    compare_modules(e, t, [randn(*shape)], np.float32)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm2d", (2, 4, 3, 5)),
                                       ("InstanceNorm2d", (4, 3, 5))])
@pytest.mark.parametrize("case", [dict(), dict(affine=True), dict(track_running_stats=True),
                                  dict(affine=True, track_running_stats=True, momentum=0.3)])
def test_instancenorm(cls, shape, case):
    e, t = getattr(nn, cls)(4, **case), getattr(torch.nn, cls)(4, **case)
    train_steps(e, t, shape, steps=2)
    train_steps(e, t, shape, steps=1, train=False)


def test_rmsnorm_and_local_response_norm():
    for case in (dict(), dict(eps=1e-3), dict(elementwise_affine=False)):
        compare_modules(nn.RMSNorm((3, 4), **case), torch.nn.RMSNorm((3, 4), **case), [randn(2, 3, 4)])
    compare_modules(nn.RMSNorm(4), torch.nn.RMSNorm(4), [randn(2, 4)], np.float32)
    for size, shape in ((3, (2, 5, 3, 3)), (2, (2, 5, 4)), (4, (1, 6, 2, 2, 2))):
        compare_modules(nn.LocalResponseNorm(size, k=2.0), torch.nn.LocalResponseNorm(size, k=2.0),
                        [randn(*shape)])


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: F.batch_norm(x, None, None, w, b, True), [(4, 2, 3), (2,), (2,)]),
    (lambda x, w, b: F.batch_norm(x, ember.tensor([0.1, -0.2], dtype=ember.float64),
                                  ember.tensor([1.5, 0.5], dtype=ember.float64), w, b, False), [(3, 2, 2), (2,), (2,)]),
    (lambda x, w, b: F.layer_norm(x, (3,), w, b), [(2, 2, 3), (3,), (3,)]),
    (lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [(2, 2, 4), (2,), (2,)]),
    (lambda x, w, b: F.rms_norm(x, (3,), w) + b, [(2, 3), (3,), (3,)]),
])
def test_gradcheck_and_gradgradcheck(fn, shapes):
    args = tuple(ember.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def test_local_response_norm_gradcheck():
    x = ember.tensor(rng.standard_normal((1, 4, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x: F.local_response_norm(x, 3), (x,))


def test_functional_batch_norm_updates_running_stats_like_torch():
    x = randn(6, 3, 4)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    erm, erv, trm, trv = em(rm.copy()), em(rv.copy()), th(rm.copy()), th(rv.copy())
    for _ in range(2):
        F.batch_norm(em(x), erm, erv, training=True, momentum=0.3)
        TF.batch_norm(th(x), trm, trv, training=True, momentum=0.3)
    assert_close(erm, trm)
    assert_close(erv, trv)


@pytest.mark.parametrize("make", [
    lambda m: m.BatchNorm2d(32), lambda m: m.BatchNorm1d(10, momentum=None, affine=False),
    lambda m: m.BatchNorm2d(3, bias=False), lambda m: m.BatchNorm3d(4, eps=1e-3, track_running_stats=False),
    lambda m: m.LayerNorm(10), lambda m: m.LayerNorm((3, 4), elementwise_affine=False, bias=False),
    lambda m: m.GroupNorm(2, 4), lambda m: m.GroupNorm(2, 4, affine=False),
    lambda m: m.InstanceNorm2d(3), lambda m: m.InstanceNorm1d(3, affine=True), lambda m: m.LocalResponseNorm(2),
    lambda m: m.RMSNorm(4), lambda m: m.RMSNorm([2, 3], eps=1e-5)])
def test_repr_parameters_and_buffers_match_torch(make):
    e, t = make(nn), make(torch.nn)
    assert repr(e) == repr(t)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(e.state_dict()) == list(t.state_dict())
    for (n, pe), (_, pt) in zip(e.state_dict().items(), t.state_dict().items()):
        assert tuple(pe.shape) == tuple(pt.shape), n
        np.testing.assert_array_equal(pe.numpy(), pt.numpy(), err_msg=n)


@pytest.mark.parametrize("call,err,msg", [
    (lambda: nn.BatchNorm2d(3)(ember.zeros(2, 3, 4)), ValueError,
     r"BatchNorm2d\(3, .*\): expected 4D input \(got 3D input\)"),
    (lambda: nn.BatchNorm1d(3)(ember.zeros(2, 3, 4, 5)), ValueError, r"expected 2D or 3D input \(got 4D input\)"),
    (lambda: nn.BatchNorm1d(3)(ember.zeros(1, 3)), ValueError, "Expected more than 1 value per channel when training"),
    (lambda: nn.BatchNorm2d(3)(ember.zeros(2, 4, 3, 3)), RuntimeError, r"expected input with 3 channels"),
    (lambda: nn.LayerNorm(5)(ember.zeros(2, 4)), RuntimeError,
     r"LayerNorm\(\(5,\), .*\): expected input with shape \[\*, 5\], got input of shape \(2, 4\)"),
    (lambda: F.layer_norm(ember.zeros(2, 4), (5,)), RuntimeError,
     r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\]"),
    (lambda: nn.GroupNorm(3, 4), ValueError, r"num_channels \(4\) must be divisible by num_groups \(3\)"),
    (lambda: nn.GroupNorm(2, 4)(ember.zeros(2, 6, 3)), RuntimeError, r"expected input of shape \(N, 4, \*\)"),
    (lambda: F.batch_norm(ember.zeros(2, 3), ember.zeros(4), ember.ones(4)), RuntimeError,
     "running_mean should contain 3 elements not 4"),
    (lambda: F.batch_norm(ember.zeros(2, 3), None, None), RuntimeError, "must be given when training=False"),
    (lambda: nn.BatchNorm2d(3)(ember.zeros(2, 3, 4, 4, dtype=ember.float64)), RuntimeError,
     "convert the layer with"),
])
def test_errors(call, err, msg):
    with pytest.raises(err, match=msg):
        call()
