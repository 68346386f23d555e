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


def _box_masks(shape, channels_last, ratio_x, ratio_y, rng):
    """Boolean masks of one box per image (Keras's CutMix / RandomErasing boxes): side ``ratio * length``
    at a uniform offset, ``x`` drawn before ``y``; returns the masks (the images' layout) and the corners."""
    n = shape[0]
    h, w = (shape[1], shape[2]) if channels_last else (shape[2], shape[3])

    def bounds(ratio, length):
        crop = (ratio * length).astype(np.float32)
        start = rng.uniform(0, 1, n).astype(np.float32) * (length - crop)
        return start, start + crop
    x0, x1 = bounds(ratio_x, w)
    y0, y1 = bounds(ratio_y, h)
    gy, gx = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
    box = [v.reshape(-1, 1, 1) for v in (x0, x1, y0, y1)]
    mask = (gx >= box[0]) & (gx < box[1]) & (gy >= box[2]) & (gy < box[3])  # (n, h, w)
    channels = shape[-1] if channels_last else shape[1]
    mask = np.repeat(mask[..., None] if channels_last else mask[:, None], channels, axis=-1 if channels_last else 1)
    return mask, (x0, x1, y0, y1)


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

    def call(self, inputs, training=True):
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
        rng = self._generator(seed)
        alpha = rng.uniform(self.factor[0], self.factor[1]) + 1e-6
        ratio = np.sqrt(1.0 - rng.beta(alpha, alpha, n)).astype(np.float32)
        mask, (x0, x1, y0, y1) = _box_masks(a.shape, last, ratio, ratio, rng)
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (w * h)
        return {"permutation_order": rng.permutation(n), "batch_masks": mask,
                "mix_weight": weight.reshape(-1, 1, 1, 1)}

    def _apply(self, a, p):
        mask = p["batch_masks"]
        if self.data_format == "channels_first":
            mask = np.moveaxis(mask, 1, -1)
        return np.where(mask, a[p["permutation_order"].astype(np.int64)], a)

    def call(self, inputs, training=True):
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


class RandomErasing(_ColorLayer):
    """Random erasing (Zhong et al., 2017): with a probability drawn from ``U(factor)``, fill a box of each
    image (sides ``sqrt(U(scale))`` of the height and width) with ``fill_value`` (a number, three channel
    values, or by default Gaussian noise times ``value_range[1]``), clipped to ``value_range``."""

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.scale = _factor(scale, (0, 1), "scale")
        if fill_value is not None and not isinstance(fill_value, (int, float)) and \
                not (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError(f"The `fill_value` argument should be a number (or a list of three numbers). "
                             f"Received: fill_value={fill_value}")
        self.fill_value = fill_value

    def get_random_transformation(self, images, training=True, seed=None):
        a, _ = self._batch(images)
        rng = self._generator(seed)
        weight = np.sqrt(rng.uniform(self.scale[0], self.scale[1], (a.shape[0], 2))).astype(np.float32)
        mask, _ = _box_masks(a.shape, self.data_format == "channels_last", weight[:, 0], weight[:, 1], rng)
        probability = rng.uniform(self.factor[0], self.factor[1], a.shape[0])
        apply = rng.uniform(0, 1, a.shape[0]) < probability
        if self.fill_value is None:
            fill = rng.standard_normal(a.shape).astype(a.dtype) * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, a.dtype), a.shape)
        fill = np.clip(fill, self.value_range[0], self.value_range[1])
        return {"apply_erasing": apply, "batch_masks": mask, "fill_value": fill}

    def _apply(self, a, p):
        mask, fill = p["batch_masks"], p["fill_value"]
        if self.data_format == "channels_first":
            mask, fill = np.moveaxis(mask, 1, -1), np.moveaxis(fill, 1, -1)
        return np.where(p["apply_erasing"].reshape(-1, 1, 1, 1), np.where(mask, fill, a), a)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "fill_value": self.fill_value}
