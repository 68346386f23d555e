"""Transformer encoder/decoder layers, stacks and nn.Transformer against PyTorch twins (float64)."""
import numpy as np
import pytest
import torch

import ember
from ember import nn


def E(t):
    return ember.tensor(t.detach().numpy().copy(), requires_grad=t.requires_grad)


def close(e, t, atol=1e-9, what=""):
    assert tuple(e.shape) == tuple(t.shape), what
    np.testing.assert_allclose(np.asarray(e._data), t.detach().numpy(), rtol=1e-6, atol=atol, err_msg=what)


def twins(name, *args, **kw):
    tm = getattr(torch.nn, name)(*args, **kw).double()
    em = getattr(nn, name)(*args, **kw).double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return em, tm


def compare(em, tm, inputs, **kw):
    """Run both with the same inputs (first ones differentiable), backward a random weighting, compare all."""
    ekw = {k: (ember.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v) for k, v in kw.items()}
    ein = [E(t) for t in inputs]
    out_t = tm(*inputs, **kw)
    out_e = em(*ein, **ekw)
    close(out_e, out_t, what="output")
    w = np.random.default_rng(0).standard_normal(tuple(out_t.shape))
    (out_t * torch.from_numpy(w)).sum().backward()
    (out_e * ember.tensor(w)).sum().backward()
    for a, b in zip(ein, inputs):
        close(a.grad, b.grad, what="input grad")
    tp = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        close(p.grad, tp[name].grad, what=f"grad of {name}")


def causal(n):
    return torch.nn.Transformer.generate_square_subsequent_mask(n, dtype=torch.float64)


def pad_mask(N, S):
    # Float like the causal masks (PyTorch warns when bool and float masks are mixed).
    m = torch.zeros(N, S, dtype=torch.float64)
    m[0, S - 2:] = float("-inf")
    return m


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal+padding"])
def test_encoder_layer(norm_first, activation, batch_first, masks):
    em, tm = twins("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                   batch_first=batch_first, norm_first=norm_first)
    N, S = 2, 5
    src = torch.randn(*((N, S, 8) if batch_first else (S, N, 8)), dtype=torch.float64, requires_grad=True)
    kw = {}
    if masks != "none":
        kw = {"src_mask": causal(S), "src_key_padding_mask": pad_mask(N, S), "is_causal": True}
    compare(em, tm, [src], **kw)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "all"])
def test_decoder_layer(norm_first, activation, batch_first, masks):
    em, tm = twins("TransformerDecoderLayer", 8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                   batch_first=batch_first, norm_first=norm_first)
    N, T, S = 2, 4, 6
    shape = (lambda L: (N, L, 8)) if batch_first else (lambda L: (L, N, 8))
    tgt = torch.randn(*shape(T), dtype=torch.float64, requires_grad=True)
    mem = torch.randn(*shape(S), dtype=torch.float64, requires_grad=True)
    kw = {}
    if masks == "all":
        kw = {"tgt_mask": causal(T), "memory_mask": torch.randn(T, S, dtype=torch.float64),
              "tgt_key_padding_mask": pad_mask(N, T), "memory_key_padding_mask": pad_mask(N, S),
              "tgt_is_causal": True}
    compare(em, tm, [tgt, mem], **kw)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_with_final_norm(norm_first):
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first)
    tm = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False).double()
    el = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first)
    em = nn.TransformerEncoder(el, 2, norm=nn.LayerNorm(8)).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    src = torch.randn(3, 5, 8, dtype=torch.float64, requires_grad=True)
    compare(em, tm, [src], mask=causal(5), src_key_padding_mask=pad_mask(3, 5))


def test_decoder_stack():
    tl = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)
    tm = torch.nn.TransformerDecoder(tl, 2, norm=torch.nn.LayerNorm(8)).double()
    em = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2, norm=nn.LayerNorm(8)).double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tgt = torch.randn(4, 2, 8, dtype=torch.float64, requires_grad=True)
    mem = torch.randn(6, 2, 8, dtype=torch.float64, requires_grad=True)
    compare(em, tm, [tgt, mem], tgt_mask=causal(4))


@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer(batch_first):
    em, tm = twins("Transformer", d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                   dim_feedforward=16, dropout=0.0, batch_first=batch_first)
    assert list(em.state_dict()) == list(tm.state_dict())
    shape = (lambda L: (2, L, 8)) if batch_first else (lambda L: (L, 2, 8))
    src = torch.randn(*shape(6), dtype=torch.float64, requires_grad=True)
    tgt = torch.randn(*shape(4), dtype=torch.float64, requires_grad=True)
    compare(em, tm, [src, tgt], tgt_mask=causal(4), src_key_padding_mask=pad_mask(2, 6),
            memory_key_padding_mask=pad_mask(2, 6))


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(m.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    assert m.dtype == ember.float32


def test_dropout_in_training_and_eval_equivalence():
    em, tm = twins("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.3)
    em.eval()
    tm.eval()
    x = torch.randn(5, 2, 8, dtype=torch.float64)
    close(em(E(x)), tm(x))
    em.train()
    assert not np.allclose(em(E(x)).detach().numpy(), em(E(x)).detach().numpy())


def test_unbatched_encoder_layer():
    em, tm = twins("TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.0)
    compare(em, tm, [torch.randn(5, 8, dtype=torch.float64, requires_grad=True)])


def test_bad_activation_and_shapes():
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    with pytest.raises(RuntimeError, match="batch number"):
        model(ember.randn(5, 2, 8), ember.randn(4, 3, 8))
