"""Quantized tensors and the fake-quantize ops against PyTorch 2.13 (the oracle): same inputs give the
same integers, qparams, dequantized values, printing and straight-through gradients."""

import numpy as np
import pytest
import torch

import ember

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]
RNG = np.random.RandomState(0)
X = (RNG.randn(6, 5) * 3).astype(np.float32)
# Exact ties of x / scale, where rounding order (ties to even, zero point before or after) shows.
TIES = np.array([0.05, 0.15, 0.25, -0.05, -0.15, 12.75, -12.85, 100.0, -100.0], np.float32)


def qdtype(lib, name):
    return getattr(lib, name)


@pytest.mark.parametrize("name,scale,zp", [("quint8", 0.1, 3), ("quint8", 0.037, 128), ("qint8", 0.05, 0),
                                           ("qint8", 0.1, -4), ("qint32", 0.001, 7)])
def test_quantize_per_tensor_matches_torch(name, scale, zp):
    for x in (X, TIES):
        t = torch.quantize_per_tensor(torch.from_numpy(x), scale, zp, qdtype(torch, name))
        e = ember.quantize_per_tensor(ember.tensor(x), scale, zp, qdtype(ember, name))
        np.testing.assert_array_equal(e.int_repr().numpy(), t.int_repr().numpy())
        np.testing.assert_array_equal(e.dequantize().numpy(), t.dequantize().numpy())
        assert e.int_repr().dtype.name == str(t.int_repr().dtype).split(".")[1]
        assert (e.q_scale(), e.q_zero_point()) == (t.q_scale(), t.q_zero_point())
        assert e.is_quantized and e.dtype is qdtype(ember, name) and e.qscheme() is ember.per_tensor_affine
        assert e.element_size() == t.element_size() and tuple(e.shape) == tuple(t.shape)


def test_quantize_per_channel_matches_torch():
    scales, zps = np.array([0.1, 0.02, 0.5, 0.03, 0.07, 0.2]), np.array([0, 1, -3, 5, 0, 2])
    for axis, n in ((0, 6), (1, 5)):
        t = torch.quantize_per_channel(torch.from_numpy(X), torch.from_numpy(scales[:n]), torch.from_numpy(zps[:n]),
                                       axis, torch.qint8)
        e = ember.quantize_per_channel(ember.tensor(X), ember.tensor(scales[:n]), ember.tensor(zps[:n]), axis,
                                       ember.qint8)
        np.testing.assert_array_equal(e.int_repr().numpy(), t.int_repr().numpy())
        np.testing.assert_array_equal(e.dequantize().numpy(), t.dequantize().numpy())
        np.testing.assert_array_equal(e.q_per_channel_scales().numpy(), t.q_per_channel_scales().numpy())
        np.testing.assert_array_equal(e.q_per_channel_zero_points().numpy(), t.q_per_channel_zero_points().numpy())
        assert e.q_per_channel_axis() == t.q_per_channel_axis() and e.qscheme() is ember.per_channel_affine
    with pytest.raises(RuntimeError, match="6 scales"):
        ember.quantize_per_channel(ember.tensor(X), ember.tensor(scales[:2]), ember.tensor(zps[:2]), 0, ember.qint8)


def test_printing_and_shape_methods_match_torch():
    t = torch.quantize_per_tensor(torch.tensor([0.1, -0.5, 2.0]), 0.1, 3, torch.quint8)
    e = ember.quantize_per_tensor(ember.tensor([0.1, -0.5, 2.0]), 0.1, 3, ember.quint8)
    assert repr(e).replace("ember.", "torch.") == repr(t)
    tc = torch.quantize_per_channel(torch.from_numpy(X[:2, :3]), torch.tensor([0.1, 0.2], dtype=torch.float64),
                                    torch.tensor([0, 1]), 0, torch.qint8)
    ec = ember.quantize_per_channel(ember.tensor(X[:2, :3]), ember.tensor([0.1, 0.2], dtype=ember.float64),
                                    ember.tensor([0, 1]), 0, ember.qint8)
    assert repr(ec).replace("ember.", "torch.") == repr(tc)
    t4 = torch.quantize_per_tensor(torch.from_numpy(X), 0.05, 10, torch.quint8)
    e4 = ember.quantize_per_tensor(ember.tensor(X), 0.05, 10, ember.quint8)
    for fn in (lambda a: a.reshape(5, 6), lambda a: a.view(-1), lambda a: a.flatten(), lambda a: a.permute(1, 0),
               lambda a: a[1:3], lambda a: a.relu(), lambda a: a.unsqueeze(0).transpose(0, 1),
               lambda a: a.mean(), lambda a: a.mean(1), lambda a: a.mean([0, 1], keepdim=True)):
        r, s = fn(t4), fn(e4)
        assert s.is_quantized and (s.q_scale(), s.q_zero_point()) == (r.q_scale(), r.q_zero_point())
        assert tuple(s.shape) == tuple(r.shape)
        np.testing.assert_array_equal(s.int_repr().numpy(), r.int_repr().numpy())
    r, s = torch.flatten(t4.reshape(2, 3, 5), 1), ember.flatten(e4.reshape(2, 3, 5), 1)
    assert s.is_quantized and tuple(s.shape) == tuple(r.shape)
    np.testing.assert_array_equal(s.int_repr().numpy(), r.int_repr().numpy())
    assert not ember.tensor([1.0]).is_quantized
    for x in (ember.tensor([1.5]), ember.tensor([3], dtype=ember.uint8)):  # plain tensors dequantize to float
        y = torch.tensor(x.numpy()).dequantize()
        assert x.dequantize().dtype.name == str(y.dtype).split(".")[1] and x.dequantize().tolist() == y.tolist()
    with pytest.raises(RuntimeError, match="per-tensor"):
        ec.q_scale()


