"""``torch.nn.attention.flex_attention``: attention with a user ``score_mod`` and a ``mask_mod``, run densely.

``flex_attention(q, k, v, score_mod, block_mask)`` computes, for query ``(B, H, L, E)`` and key /
value ``(B, H_kv, S, E)`` / ``(B, H_kv, S, Ev)``::

    s[b, h, i, j] = score_mod(scale * q[b, h, i] . k[b, h, j], b, h, i, j)
    s[b, h, i, j] = -inf where block_mask.mask_mod(b, h, i, j) is False
    out[b, h, i] = sum_j softmax_j(s[b, h, i]) v[b, h, j]

with ``scale = 1 / sqrt(E)`` by default; a query row with no key left gives 0 (and ``lse = -inf``).
PyTorch compiles this into a block-sparse kernel; ember evaluates ``score_mod`` and ``mask_mod``
once on broadcast index tensors (``b`` of shape ``(B, 1, 1, 1)``, ``h`` ``(1, H, 1, 1)``,
``q_idx`` ``(1, 1, L, 1)``, ``kv_idx`` ``(1, 1, 1, S)``, int64) over the dense ``(B, H, L, S)``
scores, so the functions must be written with tensor ops (as PyTorch's ``vmap`` needs too), and
the gradients come from ember's autograd through them (PyTorch on the CPU has no backward).
``enable_gqa=True`` shares each key/value head among ``H / H_kv`` query heads. The block
structure of :class:`BlockMask` (``BLOCK_SIZE``, ``to_dense()``, ``sparsity()``) is computed as
PyTorch's, but only the mask it stands for is used. ``kernel_options`` are accepted and ignored.

>>> import ember
>>> q = k = v = ember.randn(1, 2, 4, 8)
>>> causal = create_block_mask(lambda b, h, q_idx, kv_idx: q_idx >= kv_idx, None, None, 4, 4)
>>> out = flex_attention(q, k, v, block_mask=causal)
>>> ref = ember.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
>>> bool((out - ref).abs().max() < 1e-5)
True
"""
import math
import warnings

import numpy as np

from ...autograd import ops as _ops
from ...autograd.tensor import Tensor
from ...creation import arange, tensor as _tensor
from ...backend.dtypes import int32, int64

__all__ = ["flex_attention", "create_block_mask", "create_mask", "BlockMask", "and_masks", "or_masks",
           "noop_mask", "AuxRequest", "AuxOutput"]

_DEFAULT_SPARSE_BLOCK_SIZE = 128


def noop_mask(batch, head, token_q, token_kv):
    """Keeps everything: ``True``."""
    return _tensor(True)


def _noop_score(score, batch, head, token_q, token_kv):
    return score


def and_masks(*mask_mods):
    """A mask_mod that keeps a position only where every one of ``mask_mods`` does."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def and_mask(b, h, q_idx, kv_idx):
        result = _tensor(True)
        for m in mask_mods:
            result = _ops.logical_and(result, m(b, h, q_idx, kv_idx))
        return result
    return and_mask


def or_masks(*mask_mods):
    """A mask_mod that keeps a position where any of ``mask_mods`` does."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def or_mask(b, h, q_idx, kv_idx):
        result = _tensor(False)
        for m in mask_mods:
            result = _ops.logical_or(result, m(b, h, q_idx, kv_idx))
        return result
    return or_mask


def _grids(B, H, L, S):
    return (arange(B, dtype=int64).reshape(B, 1, 1, 1), arange(H, dtype=int64).reshape(1, H, 1, 1),
            arange(L, dtype=int64).reshape(1, 1, L, 1), arange(S, dtype=int64).reshape(1, 1, 1, S))


def create_mask(mod_fn, B, H, Q_LEN, KV_LEN, device=None):
    """The dense ``(B, H, Q_LEN, KV_LEN)`` boolean mask of a mask_mod (None for B or H: 1)."""
    B, H = B or 1, H or 1
    keep = mod_fn(*_grids(B, H, Q_LEN, KV_LEN))
    if not isinstance(keep, Tensor):
        keep = _tensor(bool(keep))
    return _ops.broadcast_to(keep.bool(), (B, H, Q_LEN, KV_LEN)).contiguous()


