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
from .layer import Layer


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
