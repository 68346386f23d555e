"""ONNX Attention (opset 23+): scaled dot-product attention with masks, KV cache and grouped heads.

Q (B, Hq, Sq, D), K (B, Hkv, Skv, D), V (B, Hkv, Skv, Dv), or 3-D (B, S, H*D) with
``q_num_heads``/``kv_num_heads``. ``past_key``/``past_value`` are prepended along the sequence and
returned as the present cache. With H_q a multiple of H_kv each K/V head serves H_q/H_kv queries::

    scores = softcap(Q K^T * scale) + bias      bias: attn_mask (bool -> 0/-inf, or added as is)
                                                      and -inf where key j is not allowed for
                                                      the query at position p = offset + i:
                                                      is_causal: j > p; windows: p - j > left or
                                                      j - p > right; nonpad_kv_seqlen: j >= n_b
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
    if nonpad is not None and past_k is not None:
        raise ValueError(f"ember.onnx: Attention node {ctx.name!r}: nonpad_kv_seqlen and past_key "
                         "cannot be combined")
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
    # the query at row i sits at position offset + i: after the cache, or (external cache given
    # by nonpad_kv_seqlen) at the end of each batch entry's valid keys
    if past_k is not None:
        offset = np.asarray(past_k.shape[2])
    elif nonpad is not None:
        offset = arr(nonpad).reshape(-1, 1, 1, 1).astype(np.int64) - sq
    else:
        offset = np.asarray(0)
    pos = np.arange(sq)[:, None] + offset  # (q, 1) or (B, 1, q, 1)
    j = np.arange(skv)[None, :]
    allowed = np.ones(np.broadcast_shapes(pos.shape, j.shape), dtype=bool)
    if ctx.attr("is_causal", 0):
        allowed &= j <= pos
    left, right = ctx.attr("left_window_size", -1), ctx.attr("right_window_size", -1)
    if left >= 0:
        allowed &= pos - j <= left
    if right >= 0:
        allowed &= j - pos <= right
    if nonpad is not None:
        allowed &= j < arr(nonpad).reshape(-1, 1, 1, 1)
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
    return (y.to(q.dtype), present_k, present_v, qk_out.to(q.dtype))[:max(ctx.n_outputs, 1)]


@register("RotaryEmbedding")
def rotary_embedding(ctx, x, cos, sin, position_ids=None):
    """Rotate pairs (x1, x2) of each head's first ``rotary_embedding_dim`` features by the cached
    angle: (x1 cos - x2 sin, x1 sin + x2 cos); pairs are halves, or neighbours if ``interleaved``."""
    four_d = x.dim() == 4
    shape = tuple(x.shape)
    h = x.permute(0, 2, 1, 3) if four_d else x.reshape(shape[0], shape[1], ctx.attr("num_heads"), -1)
    dim = ctx.attr("rotary_embedding_dim", 0) or h.shape[3]
    if position_ids is not None:
        ids = arr(position_ids).astype(np.int64)
        cos = ember.index_select(cos, 0, tensor(ids.reshape(-1))).reshape(*ids.shape, -1)
        sin = ember.index_select(sin, 0, tensor(ids.reshape(-1))).reshape(*ids.shape, -1)
    cos, sin = cos.unsqueeze(2), sin.unsqueeze(2)
    rot, rest = h[..., :dim], h[..., dim:]
    if ctx.attr("interleaved", 0):
        x1, x2 = rot[..., 0::2], rot[..., 1::2]
    else:
        x1, x2 = rot[..., :dim // 2], rot[..., dim // 2:]
    real, imag = cos * x1 - sin * x2, sin * x1 + cos * x2
    if ctx.attr("interleaved", 0):
        rot = ember.stack([real, imag], dim=-1).reshape(*rot.shape)
    else:
        rot = ember.cat([real, imag], dim=-1)
    out = ember.cat([rot, rest], dim=-1)
    return out.permute(0, 2, 1, 3) if four_d else out.reshape(*shape)


@register("SwiGLU")
def swiglu(ctx, a, b):
    """a * sigmoid(alpha * a) * b: the gated unit of LLaMA-style feed-forward blocks."""
    return a * ember.sigmoid(ctx.attr("alpha", 1.0) * a) * b


@register("TensorScatter")
def tensor_scatter(ctx, cache, update, write_indices=None):
    """Write ``update`` into the KV cache along ``axis`` at each batch entry's write index
    (modulo the cache length in ``circular`` mode)."""
    axis = ctx.attr("axis", -2) % cache.dim()
    mode = ctx.attr("mode", "linear")
    starts = np.zeros(cache.shape[0], np.int64) if write_indices is None else \
        arr(write_indices).astype(np.int64).reshape(-1)
    shape = [1] * cache.dim()
    shape[0], shape[axis] = cache.shape[0], update.shape[axis]
    seq = np.arange(update.shape[axis]).reshape([-1 if i == axis else 1 for i in range(cache.dim())])
    idx = starts.reshape([-1] + [1] * (cache.dim() - 1)) + seq
    if mode == "circular":
        idx = idx % cache.shape[axis]
    idx = np.ascontiguousarray(np.broadcast_to(idx, tuple(update.shape)))
    if cache.dtype.is_floating_point:
        return ember.scatter(cache, axis, tensor(idx), update)
    out = arr(cache).copy()
    np.put_along_axis(out, idx, arr(update), axis=axis)
    return tensor(out)


@register("LinearAttention")
def linear_attention(ctx, q, k, v, past_state=None, decay=None, beta=None):
    """Recurrent linear attention over a state S (B, H_kv, d_k, d_v), in float32; per step t::

        S = S * exp(g_t)                       gated rules: g_t per head or per key feature
        v_t = beta_t * (v_t - k_t S)           delta rules: write only what S does not recall
        S = S + k_t v_t^T                      y_t = scale * q_t S  (S shared by H_q/H_kv heads)

    ``update_rule`` is linear, gated, delta or gated_delta; outputs y (B, T, H_q*d_v) and S."""
    rule = ctx.attr("update_rule", "gated_delta")
    hq, hkv = ctx.attr("q_num_heads"), ctx.attr("kv_num_heads")
    f32 = ember.float32
    b, t, _ = q.shape
    q4, k4, v4 = (_heads(x, n).to(f32) for x, n in ((q, hq), (k, hkv), (v, hkv)))
    dk, dv = q4.shape[-1], v4.shape[-1]
    g4 = None
    if rule in ("gated", "gated_delta"):
        g4 = decay.reshape(b, t, hkv, -1).permute(0, 2, 1, 3).to(f32)  # (B, H, T, 1 or d_k)
    beta4 = None
    if rule in ("delta", "gated_delta"):
        beta4 = beta.reshape(b, t, -1, 1).permute(0, 2, 1, 3).to(f32)  # (B, H or 1, T, 1)
    state = past_state.to(f32) if past_state is not None else ember.zeros(b, hkv, dk, dv, dtype=f32)
    scale = ctx.attr("scale") or 1.0 / np.sqrt(dk)
    outs = []
    for i in range(t):
        kt, vt = k4[:, :, i], v4[:, :, i]
        if g4 is not None:
            state = state * ember.exp(g4[:, :, i]).unsqueeze(-1)
        if beta4 is not None:
            recalled = ember.matmul(kt.unsqueeze(-2), state).squeeze(-2)
            vt = beta4[:, :, i] * (vt - recalled)
        state = state + kt.unsqueeze(-1) * vt.unsqueeze(-2)
        read = ember.repeat_interleave(state, hq // hkv, dim=1) if hq != hkv else state
        outs.append(ember.matmul(q4[:, :, i].unsqueeze(-2), read).squeeze(-2) * float(scale))
    y = ember.stack(outs, dim=2).permute(0, 2, 1, 3).reshape(b, t, hq * dv).to(q.dtype)
    return y, state.to(past_state.dtype if past_state is not None else q.dtype)
