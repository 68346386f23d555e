"""``MixUp`` (Zhang et al., 2018): blend each image, and its label, with another image of the batch.

``get_random_transformation`` draws a permutation of the batch and a weight ``w ~ Beta(alpha, alpha)``
per image; ``transform_images`` returns ``w x + (1 - w) x[perm]`` and ``transform_labels`` the same mix of
the labels. Called on ``{"images": ..., "labels": ...}`` with ``training=True`` it mixes both with
one draw.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.MixUp()
>>> t = {"mix_weight": np.array([0.25, 1.0]), "permutation_order": np.array([1, 0])}
>>> layer.transform_images(np.array([0.0, 4.0]).reshape(2, 1, 1, 1), t).numpy().ravel().tolist()
[3.0, 4.0]
"""
import numpy as np

from ...autograd.tensor import Tensor, make
from .preprocessing_color import _ColorLayer


class MixUp(_ColorLayer):
    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    def _draw(self, n, rng):
        return {"mix_weight": rng.beta(self.alpha, self.alpha, n), "permutation_order": rng.permutation(n)}

    def _apply(self, a, p):
        w = p["mix_weight"].astype(a.dtype).reshape(-1, 1, 1, 1)
        return w * a + (1.0 - w) * a[p["permutation_order"].astype(np.int64)]

    def transform_labels(self, labels, transformation, training=True):
        y = labels._data if isinstance(labels, Tensor) else np.asarray(labels)
        if not training or transformation is None:
            return make(y)
        w = np.asarray(transformation["mix_weight"]).reshape(-1, 1).astype(np.result_type(y, np.float32))
        order = np.asarray(transformation["permutation_order"]).astype(np.int64)
        return make(w * y + (1.0 - w) * y[order])

    def call(self, inputs, training=None):
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        out = dict(inputs)
        if not training:
            out["images"] = make(np.asarray(inputs["images"]._data if isinstance(inputs["images"], Tensor)
                                            else inputs["images"]).astype(self.dtype))
            return out
        t = self.get_random_transformation(inputs["images"])
        out["images"] = self.transform_images(inputs["images"], t)
        if "labels" in inputs:
            out["labels"] = self.transform_labels(inputs["labels"], t)
        return out

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")
        config.update(alpha=self.alpha)
        return config
