"""Eager-mode post-training static quantization against PyTorch 2.13 (x86 and fbgemm qconfigs, and
default_qconfig): a small CNN with conv-bn-relu fusion, a FloatFunctional residual add, a grouped
strided conv, pooling and linear-relu; the same float weights and calibration batches in both;
converted outputs compared.

Observers see the float model's activations, which differ from torch's by float32 round-off, so a
histogram's qparams may differ in the last ulp; the integer kernels then agree exactly on every
element measured. The assertion allows at most one quantization step on at most 1% of outputs.
"""
import copy

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
CALIB = [RNG.randn(4, 2, 9, 9).astype(np.float32) for _ in range(3)]
TEST = RNG.randn(16, 2, 9, 9).astype(np.float32)


def normalized(text):
    return text.replace("ember.", "torch.")


def assert_quantized_close(ours, theirs, scale):
    steps = np.abs(np.asarray(ours, np.float64) - np.asarray(theirs, np.float64)) / scale
    assert steps.max() <= 1.0 + 1e-3, steps.max()
    assert (steps > 1e-3).mean() <= 0.01, (steps > 1e-3).mean()


def ptq_pair(engine):
    torch.backends.quantized.engine = "x86" if engine == "default" else engine
    t, e = small_cnn(torch, tq), small_cnn(ember, eq)
    randomize_bn(t)
    copy_weights(t, e)
    t.eval()
    e.eval()
    for model, q in ((t, tq), (e, eq)):
        # "default": torch.ao.quantization.default_qconfig (MinMax activations, per-tensor symmetric weights)
        model.qconfig = q.default_qconfig if engine == "default" else q.get_default_qconfig(engine)
        q.fuse_modules(model, FUSE, inplace=True)
    prepared = [tq.prepare(t), eq.prepare(e)]
    for x in CALIB:
        prepared[0](torch.from_numpy(x))
        prepared[1](ember.tensor(x))
    return t, e, prepared[0], prepared[1]


@pytest.fixture(scope="module", params=["x86", "fbgemm", "default"])
def pair(request):
    yield request.param, ptq_pair(request.param)
    torch.backends.quantized.engine = "x86"


def test_fused_and_prepared_models_print_as_torchs(pair):
    _, (t, e, tp, ep) = pair
    assert normalized(repr(e)) == repr(t)
    # The histogram observers print min/max values that can differ in the last digits; compare the layout.
    strip = [line.split("(min_val")[0] for line in repr(ep).splitlines()]
    assert [normalized(s) for s in strip] == [line.split("(min_val")[0] for line in repr(tp).splitlines()]
    for name in ("quant", "conv1", "conv2", "conv3", "fc1", "fc2", "skip_add"):
        ts, tz = getattr(tp, name).activation_post_process.calculate_qparams()
        es, ez = getattr(ep, name).activation_post_process.calculate_qparams()
        np.testing.assert_allclose(es.numpy(), ts.numpy(), rtol=1e-6, err_msg=name)
        np.testing.assert_array_equal(ez.numpy(), tz.numpy(), err_msg=name)


def test_converted_outputs_match_torch(pair):
    engine, (_, _, tp, ep) = pair
    tc, ec = tq.convert(copy.deepcopy(tp)), eq.convert(copy.deepcopy(ep))
    to = tc(torch.from_numpy(TEST)).numpy()
    eo = ec(ember.tensor(TEST)).numpy()
    assert_quantized_close(eo, to, tc.fc2.scale)
    # layer by layer, on the same quantized input
    xt = tc.quant(torch.from_numpy(TEST))
    xe = ec.quant(ember.tensor(TEST))
    np.testing.assert_array_equal(xe.int_repr().numpy(), xt.int_repr().numpy())
    yt, ye = tc.conv1(xt), ec.conv1(xe)
    assert_quantized_close(ye.dequantize().numpy(), yt.dequantize().numpy(), yt.q_scale())
    yt, ye = tc.conv3(tc.skip_add.add(yt, tc.conv2(yt))), ec.conv3(ec.skip_add.add(ye, ec.conv2(ye)))
    assert_quantized_close(ye.dequantize().numpy(), yt.dequantize().numpy(), yt.q_scale())
    assert list(ec.state_dict()) == list(tc.state_dict())


