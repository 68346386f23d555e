"""Attention: ``scaled_dot_product_attention`` and the fused kernel behind ``nn.MultiheadAttention``.

``softmax(Q K^T * scale + mask) V`` runs as one graph node: batched ``np.matmul``
over ``(..., L, E)`` layouts, a softmax computed in place on the score buffer, and
a NumPy backward::

    dV = P^T dO      dP = dO V^T      dS = P * (dP - rowsum(dP * P))
    dQ = dS K * scale                  dK = dS^T Q * scale

(``P`` the attention weights after dropout, if any). With ``create_graph=True`` the
backward re-runs the composite definition with ember ops, so higher-order
gradients are exact.

Mask conventions (as PyTorch): in :func:`scaled_dot_product_attention` a boolean
``attn_mask`` is True where a query **may** attend; ``nn.MultiheadAttention``'s
boolean masks are True where attention is **not** allowed. Float masks are added
to the scores in both. A query whose every score is masked (``-inf``) gets zero
weights, a zero output and zero gradients in :func:`scaled_dot_product_attention`
(PyTorch's "safe softmax", so that left-padded rows do not poison a batch with NaN);
``nn.MultiheadAttention`` keeps the plain softmax's NaN there, as PyTorch's does.

>>> import ember
>>> import ember.nn.functional as F
>>> q = k = v = ember.randn(2, 4, 5, 8)          # (batch, heads, length, head dim)
>>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
ember.Size([2, 4, 5, 8])
"""
import math

import numpy as np

from ..autograd.ops import matmul, add, mul, softmax, transpose, sum_to, where
from ..autograd.autocast_state import active as _autocast, run_lower
from ..autograd.ops.conversion import in_float32
from ..autograd.tensor import Tensor
from ..random import _bernoulli_values, _gen
from ..backend.meta import MetaArray as _MetaArray
from ._fuse import gm, wrap, composite_grad
from . import _flash_half

__all__ = ["scaled_dot_product_attention"]


def _causal_additive(L, S, dtype):
    m = np.zeros((L, S), dtype)
    m[np.triu_indices(L, 1, S)] = -np.inf
    return m


def _bool_to_additive(mask, dtype, true_means_keep):
    keep = mask if true_means_keep else ~mask
    return np.where(keep, dtype.type(0), dtype.type(-np.inf)).astype(dtype, copy=False)


def _composite(q, k, v, mask, keep, scale, dead=None):
    s = matmul(mul(q, scale), transpose(k, -1, -2))
    if mask is not None:
        s = add(s, mask)
    if dead is not None:
        # Fully masked rows: a finite stand-in for the softmax, then zero weights.
        s = where(wrap(np.broadcast_to(dead, s.shape)), wrap(np.zeros((), s._data.dtype)), s)
    p = softmax(s, -1)
    if dead is not None:
        p = mul(p, wrap((~dead).astype(p._data.dtype)))
    if keep is not None:
        p = mul(p, wrap(keep))
    return matmul(p, v), p


def _softmax_scores(S, mask_a, scale, dropout_p, safe=False):
    """In place on the raw scores ``S``: scale, add the mask, softmax; then dropout. Returns (P, keep, Pd),
    and with ``safe`` also the ``(..., L, 1)`` boolean of fully masked rows (None if there are none),
    whose weights are zero instead of NaN."""
    dt = S.dtype
    if scale != 1.0:
        S *= dt.type(scale)
    if mask_a is not None:
        try:
            S += mask_a
        except ValueError:
            S = S + mask_a
    m = S.max(axis=-1, keepdims=True)
    dead = None
    if safe and mask_a is not None:
        dead = np.isneginf(m)
        if dead.any():
            m[dead] = 0
        else:
            dead = None
    S -= m
    np.exp(S, out=S)
    total = S.sum(axis=-1, keepdims=True)
    if dead is not None:
        total[dead] = 1  # the row is all zeros already: keep it so
    S /= total
    keep = None
    Pd = S
    if dropout_p > 0.0:
        if dropout_p >= 1.0 or type(S) is _MetaArray:  # a meta input draws nothing
            keep = np.zeros_like(S)
        else:
            # torch's math kernel: dropout(attn, p) = attn * (bernoulli_(1 - p) / (1 - p))
            keep = _bernoulli_values(_gen(None), S.shape, 1.0 - dropout_p).astype(dt) / dt.type(1.0 - dropout_p)
        Pd = S * keep
    if safe:
        return S, keep, Pd, dead
    return S, keep, Pd


