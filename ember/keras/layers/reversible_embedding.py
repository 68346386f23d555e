"""``ReversibleEmbedding``: an ``Embedding`` that also maps vectors back to vocabulary logits.

``layer(ids)`` looks embeddings up as ``Embedding`` does; ``layer(hidden, reverse=True)`` returns
``hidden @ embeddings.T`` (``tie_weights=True``, the default) or ``hidden @ reverse_embeddings``
(``tie_weights=False``, a separate ``(output_dim, input_dim)`` weight), cast to ``reverse_dtype`` when
given and soft-capped to ``logit_soft_cap * tanh(logits / logit_soft_cap)`` when that is set.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.ReversibleEmbedding(10, 4)
>>> tuple(layer(np.array([[1, 2]])).shape), tuple(layer(np.ones((1, 2, 4), "float32"), reverse=True).shape)
((1, 2, 4), (1, 2, 10))
"""
from ...autograd import ops
from ..ops.dtypes import to_ember_dtype
from .core import Embedding


class ReversibleEmbedding(Embedding):
    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)
        self.tie_weights, self.reverse_dtype, self.logit_soft_cap = tie_weights, reverse_dtype, logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self._add_weight("reverse_embeddings", (self.output_dim, self.input_dim), self.embeddings_initializer)

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(f"ReversibleEmbedding layer {self.name} (output_dim={self.output_dim}): reverse=True "
                             f"expects inputs whose last dimension is {self.output_dim}, got shape "
                             f"{tuple(inputs.shape)}")
        kernel = self.embeddings.mT if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            d = to_ember_dtype(self.reverse_dtype)
            inputs, kernel = inputs.to(d), kernel.to(d)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.mul(ops.tanh(ops.div(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(tie_weights=self.tie_weights, reverse_dtype=self.reverse_dtype,
                      logit_soft_cap=self.logit_soft_cap)
        return config