def test_converted_model_prints_and_saves_like_torch(pair, tmp_path):
    engine, (_, _, tp, ep) = pair
    tc, ec = tq.convert(copy.deepcopy(tp)), eq.convert(copy.deepcopy(ep))

    def layout(text):  # module names and arguments, without the observed scales
        import re
        return re.sub(r"scale=[0-9.e-]+|scale=tensor\(\[[0-9.e-]+\]\)", "scale=S", normalized(text))
    assert layout(repr(ec)) == layout(repr(tc))
    for name in ("conv1", "conv3", "fc1", "fc2"):
        wt, we = getattr(tc, name).weight(), getattr(ec, name).weight()
        assert normalized(repr(we.qscheme())) == repr(wt.qscheme()) and we.dtype is ember.qint8
        if engine != "default":
            np.testing.assert_allclose(we.q_per_channel_scales().numpy(), wt.q_per_channel_scales().numpy(),
                                       rtol=1e-6)
        agree = (we.int_repr().numpy() == wt.int_repr().numpy()).mean()
        assert agree > 0.99, (name, agree)
    ember.save(ec.state_dict(), tmp_path / "q.pt")
    fresh = eq.convert(copy.deepcopy(ep))
    fresh.load_state_dict(ember.load(tmp_path / "q.pt"))
    np.testing.assert_array_equal(fresh(ember.tensor(TEST)).numpy(), ec(ember.tensor(TEST)).numpy())


def test_quantized_modules_reject_float_input():
    _, e, _, ep = ptq_pair("x86")
    ec = eq.convert(ep)
    with pytest.raises(RuntimeError, match="expects a quantized input"):
        ec.conv1(ember.tensor(TEST))
    assert not hasattr(ec.conv1, "qconfig") and not hasattr(ec.quant, "activation_post_process")


def test_quantized_passthrough_ops_match_torch():
    xt = torch.quantize_per_tensor(torch.from_numpy(TEST), 0.05, 70, torch.quint8)
    xe = ember.quantize_per_tensor(ember.tensor(TEST), 0.05, 70, ember.quint8)
    for make in (lambda nn: nn.MaxPool2d(2), lambda nn: nn.MaxPool2d(3, stride=2, padding=1),
                 lambda nn: nn.AdaptiveAvgPool2d((2, 3)), lambda nn: nn.AvgPool2d(2), lambda nn: nn.ReLU(),
                 lambda nn: nn.ReLU6(), lambda nn: nn.Hardtanh(-1.0, 2.0), lambda nn: nn.Flatten(),
                 lambda nn: nn.Dropout(0.3).eval()):
        mt = make(torch.nn)
        me = eq.convert(ember.nn.Sequential(make(ember.nn)))[0]
        yt, ye = mt(xt), me(xe)
        assert ye.is_quantized and (ye.q_scale(), ye.q_zero_point()) == (yt.q_scale(), yt.q_zero_point()), mt
        np.testing.assert_array_equal(ye.int_repr().numpy(), yt.int_repr().numpy(), err_msg=repr(mt))


def test_qfunctional_ops_match_torch():
    a = RNG.randn(3, 4).astype(np.float32)
    b = RNG.randn(3, 4).astype(np.float32)
    qa_t, qb_t = (torch.quantize_per_tensor(torch.from_numpy(v), 0.02, 60, torch.quint8) for v in (a, b))
    qa_e, qb_e = (ember.quantize_per_tensor(ember.tensor(v), 0.02, 60, ember.quint8) for v in (a, b))
    ft, fe = torch.ao.nn.quantized.QFunctional(), ember.ao.nn.quantized.QFunctional()
    ft.scale, ft.zero_point, fe.scale, fe.zero_point = 0.03, 50, 0.03, 50
    for op, args in (("add", ()), ("add_relu", ()), ("mul", ())):
        yt, ye = getattr(ft, op)(qa_t, qb_t), getattr(fe, op)(qa_e, qb_e)
        np.testing.assert_array_equal(ye.int_repr().numpy(), yt.int_repr().numpy(), err_msg=op)
    yt, ye = ft.cat([qa_t, qb_t], dim=1), fe.cat([qa_e, qb_e], dim=1)
    np.testing.assert_array_equal(ye.int_repr().numpy(), yt.int_repr().numpy())
    for op, c in (("add_scalar", 0.5), ("add_scalar", -0.3), ("mul_scalar", 1.7)):
        yt, ye = getattr(ft, op)(qa_t, c), getattr(fe, op)(qa_e, c)
        assert (ye.q_scale(), ye.q_zero_point()) == (yt.q_scale(), yt.q_zero_point()), op
        np.testing.assert_array_equal(ye.int_repr().numpy(), yt.int_repr().numpy(), err_msg=op)
    assert normalized(repr(fe)) == repr(ft)


