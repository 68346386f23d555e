"""nn.TransformerEncoder's inference outputs at padded positions, against PyTorch.

PyTorch runs a qualifying encoder through nested tensors in inference and returns zeros at the
padded positions (then the final norm); elsewhere (training, grad recording, left padding, an
attention mask, norm_first, batch_first=False, fast path switched off) the padded positions hold
ordinary values. Both must agree with PyTorch everywhere, padded positions included.
"""
import warnings

import numpy as np
import pytest
import torch

import ember


def pair(norm=False, norm_first=False, batch_first=True, nhead=2, activation="relu", **kw):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer_t = torch.nn.TransformerEncoderLayer(8, nhead, 16, dropout=0.0, batch_first=batch_first,
                                                   norm_first=norm_first, activation=activation)
        enc_t = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(8) if norm else None, **kw)
        layer_e = ember.nn.TransformerEncoderLayer(8, nhead, 16, dropout=0.0, batch_first=batch_first,
                                                   norm_first=norm_first, activation=activation)
        enc_e = ember.nn.TransformerEncoder(layer_e, 2, norm=ember.nn.LayerNorm(8) if norm else None, **kw)
    with torch.no_grad():
        for p in enc_t.parameters():
            p.add_(torch.randn_like(p) * 0.1)  # non-trivial norm biases too
    enc_e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in enc_t.state_dict().items()})
    return enc_t.eval(), enc_e.eval()


RIGHT = [[False] * 5, [False, False, False, True, True]]
LEFT = [[False] * 5, [True, True, False, False, False]]


def run(enc_t, enc_e, pad, batch_first=True, grad=False, mask=None, fastpath=True):
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(1))
    if not batch_first:
        x = x.transpose(0, 1).contiguous()
    pad_t = torch.tensor(pad)
    kw_t = {"src_key_padding_mask": pad_t}
    kw_e = {"src_key_padding_mask": ember.tensor(pad_t.numpy())}
    if mask is not None:
        kw_t["mask"], kw_e["mask"] = mask, ember.tensor(mask.numpy())
    torch.backends.mha.set_fastpath_enabled(fastpath)
    ember.backends.mha.set_fastpath_enabled(fastpath)
    try:
        with torch.set_grad_enabled(grad), ember.set_grad_enabled(grad):
            out_t = enc_t(x, **kw_t)
            out_e = enc_e(ember.tensor(x.numpy()), **kw_e)
    finally:
        torch.backends.mha.set_fastpath_enabled(True)
        ember.backends.mha.set_fastpath_enabled(True)
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)
    return out_t.detach()


@pytest.mark.parametrize("norm", [False, True])
def test_right_padding_in_inference_is_zeroed_then_normed(norm):
    enc_t, enc_e = pair(norm=norm)
    out = run(enc_t, enc_e, RIGHT)
    padded = out[1, 3:]
    if norm:
        assert torch.allclose(padded, enc_t.norm.bias.expand_as(padded))
    else:
        assert (padded == 0).all()


@pytest.mark.parametrize("case", ["grad", "left_padding", "attn_mask", "fastpath_off", "train", "gelu_odd_heads"])
def test_padded_positions_keep_values_off_the_fast_path(case):
    enc_t, enc_e = pair(nhead=1 if case == "gelu_odd_heads" else 2,
                        activation="gelu" if case == "gelu_odd_heads" else "relu")
    if case == "train":
        enc_t.train(), enc_e.train()
    mask = torch.zeros(5, 5) if case == "attn_mask" else None
    out = run(enc_t, enc_e, LEFT if case == "left_padding" else RIGHT, grad=case == "grad", mask=mask,
              fastpath=case != "fastpath_off")
    assert (out.abs().sum(-1) > 0).all()


@pytest.mark.parametrize("layout", ["norm_first", "seq_first", "no_nested"])
def test_layouts_without_nested_tensors(layout):
    kw = {"enable_nested_tensor": False} if layout == "no_nested" else {}
    enc_t, enc_e = pair(norm_first=layout == "norm_first", batch_first=layout != "seq_first", **kw)
    out = run(enc_t, enc_e, RIGHT, batch_first=layout != "seq_first")
    assert (out.abs().sum(-1) > 0).all()
    assert enc_e.use_nested_tensor == enc_t.use_nested_tensor is False


def test_the_warning_names_the_reason_as_torch_does():
    for framework in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = framework.nn.TransformerEncoderLayer(8, 2, 16, batch_first=False)
            framework.nn.TransformerEncoder(layer, 1)
        messages = [str(w.message) for w in caught if "enable_nested_tensor" in str(w.message)]
        assert messages == ["enable_nested_tensor is True, but self.use_nested_tensor is False because "
                            "encoder_layer.self_attn.batch_first was not True(use batch_first for better "
                            "inference performance)"], (framework.__name__, messages)


def test_activation_flag_matches_torch():
    for act in ("relu", "gelu", torch.nn.functional.silu):
        layer_t = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=act)
        act_e = ember.nn.functional.silu if callable(act) else act
        layer_e = ember.nn.TransformerEncoderLayer(8, 2, 16, activation=act_e)
        assert layer_e.activation_relu_or_gelu == layer_t.activation_relu_or_gelu
