"""``MultiHeadAttention`` with Keras's weights and call signature.

For query ``(B, T, Dq)`` and value/key ``(B, S, Dv)``::

    q = query @ Wq + bq            Wq (Dq, heads, key_dim)
    k = key @ Wk + bk              Wk (Dk, heads, key_dim)
    v = value @ Wv + bv            Wv (Dv, heads, value_dim)
    scores = softmax(q k^T / sqrt(key_dim))  over S, masked positions at -1e9
    out = (scores v) @ Wo + bo     Wo (heads, value_dim, Dq)

Weights, in Keras's order: query kernel and bias, key kernel and bias, value kernel and
bias, output kernel and bias.

>>> import ember
>>> from ember import keras
>>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
>>> mha(ember.ones(3, 5, 8), ember.ones(3, 5, 8)).shape
ember.Size([3, 5, 8])
"""
import math

import numpy as np

from ...autograd import ops
from ...autograd.tensor import make
from ...random import rand
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .layer import Layer


def _bool(m):
    return np.asarray(m._data if hasattr(m, "_data") else m).astype(bool)


def attention_keep_mask(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                        attention_mask=None, use_causal_mask=False):
    """Keras's attention mask ``(B, T, S)``, True where query step t may attend to value step s: the and of
    ``attention_mask``, the query mask ``(B, T, 1)``, the value and key masks ``(B, 1, S)`` (the key's only
    when the key is not the value) and the causal mask; None when there is none."""
    B, T, S = query.shape[0], query.shape[1], value.shape[1]
    keep = None

    def both(a, b):
        return b if a is None else a & b
    if query_mask is not None:
        keep = both(keep, _bool(query_mask)[:, :, None])
    if value_mask is not None:
        keep = both(keep, _bool(value_mask)[:, None, :])
    if key_mask is not None and key is not None and key is not value:
        keep = both(keep, _bool(key_mask)[:, None, :])
    if use_causal_mask:
        keep = both(keep, np.tril(np.ones((T, S), bool))[None])
    if attention_mask is not None:
        keep = both(_bool(attention_mask), keep) if keep is not None else _bool(attention_mask)
    return None if keep is None else np.broadcast_to(keep, (B, T, S))


def masked_softmax(scores, keep=None, zero_masked_rows=True):
    """Softmax over the last axis with ``keep`` False positions left out.

    A fully masked row gives zeros (``keras.layers.Softmax(mask=...)``, which Keras's attention layers use
    when they return the scores or have dropout) or, with ``zero_masked_rows=False``, the uniform
    distribution that Keras's fused ``dot_product_attention`` path gives (its other case)."""
    if keep is None:
        return ops.softmax(scores, -1)
    keep_t = make(np.broadcast_to(keep, scores.shape))
    large = -65504.0 if scores._data.dtype == np.float16 else -1e9
    probs = ops.softmax(ops.where(keep_t, scores, large), -1)
    return ops.where(keep_t, probs, 0.0) if zero_masked_rows else probs


_LETTERS = "abcdefghijklmnopqrstuvwxy"   # einsum index letters (the projections' own are z, H, K, V)


