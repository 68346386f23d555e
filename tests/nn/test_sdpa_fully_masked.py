"""scaled_dot_product_attention on queries whose every key is masked, against PyTorch (float64).

PyTorch's SDPA gives such rows zero weights, a zero output and zero gradients (its "safe
softmax"), where a plain softmax gives NaN; left-padded prompts in KV-cached generation hit it.
nn.MultiheadAttention keeps the NaN in both frameworks.
"""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F


def E(t):
    return ember.tensor(t.detach().numpy().copy(), requires_grad=t.requires_grad)


def masks():
    keep = torch.tensor([[True, False, True], [False, False, False], [False, True, False], [False, False, False]])
    return {"bool": keep, "float": torch.zeros(4, 3, dtype=torch.float64).masked_fill(~keep, float("-inf")),
            "bool_per_batch": torch.stack([keep, keep.flip(0)])[:, None]}


@pytest.mark.parametrize("kind", ["bool", "float", "bool_per_batch"])
def test_fully_masked_rows_are_zero_with_zero_gradients(kind):
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 2, n, 5, dtype=torch.float64, generator=gen, requires_grad=True) for n in (4, 3, 3))
    mask = masks()[kind]
    w = torch.randn(2, 2, 4, 5, dtype=torch.float64, generator=gen)
    out_t = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    (out_t * w).sum().backward()
    qe, ke, ve = E(q), E(k), E(v)
    out_e = F.scaled_dot_product_attention(qe, ke, ve, attn_mask=ember.tensor(mask.numpy()))
    (out_e * ember.tensor(w.numpy())).sum().backward()
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert np.isfinite(out_e.detach().numpy()).all()
    for e, t in ((qe, q), (ke, k), (ve, v)):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_fully_masked_rows_second_order():
    # create_graph runs the composite definition: it must give the same finite gradients.
    gen = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(1, n, 3, dtype=torch.float64, generator=gen, requires_grad=True) for n in (4, 3, 3))
    mask = masks()["bool"]
    out_t = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    (gq_t,) = torch.autograd.grad(out_t.pow(2).sum(), q, create_graph=True)
    gq_t.sum().backward()
    qe, ke, ve = E(q), E(k), E(v)
    out_e = F.scaled_dot_product_attention(qe, ke, ve, attn_mask=ember.tensor(mask.numpy()))
    (gq_e,) = ember.autograd.grad(out_e.pow(2).sum(), qe, create_graph=True)
    gq_e.sum().backward()
    np.testing.assert_allclose(gq_e.detach().numpy(), gq_t.detach().numpy(), rtol=1e-9, atol=1e-12)
    for e, t in ((ke, k), (ve, v)):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_multihead_attention_keeps_nan_for_fully_padded_keys():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(1, 3, 4, generator=gen)
    mha_t = torch.nn.MultiheadAttention(4, 1, batch_first=True)
    mha_e = ember.nn.MultiheadAttention(4, 1, batch_first=True)
    mha_e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in mha_t.state_dict().items()})
    pad = torch.tensor([[True, True, True]])
    out_t = mha_t(x, x, x, key_padding_mask=pad)[0]
    out_e = mha_e(E(x), E(x), E(x), key_padding_mask=ember.tensor(pad.numpy()))[0]
    assert torch.isnan(out_t).all() and np.isnan(out_e.detach().numpy()).all()