def test_qdtypes_and_engine():
    assert ember.quint8.itemsize == torch.quint8.itemsize == 1 and ember.qint32.itemsize == 4
    assert not ember.quint8.is_floating_point and ember.quint8 is not ember.uint8
    assert ember.backend.dtypes.to_dtype("torch.qint8") is ember.qint8
    assert ember.backends.quantized.engine == torch.backends.quantized.engine == "x86"
    assert set(ember.backends.quantized.supported_engines) == set(torch.backends.quantized.supported_engines)


@pytest.mark.parametrize("scale,zp,lo,hi", [(0.1, 3, 0, 255), (0.05, 0, -128, 127), (0.02, 10, 0, 127),
                                            (0.1, 0, 0, 15)])
def test_fake_quantize_per_tensor_forward_and_ste_gradient(scale, zp, lo, hi):
    for x in (X.reshape(-1), TIES):
        g = RNG.randn(x.size).astype(np.float32)
        tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
        t = torch.fake_quantize_per_tensor_affine(tx, scale, zp, lo, hi)
        e = ember.fake_quantize_per_tensor_affine(ex, scale, zp, lo, hi)
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        t.backward(torch.from_numpy(g))
        e.backward(ember.tensor(g))
        np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())
        # the tensor-qparams overload
        t2 = torch.fake_quantize_per_tensor_affine(torch.from_numpy(x), torch.tensor(scale), torch.tensor(zp), lo, hi)
        e2 = ember.fake_quantize_per_tensor_affine(ember.tensor(x), ember.tensor(scale), ember.tensor(zp), lo, hi)
        np.testing.assert_array_equal(e2.numpy(), t2.numpy())


def test_fake_quantize_per_channel_forward_and_ste_gradient():
    w = (RNG.randn(4, 3, 2) * 2).astype(np.float32)
    sc, zp = np.array([0.01, 0.02, 0.05, 0.1], np.float32), np.array([0, 1, -2, 3], np.int32)
    tw, ew = torch.tensor(w, requires_grad=True), ember.tensor(w, requires_grad=True)
    t = torch.fake_quantize_per_channel_affine(tw, torch.from_numpy(sc), torch.from_numpy(zp), 0, -128, 127)
    e = ember.fake_quantize_per_channel_affine(ew, ember.tensor(sc), ember.tensor(zp), 0, -128, 127)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    g = RNG.randn(*w.shape).astype(np.float32)
    t.backward(torch.from_numpy(g))
    e.backward(ember.tensor(g))
    np.testing.assert_array_equal(ew.grad.numpy(), tw.grad.numpy())
    assert 0 < (ew.grad.numpy() == 0).mean() < 1  # some entries were clamped, others passed straight through


def test_quantized_tensor_pickle_and_deepcopy():
    import copy
    import pickle
    e = ember.quantize_per_channel(ember.tensor(X), ember.tensor([0.1] * 6, dtype=ember.float64),
                                   ember.tensor([0, 1, 2, 0, 0, 1]), 0, ember.qint8)
    for back in (pickle.loads(pickle.dumps(e)), copy.deepcopy(e)):
        assert back.is_quantized and back.qscheme() is e.qscheme() and back.dtype is e.dtype
        np.testing.assert_array_equal(back.dequantize().numpy(), e.dequantize().numpy())


def test_quantized_tensor_save_load_round_trip(tmp_path):
    e = ember.quantize_per_channel(ember.tensor(X), ember.tensor([0.1] * 6, dtype=ember.float64),
                                   ember.tensor([0, 1, 2, 0, 0, 1]), 0, ember.qint8)
    p = ember.quantize_per_tensor(ember.tensor(X), 0.05, 10, ember.quint8)
    ember.save({"c": e, "p": p}, tmp_path / "q.pt")
    back = ember.load(tmp_path / "q.pt")
    for a, b in ((back["c"], e), (back["p"], p)):
        assert a.is_quantized and a.dtype is b.dtype and a.qscheme() is b.qscheme()
        np.testing.assert_array_equal(a.int_repr().numpy(), b.int_repr().numpy())
        np.testing.assert_array_equal(a.dequantize().numpy(), b.dequantize().numpy())


