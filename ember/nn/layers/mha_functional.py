"""``multi_head_attention_forward``: :class:`MultiheadAttention`'s computation with the weights passed in
(``torch.nn.functional.multi_head_attention_forward``).

>>> import ember
>>> import ember.nn.functional as F
>>> E, H = 4, 2
>>> q = ember.randn(3, 1, E)
>>> out, w = F.multi_head_attention_forward(q, q, q, E, H, ember.randn(3 * E, E), ember.zeros(3 * E), None, None,
...                                         False, 0.0, ember.randn(E, E), ember.zeros(E))
>>> out.shape, w.shape
(ember.Size([3, 1, 4]), ember.Size([1, 3, 3]))
"""
from ...functional.linear import linear
from .attention import MultiheadAttention

__all__ = ["multi_head_attention_forward"]


class _Weights:
    """The attributes :meth:`MultiheadAttention.forward` reads, taken from the arguments."""

    _project = MultiheadAttention._project
    forward = MultiheadAttention.forward

    def _short_repr(self):
        return "multi_head_attention_forward"


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention of ``(L, N, E)`` (or unbatched ``(L, E)``) query, key and value.

    The projections are ``in_proj_weight (3E, E)`` / ``in_proj_bias (3E)`` (or ``q/k/v_proj_weight`` with
    ``use_separate_proj_weight``), the output projection ``out_proj_weight (E, E)`` / ``out_proj_bias``;
    ``bias_k``/``bias_v`` ``(1, 1, E)`` and ``add_zero_attn`` extend the keys. Masks and the returned
    ``(attn_output, attn_weights)`` are as :class:`ember.nn.MultiheadAttention`'s; dropout applies when
    ``training``. ``static_k``/``static_v`` are not supported.
    """
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k and static_v are not supported")
    E = query._data.shape[-1]
    if E != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}")
    if E % num_heads:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    m = _Weights()
    m.embed_dim, m.num_heads, m.head_dim = E, num_heads, E // num_heads
    m.kdim, m.vdim = key._data.shape[-1], value._data.shape[-1]
    m._qkv_same_embed_dim = not use_separate_proj_weight
    m.in_proj_weight, m.in_proj_bias = in_proj_weight, in_proj_bias
    m.q_proj_weight, m.k_proj_weight, m.v_proj_weight = q_proj_weight, k_proj_weight, v_proj_weight
    m.bias_k, m.bias_v, m.add_zero_attn = bias_k, bias_v, add_zero_attn
    m.dropout, m.training, m.batch_first = dropout_p, training, False
    m.out_proj = lambda x: linear(x, out_proj_weight, out_proj_bias)
    return m.forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal)
