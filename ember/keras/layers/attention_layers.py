"""Attention between a query and a value sequence: ``Attention`` (Luong, dot-product) and
``AdditiveAttention`` (Bahdanau).

``call([query, value, key=value], mask=[query_mask, value_mask], return_attention_scores=False,
use_causal_mask=False)`` with query ``(B, Tq, dim)``, value and key ``(B, Tv, dim)``:

* ``Attention``: ``scores = scale * query @ key^T`` (``scale`` a learned scalar when ``use_scale``;
  ``score_mode='concat'``: ``scores = c * sum(tanh(scale * (q_i + k_j)))`` with a learned scalar ``c``);
* ``AdditiveAttention``: ``scores[i, j] = sum(scale * tanh(q_i + k_j))``, ``scale`` ``(dim,)``;

then masked positions (value mask False, or j > i with the causal mask) get ``-1e9``,
``weights = softmax(scores)`` over ``Tv``, ``output = weights @ value``, and query steps whose
mask is False output zeros. The output's mask is the query mask.

>>> import ember
>>> from ember import keras
>>> keras.layers.Attention()([ember.ones(2, 3, 4), ember.ones(2, 5, 4)]).shape
ember.Size([2, 3, 4])
"""
import numpy as np

from ...autograd import ops
from ...autograd.tensor import make
from ...random import rand
from .layer import Layer, _dummy_output_spec


def _mask_array(m):
    if m is None:
        return None
    return np.asarray(m._data if hasattr(m, "_data") else m, bool)


