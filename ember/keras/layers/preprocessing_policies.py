"""Augmentation policies of Keras 3 composed of other augmentation layers: ``RandAugment`` and ``AugMix``.

Both own one instance of each augmentation they draw from (built with the policy's ``factor``,
``value_range``, ``interpolation`` and ``data_format``, as Keras builds them) and keep Keras's two steps:
``get_random_transformation(images)`` draws which augmentations run and each one's parameters (in
each sub-layer's own Keras format, drawn from the policy's generator), ``transform_images(images,
transformation)`` replays a draw, so a draw made by Keras itself can be applied here.

- ``RandAugment``: ``num_ops`` times, the augmentation ``layer_idxes[i]`` (one index per op, the same for
  the whole batch; indices into ``transforms`` in its order) transforms the batch with its parameters.
- ``AugMix``: ``num_chains`` chains, each a sequence of up to ``chain_depth`` augmentations (a draw of
  "none" skips a step); with Dirichlet chain weights ``w`` and a Beta(alpha, alpha) weight ``m``, the output
  is ``clip(m x + (1 - m) sum_k w_k chain_k(x), value_range)``.

>>> import numpy as np
>>> from ember import keras
>>> layer = keras.layers.RandAugment(num_ops=1, seed=0)
>>> images = np.full((2, 4, 4, 3), 100.0, "float32")
>>> t = layer.get_random_transformation(images)
>>> t["transforms"]["auto_contrast"] is None and len(t["layer_idxes"]) == 1
True
>>> layer.transform_images(images, t).shape
ember.Size([2, 4, 4, 3])
"""
import numpy as np

from ...autograd.tensor import Tensor, make
from .preprocessing import RandomRotation
from .preprocessing_color import (_ColorLayer, _factor, RandomColorDegeneration, RandomSharpness,
                                  RandomPosterization, Solarization, Equalization)
from .preprocessing_image import RandomTranslation, RandomBrightness, RandomContrast, AutoContrast
from .preprocessing_shear import RandomShear

_GEOMETRIC = ("random_shear", "random_translation", "random_rotation")
_COLOUR = ("random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness")