def test_fuse_modules_matches_torch_numerics():
    t, e = small_cnn(torch, tq), small_cnn(ember, eq)
    randomize_bn(t, seed=3)
    copy_weights(t, e)
    t.eval()
    e.eval()
    ft, fe = tq.fuse_modules(t, FUSE), eq.fuse_modules(e, FUSE)
    np.testing.assert_allclose(fe.conv1[0].weight.detach().numpy(), ft.conv1[0].weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(fe(ember.tensor(TEST)).detach().numpy(), ft(torch.from_numpy(TEST)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert normalized(repr(fe)) == repr(ft)
    with pytest.raises(AssertionError, match="did not find fuser method"):
        eq.fuse_modules(e, [["conv1", "fc1"]])


def test_dropout_and_relu6_convert_as_torch():
    def build(lib, q):
        nn = lib.nn
        return nn.Sequential(q.QuantStub(), nn.Linear(6, 5), nn.Dropout(0.2), nn.ReLU6(), q.DeQuantStub()).eval()
    torch.manual_seed(5)
    t, e = build(torch, tq), build(ember, eq)
    copy_weights(t, e)
    t.qconfig, e.qconfig = tq.get_default_qconfig("x86"), eq.get_default_qconfig("x86")
    tp, ep = tq.prepare(t), eq.prepare(e)
    strip = lambda s: [line.split("(min_val")[0] for line in normalized(s).splitlines()]  # noqa: E731
    assert strip(repr(ep)) == strip(repr(tp))
    x = (RNG.randn(10, 6) * 4).astype(np.float32)
    tp(torch.from_numpy(x))
    ep(ember.tensor(x))
    tc, ec = tq.convert(tp), eq.convert(ep)
    import re
    layout = lambda s: re.sub(r"scale=[0-9.e-]+|scale=tensor\(\[[0-9.e-]+\]\)", "scale=S", normalized(s))  # noqa: E731
    assert layout(repr(ec)) == layout(repr(tc))
    np.testing.assert_allclose(ec(ember.tensor(x)).numpy(), tc(torch.from_numpy(x)).numpy(), rtol=0, atol=1e-6)


def test_conv1d_model_matches_torch():
    def build(lib, q):
        nn = lib.nn
        return nn.Sequential(q.QuantStub(), nn.Conv1d(3, 6, 3, padding=1, bias=False), nn.BatchNorm1d(6), nn.ReLU(),
                             nn.Conv1d(6, 4, 3, stride=2, groups=2), nn.MaxPool1d(2), q.DeQuantStub()).eval()
    torch.manual_seed(6)
    t, e = build(torch, tq), build(ember, eq)
    copy_weights(t, e)
    for m, q in ((t, tq), (e, eq)):
        m.qconfig = q.get_default_qconfig("x86")
        q.fuse_modules(m, [["1", "2", "3"]], inplace=True)
        q.prepare(m, inplace=True)
    x = RNG.randn(5, 3, 20).astype(np.float32)
    t(torch.from_numpy(x))
    e(ember.tensor(x))
    tq.convert(t, inplace=True)
    eq.convert(e, inplace=True)
    import re
    layout = lambda s: re.sub(r"scale=[0-9.e-]+|scale=tensor\(\[[0-9.e-]+\]\)", "scale=S", normalized(s))  # noqa: E731
    assert layout(repr(e)) == layout(repr(t))
    assert list(e.state_dict()) == list(t.state_dict())
    assert_quantized_close(e(ember.tensor(x)).numpy(), t(torch.from_numpy(x)).numpy(), t[4].scale)
