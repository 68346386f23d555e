"""Dynamic quantization (``quantize_dynamic``) against PyTorch 2.13's x86/fbgemm kernels: an LSTM word
language model and a small MLP, same float weights in both, same inputs.

fbgemm quantizes the activation per call and accumulates in int32; ember does the same integer
arithmetic, so outputs agree to float32 round-off of the final rescale (measured: <= 2.4e-7 on
outputs of size ~2, a few ulps); the tolerance below is 1e-6 absolute.
"""
import io

import numpy as np
import pytest
import torch
import torch.ao.quantization as tq

import ember
import ember.ao.quantization as eq

from ._models import copy_weights, word_model

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]
ATOL = 1e-6


def normalized(text):
    return text.replace("ember.", "torch.")


@pytest.fixture(scope="module")
def word_models():
    torch.manual_seed(0)
    t = word_model(torch).eval()
    e = word_model(ember).eval()
    copy_weights(t, e)
    tq_m = tq.quantize_dynamic(t, {torch.nn.LSTM, torch.nn.Linear}, dtype=torch.qint8)
    eq_m = eq.quantize_dynamic(e, {ember.nn.LSTM, ember.nn.Linear}, dtype=ember.qint8)
    return t, e, tq_m, eq_m


def test_word_model_outputs_match_torch(word_models):
    _, _, tq_m, eq_m = word_models
    tokens = np.random.RandomState(1).randint(0, 30, (7, 3))
    hidden = (np.random.RandomState(2).randn(2, 3, 12).astype(np.float32) * 0.5,) * 2
    to, (th, tc) = tq_m(torch.from_numpy(tokens), tuple(torch.from_numpy(h) for h in hidden))
    eo, (eh, ec) = eq_m(ember.tensor(tokens), tuple(ember.tensor(h) for h in hidden))
    np.testing.assert_allclose(eo.numpy(), to.detach().numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(eh.numpy(), th.detach().numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(ec.numpy(), tc.detach().numpy(), rtol=0, atol=ATOL)


def test_word_model_print_state_dict_and_size(word_models):
    t, e, tq_m, eq_m = word_models
    assert normalized(repr(eq_m)) == repr(tq_m)
    assert list(eq_m.state_dict()) == list(tq_m.state_dict())
    w_t = tq_m.decoder.weight()
    w_e = eq_m.decoder.weight()
    np.testing.assert_array_equal(w_e.int_repr().numpy(), w_t.int_repr().numpy())
    assert w_e.q_scale() == w_t.q_scale() and w_e.qscheme() is ember.per_tensor_affine
    # The tutorial's check: the int8 state dict is smaller on disk, by about torch's own factor.
    def size(save, model):
        buf = io.BytesIO()
        save(model.state_dict(), buf)
        return len(buf.getvalue())
    ratio_e = size(ember.save, e) / size(ember.save, eq_m)
    ratio_t = size(torch.save, t) / size(torch.save, tq_m)
    assert ratio_e > 1.5 and ratio_e > 0.9 * ratio_t, (ratio_e, ratio_t)


def test_word_model_state_dict_round_trip(word_models):
    _, _, _, eq_m = word_models
    buf = io.BytesIO()
    ember.save(eq_m.state_dict(), buf)
    buf.seek(0)
    fresh = eq.quantize_dynamic(word_model(ember).eval(), {ember.nn.LSTM, ember.nn.Linear}, dtype=ember.qint8)
    fresh.load_state_dict(ember.load(buf))
    tokens = ember.tensor(np.random.RandomState(3).randint(0, 30, (4, 2)))
    np.testing.assert_array_equal(fresh(tokens)[0].numpy(), eq_m(tokens)[0].numpy())


@pytest.mark.parametrize("bidirectional,batch_first", [(True, False), (False, True)])
def test_lstm_variants_match_torch(bidirectional, batch_first):
    torch.manual_seed(1)
    t = torch.nn.LSTM(5, 6, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    e = ember.nn.LSTM(5, 6, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    copy_weights(t, e)
    tq_m = tq.quantize_dynamic(torch.nn.Sequential(t), {torch.nn.LSTM}, dtype=torch.qint8)[0]
    eq_m = eq.quantize_dynamic(ember.nn.Sequential(e), {ember.nn.LSTM}, dtype=ember.qint8)[0]
    x = np.random.RandomState(4).randn(3, 4, 5).astype(np.float32) * 2
    to, (th, _) = tq_m(torch.from_numpy(x))
    eo, (eh, _) = eq_m(ember.tensor(x))
    np.testing.assert_allclose(eo.numpy(), to.detach().numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(eh.numpy(), th.detach().numpy(), rtol=0, atol=ATOL)
    assert normalized(repr(eq_m)) == repr(tq_m)
    assert list(eq_m.state_dict()) == list(tq_m.state_dict())


def test_mlp_matches_torch_and_default_spec():
    torch.manual_seed(2)
    t = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 7)).eval()
    e = ember.nn.Sequential(ember.nn.Linear(20, 32), ember.nn.ReLU(), ember.nn.Linear(32, 7)).eval()
    copy_weights(t, e)
    for spec_t, spec_e in (({torch.nn.Linear}, {ember.nn.Linear}), (None, None)):
        tq_m = tq.quantize_dynamic(t, spec_t, dtype=torch.qint8)
        eq_m = eq.quantize_dynamic(e, spec_e, dtype=ember.qint8)
        # wide-ranged inputs (including all-positive rows): the dynamic zero point moves
        x = np.random.RandomState(5).randn(16, 20).astype(np.float32) * 4
        x[:4] = np.abs(x[:4])
        out_t = tq_m(torch.from_numpy(x)).detach().numpy()
        out_e = eq_m(ember.tensor(x)).numpy()
        np.testing.assert_allclose(out_e, out_t, rtol=0, atol=ATOL * np.abs(out_t).max())
        assert normalized(repr(eq_m)) == repr(tq_m)
        assert list(eq_m.state_dict()) == list(tq_m.state_dict())
        sd_t, sd_e = tq_m.state_dict(), eq_m.state_dict()
        assert sd_e["0.scale"].item() == sd_t["0.scale"].item() and sd_e["0.zero_point"].item() == 0
        assert normalized(repr(sd_e["0._packed_params.dtype"])) == repr(sd_t["0._packed_params.dtype"])
    assert isinstance(e[0], ember.nn.Linear)  # not inplace: the float model is untouched


def test_dynamic_linear_per_channel_qconfig():
    torch.manual_seed(3)
    t, e = torch.nn.Sequential(torch.nn.Linear(9, 5)), ember.nn.Sequential(ember.nn.Linear(9, 5))
    copy_weights(t, e)
    tq_m = tq.quantize_dynamic(t, {torch.nn.Linear: tq.per_channel_dynamic_qconfig})
    eq_m = eq.quantize_dynamic(e, {ember.nn.Linear: eq.per_channel_dynamic_qconfig})
    x = np.random.RandomState(6).randn(4, 9).astype(np.float32)
    np.testing.assert_allclose(eq_m(ember.tensor(x)).numpy(), tq_m(torch.from_numpy(x)).detach().numpy(),
                               rtol=0, atol=ATOL)
    assert normalized(repr(eq_m)) == repr(tq_m)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_matches_torch(bidirectional):
    torch.manual_seed(4)
    t = torch.nn.GRU(5, 6, num_layers=2, bidirectional=bidirectional)
    e = ember.nn.GRU(5, 6, num_layers=2, bidirectional=bidirectional)
    copy_weights(t, e)
    tq_m = tq.quantize_dynamic(torch.nn.Sequential(t), {torch.nn.GRU}, dtype=torch.qint8)[0]
    eq_m = eq.quantize_dynamic(ember.nn.Sequential(e), {ember.nn.GRU}, dtype=ember.qint8)[0]
    rng = np.random.RandomState(7)
    x = rng.randn(4, 3, 5).astype(np.float32)
    h = rng.randn(2 * (1 + bidirectional), 3, 6).astype(np.float32)
    to, th = tq_m(torch.from_numpy(x), torch.from_numpy(h))
    eo, eh = eq_m(ember.tensor(x), ember.tensor(h))
    np.testing.assert_allclose(eo.numpy(), to.detach().numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(eh.numpy(), th.detach().numpy(), rtol=0, atol=ATOL)
    assert normalized(repr(eq_m)) == repr(tq_m)
    assert list(eq_m.state_dict()) == list(tq_m.state_dict())


def test_whole_quantized_model_saves_as_data():
    model = eq.quantize_dynamic(ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.LSTM(4, 2)))
    buf = io.BytesIO()
    ember.save(model, buf)
    buf.seek(0)
    back = ember.load(buf, weights_only=False)
    x = ember.tensor(np.random.RandomState(8).randn(2, 1, 3).astype(np.float32))
    assert repr(back) == repr(model)
    np.testing.assert_array_equal(back(x)[0].numpy(), model(x)[0].numpy())
