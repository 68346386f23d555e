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
from .preprocessing_color import _ColorLayer, _factor


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


class CutMix(MixUp):
    """CutMix (Yun et al., 2019): paste a random box from another image of the batch into each image; the
    label mix weight is the share of the image left unchanged. Box side ratio ``sqrt(1 - w)``, with
    ``w ~ Beta(a, a)`` and ``a ~ U(factor) + 1e-6``; a single image passes through."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor(factor, (0, 1))

    def get_random_transformation(self, images, training=True, seed=None):
        a = images._data if isinstance(images, Tensor) else np.asarray(images)
        if a.ndim == 3:
            return None
        last = self.data_format == "channels_last"
        n, h, w = a.shape[0], (a.shape[1] if last else a.shape[2]), (a.shape[2] if last else a.shape[3])
        rng = self._generator()
        alpha = rng.uniform(self.factor[0], self.factor[1]) + 1e-6
        ratio = np.sqrt(1.0 - rng.beta(alpha, alpha, n)).astype(np.float32)

        def bounds(length):
            crop = (ratio * length).astype(np.float32)
            start = rng.uniform(0, 1, n).astype(np.float32) * (length - crop)
            return start, start + crop
        x0, x1 = bounds(w)
        y0, y1 = bounds(h)
        gy, gx = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
        box = [v.reshape(-1, 1, 1) for v in (x0, x1, y0, y1)]
        mask = (gx >= box[0]) & (gx < box[1]) & (gy >= box[2]) & (gy < box[3])  # (n, h, w)
        channels = a.shape[-1] if last else a.shape[1]
        mask = np.repeat(mask[..., None] if last else mask[:, None], channels, axis=-1 if last else 1)
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (w * h)
        return {"permutation_order": rng.permutation(n), "batch_masks": mask,
                "mix_weight": weight.reshape(-1, 1, 1, 1)}

    def _apply(self, a, p):
        mask = p["batch_masks"]
        if self.data_format == "channels_first":
            mask = np.moveaxis(mask, 1, -1)
        return np.where(mask, a[p["permutation_order"].astype(np.int64)], a)

    def call(self, inputs, training=None):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        a = images._data if isinstance(images, Tensor) else np.asarray(images)
        if training and a.ndim == 3:  # nothing to mix with
            training = False
        return super().call(inputs, training=training)

    def get_config(self):
        config = super().get_config()
        config.pop("alpha")
        config.update(factor=list(self.factor))
        return config