class _BaseAttention(Layer):
    supports_masking = True

    def __init__(self, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.dropout, self.seed = float(dropout), seed

    def _build_for_call(self, args, kwargs):
        inputs = args[0] if args else kwargs.get("inputs")
        self._maybe_build([tuple(t.shape) for t in inputs])

    def _split(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(f"{type(self).__name__} layer {self.name} must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: {inputs!r}")
        q, v = inputs[0], inputs[1]
        return q, v, inputs[2] if len(inputs) == 3 else v

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        q, v, k = self._split(inputs)
        q_mask = v_mask = None
        if mask is not None:
            q_mask, v_mask = _mask_array(mask[0]), _mask_array(mask[1]) if len(mask) > 1 else None
        scores = self._scores(q, k)
        Tq, Tv = scores.shape[-2], scores.shape[-1]
        keep = None
        if v_mask is not None:
            keep = v_mask[:, None, :]
        if use_causal_mask:
            causal = np.tril(np.ones((Tq, Tv), bool))[None]
            keep = causal if keep is None else keep & causal
        if keep is not None:
            penalty = np.where(keep, 0.0, 65504.0 if scores._data.dtype == np.float16 else 1e9)
            scores = ops.sub(scores, make(penalty.astype(scores._data.dtype)))
        weights = ops.softmax(scores, -1)
        if training and self.dropout > 0:
            drop = (rand(*weights.shape, dtype=weights.dtype) >= self.dropout).to(weights.dtype)
            weights_d = ops.mul(weights, drop * (1.0 / (1.0 - self.dropout)))
        else:
            weights_d = weights
        out = ops.matmul(weights_d, v)
        if q_mask is not None:
            out = ops.mul(out, make(q_mask[..., None].astype(out._data.dtype)))
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return _mask_array(mask[0])

    def compute_output_shape(self, input_shape):
        q, v = input_shape[0], input_shape[1]
        return tuple(q[:-1]) + (v[-1],)

    def _output_spec(self, args, kwargs):
        # With the scores the call gives (output, scores), as Keras's compute_output_spec.
        return _dummy_output_spec(self, args, kwargs) if kwargs.get("return_attention_scores") \
            else super()._output_spec(args, kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(dropout=self.dropout, seed=self.seed)
        return config


class Attention(_BaseAttention):
    """Dot-product attention layer (Luong-style).

    Args:
        use_scale (bool): learn a scalar ``scale`` (initialized to 1) multiplying the scores.
        score_mode (str): ``'dot'`` (default) or ``'concat'`` (``concat_score_weight`` times the sum of tanh).
        dropout (float): dropout on the attention weights while training.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(dropout=dropout, seed=seed, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Invalid value for argument score_mode. Expected one of {{'dot', 'concat'}}. "
                             f"Received: score_mode={score_mode}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode

    def build(self, input_shape=None):
        if self.use_scale:
            self._add_weight("scale", (), "ones")
        if self.score_mode == "concat":
            self._add_weight("concat_score_weight", (), "ones")

    def _scores(self, q, k):
        if self.score_mode == "dot":
            s = ops.matmul(q, k.transpose(-1, -2))
            return ops.mul(s, self.scale) if self.use_scale else s
        z = ops.add(q.unsqueeze(-2), k.unsqueeze(-3))
        if self.use_scale:
            z = ops.mul(z, self.scale)  # inside the tanh, as Keras does for score_mode='concat'
        return ops.mul(ops.tanh(z).sum(-1), self.concat_score_weight)

    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode)
        return config


class AdditiveAttention(_BaseAttention):
    """Additive attention layer (Bahdanau-style): ``scores = sum(scale * tanh(q_i + k_j))``.

    Args:
        use_scale (bool): learn ``scale`` ``(dim,)`` (glorot-uniform initialized), default True.
        dropout (float): dropout on the attention weights while training.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        self.use_scale = bool(use_scale)

    def build(self, input_shape):
        dim = input_shape[-1][-1] if isinstance(input_shape, list) else input_shape[-1]
        if self.use_scale:
            self._add_weight("scale", (dim,), "glorot_uniform")

    def _scores(self, q, k):
        t = ops.tanh(ops.add(q.unsqueeze(-2), k.unsqueeze(-3)))
        if self.use_scale:
            t = ops.mul(t, self.scale)
        return t.sum(-1)

    def get_config(self):
        config = super().get_config()
        config["use_scale"] = self.use_scale
        return config


class GroupQueryAttention(Layer):
    """Grouped-query attention (Ainslie et al., 2023): ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads (each repeated ``num_query_heads / num_key_value_heads`` times).

    Args:
        head_dim (int): size of each head. num_query_heads, num_key_value_heads (int): head counts.
        dropout (float): on the attention probabilities while training. use_bias (bool): default True.
        use_gate (bool): multiply the attended values by ``sigmoid(query @ gate)`` before the output projection.
        sliding_window (int): attend only to ``|t - s| < sliding_window``.

    Sublayers (``EinsumDense``, weights ``kernel`` and ``bias``) as in Keras: ``query`` ``(dim, Hq, head_dim)``,
    ``key`` and ``value`` ``(dim, Hkv, head_dim)``, ``gate``, ``attention_output`` ``(Hq, head_dim, dim)``.
    ``call(query, value, key=None, attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``; scores are ``q k / sqrt(head_dim)``; masks as ``MultiHeadAttention``.
    """

    supports_masking = True

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        if num_query_heads % num_key_value_heads:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        self.head_dim, self.num_query_heads = int(head_dim), int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout, self.use_bias, self.use_gate = float(dropout), bool(use_bias), bool(use_gate)
        self.sliding_window, self.seed = sliding_window, seed
        self._sub = dict(kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer)

    def _dense(self, equation, output_shape, bias_axes, name, activation=None):
        from .core_more import EinsumDense
        return EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes if self.use_bias else None,
                           activation=activation, name=name, **self._sub)

    def _build_for_call(self, args, kwargs):
        names = ("query", "value", "key")
        found = list(args[:3]) + [kwargs.get(n) for n in names[len(args[:3]):]]
        shapes = [tuple(t.shape) if t is not None else None for t in found]
        self._maybe_build([shapes[0], shapes[1] or shapes[0], shapes[2] or shapes[1] or shapes[0]])

    def build(self, input_shape, value_shape=None, key_shape=None):
        if isinstance(input_shape, list):
            query_shape, value_shape, key_shape = (list(input_shape) + [None, None])[:3]
        else:
            query_shape = input_shape
        value_shape = value_shape or query_shape
        key_shape = key_shape or value_shape
        Hq, Hkv, h, dim = self.num_query_heads, self.num_key_value_heads, self.head_dim, query_shape[-1]
        self._query_dense = self._dense("bqm,muh->bquh", (None, Hq, h), "uh", "query")
        self._query_dense._maybe_build(tuple(query_shape))
        self._key_dense = self._dense("bkm,mvh->bkvh", (None, Hkv, h), "vh", "key")
        self._key_dense._maybe_build(tuple(key_shape))
        if self.use_gate:
            self._gate_dense = self._dense("bqm,muh->bquh", (None, Hq, h), "uh", "gate", activation="sigmoid")
            self._gate_dense._maybe_build(tuple(query_shape))
        self._value_dense = self._dense("bkm,mvh->bkvh", (None, Hkv, h), "vh", "value")
        self._value_dense._maybe_build(tuple(value_shape))
        self._output_dense = self._dense("bquh,uhm->bqm", (None, dim), "m", "attention_output")
        self._output_dense._maybe_build((None, None, Hq, h))

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        from .attention import attention_keep_mask, masked_softmax
        key_in = key
        key = value if key is None else key
        keep = attention_keep_mask(query, value, key_in, query_mask, value_mask, key_mask, attention_mask,
                                   use_causal_mask)
        if self.sliding_window is not None:
            T, S = query.shape[1], value.shape[1]
            window = np.abs(np.arange(T)[:, None] - np.arange(S)[None, :]) < self.sliding_window
            keep = window[None] if keep is None else keep & window[None]
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)
        k = ops.repeat_interleave(self._key_dense(key), self.num_repeats, 2)
        v = ops.repeat_interleave(self._value_dense(value), self.num_repeats, 2)
        q = ops.mul(q, 1.0 / np.sqrt(float(self.head_dim)))
        scores = ops.einsum("bquh,bkuh->buqk", q, k)
        probs = masked_softmax(scores, None if keep is None else keep[:, None],
                               zero_masked_rows=return_attention_scores or self.dropout > 0)
        if training and self.dropout > 0:
            drop = (rand(*probs.shape, dtype=probs.dtype) >= self.dropout).to(probs.dtype)
            probs_d = ops.mul(probs, drop * (1.0 / (1.0 - self.dropout)))
        else:
            probs_d = probs
        out = ops.einsum("buqk,bkuh->bquh", probs_d, v)
        if gate is not None:
            out = ops.mul(out, gate)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, probs
        return out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape)

    def _output_spec(self, args, kwargs):
        return _dummy_output_spec(self, args, kwargs) if kwargs.get("return_attention_scores") \
            else super()._output_spec(args, kwargs)

    def get_config(self):
        config = super().get_config()
        from .. import initializers as _init
        from .. import regularizers as _reg
        config.update(head_dim=self.head_dim, num_query_heads=self.num_query_heads,
                      num_key_value_heads=self.num_key_value_heads, use_bias=self.use_bias, use_gate=self.use_gate,
                      dropout=self.dropout, sliding_window=self.sliding_window, seed=self.seed,
                      kernel_initializer=_init.serialize(_init.get(self._sub["kernel_initializer"])),
                      bias_initializer=_init.serialize(_init.get(self._sub["bias_initializer"])),
                      kernel_regularizer=_reg.serialize(_reg.get(self._sub["kernel_regularizer"])),
                      bias_regularizer=_reg.serialize(_reg.get(self._sub["bias_regularizer"])))
        return config
