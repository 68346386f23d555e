"""Observers, fake-quantize modules and qconfigs against PyTorch 2.13: the same batches give the same
statistics (buffers), the same ``calculate_qparams`` and the same state_dict keys."""
import numpy as np
import pytest
import torch
import torch.ao.quantization as tq

import ember
import ember.ao.quantization as eq

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]
RNG = np.random.RandomState(0)
# Batches whose range grows, shrinks and shifts, so the histogram is rebinned several times.
BATCHES = [(RNG.randn(4, 6, 5, 5) * (1 + i) + 0.3 * i).astype(np.float32) for i in range(3)] + \
          [(RNG.rand(4, 6, 5, 5) * 0.5).astype(np.float32)]


def kwargs_for(lib, spec):
    out = {}
    for k, v in spec.items():
        if k in ("dtype", "qscheme"):
            v = getattr(lib, v)
        out[k] = v
    return out


CASES = [
    ("MinMaxObserver", {}),
    ("MinMaxObserver", {"dtype": "qint8", "qscheme": "per_tensor_symmetric"}),
    ("MinMaxObserver", {"quant_min": 0, "quant_max": 127}),
    ("MovingAverageMinMaxObserver", {"averaging_constant": 0.1}),
    ("MovingAverageMinMaxObserver", {"dtype": "qint8", "qscheme": "per_tensor_symmetric", "reduce_range": True}),
    ("HistogramObserver", {"reduce_range": True}),
    ("HistogramObserver", {"qscheme": "per_tensor_symmetric", "bins": 256}),
    ("PerChannelMinMaxObserver", {"ch_axis": 1, "dtype": "qint8", "qscheme": "per_channel_symmetric"}),
    ("PerChannelMinMaxObserver", {"ch_axis": 0}),
    ("MovingAveragePerChannelMinMaxObserver", {"ch_axis": 1, "averaging_constant": 0.2}),
]


@pytest.mark.parametrize("name,spec", CASES)
def test_observer_matches_torch(name, spec):
    t = getattr(tq, name)(**kwargs_for(torch, spec))
    e = getattr(eq, name)(**kwargs_for(ember, spec))
    for x in BATCHES:
        out = e(ember.tensor(x))
        t(torch.from_numpy(x))
        np.testing.assert_array_equal(out.numpy(), x)
    ts, tz = t.calculate_qparams()
    es, ez = e.calculate_qparams()
    np.testing.assert_array_equal(es.numpy(), ts.numpy())
    np.testing.assert_array_equal(ez.numpy(), tz.numpy())
    assert ez.dtype.name == str(tz.dtype).split(".")[1]
    tsd, esd = t.state_dict(), e.state_dict()
    assert list(esd) == list(tsd)
    for k in tsd:
        np.testing.assert_array_equal(esd[k].numpy(), tsd[k].numpy(), err_msg=k)
    assert (e.quant_min, e.quant_max) == (t.quant_min, t.quant_max)


def test_unobserved_and_bad_configs():
    e, t = eq.MinMaxObserver(), tq.MinMaxObserver()
    np.testing.assert_array_equal(e.calculate_qparams()[0].numpy(), t.calculate_qparams()[0].numpy())
    with pytest.raises(NotImplementedError):
        eq.HistogramObserver(qscheme=ember.per_channel_affine)
    with pytest.raises(AssertionError, match="include 0"):
        eq.MinMaxObserver(quant_min=1, quant_max=10)
    with pytest.raises(ValueError, match="observer instance"):
        eq.QConfig(activation=eq.MinMaxObserver(), weight=eq.MinMaxObserver)


@pytest.mark.parametrize("backend", ["x86", "fbgemm", "qnnpack", "onednn"])
def test_default_qconfigs_build_torchs_observers(backend):
    for getter in ("get_default_qconfig", "get_default_qat_qconfig"):
        tc, ec = getattr(tq, getter)(backend), getattr(eq, getter)(backend)
        for part in ("activation", "weight"):
            t, e = getattr(tc, part)(), getattr(ec, part)()
            assert type(e).__name__ == type(t).__name__
            for attr in ("quant_min", "quant_max"):
                assert getattr(e, attr) == getattr(t, attr), (getter, part, attr)
            assert repr(e.qscheme).replace("ember.", "torch.") == repr(t.qscheme)
            assert repr(e.dtype).replace("ember.", "torch.") == repr(t.dtype)


@pytest.mark.parametrize("which", ["default_fake_quant", "default_per_channel_weight_fake_quant",
                                   "default_fused_act_fake_quant", "default_fused_per_channel_wt_fake_quant",
                                   "default_fused_wt_fake_quant"])
def test_fake_quantize_modules_match_torch(which):
    t, e = getattr(tq, which)(), getattr(eq, which)()
    for i, x in enumerate(BATCHES):
        x = x.transpose(1, 0, 2, 3).copy() if "channel" in which else x  # channels on axis 0
        tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
        if i == 2:
            t.disable_observer()
            e.disable_observer()
        to, eo = t(tx), e(ex)
        np.testing.assert_array_equal(eo.detach().numpy(), to.detach().numpy())
        to.sum().backward()
        eo.sum().backward()
        np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())
    tsd, esd = t.state_dict(), e.state_dict()
    assert list(esd) == list(tsd)
    for k in tsd:
        np.testing.assert_array_equal(esd[k].numpy(), tsd[k].numpy(), err_msg=k)
    np.testing.assert_array_equal(e.calculate_qparams()[0].numpy(), t.calculate_qparams()[0].numpy())
    assert repr(e).replace("ember.", "torch.") == repr(t)


def test_choose_quantization_params_matches_atens():
    from ember.ao.quantization.fake_quantize import choose_quantization_params
    for lo, hi, qmin, qmax, sym in [(-1.3, 2.7, 0, 255, False), (-1.3, 2.7, -128, 127, True), (0.0, 0.0, 0, 255, False),
                                    (1e-7, 2e-6, 0, 127, False), (-5.0, -1.0, 0, 255, False), (0.2, 3.0, -128, 127,
                                                                                              True)]:
        ts, tz = torch._choose_qparams_per_tensor(torch.tensor([lo, hi]), reduce_range=False) if (qmin, qmax) == \
            (0, 255) and not sym else (None, None)
        s, z = choose_quantization_params(lo, hi, qmin, qmax, sym)
        if ts is not None:
            assert (float(s), z) == (np.float32(ts), tz), (lo, hi)
        assert qmin <= z <= qmax and s > 0