class MultiHeadAttention(Layer):
    """Multi-head (scaled dot-product) attention, as ``keras.layers.MultiHeadAttention``.

    Args:
        num_heads (int): number of heads.
        key_dim (int): size of each head for query and key.
        value_dim (int): size of each head for value (default ``key_dim``).
        dropout (float): dropout on the attention probabilities while training.
        use_bias (bool): biases in the projections (default True).
        output_shape (int or tuple): the output's trailing shape (default: the query's last dimension).
        attention_axes (int or tuple): the axes attended over (default: all but the batch and feature axes);
            the other index axes act as batch axes, and the softmax runs over all the key's attended axes.

    ``call(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``; ``attention_mask`` ``(B, T, S)`` is True where
    attention is allowed. The Keras masks of ``query``, ``value`` and ``key`` (from
    ``Embedding(mask_zero=True)`` or ``Masking``) are and-ed in, as in Keras.
    """

    supports_masking = True  # as Keras: the output keeps the query's mask

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, seed=None, flash_attention=None, use_gate=False, sliding_window=None,
                 **kwargs):
        super().__init__(**kwargs)
        if use_gate:
            raise NotImplementedError("ember.keras MultiHeadAttention does not support use_gate=True; "
                                      "GroupQueryAttention(use_gate=True) does")
        self.sliding_window = sliding_window
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the `output_shape` "
                                 "should be of type tuple, list, or int") from None
        else:
            output_shape = None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: attention_axes={attention_axes}")
        self._attention_axes = tuple(attention_axes) if attention_axes else None
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim is not None else self.key_dim
        self.dropout, self.use_bias = float(dropout), use_bias
        self._output_dim = output_shape
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.kernel_constraint, self.bias_constraint = _con.get(kernel_constraint), _con.get(bias_constraint)
        self.activity_regularizer = _reg.get(activity_regularizer)
        self.seed = seed

    def build(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, list):
            shapes = [tuple(s) if s is not None else None for s in query_shape] + [None, None]
            query_shape, value_shape, key_shape = shapes[0], shapes[1], shapes[2]
        value_shape = value_shape or query_shape
        key_shape = key_shape or value_shape
        H, K, V = self.num_heads, self.key_dim, self.value_dim
        out_dim = self._output_dim if self._output_dim is not None else (query_shape[-1],)
        rank = len(query_shape) + 1   # of the projected query (B, *index, heads, key_dim), as Keras counts
        axes = self._attention_axes
        self._attention_axes = tuple(range(1, rank - 2)) if axes is None else \
            tuple(a if a >= 0 else (rank - 1) + a for a in axes)
        for name, d, size in (("query", query_shape[-1], K), ("key", key_shape[-1], K), ("value", value_shape[-1], V)):
            self._add_weight(f"{name}_kernel", (d, H, size), self.kernel_initializer,
                             regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
            if self.use_bias:
                self._add_weight(f"{name}_bias", (H, size), self.bias_initializer, regularizer=self.bias_regularizer,
                                 constraint=self.bias_constraint)
        self._add_weight("output_kernel", (H, V) + tuple(out_dim), self.kernel_initializer,
                         regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self._add_weight("output_bias", tuple(out_dim), self.bias_initializer, regularizer=self.bias_regularizer,
                             constraint=self.bias_constraint)
        # Keras keeps these in sublayers query/key/value/attention_output: its names are 'kernel' and 'bias'.
        for attr, _, _ in self._own_weights:
            part, kind = attr.rsplit("_", 1)
            v = getattr(self, attr)
            v.__dict__["_name"] = kind
            v._set_path(f"{v.path.rsplit('/', 1)[0]}/{'attention_output' if part == 'output' else part}/{kind}")

    def _build_for_call(self, args, kwargs):
        names = ("query", "value", "key")
        found = list(args[:3]) + [kwargs.get(n) for n in names[len(args[:3]):]]
        shapes = [tuple(t.shape) if t is not None else None for t in found]
        q = shapes[0]
        v = shapes[1] or q
        self._maybe_build([q, v, shapes[2] or v])

    def _project(self, x, name):
        idx = _LETTERS[:x.ndim - 1]
        y = ops.einsum(f"{idx}z,zHK->{idx}HK", x, getattr(self, f"{name}_kernel"))
        if self.use_bias:
            y = ops.add(y, getattr(self, f"{name}_bias"))
        return y

    def _general_attention(self, q, k, v, mask, return_attention_scores, training):
        """Attention over ``self._attention_axes`` of inputs of any rank (Keras's einsum equations): the
        other index axes and the heads act as batch axes; the softmax runs over the key's attended axes."""
        rank = q.ndim
        axes = self._attention_axes
        batch = [i for i in range(rank - 1) if i not in axes]          # includes the heads' axis (rank - 2)
        target = _LETTERS[:rank]
        source = list(target)
        for n, i in enumerate(axes):
            source[i] = _LETTERS[rank + n]
        source = "".join(source)
        product = "".join([target[i] for i in batch] + [target[i] for i in axes] + [source[i] for i in axes])
        scores = ops.einsum(f"{source},{target}->{product}", k, q)
        n_att = len(axes)
        lead = scores.shape[:scores.ndim - n_att]
        flat = ops.reshape(scores, tuple(lead) + (-1,))
        keep = None
        if mask is not None:
            m = np.asarray(mask, bool)
            for _ in range(scores.ndim - m.ndim):      # expand from the heads' axis, as Keras
                m = np.expand_dims(m, -2 * n_att - 1)
            keep = np.broadcast_to(m, scores.shape).reshape(tuple(lead) + (-1,))
        probs = ops.reshape(masked_softmax(flat, keep, zero_masked_rows=True), scores.shape)
        if training and self.dropout > 0:
            keep_d = (rand(*probs.shape, dtype=probs.dtype) >= self.dropout).to(probs.dtype) * (1 / (1 - self.dropout))
            probs_d = ops.mul(probs, keep_d)
        else:
            probs_d = probs
        ctx = ops.einsum(f"{product},{source}->{target}", probs_d, v)
        return ctx, probs

    def _output(self, ctx):
        idx = _LETTERS[:ctx.ndim - 2]
        outs = _LETTERS[ctx.ndim + 1:ctx.ndim + 1 + self.output_kernel.ndim - 2]
        out = ops.einsum(f"{idx}HV,HV{outs}->{idx}{outs}", ctx, self.output_kernel)
        if self.use_bias:
            out = ops.add(out, self.output_bias)
        return out

    def call(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        if value is None:
            value = query
        if key is None:
            key = value
        q = ops.mul(self._project(query, "query"), 1.0 / math.sqrt(self.key_dim))
        k = self._project(key, "key")
        v = self._project(value, "value")
        if query.ndim != 3 or self._attention_axes != (1,):
            if use_causal_mask or any(m is not None for m in (query_mask, value_mask, key_mask)):
                raise NotImplementedError("ember.keras MultiHeadAttention takes Keras masks and use_causal_mask "
                                          "for 3-D inputs attended over axis 1 only; pass attention_mask")
            ctx, probs = self._general_attention(q, k, v, None if attention_mask is None else _bool(attention_mask),
                                                 return_attention_scores, training)
            out = self._output(ctx)
            if self.activity_regularizer is not None:
                for o in (out, probs) if return_attention_scores else (out,):
                    self.add_loss(ops.div(self.activity_regularizer(o), o.shape[0]))
            return (out, probs) if return_attention_scores else out
        scores = ops.einsum("bshk,bthk->bhts", k, q)
        mask = attention_keep_mask(query, value, key, query_mask, value_mask, key_mask, attention_mask,
                                   use_causal_mask)
        if self.sliding_window is not None:
            T, S = query.shape[1], value.shape[1]
            window = np.abs(np.arange(T)[:, None] - np.arange(S)[None, :]) < self.sliding_window
            mask = window[None] if mask is None else mask & window[None]
        probs = masked_softmax(scores, None if mask is None else mask[:, None],
                               zero_masked_rows=return_attention_scores or self.dropout > 0)
        if training and self.dropout > 0:
            keep = (rand(*probs.shape, dtype=probs.dtype) >= self.dropout).to(probs.dtype) * (1 / (1 - self.dropout))
            probs_d = ops.mul(probs, keep)
        else:
            probs_d = probs
        ctx = ops.einsum("bhts,bshv->bthv", probs_d, v)
        out = self._output(ctx)
        if self.activity_regularizer is not None:   # as Keras's Layer: each output, divided by the batch size
            for o in (out, probs) if return_attention_scores else (out,):
                self.add_loss(ops.div(self.activity_regularizer(o), o.shape[0]))
        if return_attention_scores:
            return out, probs
        return out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, list):
            query_shape = query_shape[0]
        out = self._output_dim if self._output_dim is not None else (query_shape[-1],)
        return tuple(query_shape[:-1]) + tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update(num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim, dropout=self.dropout,
                      use_bias=self.use_bias, output_shape=self._output_dim, attention_axes=self._attention_axes,
                      kernel_initializer=_init.serialize(self.kernel_initializer),
                      bias_initializer=_init.serialize(self.bias_initializer),
                      kernel_regularizer=_reg.serialize(self.kernel_regularizer),
                      bias_regularizer=_reg.serialize(self.bias_regularizer),
                      activity_regularizer=_reg.serialize(self.activity_regularizer),
                      kernel_constraint=_con.serialize(self.kernel_constraint),
                      bias_constraint=_con.serialize(self.bias_constraint), seed=self.seed,
                      use_gate=False, sliding_window=self.sliding_window)
        return config