def test_functional_ops_on_quantized_tensors_match_torch():
    x = RNG.randn(2, 3, 7, 7).astype(np.float32)
    t = torch.quantize_per_tensor(torch.from_numpy(x), 0.04, 70, torch.quint8)
    e = ember.quantize_per_tensor(ember.tensor(x), 0.04, 70, ember.quint8)
    for fn in (lambda m, a: m.relu(a), lambda m, a: m.nn.functional.relu(a),
               lambda m, a: m.nn.functional.max_pool2d(a, 2), lambda m, a: m.nn.functional.max_pool2d(a, 3, 2, 1),
               lambda m, a: m.nn.functional.avg_pool2d(a, 2), lambda m, a: m.nn.functional.avg_pool2d(a, 3, 2, 1),
               lambda m, a: m.nn.functional.adaptive_avg_pool2d(a, (3, 2)), lambda m, a: m.flatten(a, 1)):
        r, s = fn(torch, t), fn(ember, e)
        assert s.is_quantized and (s.q_scale(), s.q_zero_point()) == (r.q_scale(), r.q_zero_point())
        np.testing.assert_array_equal(s.int_repr().numpy(), r.int_repr().numpy())
    # averages of few distinct integers: many exact ties, where ATen's rounding of the raw average shows
    for k, zp in ((0, 3), (1, 0), (2, 100), (3, 3)):
        xa = np.random.RandomState(k).randint(0, 9, (2, 3, 7, 9)).astype(np.float32) * 0.04
        ta = torch.quantize_per_tensor(torch.from_numpy(xa), 0.04, zp, torch.quint8)
        ea = ember.quantize_per_tensor(ember.tensor(xa), 0.04, zp, ember.quint8)
        for fn in (lambda m, a: m.nn.functional.avg_pool2d(a, 2), lambda m, a: m.nn.functional.avg_pool2d(a, 2, 2, 1),
                   lambda m, a: m.nn.functional.avg_pool2d(a, 3, 2, 1, count_include_pad=False),
                   lambda m, a: m.nn.functional.avg_pool2d(a, 3, 2, 1, divisor_override=2),
                   lambda m, a: m.nn.functional.avg_pool2d(a, 3, 2, 1, ceil_mode=True),
                   lambda m, a: m.nn.functional.avg_pool2d(a, 2, divisor_override=3),
                   lambda m, a: m.nn.functional.adaptive_avg_pool2d(a, (3, 4)),
                   lambda m, a: m.nn.functional.adaptive_avg_pool1d(a.reshape(2, 3, 63), 10)):
            np.testing.assert_array_equal(fn(ember, ea).int_repr().numpy(), fn(torch, ta).int_repr().numpy())
    t3, e3 = t.reshape(2, 3, 49), e.reshape(2, 3, 49)
    for fn in (lambda m, a: m.nn.functional.max_pool1d(a, 3, 2), lambda m, a: m.nn.functional.adaptive_avg_pool1d(a, 5),
               lambda m, a: m.nn.functional.hardtanh(a, -1.0, 0.5), lambda m, a: m.nn.functional.relu6(a),
               lambda m, a: m.nn.MaxPool1d(2)(a), lambda m, a: m.nn.Hardtanh(-0.3, 0.3)(a)):
        r, s = fn(torch, t3), fn(ember, e3)
        assert s.is_quantized and (s.q_scale(), s.q_zero_point()) == (r.q_scale(), r.q_zero_point())
        np.testing.assert_array_equal(s.int_repr().numpy(), r.int_repr().numpy())


def test_cat_of_quantized_tensors_matches_torch():
    a, b = RNG.randn(2, 3).astype(np.float32), (RNG.randn(2, 3) * 3).astype(np.float32)
    ta, tb = torch.quantize_per_tensor(torch.from_numpy(a), 0.05, 60, torch.quint8), \
        torch.quantize_per_tensor(torch.from_numpy(b), 0.1, 10, torch.quint8)
    ea, eb = ember.quantize_per_tensor(ember.tensor(a), 0.05, 60, ember.quint8), \
        ember.quantize_per_tensor(ember.tensor(b), 0.1, 10, ember.quint8)
    for dim in (0, 1):
        r, s = torch.cat([ta, tb, ta], dim), ember.cat([ea, eb, ea], dim)
        assert s.is_quantized and (s.q_scale(), s.q_zero_point()) == (r.q_scale(), r.q_zero_point())
        np.testing.assert_array_equal(s.int_repr().numpy(), r.int_repr().numpy())


def test_float_math_on_quantized_tensors_is_refused_as_in_torch():
    t = torch.quantize_per_tensor(torch.tensor([0.1, 0.5]), 0.1, 3, torch.quint8)
    e = ember.quantize_per_tensor(ember.tensor([0.1, 0.5]), 0.1, 3, ember.quint8)
    for fn in (lambda a: a + 1, lambda a: a * a, lambda a: a.sum(), lambda a: a.exp(), lambda a: a.float(),
               lambda a: a.tolist()):
        with pytest.raises((RuntimeError, NotImplementedError)):
            fn(t)
        with pytest.raises((RuntimeError, NotImplementedError), match="quantize"):
            fn(e)
    assert e.to("cpu") is e and e[1].item() == t[1].item()