def _softmax_backward(dP, P, keep):
    """d(scores) from d(weights after dropout), in place on ``dP``: ``P * (dP - rowsum(dP * P))``."""
    if keep is not None:
        dP *= keep
    r = np.einsum("...ij,...ij->...i", dP, P)[..., None]
    dP -= r
    dP *= P
    return dP


def _as_mask(mask, dt):
    mask_t = mask if isinstance(mask, Tensor) else None
    mask_a = mask._data if mask_t is not None else mask
    if mask_a is not None and mask_a.dtype != dt:
        mask_a = mask_a.astype(dt)
    return mask_t, mask_a


def _record(outs, name, backward, inputs):
    from ..autograd.node import Node
    node = Node(name, backward, inputs, tuple(t for t in inputs if t is not None), nout=len(outs))
    for i, t in enumerate(outs):
        t.grad_fn = node
        t._rg = True
        t._out_idx = i


def attention(q, k, v, mask=None, dropout_p=0.0, scale=None, need_weights=False):
    """The fused kernel: ``(softmax(q k^T * scale + mask) [dropout]) v`` and, if asked, the weights.

    Args:
        q, k, v: tensors ``(..., L, E)``, ``(..., S, E)``, ``(..., S, Ev)`` (batch dims broadcast).
        mask: None, an additive float NumPy array, or an additive float tensor (differentiable),
            broadcastable to ``(..., L, S)``.
        dropout_p: dropout probability on the weights (0 in evaluation).
        scale: the score scale; ``1 / sqrt(E)`` when None.
        need_weights: also return the weights ``(..., L, S)`` (after dropout, as PyTorch's).

    Returns:
        ``(output, weights)`` with output ``(..., L, Ev)`` and weights None unless ``need_weights``.
    """
    qa, ka, va = q._data, k._data, v._data
    if not (qa.dtype == ka.dtype == va.dtype):
        raise RuntimeError(f"scaled_dot_product_attention: query ({q.dtype}), key ({k.dtype}) and value "
                           f"({v.dtype}) must have the same dtype")
    if qa.ndim < 2 or ka.ndim < 2 or va.ndim < 2:
        raise RuntimeError(f"scaled_dot_product_attention: query, key and value need at least 2 dimensions "
                           f"(..., L, E); got shapes {tuple(qa.shape)}, {tuple(ka.shape)}, {tuple(va.shape)}")
    if qa.shape[-1] != ka.shape[-1] or ka.shape[-2] != va.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query (..., L, E) {tuple(qa.shape)}, key (..., S, E) "
                           f"{tuple(ka.shape)} and value (..., S, Ev) {tuple(va.shape)} do not fit together")
    dt = qa.dtype
    if dt.char == "e" and dropout_p == 0.0 and not need_weights and _flash_half_fits(qa, ka, va, mask):
        return _attention_half(q, k, v, mask, scale), None
    if dt.kind == "V" or dt.char == "e":  # bfloat16/float16: in float32, rounded once, as PyTorch's CPU flash
        if isinstance(mask, np.ndarray) and mask.dtype == dt:
            mask = mask.astype(np.float32)
        return in_float32(attention, q, k, v, mask, dropout_p, scale, need_weights)
    scale = 1.0 / math.sqrt(qa.shape[-1]) if scale is None else float(scale)
    mask_t, mask_a = _as_mask(mask, dt)
    P, keep, Pd, dead = _softmax_scores(np.matmul(qa, np.swapaxes(ka, -1, -2)), mask_a, scale, dropout_p, safe=True)
    out = wrap(np.matmul(Pd, va))
    wt = wrap(Pd) if need_weights else None
    inputs = (q, k, v, mask_t)
    if gm.enabled and any(t is not None and t._rg for t in inputs):
        rq, rk, rv = q._rg, k._rg, v._rg
        rm = mask_t is not None and mask_t._rg

        def backward(grads):
            go, gw = grads if need_weights else (grads, None)
            if gm.enabled:
                def fn(q_, k_, v_, m_):
                    o, p = _composite(q_, k_, v_, m_ if m_ is not None else mask_a, keep, scale, dead)
                    return (o, p) if need_weights else o
                gs = [g if g is not None else wrap(np.zeros(s, dt))
                      for g, s in ((go, out._data.shape), (gw, Pd.shape))][:2 if need_weights else 1]
                return composite_grad(fn, inputs, gs if need_weights else gs[0])
            dP = np.zeros(P.shape, dt) if go is None else np.matmul(go._data, np.swapaxes(va, -1, -2))
            if gw is not None:
                dP += gw._data
            gv = None
            if rv and go is not None:
                gv = sum_to(wrap(np.matmul(np.swapaxes(Pd, -1, -2), go._data)), va.shape)
            dS = _softmax_backward(dP, P, keep)
            gq = sum_to(wrap(np.matmul(dS, ka) * dt.type(scale)), qa.shape) if rq else None
            gk = sum_to(wrap(np.matmul(np.swapaxes(dS, -1, -2), qa) * dt.type(scale)), ka.shape) if rk else None
            gm_ = sum_to(wrap(dS), mask_t._data.shape) if rm else None
            return gq, gk, gv, gm_
        _record((out, wt)[:2 if need_weights else 1], "ScaledDotProductAttentionBackward0", backward, inputs)
    return out, wt


