"""``torch.nn.attention.flex_attention`` in ember against torch: outputs (and lse) equal torch's
``flex_attention`` (eager on the CPU) for causal, sliding-window, combined masks and score_mods; gradients
equal torch autograd through the dense reference (torch's flex_attention has no CPU backward); float64
finite differences of ember's gradients."""
import math
import warnings

import numpy as np
import pytest
import torch
from torch.nn.attention import flex_attention as tflex

import ember
from ember.nn.attention import flex_attention as eflex

warnings.filterwarnings("ignore", message=".*flex_attention called without torch.compile.*")
warnings.filterwarnings("ignore", message=".*return_lse is deprecated.*")
RNG = np.random.default_rng(0)
B, H, L, S, E = 2, 2, 6, 6, 4
Q, K, V = (RNG.standard_normal((B, H, L, E)) for _ in range(3))
BIAS = RNG.standard_normal((H, L, S))


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def window(b, h, q_idx, kv_idx):
    return (q_idx - kv_idx).abs() <= 2 if hasattr(q_idx - kv_idx, "abs") else abs(q_idx - kv_idx) <= 2


def skip_first_query(b, h, q_idx, kv_idx):
    return q_idx > 0  # query 0 sees nothing: its output is 0 and its lse -inf


def alibi(score, b, h, q_idx, kv_idx):
    return score - (q_idx - kv_idx).abs() * (h + 1) * 0.25


def make_relative_bias(lib):
    table = lib.tensor(BIAS)

    def relative_bias(score, b, h, q_idx, kv_idx):
        return score + table[h, q_idx, kv_idx]
    return relative_bias


def _masks(mod):
    return {"causal": mod.and_masks(causal), "window": window, "causal&window": mod.and_masks(causal, window),
            "causal|window": mod.or_masks(causal, window), "empty rows": mod.and_masks(causal, skip_first_query),
            "none": None}


CASES = [("causal", None), ("causal", "alibi"), ("window", "bias"), ("causal&window", "alibi"),
         ("causal|window", None), ("empty rows", "bias"), ("none", "alibi")]


def _run(lib, mod, mask_name, score_name, q, k, v, **kw):
    mask_mod = _masks(mod)[mask_name]
    block = mod.create_block_mask(mask_mod, None, H if mask_name == "window" else None, L, S, device="cpu") \
        if mask_mod is not None else None
    score_mod = {"alibi": alibi, "bias": make_relative_bias(lib), None: None}[score_name]
    return mod.flex_attention(q, k, v, score_mod=score_mod, block_mask=block, **kw)


@pytest.mark.parametrize("mask_name,score_name", CASES)
def test_forward_and_lse_equal_torch_flex_attention(mask_name, score_name):
    t_out, t_lse = _run(torch, tflex, mask_name, score_name, *(torch.tensor(a) for a in (Q, K, V)), return_lse=True)
    e_out, e_lse = _run(ember, eflex, mask_name, score_name, *(ember.tensor(a) for a in (Q, K, V)), return_lse=True)
    np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(e_lse.numpy(), t_lse.numpy(), rtol=1e-10, atol=1e-12)


def _torch_dense_reference(q, k, v, mask_name, score_name, scale=None):
    """Torch autograd through the formula flex_attention computes (its CPU kernel has no backward)."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-1, -2) * scale
    b, h = torch.arange(B).view(B, 1, 1, 1), torch.arange(H).view(1, H, 1, 1)
    qi, ki = torch.arange(L).view(1, 1, L, 1), torch.arange(S).view(1, 1, 1, S)
    if score_name is not None:
        s = {"alibi": alibi, "bias": make_relative_bias(torch)}[score_name](s, b, h, qi, ki)
    mask_mod = _masks(tflex)[mask_name]
    if mask_mod is None:
        return torch.softmax(s, -1) @ v
    keep = torch.broadcast_to(mask_mod(b, h, qi, ki), s.shape)
    alive = keep.any(-1, keepdim=True)
    p = torch.softmax(torch.where(keep, s, -math.inf).where(alive, 0.0), -1) * alive
    return p @ v


@pytest.mark.parametrize("mask_name,score_name", [("causal", None), ("window", "alibi"), ("causal&window", "bias"),
                                                  ("empty rows", "alibi"), ("none", "bias")])
def test_gradients_equal_torch_reference(mask_name, score_name):
    w = RNG.standard_normal((B, H, L, E))
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (Q, K, V))
    ref = _torch_dense_reference(tq, tk, tv, mask_name, score_name)
    with torch.no_grad():  # the reference is the real flex_attention's output
        real = _run(torch, tflex, mask_name, score_name, tq.detach(), tk.detach(), tv.detach())
    np.testing.assert_allclose(ref.detach().numpy(), real.numpy(), rtol=1e-10, atol=1e-12)
    (ref * torch.tensor(w)).sum().backward()
    eq, ek, ev = (ember.tensor(a, requires_grad=True) for a in (Q, K, V))
    out = _run(ember, eflex, mask_name, score_name, eq, ek, ev)
    (out * ember.tensor(w)).sum().backward()
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_gradcheck_float64():
    q, k, v = (ember.tensor(a[:1, :1, :4], requires_grad=True) for a in (Q, K, V))
    block = eflex.create_block_mask(causal, None, None, 4, 4)

    def f(q, k, v):
        return eflex.flex_attention(q, k, v, score_mod=alibi, block_mask=block, scale=0.7)
    assert ember.autograd.gradcheck(f, (q, k, v), eps=1e-6, atol=1e-5)


def test_gqa_scale_and_block_mask_structure_equal_torch():
    q = RNG.standard_normal((1, 4, L, E))
    kv = RNG.standard_normal((1, 2, S, E))
    t = tflex.flex_attention(torch.tensor(q), torch.tensor(kv), torch.tensor(kv), enable_gqa=True, scale=0.3)
    e = eflex.flex_attention(ember.tensor(q), ember.tensor(kv), ember.tensor(kv), enable_gqa=True, scale=0.3)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)
    for lib, mod in ((torch, tflex), (ember, eflex)):
        with pytest.raises(ValueError, match="same number of heads"):
            mod.flex_attention(lib.tensor(q), lib.tensor(kv), lib.tensor(kv))
    tb = tflex.create_block_mask(causal, 1, 1, 300, 300, device="cpu")
    eb = eflex.create_block_mask(causal, 1, 1, 300, 300)
    assert eb.shape == tb.shape and eb.BLOCK_SIZE == tb.BLOCK_SIZE
    np.testing.assert_array_equal(eb.to_dense().numpy(), tb.to_dense().numpy())
    assert eb.sparsity() == pytest.approx(tb.sparsity())
    np.testing.assert_array_equal(eflex.create_mask(window, 1, 1, 5, 5).numpy(),
                                  tflex.create_mask(window, 1, 1, 5, 5, device="cpu").numpy())
    assert bool(eflex.noop_mask(0, 0, 1, 2)) and bool(tflex.noop_mask(*(torch.tensor(i) for i in (0, 0, 1, 2))))
