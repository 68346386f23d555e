"""Augmentation layers of Keras 3 built from others: ``RandomColorJitter``.

``RandomColorJitter`` applies, in Keras's order, a random brightness shift, contrast change, saturation
change and hue rotation, each only when its factor is given. ``get_random_transformation`` draws every
step's per-image parameters (keys ``rgb_delta``, ``contrast_factor``, ``saturation_factor``,
``hue_factor``) and ``transform_images`` applies them, so a draw can be fixed and replayed.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.RandomColorJitter(brightness_factor=0.5, seed=0)
>>> images = np.full((1, 2, 2, 3), 100.0, "float32")
>>> layer.transform_images(images, {"rgb_delta": np.array([25.5])}).numpy()[0, 0, 0].tolist()
[125.5, 125.5, 125.5]
"""
import numpy as np

from .preprocessing_color import _ColorLayer, _factor, RandomSaturation, RandomHue


class RandomColorJitter(_ColorLayer):
    """Brightness, contrast, saturation and hue jitter in sequence (each step clipped to ``value_range``):

    - brightness: ``x + d``, ``d ~ U(brightness_factor) * (high - low)`` per image;
    - contrast: ``(x - m) * c + m``, ``m`` the per-channel mean over height and width,
      ``c ~ U(1 - lower, 1 + upper)``;
    - saturation and hue: as ``RandomSaturation`` and ``RandomHue`` with their factors.
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        self._brightness = None if brightness_factor is None else _factor(brightness_factor, (-1, 1))
        self._contrast = None
        if contrast_factor is not None:
            lo, hi = contrast_factor if isinstance(contrast_factor, (tuple, list)) else (contrast_factor,) * 2
            if lo < 0 or hi < 0 or lo > 1:
                raise ValueError(f"RandomColorJitter: `contrast_factor` should be a number (or a list of two "
                                 f"numbers) in the range [0.0, 1.0]. Received: contrast_factor={contrast_factor}")
            self._contrast = (float(lo), float(hi))
        sub = dict(value_range=self.value_range, data_format="channels_last", dtype=self.dtype)
        self._saturation = None if saturation_factor is None else RandomSaturation(saturation_factor, **sub)
        self._hue = None if hue_factor is None else RandomHue(hue_factor, **sub)

    def _draw(self, n, rng):
        p = {}
        if self._brightness is not None:
            span = self.value_range[1] - self.value_range[0]
            p["rgb_delta"] = rng.uniform(self._brightness[0], self._brightness[1], n) * span
        if self._contrast is not None:
            p["contrast_factor"] = rng.uniform(1.0 - self._contrast[0], 1.0 + self._contrast[1], n)
        if self._saturation is not None:
            p["saturation_factor"] = self._saturation._draw(n, rng)["factor"]
        if self._hue is not None:
            p["hue_factor"] = self._hue._draw(n, rng)["factor"]
        return p

    def _apply(self, a, p):
        lo, hi = self.value_range
        per_image = (-1, 1, 1, 1)
        if "rgb_delta" in p:
            a = np.clip(a + p["rgb_delta"].astype(a.dtype).reshape(per_image), lo, hi)
        if "contrast_factor" in p:
            mean = a.mean(axis=(1, 2), keepdims=True)
            a = np.clip((a - mean) * p["contrast_factor"].astype(a.dtype).reshape(per_image) + mean, lo, hi)
        if "saturation_factor" in p:
            a = self._saturation._apply(a, {"factor": p["saturation_factor"]}).astype(a.dtype)
        if "hue_factor" in p:
            a = self._hue._apply(a, {"factor": p["hue_factor"]}).astype(a.dtype)
        return a

    def get_config(self):
        def plain(f):
            return list(f) if isinstance(f, tuple) else f
        config = super().get_config()
        config.update(brightness_factor=plain(self.brightness_factor), contrast_factor=plain(self.contrast_factor),
                      saturation_factor=plain(self.saturation_factor), hue_factor=plain(self.hue_factor))
        return config