def _flash_half_fits(qa, ka, va, mask):
    """Whether PyTorch runs float16 attention on these operands in its CPU flash kernel: 4-D query, key and value
    with the same batch and head sizes and one head dimension, and a mask that is not differentiated. (Else
    it runs its math path, which ember approximates in float32, rounded once.)"""
    if qa.ndim != 4 or ka.ndim != 4 or va.ndim != 4 or qa.shape[:2] != ka.shape[:2] or ka.shape[:2] != va.shape[:2]:
        return False
    if not qa.shape[-1] == ka.shape[-1] == va.shape[-1] or 0 in qa.shape or 0 in ka.shape:
        return False
    return not (isinstance(mask, Tensor) and mask._rg)


def _attention_half(q, k, v, mask, scale):
    """float16 attention as PyTorch's CPU flash-attention kernel rounds it (``_flash_half``), one graph node."""
    qa, ka, va = q._data, k._data, v._data
    scale = 1.0 / math.sqrt(qa.shape[-1]) if scale is None else float(scale)
    mask_a = mask._data if isinstance(mask, Tensor) else mask
    if mask_a is not None:
        mask_a = mask_a.astype(np.float32)
    o, lse = _flash_half.forward(qa, ka, va, mask_a, scale)
    out = wrap(o)
    inputs = (q, k, v)
    if gm.enabled and any(t._rg for t in inputs):
        def backward(g):
            if gm.enabled:
                return composite_grad(lambda q_, k_, v_: in_float32(attention, q_, k_, v_, mask, 0.0, scale)[0],
                                      inputs, g)
            dq, dk, dv = _flash_half.backward(g._data, qa, ka, va, o, lse, mask_a, scale)
            return tuple(wrap(d) if t._rg else None for d, t in zip((dq, dk, dv), inputs))
        _record((out,), "ScaledDotProductAttentionBackward0", backward, inputs)
    return out


