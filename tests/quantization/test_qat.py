"""Quantization-aware training against PyTorch 2.13: ``fuse_modules_qat`` + ``prepare_qat`` with the x86
QAT qconfigs (version 1: fused moving-average observer + fake-quantize; version 0: FakeQuantize),
SGD steps on the same weights and batches, then ``convert``: losses, gradients (straight-through
estimator), fake-quant qparams and converted outputs compared."""
import numpy as np
import pytest
import torch
import torch.ao.quantization as tq

import ember
import ember.ao.quantization as eq

from ._models import FUSE, copy_weights, randomize_bn, small_cnn

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]
RNG = np.random.RandomState(0)
BATCHES = [(RNG.randn(6, 2, 9, 9).astype(np.float32), RNG.randint(0, 3, 6)) for _ in range(3)]
TEST = RNG.randn(8, 2, 9, 9).astype(np.float32)


def normalized(text):
    return text.replace("ember.", "torch.")


@pytest.fixture(scope="module", params=[1, 0])
def trained(request):
    version = request.param
    t, e = small_cnn(torch, tq), small_cnn(ember, eq)
    randomize_bn(t)
    copy_weights(t, e)
    for model, q in ((t, tq), (e, eq)):
        model.train()
        model.qconfig = q.get_default_qat_qconfig("x86", version)
        q.fuse_modules_qat(model, FUSE, inplace=True)
        q.prepare_qat(model, inplace=True)
    reprs = repr(t), repr(e)
    ot = torch.optim.SGD(t.parameters(), lr=0.05, momentum=0.9)
    oe = ember.optim.SGD(e.parameters(), lr=0.05, momentum=0.9)
    history = []
    for x, y in BATCHES:
        lt = torch.nn.functional.cross_entropy(t(torch.from_numpy(x)), torch.from_numpy(y))
        le = ember.nn.functional.cross_entropy(e(ember.tensor(x)), ember.tensor(y))
        ot.zero_grad()
        oe.zero_grad()
        lt.backward()
        le.backward()
        grads = [(p_e.grad.numpy(), p_t.grad.numpy()) for p_e, p_t in zip(e.parameters(), t.parameters())]
        history.append((lt.item(), le.item(), grads))
        ot.step()
        oe.step()
    return version, t, e, reprs, history


def test_prepared_qat_model_prints_as_torchs(trained):
    _, _, _, (rt, re_), _ = trained
    assert normalized(re_).replace("min_val=tensor(inf)", "min_val=inf") == rt


def test_qat_training_matches_torch(trained):
    _, t, e, _, history = trained
    for lt, le, grads in history:
        assert le == pytest.approx(lt, rel=1e-5)
        for g_e, g_t in grads:
            np.testing.assert_allclose(g_e, g_t, rtol=1e-3, atol=1e-5)
    assert list(e.state_dict()) == list(t.state_dict())
    for name in ("quant.activation_post_process", "conv1.weight_fake_quant", "fc1.activation_post_process"):
        mt, me = t.get_submodule(name), e.get_submodule(name)
        np.testing.assert_allclose(me.scale.numpy(), mt.scale.numpy(), rtol=1e-5, err_msg=name)
        np.testing.assert_array_equal(me.zero_point.numpy(), mt.zero_point.numpy(), err_msg=name)
    np.testing.assert_allclose(e.conv1.bn.running_mean.numpy(), t.conv1.bn.running_mean.numpy(), rtol=1e-5,
                               atol=1e-6)


def test_qat_convert_matches_torch(trained):
    _, t, e, _, _ = trained
    t.eval()
    e.eval()
    for model in (t, e):
        model.apply(tq.disable_observer if model is t else eq.disable_observer)
    with torch.no_grad():
        fake_t = t(torch.from_numpy(TEST)).numpy()
    fake_e = e(ember.tensor(TEST)).detach().numpy()
    np.testing.assert_allclose(fake_e, fake_t, rtol=1e-4, atol=1e-5)
    tc, ec = tq.convert(t), eq.convert(e)
    out_t, out_e = tc(torch.from_numpy(TEST)).numpy(), ec(ember.tensor(TEST)).numpy()
    steps = np.abs(out_e - out_t) / tc.fc2.scale
    assert steps.max() <= 1.001 and (steps > 1e-3).mean() <= 0.02, (steps.max(), (steps > 1e-3).mean())
    assert list(ec.state_dict()) == list(tc.state_dict())
    import re
    layout = lambda s: re.sub(r"scale=[0-9.e-]+|scale=tensor\(\[[0-9.e-]+\]\)", "scale=S", normalized(s))  # noqa: E731
    assert layout(repr(ec)) == layout(repr(tc))


def test_qat_linear_module_matches_torch():
    torch.manual_seed(0)
    lt, le = torch.nn.Linear(5, 3), ember.nn.Linear(5, 3)
    copy_weights(lt, le)
    lt.qconfig, le.qconfig = tq.get_default_qat_qconfig("x86"), eq.get_default_qat_qconfig("x86")
    qt = torch.ao.nn.qat.Linear.from_float(lt)
    qe = ember.ao.nn.qat.Linear.from_float(le)
    x = RNG.randn(4, 5).astype(np.float32)
    yt, ye = qt(torch.from_numpy(x)), qe(ember.tensor(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-7)
    yt.sum().backward()
    ye.sum().backward()
    np.testing.assert_allclose(qe.weight.grad.numpy(), qt.weight.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert qe.weight is le.weight
    with pytest.raises(AssertionError, match="training"):
        eq.prepare_qat(ember.nn.Sequential(ember.nn.Linear(2, 2)).eval())


def test_freeze_bn_stats_matches_torch():
    t, e = small_cnn(torch, tq), small_cnn(ember, eq)
    randomize_bn(t, seed=2)
    copy_weights(t, e)
    for model, q, lib in ((t, tq, torch), (e, eq, ember)):
        model.train()
        model.qconfig = q.get_default_qat_qconfig("x86")
        q.fuse_modules_qat(model, FUSE, inplace=True)
        q.prepare_qat(model, inplace=True)
        model.apply(lib.nn.intrinsic.qat.freeze_bn_stats)
    x = BATCHES[0][0]
    yt, ye = t(torch.from_numpy(x)), e(ember.tensor(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert t.conv1.freeze_bn and e.conv1.freeze_bn
    np.testing.assert_array_equal(e.conv1.bn.running_mean.numpy(), t.conv1.bn.running_mean.numpy())