class BlockMask:
    """The mask of :func:`create_block_mask`: its ``mask_mod``, the ``shape`` ``(B, H, Q_LEN, KV_LEN)``,
    ``BLOCK_SIZE`` and the blocks that hold any kept position (``to_dense()``: ``(B, H, Q blocks, KV blocks)``
    int32, 1 for a block that is computed)."""

    def __init__(self, mask_mod, shape, block_size, dense_mask):
        self.mask_mod, self.shape = mask_mod, tuple(shape)
        self.seq_lengths = self.shape[2:]
        self.BLOCK_SIZE = block_size
        self._dense = dense_mask

    def to_dense(self):
        B, H, L, S = self.shape
        qb, kb = self.BLOCK_SIZE
        nq, nk = -(-L // qb), -(-S // kb)
        m = self._dense.numpy()
        padded = np.zeros((B, H, nq * qb, nk * kb), bool)
        padded[:, :, :L, :S] = m
        blocks = padded.reshape(B, H, nq, qb, nk, kb).any(axis=(3, 5))
        return _tensor(blocks.astype(np.int32), dtype=int32)

    def sparsity(self):
        """Percentage of blocks skipped, as PyTorch counts it (over the padded block grid)."""
        B, H, L, S = self.shape
        qb, kb = self.BLOCK_SIZE
        dense = self.to_dense()
        computed = float(dense.sum()) * qb * kb
        return 100 * (1 - computed / (B * H * L * S))

    def numel(self):
        return math.prod(self.shape)

    def __repr__(self):
        return f"BlockMask(shape={self.shape}, sparsity={self.sparsity():.2f}%, mask_mod={getattr(self.mask_mod, '__name__', self.mask_mod)})"


def create_block_mask(mask_mod, B, H, Q_LEN, KV_LEN, device=None, BLOCK_SIZE=_DEFAULT_SPARSE_BLOCK_SIZE,
                      _compile=False, separate_full_blocks=True, compute_dq_write_order=False, dq_kv_order=True):
    """A :class:`BlockMask` of ``mask_mod(b, h, q_idx, kv_idx) -> bool`` (B or H None: shared by every
    batch entry / head)."""
    block = (BLOCK_SIZE, BLOCK_SIZE) if isinstance(BLOCK_SIZE, int) else tuple(BLOCK_SIZE)
    dense = create_mask(mask_mod, B, H, Q_LEN, KV_LEN, device)
    return BlockMask(mask_mod, (B or 1, H or 1, Q_LEN, KV_LEN), block, dense)


class AuxRequest:
    """Which extra outputs ``flex_attention(..., return_aux=AuxRequest(lse=True))`` returns."""

    def __init__(self, lse=False, max_scores=False):
        self.lse, self.max_scores = lse, max_scores


class AuxOutput:
    def __init__(self, lse=None, max_scores=None):
        self.lse, self.max_scores = lse, max_scores


def _check(query, key, value, enable_gqa):
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.dim() != 4:
            raise ValueError(f"flex_attention: {name} must be a 4-D tensor (B, H, seq, dim), got "
                             f"{tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__}")
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise ValueError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                         f"{query.dtype}, key.dtype: {key.dtype}, and value.dtype: {value.dtype} instead.")
    Hq, Hkv = query.shape[1], key.shape[1]
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"Expect query and key/value to have the same embedding dimension but got E={query.shape[-1]} "
                         f"and E={key.shape[-1]}.")
    if key.shape[2] != value.shape[2] or key.shape[1] != value.shape[1]:
        raise ValueError(f"flex_attention: key {tuple(key.shape)} and value {tuple(value.shape)} must share heads and "
                         "sequence length")
    if Hq != Hkv:
        if not enable_gqa:
            raise ValueError(f"Expect query and key/value to have the same number of heads but got Hq={Hq} and "
                             f"Hkv={Hkv}. Try setting enable_gqa=True for GQA.")
        if Hq % Hkv:
            raise ValueError(f"Expect number of query heads to be a multiple of kv heads for GQA but got Hq={Hq} and "
                             f"Hkv={Hkv}.")


def flex_attention(query, key, value, score_mod=None, block_mask=None, scale=None, enable_gqa=False,
                   return_lse=False, kernel_options=None, *, return_aux=None):
    """See the module docstring. Returns ``out`` ``(B, H, L, Ev)``; with ``return_lse=True`` also the
    ``(B, H, L)`` log-sum-exp of the scores, with ``return_aux=AuxRequest(lse=True)`` an :class:`AuxOutput`."""
    _check(query, key, value, enable_gqa)
    if return_lse:
        warnings.warn("return_lse is deprecated and will be removed in v2.10. Please use "
                      "return_aux=AuxRequest(lse=True) instead.", FutureWarning, stacklevel=2)
    B, H, L, E = query.shape
    S = key.shape[2]
    if key.shape[1] != H:
        groups = H // key.shape[1]
        key = _ops.repeat_interleave(key, groups, dim=1)
        value = _ops.repeat_interleave(value, groups, dim=1)
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    scores = _ops.mul(_ops.matmul(query, _ops.transpose(key, -1, -2)), scale)
    b, h, qi, ki = _grids(B, H, L, S)
    if score_mod is not None:
        scores = _ops.broadcast_to(score_mod(scores, b, h, qi, ki), scores.shape)
    keep = None
    if block_mask is not None:
        if tuple(block_mask.seq_lengths) != (L, S):
            raise ValueError(f"block_mask was created for sequence lengths {tuple(block_mask.seq_lengths)}, but got "
                             f"query length {L} and key length {S}")
        mb, mh = block_mask.shape[:2]
        if mb not in (1, B) or mh not in (1, H):
            raise ValueError(f"block_mask of shape {block_mask.shape} does not broadcast to (B={B}, H={H})")
        keep = _ops.broadcast_to(block_mask._dense, (B, H, L, S))
    if keep is not None:
        neg_inf = _tensor(-math.inf, dtype=scores.dtype)
        scores = _ops.where(keep, scores, neg_inf)
        alive = _ops.any(keep, -1, keepdim=True)
        # Rows with nothing kept: softmax of zeros (finite), then zero weights; lse is -inf.
        safe = _ops.where(alive, scores, _tensor(0.0, dtype=scores.dtype))
        probs = _ops.mul(_ops.softmax(safe, -1), alive.to(scores.dtype))
        lse = _ops.where(_ops.squeeze(alive, -1), _ops.logsumexp(safe, -1), neg_inf)
    else:
        probs = _ops.softmax(scores, -1)
        lse = _ops.logsumexp(scores, -1)
    out = _ops.matmul(probs, value)
    if return_aux is not None:
        return out, AuxOutput(lse=lse if return_aux.lse else None,
                              max_scores=_ops.amax(scores, -1) if return_aux.max_scores else None)
    return (out, lse) if return_lse else out