def _numpy(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class _Policy(_ColorLayer):
    """Builds the sub-layers by their Keras attribute names."""

    def __init__(self, value_range, factor, interpolation, seed, data_format, names, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.interpolation = interpolation
        common = dict(seed=seed, data_format=self.data_format, dtype=self.dtype)
        valued = dict(value_range=self.value_range, **common)
        make_layer = {
            "random_shear": lambda: RandomShear(x_factor=self.factor, y_factor=self.factor,
                                                interpolation=interpolation, **common),
            "random_translation": lambda: RandomTranslation(self.factor, self.factor, interpolation=interpolation,
                                                            **common),
            "random_rotation": lambda: RandomRotation(self.factor, interpolation=interpolation, **common),
            "random_brightness": lambda: RandomBrightness(self.factor, **valued),
            "random_color_degeneration": lambda: RandomColorDegeneration(self.factor, **valued),
            "random_contrast": lambda: RandomContrast(self.factor, **valued),
            "random_sharpness": lambda: RandomSharpness(self.factor, **valued),
            # Keras: posterize to at most int(8 * upper) bits (at least 1).
            "random_posterization": lambda: RandomPosterization(max(1, int(8 * self.factor[1])), **valued),
            "solarization": lambda: Solarization(addition_factor=self.factor, threshold_factor=self.factor,
                                                 value_range=self.value_range, seed=seed, dtype=self.dtype),
            "auto_contrast": lambda: AutoContrast(value_range=self.value_range, data_format=self.data_format,
                                                  dtype=self.dtype),
            "equalization": lambda: Equalization(value_range=self.value_range, data_format=self.data_format,
                                                 dtype=self.dtype),
        }
        self._augment_layers = list(names)
        for name in names:
            setattr(self, name, make_layer[name]())

    def _sub(self, name):
        if name not in self._augment_layers:
            raise ValueError(f"{type(self).__name__}: unknown augmentation {name!r} in the transformation; "
                             f"expected one of {self._augment_layers}")
        return getattr(self, name)

    def _cast(self, images):
        return _numpy(images).astype(self.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


class RandAugment(_Policy):
    """RandAugment (Cubuk et al., 2019): ``num_ops`` augmentations drawn uniformly from shear, translation,
    rotation, brightness, colour degeneration, contrast, sharpness, posterization, solarization,
    auto-contrast and equalization, of strength ``factor`` (a number ``f`` means ``(0, f)``)."""

    _AUGMENT_LAYERS = (*_GEOMETRIC, "random_brightness", "random_color_degeneration", "random_contrast",
                       "random_sharpness", "random_posterization", "solarization", "auto_contrast", "equalization")

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, factor, interpolation, seed, data_format, self._AUGMENT_LAYERS, **kwargs)
        self.num_ops = num_ops

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        rng = self._generator(seed)
        layer_idxes = rng.integers(0, len(self._AUGMENT_LAYERS), self.num_ops)
        transforms = {name: getattr(self, name).get_random_transformation(images, training=training, seed=rng)
                      for name in self._AUGMENT_LAYERS}
        return {"transforms": transforms, "layer_idxes": layer_idxes}

    def transform_images(self, images, transformation, training=True):
        images = self._cast(images)
        if training and transformation is not None:
            names = list(transformation["transforms"])
            idxes = _numpy(transformation["layer_idxes"]).reshape(-1)
            for i in range(self.num_ops):
                # Each op transforms the whole batch with the one augmentation its index names.
                name = names[int(idxes[i])]
                out = self._sub(name).transform_images(images, transformation["transforms"][name])
                images = self._cast(out)
        return make(np.ascontiguousarray(images))

    def get_config(self):
        config = super().get_config()
        config.update(num_ops=self.num_ops, factor=list(self.factor), interpolation=self.interpolation)
        return config


class AugMix(_Policy):
    """AugMix (Hendrycks et al., 2020): a Beta-weighted mix of the image and a Dirichlet-weighted sum of
    ``num_chains`` augmentation chains; ``all_ops=False`` leaves out brightness, colour degeneration,
    contrast and sharpness."""

    AUGMENT_LAYERS_ALL = (*_GEOMETRIC, "random_posterization", "solarization", "auto_contrast", "equalization",
                          *_COLOUR)

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        names = self.AUGMENT_LAYERS_ALL if all_ops else self.AUGMENT_LAYERS_ALL[:-len(_COLOUR)]
        super().__init__(value_range, factor, interpolation, seed, data_format, names, **kwargs)
        self.num_chains, self.chain_depth, self.alpha, self.all_ops = num_chains, chain_depth, alpha, all_ops

    def get_random_transformation(self, images, training=True, seed=None):
        if not training:
            return None
        rng = self._generator(seed)
        gamma = rng.gamma(self.alpha, size=self.num_chains)
        chain_transforms = []
        weight_sample = rng.beta(self.alpha, self.alpha)
        for _ in range(self.num_chains):
            depth = []
            for _ in range(self.chain_depth):
                # One more choice than there are augmentations: drawing it skips this step.
                k = int(rng.integers(0, len(self._augment_layers) + 1))
                if k == len(self._augment_layers):
                    continue
                name = self._augment_layers[k]
                depth.append({"layer_name": name,
                              "transformation": getattr(self, name).get_random_transformation(images, seed=rng)})
            chain_transforms.append(depth)
        return {"chain_mixing_weights": (gamma / gamma.sum()).astype(np.float32),
                "weight_sample": np.float32(weight_sample), "chain_transforms": chain_transforms}

    def transform_images(self, images, transformation, training=True):
        images = self._cast(images)
        if training and transformation is not None:
            weights = _numpy(transformation["chain_mixing_weights"]).astype(self.dtype)
            mix = _numpy(transformation["weight_sample"]).astype(self.dtype)
            augmented = np.zeros_like(images)
            for k, chain in enumerate(transformation["chain_transforms"]):
                x = images
                for step in chain:
                    x = self._cast(self._sub(step["layer_name"]).transform_images(x, step["transformation"]))
                augmented = augmented + x * weights[k]
            images = np.clip(mix * images + (1 - mix) * augmented, self.value_range[0], self.value_range[1])
        return make(np.ascontiguousarray(images.astype(self.dtype)))

    def get_config(self):
        config = super().get_config()
        config.update(num_chains=self.num_chains, chain_depth=self.chain_depth, factor=list(self.factor),
                      alpha=self.alpha, all_ops=self.all_ops, interpolation=self.interpolation)
        return config
