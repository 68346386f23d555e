"""scaled_dot_product_attention and MultiheadAttention against PyTorch (float64), and gradcheck."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import nn


def E(t):
    return ember.tensor(t.detach().numpy().copy(), requires_grad=t.requires_grad)


def close(e, t, atol=1e-10, what=""):
    assert e is not None and t is not None, what
    assert tuple(e.shape) == tuple(t.shape), what
    np.testing.assert_allclose(np.asarray(e._data), t.detach().numpy(), rtol=1e-7, atol=atol, err_msg=what)


def rand(*shape, grad=True):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=grad)


def backward_both(outs_e, outs_t, seed=0):
    rng = np.random.default_rng(seed)
    le = lt = 0
    for e, t in zip(outs_e, outs_t):
        w = rng.standard_normal(tuple(t.shape))
        lt = lt + (t * torch.from_numpy(w)).sum()
        le = le + (e * ember.tensor(w)).sum()
    lt.backward()
    le.backward()


# -- F.scaled_dot_product_attention --------------------------------------------------------------------
MASKS = ["none", "bool", "float", "causal", "bool_broadcast"]


@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_matches_torch(mask, scale):
    q, k, v = rand(2, 3, 4, 5), rand(2, 3, 6, 5), rand(2, 3, 6, 7)
    kw = {"scale": scale}
    if mask == "bool":
        m = torch.rand(2, 3, 4, 6) > 0.3
        m[..., 0] = True      # every query attends somewhere
        kw["attn_mask"] = m
    elif mask == "bool_broadcast":
        m = torch.rand(4, 6) > 0.3
        m[:, 0] = True
        kw["attn_mask"] = m
    elif mask == "float":
        kw["attn_mask"] = rand(4, 6)
    elif mask == "causal":
        kw["is_causal"] = True
    out_t = torch.nn.functional.scaled_dot_product_attention(q, k, v, **kw)
    ekw = dict(kw)
    if "attn_mask" in kw:
        ekw["attn_mask"] = ember.tensor(kw["attn_mask"].detach().numpy())
    eq, ek, ev = E(q), E(k), E(v)
    out_e = F.scaled_dot_product_attention(eq, ek, ev, **ekw)
    close(out_e, out_t)
    backward_both([out_e], [out_t])
    for a, b in ((eq, q), (ek, k), (ev, v)):
        close(a.grad, b.grad)


def test_sdpa_float_mask_gradient_and_unbatched():
    q, k, v, m = rand(4, 5), rand(6, 5), rand(6, 3), rand(4, 6)
    out_t = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m)
    em = E(m)
    out_e = F.scaled_dot_product_attention(E(q), E(k), E(v), attn_mask=em)
    close(out_e, out_t)
    backward_both([out_e], [out_t])
    close(em.grad, m.grad)


def test_sdpa_dropout_statistics_and_eval_identity():
    q = k = v = ember.randn(2, 8, 16, 4)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(a.numpy(), b.numpy())
    ones = ember.ones(1, 1, 50, 200)
    o = F.scaled_dot_product_attention(ember.zeros(1, 1, 200, 4), ember.zeros(1, 1, 50, 4), ones, dropout_p=0.3)
    assert abs(float(o.mean()) - 1.0) < 0.05        # kept weights are rescaled by 1 / (1 - p)


def test_sdpa_causal_with_mask_is_an_error():
    q = ember.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(3, 3, dtype=ember.bool), is_causal=True)


def test_gradcheck_attention_float64():
    q = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    k = ember.randn(2, 5, 4, dtype=ember.float64, requires_grad=True)
    v = ember.randn(2, 5, 3, dtype=ember.float64, requires_grad=True)
    m = ember.randn(3, 5, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                                    (q, k, v, m))
    assert ember.autograd.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                                    (q, k, v))


def test_gradgradcheck_attention():
    q = ember.randn(1, 3, 2, dtype=ember.float64, requires_grad=True)
    k = ember.randn(1, 3, 2, dtype=ember.float64, requires_grad=True)
    v = ember.randn(1, 3, 2, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), (q, k, v))


# -- nn.MultiheadAttention -----------------------------------------------------------------------------
def mha_twins(*args, **kw):
    tm = torch.nn.MultiheadAttention(*args, **kw).double()
    em = nn.MultiheadAttention(*args, **kw).double()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return em, tm


def mha_case(em, tm, q, k, v, self_attn=False, **kw):
    ekw = {key: (ember.tensor(val.detach().numpy()) if isinstance(val, torch.Tensor) else val)
           for key, val in kw.items()}
    eq = E(q)
    if self_attn:
        ek = ev = eq
    elif k is v:
        ek = ev = E(k)
    else:
        ek, ev = E(k), E(v)
    out_t, w_t = tm(q, k, v, **kw)
    out_e, w_e = em(eq, ek, ev, **ekw)
    close(out_e, out_t, what="output")
    if w_t is None:
        assert w_e is None
        backward_both([out_e], [out_t])
    else:
        close(w_e, w_t, what="weights")
        backward_both([out_e, w_e], [out_t, w_t])
    close(eq.grad, q.grad, what="query grad")
    if not self_attn:
        close(ek.grad, k.grad, what="key grad")
        close(ev.grad, v.grad, what="value grad")
    for (name, p), (_, r) in zip(em.named_parameters(), tm.named_parameters()):
        close(p.grad, r.grad, what=f"grad of {name}")


def _mask(kind, L, S, N=None, H=None):
    if kind == "none":
        return None
    shape = (L, S) if N is None else (N * H, L, S)
    if kind == "bool":
        m = torch.rand(*shape) > 0.7
        m[..., 0] = False        # keep one key per query
        return m
    return torch.randn(*shape, dtype=torch.float64)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("attn_mask", ["none", "bool", "float", "bool3d", "float3d"])
@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_mha_self_attention_masks(batch_first, attn_mask, need_weights, average):
    N, L, E_, H = 2, 5, 8, 2
    em, tm = mha_twins(E_, H, batch_first=batch_first)
    x = rand(N, L, E_) if batch_first else rand(L, N, E_)
    three = attn_mask.endswith("3d")
    m = _mask(attn_mask.replace("3d", ""), L, L, N if three else None, H)
    mha_case(em, tm, x, x, x, self_attn=True, attn_mask=m, need_weights=need_weights,
             average_attn_weights=average)


@pytest.mark.parametrize("kpm", ["bool", "float"])
@pytest.mark.parametrize("with_attn_mask", [False, True])
def test_mha_key_padding_mask(kpm, with_attn_mask):
    N, L, S, E_, H = 3, 4, 6, 8, 4
    em, tm = mha_twins(E_, H)
    q, k, v = rand(L, N, E_), rand(S, N, E_), rand(S, N, E_)
    if kpm == "bool":
        pad = torch.zeros(N, S, dtype=torch.bool)
        pad[0, 4:] = True
        pad[2, 1:] = True
    else:
        pad = torch.randn(N, S, dtype=torch.float64)
    am = torch.randn(L, S, dtype=torch.float64) if with_attn_mask else None
    if with_attn_mask and kpm == "bool":
        am = torch.rand(L, S) > 0.8
        am[:, 0] = False
    mha_case(em, tm, q, k, v, key_padding_mask=pad, attn_mask=am)


@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_causal(need_weights):
    L, N, E_ = 6, 2, 8
    em, tm = mha_twins(E_, 2, batch_first=True)
    x = rand(N, L, E_)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    mha_case(em, tm, x, x, x, self_attn=True, attn_mask=mask, is_causal=True, need_weights=need_weights)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        em(E(x), E(x), E(x), is_causal=True)


@pytest.mark.parametrize("bias", [True, False])
def test_mha_kdim_vdim_cross_attention(bias):
    em, tm = mha_twins(8, 2, kdim=5, vdim=3, bias=bias, batch_first=True)
    assert sorted(em.state_dict()) == sorted(tm.state_dict())
    q, k, v = rand(2, 4, 8), rand(2, 6, 5), rand(2, 6, 3)
    mha_case(em, tm, q, k, v)


def test_mha_cross_attention_shared_projection():
    em, tm = mha_twins(8, 4)
    q, kv = rand(3, 2, 8), rand(5, 2, 8)
    mha_case(em, tm, q, kv, kv)


def test_mha_bias_kv_and_zero_attn():
    em, tm = mha_twins(8, 2, add_bias_kv=True, add_zero_attn=True)
    q, k, v = rand(3, 2, 8), rand(4, 2, 8), rand(4, 2, 8)
    pad = torch.zeros(2, 4, dtype=torch.bool)
    pad[1, 2:] = True
    mha_case(em, tm, q, k, v, key_padding_mask=pad, attn_mask=torch.rand(3, 4) > 0.9,
             average_attn_weights=False)
    mha_case(*mha_twins(8, 2, add_bias_kv=True), rand(3, 2, 8), rand(4, 2, 8), rand(4, 2, 8),
             key_padding_mask=pad.double() * -3.0)


def test_mha_unbatched():
    em, tm = mha_twins(8, 2)
    x = rand(5, 8)
    mha_case(em, tm, x, x, x, self_attn=True, key_padding_mask=torch.tensor([False] * 4 + [True]),
             average_attn_weights=False)


def test_mha_dropout_train_vs_eval():
    em, tm = mha_twins(8, 2, dropout=0.5)
    x = rand(4, 2, 8, grad=False)
    em.eval()
    tm.eval()
    close(em(E(x), E(x), E(x))[0], tm(x, x, x)[0])
    em.train()
    a = em(E(x), E(x), E(x))[0]
    b = em(E(x), E(x), E(x))[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())


def test_mha_init_and_errors():
    m = nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == list(torch.nn.MultiheadAttention(8, 2).state_dict())
    assert float(m.in_proj_bias.abs().sum()) == 0.0
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(RuntimeError, match="embedding dimension of 8"):
        m(ember.randn(3, 2, 6), ember.randn(3, 2, 6), ember.randn(3, 2, 6))
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(4, 4\), but should be \(3, 3\)"):
        x = ember.randn(3, 2, 8)
        m(x, x, x, attn_mask=ember.zeros(4, 4))


def test_gradcheck_mha_float64():
    m = nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = ember.randn(1, 3, 4, dtype=ember.float64, requires_grad=True)
    mask = ember.tensor([[False, True, True], [False, False, True], [False, False, False]])
    assert ember.autograd.gradcheck(lambda x, w: m(x, x, x, attn_mask=mask)[0], (x, m.in_proj_weight))
