"""ONNX Attention (opset 23+): scaled dot-product attention with masks, KV cache and grouped heads.

Q (B, Hq, Sq, D), K (B, Hkv, Skv, D), V (B, Hkv, Skv, Dv), or 3-D (B, S, H*D) with
``q_num_heads``/``kv_num_heads``. ``past_key``/``past_value`` are prepended along the sequence and
returned as the present cache. With H_q a multiple of H_kv each K/V head serves H_q/H_kv queries::

    scores = softcap(Q K^T * scale) + bias      bias: attn_mask (bool -> 0/-inf, or added as is)
                                                      and, if is_causal, -inf where j > i + past
    Y = softmax(scores) V                       a row with every key masked gives zeros

``qk_matmul_output_mode`` picks the fourth output: 0 the scaled product, 1 with softcap, 2 with
the bias, 3 the softmax.
"""
import numpy as np

import ember

from . import register, arr, tensor, to_ember_dtype


def _heads(x, n):
    b, s, h = x.shape
    return x.reshape(b, s, n, h // n).permute(0, 2, 1, 3)


@register("Attention")
def attention(ctx, q, k, v, mask=None, past_k=None, past_v=None, nonpad=None):
    if nonpad is not None:
        raise ctx.unsupported("nonpad_kv_seqlen")
    if ctx.attr("left_window_size", -1) >= 0 or ctx.attr("right_window_size", -1) >= 0:
        raise ctx.unsupported("sliding windows")
    three_d = q.dim() == 3
    if three_d:
        q = _heads(q, ctx.attr("q_num_heads"))
        k = _heads(k, ctx.attr("kv_num_heads"))
        v = _heads(v, ctx.attr("kv_num_heads"))
    dt = np.dtype(q.dtype.numpy)
    scale = ctx.attr("scale")
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    present_k = ember.cat([past_k, k], dim=2) if past_k is not None else k
    present_v = ember.cat([past_v, v], dim=2) if past_v is not None else v
    sq, skv = q.shape[2], present_k.shape[2]
    bias = np.zeros((sq, skv), dtype=dt)
    if mask is not None:
        m = arr(mask)
        if m.shape[-1] < skv:
            pad = [(0, 0)] * (m.ndim - 1) + [(0, skv - m.shape[-1])]
            m = np.pad(m, pad, constant_values=False if m.dtype == bool else -np.inf)
        if m.dtype == bool:
            m = np.where(m, 0, -np.inf).astype(dt)
        bias = bias + m.astype(dt)
    if ctx.attr("is_causal", 0):
        offset = past_k.shape[2] if past_k is not None else 0
        allowed = np.arange(skv)[None, :] <= np.arange(sq)[:, None] + offset
        bias = bias + np.where(allowed, 0, -np.inf).astype(dt)
    hq, hk = q.shape[1], present_k.shape[1]
    kk, vv = present_k, present_v
    if hq != hk:
        kk = ember.repeat_interleave(kk, hq // hk, dim=1)
        vv = ember.repeat_interleave(vv, hq // hk, dim=1)
    s = float(np.sqrt(scale).astype(dt))  # as the reference: sqrt(scale) on each side
    qk = ember.matmul(q * s, kk.transpose(-1, -2) * s)
    mode = ctx.attr("qk_matmul_output_mode", 0)
    qk_out = qk
    softcap = ctx.attr("softcap", 0.0)
    if softcap and softcap > 0:
        qk = ember.tanh(qk / softcap) * softcap
        if mode == 1:
            qk_out = qk
    scores = qk + tensor(bias)
    if mode == 2:
        qk_out = scores
    sm_dtype = ctx.attr("softmax_precision")
    if sm_dtype is not None:
        from .elementwise import onnx_np_dtype
        scores = scores.to(to_ember_dtype(onnx_np_dtype(ctx, sm_dtype)))
    dead = np.isneginf(np.max(np.broadcast_to(bias, tuple(scores.shape)), axis=-1, keepdims=True))
    safe = ember.where(tensor(dead), ember.zeros_like(scores), scores)
    probs = ember.softmax(safe, dim=-1)
    if dead.any():
        probs = ember.where(tensor(dead), ember.zeros_like(probs), probs)
    probs = probs.to(q.dtype)
    if mode == 3:
        qk_out = probs
    y = ember.matmul(probs, vv)
    if three_d:
        y = y.permute(0, 2, 1, 3).reshape(y.shape[0], y.shape[2], -1)
    return (y, present_k, present_v, qk_out.to(q.dtype))[:max(ctx.n_outputs, 1)]
