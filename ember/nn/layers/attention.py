"""``MultiheadAttention``: attention over ``num_heads`` learned projections, with PyTorch's weights.

``MultiHead(Q, K, V) = concat(head_1 ... head_h) W_o + b_o`` with
``head_i = softmax((Q W_q^i)(K W_k^i)^T / sqrt(d_head) + mask) (V W_v^i)``.

>>> import ember
>>> from ember import nn
>>> mha = nn.MultiheadAttention(embed_dim=16, num_heads=4, batch_first=True)
>>> x = ember.randn(2, 5, 16)
>>> out, weights = mha(x, x, x)
>>> tuple(out.shape), tuple(weights.shape)
((2, 5, 16), (2, 5, 5))
"""
import numpy as np

from ... import creation
from ...autograd.ops import cat, transpose, unsqueeze, squeeze, mean
from ...autograd.tensor import Tensor
from ...functional.attention import multi_head_attention, _bool_to_additive, _heads_composite
from ...backend.meta import MetaArray
from ...functional.linear import linear
from ...functional._fuse import wrap
from .. import init
from ..module import Module, input_error
from ..parameter import Parameter
from .linear import Linear


class NonDynamicallyQuantizableLinear(Linear):
    """The ``out_proj`` of :class:`MultiheadAttention` (a ``Linear``; the name matches PyTorch's)."""