def _heads(arr, off, E, H):
    """The columns ``[off, off + E)`` of ``arr`` (N, L, C) as a (N, H, L, E / H) view."""
    N, L = arr.shape[0], arr.shape[1]
    return arr[:, :, off:off + E].reshape(N, L, H, E // H).transpose(0, 2, 1, 3)


def _heads_composite(srcs, offs, E, H, mask, keep, scale):
    from ..autograd.ops import reshape, permute
    parts = []
    for x, off in zip(srcs, offs):
        N, L = x._data.shape[0], x._data.shape[1]
        parts.append(permute(reshape(x[:, :, off:off + E], (N, L, H, E // H)), 0, 2, 1, 3))
    o, p = _composite(parts[0], parts[1], parts[2], mask, keep, scale)
    N, L = o._data.shape[0], o._data.shape[2]
    return reshape(permute(o, 0, 2, 1, 3), (N, L, E)), p


def multi_head_attention(q, k, v, num_heads, embed_dim, offsets=(0, 0, 0), mask=None, dropout_p=0.0,
                         need_weights=False):
    """Attention over ``num_heads`` heads read straight from projected, heads-last tensors.

    ``q`` ``(N, L, *)``, ``k`` and ``v`` ``(N, S, *)``: columns ``[offsets[i], offsets[i] + embed_dim)``
    of each hold the heads side by side (``(H, E / H)``), so one packed ``(N, L, 3E)`` projection can
    be passed as ``q``, ``k`` and ``v`` with offsets ``(0, E, 2E)`` and no split or copy. ``mask`` is an
    additive float array broadcastable to ``(N, H, L, S)``.

    Returns ``(output, weights)``: output ``(N, L, E)`` (heads concatenated), weights ``(N, H, L, S)``
    after dropout when ``need_weights``, else None.
    """
    E, H = embed_dim, num_heads
    srcs = (q, k, v)
    dt = q._data.dtype
    for t in srcs:
        if t._data.dtype != dt:
            raise RuntimeError(f"multi_head_attention: query, key and value must have the same dtype, got "
                               f"{q.dtype}, {k.dtype} and {v.dtype}")
    if dt.char == "e" and dropout_p == 0.0 and not need_weights:
        # nn.MultiheadAttention without weights runs PyTorch's sdpa on (N, H, L, E / H) views: its flash kernel
        from ..autograd.ops import reshape, permute
        heads = []
        for x, off in zip(srcs, offsets):
            N, L = x._data.shape[0], x._data.shape[1]
            heads.append(permute(reshape(x[:, :, off:off + E], (N, L, H, E // H)), 0, 2, 1, 3))
        o = _attention_half(*heads, mask, None)
        return reshape(permute(o, 0, 2, 1, 3), (o._data.shape[0], o._data.shape[2], E)), None
    if dt.kind == "V" or dt.char == "e":  # bfloat16/float16: in float32, rounded once, as PyTorch's CPU flash
        if isinstance(mask, np.ndarray) and mask.dtype == dt:
            mask = mask.astype(np.float32)
        return in_float32(multi_head_attention, q, k, v, num_heads, embed_dim, offsets, mask, dropout_p,
                          need_weights)
    qh, kh, vh = (_heads(t._data, o, E, H) for t, o in zip(srcs, offsets))
    scale = 1.0 / math.sqrt(E // H)
    P, keep, Pd = _softmax_scores(np.matmul(qh, kh.swapaxes(-1, -2)), mask, scale, dropout_p)
    N, L = qh.shape[0], qh.shape[2]
    O = np.empty((N, L, H, E // H), dt)
    np.matmul(Pd, vh, out=O.transpose(0, 2, 1, 3))
    out = wrap(O.reshape(N, L, E))
    wt = wrap(Pd) if need_weights else None
    uniq = []
    for t in srcs:
        if not any(t is u for u in uniq):
            uniq.append(t)
    if gm.enabled and any(t._rg for t in uniq):
        slot = [next(i for i, u in enumerate(uniq) if u is t) for t in srcs]

        def backward(grads):
            go, gw = grads if need_weights else (grads, None)
            if gm.enabled:
                def fn(*us):
                    o, p = _heads_composite([us[i] for i in slot], offsets, E, H, mask, keep, scale)
                    return (o, p) if need_weights else o
                gs = [g if g is not None else wrap(np.zeros(s, dt))
                      for g, s in ((go, out._data.shape), (gw, Pd.shape))][:2 if need_weights else 1]
                return composite_grad(fn, tuple(uniq), gs if need_weights else gs[0])
            bufs = []
            written = set()
            for i, u in enumerate(uniq):
                covered = E * len({offsets[p] for p in range(3) if slot[p] == i})
                shape = u._data.shape
                bufs.append(None if not u._rg else
                            (np.empty if covered == shape[-1] else np.zeros)(shape, dt))
            gh = None if go is None else go._data.reshape(N, L, H, E // H).transpose(0, 2, 1, 3)
            dP = np.zeros(P.shape, dt) if gh is None else np.matmul(gh, vh.swapaxes(-1, -2))
            if gw is not None:
                dP += gw._data
            def put(which, a, b, factor=None):
                buf = bufs[slot[which]]
                if buf is None:
                    return
                view = _heads(buf, offsets[which], E, H)
                key = (slot[which], offsets[which])
                if key in written:          # the same columns feed two of q, k, v: accumulate
                    r = np.matmul(a, b)
                    if factor is not None:
                        r *= factor
                    view += r
                    return
                written.add(key)
                np.matmul(a, b, out=view)
                if factor is not None:
                    view *= factor
            if gh is not None:
                put(2, Pd.swapaxes(-1, -2), gh)
            elif bufs[slot[2]] is not None:
                _heads(bufs[slot[2]], offsets[2], E, H)[...] = 0
                written.add((slot[2], offsets[2]))
            dS = _softmax_backward(dP, P, keep)
            put(0, dS, kh, dt.type(scale))
            put(1, dS.swapaxes(-1, -2), qh, dt.type(scale))
            return tuple(wrap(b) if b is not None else None for b in bufs)
        _record((out, wt)[:2 if need_weights else 1], "MultiHeadAttentionBackward0", backward, tuple(uniq))
    return out, wt


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """``softmax(Q K^T * scale + mask) V`` with dropout ``dropout_p`` on the weights.

    Args:
        query: ``(..., L, E)``; key: ``(..., S, E)``; value: ``(..., S, Ev)``.
        attn_mask: broadcastable to ``(..., L, S)``: boolean (True = may attend) or float (added).
        dropout_p: dropout probability on the attention weights (pass 0.0 in evaluation).
        is_causal: query ``i`` attends to keys ``j <= i`` only (top-left aligned); excludes ``attn_mask``.
        scale: score scale, ``1 / sqrt(E)`` by default.
        enable_gqa: allow fewer key/value heads than query heads (dim -3), repeated to match.

    Returns: ``(..., L, Ev)``.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> q, k, v = ember.randn(3, 4), ember.randn(6, 4), ember.randn(6, 2)
    >>> F.scaled_dot_product_attention(q, k, v).shape
    ember.Size([3, 2])
    """
    if _autocast.cpu:
        return run_lower(scaled_dot_product_attention, query, key, value, attn_mask, dropout_p, is_causal, scale,
                         enable_gqa)
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")
    dt = query._data.dtype
    L, S = query._data.shape[-2], key._data.shape[-2]
    if enable_gqa and query._data.ndim >= 3 and key._data.shape[-3] != query._data.shape[-3]:
        from ..autograd.ops import repeat_interleave
        rep = query._data.shape[-3] // key._data.shape[-3]
        key = repeat_interleave(key, rep, dim=-3)
        value = repeat_interleave(value, rep, dim=-3)
    mask = None
    if is_causal:
        mask = _causal_additive(L, S, dt)
    elif attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            attn_mask = wrap(np.asarray(attn_mask))
        if attn_mask._data.dtype == np.bool_:
            mask = _bool_to_additive(attn_mask._data, dt, True)
        elif attn_mask._data.dtype.kind == "f":
            mask = attn_mask if attn_mask._data.dtype == dt else wrap(attn_mask._data.astype(dt))
        else:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask must be bool or {query.dtype}, got "
                               f"{attn_mask.dtype}")
        scores = tuple(np.broadcast_shapes(query._data.shape[:-2], key._data.shape[:-2])) + (L, S)
        try:
            np.broadcast_shapes(tuple(attn_mask._data.shape), scores)
        except ValueError:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {tuple(attn_mask._data.shape)} "
                               f"does not broadcast to the attention scores of shape {scores}") from None
    return attention(query, key, value, mask, dropout_p, scale)[0]