def _additive(mask, dtype, name):
    """A boolean (True = masked out) or float mask as an additive float array."""
    if mask is None:
        return None
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype == np.bool_:
        return _bool_to_additive(m, dtype, False)
    if m.dtype.kind != "f":
        raise RuntimeError(f"MultiheadAttention: only bool and floating types of {name} are supported, got "
                           f"{m.dtype}")
    return m.astype(dtype, copy=False)


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al.), PyTorch's ``nn.MultiheadAttention``.

    Args:
        embed_dim: model dimension ``E`` (the query's features and the output's).
        num_heads: parallel heads; ``embed_dim`` must be divisible by it (head dim ``E / num_heads``).
        dropout: dropout on the attention weights (training only, default 0).
        bias: biases of the input and output projections (default True).
        add_bias_kv: learn a bias key and value appended to the key/value sequence.
        add_zero_attn: append a zero key and value to the sequence.
        kdim, vdim: features of key and value (default ``embed_dim``); when they differ from
            ``embed_dim`` the projections are ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``,
            else one ``in_proj_weight`` ``(3E, E)``.
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False):

    - query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)`` (batch first if set; unbatched
      ``(L, E)`` ...).
    - key_padding_mask ``(N, S)``: bool (True = ignore that key) or float (added).
    - attn_mask ``(L, S)`` or ``(N * num_heads, L, S)``: bool (True = not allowed) or float (added).
    - is_causal: a hint that attn_mask is the causal mask (attn_mask is still required).
    - Returns ``(attn_output, attn_weights)``: output ``(L, N, E)``; weights ``(N, L, S)`` averaged over heads
      (``(N, num_heads, L, S)`` with ``average_attn_weights=False``), or None when ``need_weights=False``.

    Init (as PyTorch): input projections Xavier-uniform, their biases and ``out_proj.bias`` zero,
    ``out_proj.weight`` as ``Linear``; ``bias_k``/``bias_v`` Xavier-normal.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"embed_dim must be divisible by num_heads (got embed_dim={embed_dim}, "
                                 f"num_heads={num_heads})")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(creation.empty((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(creation.empty((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(creation.empty((embed_dim, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(creation.empty((3 * embed_dim, embed_dim), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty((1, 1, embed_dim), dtype=dtype))
            self.bias_v = Parameter(creation.empty((1, 1, embed_dim), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def extra_repr(self):
        return ""

    def _project(self, query, key, value):
        """``(tensors, offsets)``: q, k, v as heads-last tensors and the column where each starts."""
        E = self.embed_dim
        b = self.in_proj_bias
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:
                # Self-attention: one matmul gives q, k and v side by side.
                qkv = linear(query, w, b)
                return (qkv, qkv, qkv), (0, E, 2 * E)
            if key is value:
                q = linear(query, w[:E], None if b is None else b[:E])
                kv = linear(key, w[E:], None if b is None else b[E:])
                return (q, kv, kv), (0, 0, E)
            ws = (w[:E], w[E:2 * E], w[2 * E:])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        bs = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        return tuple(linear(x, wi, bi) for x, wi, bi in zip((query, key, value), ws, bs)), (0, 0, 0)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        qd = query._data.ndim
        if qd not in (2, 3):
            raise input_error(self, f"query should be unbatched 2D or batched 3D tensor but received {qd}-D "
                                    f"query tensor of shape {tuple(query.shape)}")
        if key._data.ndim != qd or value._data.ndim != qd:
            raise input_error(self, f"query, key and value must have the same number of dimensions; got shapes "
                                    f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        if query._data.shape[-1] != self.embed_dim:
            raise input_error(self, f"was expecting embedding dimension of {self.embed_dim}, but got query of "
                                    f"shape {tuple(query.shape)}")
        if key._data.shape[-1] != self.kdim or value._data.shape[-1] != self.vdim:
            raise input_error(self, f"expected key (..., {self.kdim}) and value (..., {self.vdim}); got shapes "
                                    f"{tuple(key.shape)} and {tuple(value.shape)}")
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                               "module method `generate_square_subsequent_mask` to create this mask.")
        batched = qd == 3
        same = query is key and key is value
        same_kv = key is value
        if not batched:
            query, key, value = (unsqueeze(t, 0) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = unsqueeze(key_padding_mask, 0) if isinstance(key_padding_mask, Tensor) \
                    else np.asarray(key_padding_mask)[None]
        elif not self.batch_first:
            query, key, value = (transpose(t, 0, 1) for t in (query, key, value))
        if same:
            key = value = query
        elif same_kv:
            value = key
        # Now (N, L, E) / (N, S, kdim) / (N, S, vdim).
        N, L, E = query._data.shape
        S = key._data.shape[1]
        if key._data.shape[0] != N or value._data.shape[0] != N or value._data.shape[1] != S:
            raise input_error(self, f"key and value must have the batch and sequence sizes (N={N}, S) of query; "
                                    f"got key {tuple(key.shape)} and value {tuple(value.shape)}")
        H = self.num_heads
        (q, k, v), offs = self._project(query, key, value)
        dt = q._data.dtype
        am = _additive(attn_mask, dt, "attn_mask")
        kpm = _additive(key_padding_mask, dt, "key_padding_mask")
        if am is not None:
            if am.ndim == 2:
                if am.shape != (L, S):
                    raise input_error(self, f"The shape of the 2D attn_mask is {am.shape}, but should be {(L, S)}.")
                am = am[None, None]
            elif am.ndim == 3:
                if am.shape != (N * H, L, S):
                    raise input_error(self, f"The shape of the 3D attn_mask is {am.shape}, but should be "
                                            f"{(N * H, L, S)}.")
                am = am.reshape(N, H, L, S)
            else:
                raise input_error(self, f"attn_mask's dimension {am.ndim} is not supported (2D or 3D)")
        if kpm is not None and kpm.shape != (N, S):
            raise input_error(self, f"expecting key_padding_mask shape of {(N, S)}, but got {kpm.shape}")
        extra = []
        if self.bias_k is not None:
            extra.append((self.bias_k.expand(N, 1, E), self.bias_v.expand(N, 1, E)))
        if self.add_zero_attn:
            zeros = wrap(np.zeros((N, 1, E), dt))
            extra.append((zeros, zeros))
        if extra:
            # Appended keys/values: split the packed projection, extend the sequence, pad the masks.
            k = cat([k[:, :, offs[1]:offs[1] + E]] + [a for a, _ in extra], 1)
            v = cat([v[:, :, offs[2]:offs[2] + E]] + [b for _, b in extra], 1)
            offs = (offs[0], 0, 0)
            pad = len(extra)
            am = None if am is None else np.concatenate([am, np.zeros(am.shape[:-1] + (pad,), dt)], -1)
            kpm = None if kpm is None else np.concatenate([kpm, np.zeros((N, pad), dt)], -1)
            S += pad
        mask = am
        if kpm is not None:
            kp = kpm[:, None, None, :]
            mask = kp if mask is None else mask + kp
        p = self.dropout if self.training else 0.0
        if type(q._data) is MetaArray or type(k._data) is MetaArray or type(v._data) is MetaArray:
            # the meta device: the composite ops carry the shapes (the fused kernel fills NumPy buffers)
            out, w = _heads_composite((q, k, v), offs, E, H, mask, None, (E // H) ** -0.5)
            w = w if need_weights else None
        else:
            out, w = multi_head_attention(q, k, v, H, E, offs, mask, p, need_weights)
        out = self.out_proj(out)
        if batched and not self.batch_first:
            out = transpose(out, 0, 1)
        elif not batched:
            out = squeeze(out, 0)
        if w is not None:
            if average_attn_weights:
                w = mean(w, 1)
            if not batched:
                w = squeeze(w, 0)
        return out, w
